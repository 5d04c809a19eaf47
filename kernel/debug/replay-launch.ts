// launch.json's "replay": debug a run recorded in a .zlog file. The trace header holds everything the
// run needs (machine description, programs with content hashes, seed, options, the disk image), so a
// colleague reproduces a bug from the file alone. Every problem names the file and says what to do.

import fs from "node:fs";
import path from "node:path";
import { MachineDescriptionError, parseMachineDescription, type MachineDescription } from "../../devices";
import { readZlog, ZlogError } from "../trace/zlog-reader";
import { isDiskInput } from "../trace/zlog";
import { LaunchError } from "./launch-error";

export interface ReplayLaunch {
  programs: string[];
  /** Content hash each program must still have (checked once bundled). */
  sha256: string[];
  machine: MachineDescription;
  seed: number;
  watchdogMs: number;
  disk?: string;
  /** Why the replay may not be faithful (a disk image changed since the recording). */
  notes: string[];
}

/** Read the trace's header into launch settings; a LaunchError says what is wrong with the file. */
export function replayLaunch(cwd: string, replay: unknown): ReplayLaunch {
  if (typeof replay !== "string" || replay.length === 0)
    throw new LaunchError(`"replay" must be the path of a .zlog trace (got ${JSON.stringify(replay)}).`);
  const file = path.resolve(cwd, replay);
  if (!fs.existsSync(file))
    throw new LaunchError(
      `"replay": ${file} does not exist. Point it at a .zlog trace (saved with "trace": true or zds run --trace FILE.zlog).`,
    );
  if (!fs.statSync(file).isFile()) throw new LaunchError(`"replay": ${file} is not a file. Point it at a .zlog trace.`);
  let header;
  try {
    header = readZlog(file).header;
  } catch (error) {
    if (error instanceof ZlogError)
      throw new LaunchError(`"replay": ${error.message}. Give a .zlog trace saved by Zero Driver Studio.`);
    throw error;
  }
  if (!Array.isArray(header.programs) || header.programs.length === 0)
    throw new LaunchError(`"replay": ${file} records no programs, so there is nothing to run.`);
  for (const p of header.programs) {
    if (!fs.existsSync(p.path))
      throw new LaunchError(
        `"replay": the recorded program ${p.name} (${p.path}) is gone. Restore it at that path to replay the trace.`,
      );
  }
  let machine: MachineDescription;
  try {
    machine = parseMachineDescription(header.machine, `${file} (recorded machine "${header.machineName}")`);
  } catch (error) {
    if (error instanceof MachineDescriptionError) throw new LaunchError(`"replay": ${error.message}`);
    throw error;
  }
  const notes: string[] = [];
  const disk = header.inputs.find(isDiskInput);
  if (disk) {
    if (!fs.existsSync(disk.path))
      throw new LaunchError(`"replay": the recorded disk image ${disk.path} is gone. Restore it to replay the trace.`);
    const stat = fs.statSync(disk.path);
    if (disk.persist)
      notes.push(
        `the recorded run wrote through to ${disk.path} ("persist"): the image is no longer what the recording started from`,
      );
    else if (stat.size !== disk.bytes || stat.mtimeMs !== disk.mtimeMs)
      notes.push(`${disk.path} changed since the recording (size or modification time)`);
  }
  return {
    programs: header.programs.map((p) => p.path),
    sha256: header.programs.map((p) => p.sha256),
    machine,
    seed: header.seed,
    watchdogMs: header.options.watchdogMs,
    disk: disk?.path,
    notes,
  };
}
