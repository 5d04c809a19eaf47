// launch.json's "replay": debug a run recorded in a .zlog file. The trace header holds everything the
// run needs (machine description, programs with content hashes, seed, options, the disk image), so a
// colleague reproduces a bug from the file alone. Every problem names the file and says what to do.

import fs from "node:fs";
import path from "node:path";
import { MachineDescriptionError, parseMachineDescription, type MachineDescription } from "../../devices";
import type { RecordedFault } from "../faults/injector";
import { FaultSpecError, parseFaultSpec, parseFaultSpecs, type FaultSpec } from "../faults/spec";
import { readZlog, ZlogError, type Zlog } from "../trace/zlog-reader";
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
  /** The recorded fault plan and a debug session's injections (docs/faults.md): injected again. */
  faults: FaultSpec[];
  recordedFaults: RecordedFault[];
  /** A failed test's trace (zds test): where the debug session stops, the last event before the
   *  failing assertion, and what to say there. */
  failure?: { event: number; description: string };
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
  let trace: Zlog;
  try {
    trace = readZlog(file);
  } catch (error) {
    if (error instanceof ZlogError)
      throw new LaunchError(`"replay": ${error.message}. Give a .zlog trace saved by Zero Driver Studio.`);
    throw error;
  }
  const header = trace.header;
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
  let faults: FaultSpec[];
  let recordedFaults: RecordedFault[];
  try {
    faults = parseFaultSpecs(header.faults ?? []);
    recordedFaults = trace.faultInputs.map((r) => ({
      spec: parseFaultSpec(r.spec),
      index: r.f,
      at: { event: r.event, commit: r.commit, t: r.t },
    }));
  } catch (error) {
    if (error instanceof FaultSpecError)
      throw new LaunchError(`"replay": ${file} records a fault this version cannot read (${error.message}).`);
    throw error;
  }
  return {
    faults,
    recordedFaults,
    ...(failureStop(trace) && { failure: failureStop(trace) }),
    programs: header.programs.map((p) => p.path),
    sha256: header.programs.map((p) => p.sha256),
    machine,
    seed: header.seed,
    watchdogMs: header.options.watchdogMs,
    disk: disk?.path,
    notes,
  };
}

/** The assertion line of a failed test's trace, with the debugger's event index of the last event
 *  before it (zds test writes it as `debugEvent`: syscalls carried out + messages delivered, the
 *  numbering of step back and the timeline; the SysLog's own `event` counts differently). */
function failureStop(trace: Zlog): ReplayLaunch["failure"] {
  const a = trace.assertion as (Zlog["assertion"] & { debugEvent?: number }) | undefined;
  if (!a || typeof a.debugEvent !== "number") return undefined;
  const where = a.file !== undefined ? ` at ${path.basename(a.file)}:${a.line ?? 0}` : "";
  return {
    event: a.debugEvent,
    description: `Test failed${where}: ${a.assert} ("${a.test}"). The run's last event before the assertion is`,
  };
}
