// What a launch checks and builds before any machine exists: launch.json's program paths, the
// machine description, the trace path, the bundled programs (and, for a replay, that they are the
// ones recorded). Each problem is a LaunchError that says which attribute is wrong and how to fix
// it. The result is what every run of the session starts from (run-lifecycle.ts).

import fs from "node:fs";
import path from "node:path";
import { loadMachineDescription, MachineDescriptionError, type MachineDescription } from "../../devices";
import { DriverLoadError, type DriverBundle } from "../loader/bundle-driver";
import { Session } from "../session";
import type { Prepared } from "./debug-state";
import { LaunchError } from "./launch-error";
import type { LaunchOptions, RuntimeListener } from "./runtime-api";
import type { SourceDebugger } from "./source";

/** Load the machine, bundle the programs and register them with the source debugger. */
export async function prepareLaunch(
  options: LaunchOptions,
  source: SourceDebugger,
  listener: RuntimeListener,
): Promise<Prepared> {
  let description: MachineDescription;
  try {
    description = typeof options.machine === "string" ? loadMachineDescription(options.machine) : options.machine;
  } catch (error) {
    if (error instanceof MachineDescriptionError || isNodeError(error))
      throw new LaunchError(`"machine": ${error.message}. Use "virt" or the path of a machine description (.json).`);
    throw error;
  }
  if (options.trace !== undefined) checkTracePath(options.trace);
  listener.progress({
    id: "bundle",
    kind: "start",
    title: "Zero Driver",
    message: `bundling ${options.programs.map((p) => path.basename(p)).join(", ")}`,
  });
  let bundles: DriverBundle[];
  try {
    bundles = await Session.bundle(options.programs);
  } catch (error) {
    if (error instanceof DriverLoadError) throw new LaunchError(`"program": ${error.message}`);
    throw error;
  } finally {
    listener.progress({ id: "bundle", kind: "end" });
  }
  if (options.expectSha256) {
    const changed = bundles.flatMap((b, i) => (b.sha256 !== options.expectSha256?.[i] ? [options.programs[i]] : []));
    if (changed.length)
      throw new LaunchError(
        `"replay": ${changed.join(", ")} changed since the trace was recorded (its content hash differs), so the replay would not reproduce the run. Restore the recorded version (e.g. git checkout), or record a new trace.`,
      );
  }
  // esbuild writes the map's sources relative to the cwd of the bundling process: this one.
  for (const bundle of bundles) if (bundle.kind === "script") source.addProgram(bundle, process.cwd());
  listener.breakpointsChanged(source.resolveAll());
  return { options, description, bundles };
}

/** Resolve launch.json's program attributes to absolute paths that exist, or say which is wrong. */
export function resolvePrograms(cwd: string, program: unknown, programs: unknown): string[] {
  const list: unknown[] = [];
  if (program !== undefined) list.push(program);
  if (programs !== undefined) {
    if (!Array.isArray(programs))
      throw new LaunchError(`"programs" must be an array of paths (got ${JSON.stringify(programs)}).`);
    list.push(...(programs as unknown[]));
  }
  if (list.length === 0)
    throw new LaunchError(
      `Set "program" to a driver folder (with index.ts) or a .ts/.js file, or "programs" to several of them.`,
    );
  return list.map((p, i) => {
    const attr = program !== undefined && i === 0 ? "program" : "programs";
    if (typeof p !== "string" || p.length === 0)
      throw new LaunchError(`"${attr}" must be a path string (got ${JSON.stringify(p)}).`);
    const abs = path.resolve(cwd, p);
    if (!fs.existsSync(abs))
      throw new LaunchError(
        `"${attr}": ${abs} does not exist. Point it at a driver folder (with index.ts) or a .ts/.js file, e.g. "\${workspaceFolder}/drivers/virtio-rng".`,
      );
    return abs;
  });
}

function checkTracePath(file: string): void {
  const dir = path.dirname(file);
  if (!fs.existsSync(dir))
    throw new LaunchError(
      `"trace": the folder ${dir} does not exist. Create it, or set "trace": true to save in .zds/traces of the workspace.`,
    );
  if (fs.existsSync(file) && fs.statSync(file).isDirectory())
    throw new LaunchError(`"trace": ${file} is a folder. Give a file name ending in .zlog.`);
}

function isNodeError(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && "code" in error;
}
