// The debug configuration F5 gets without a launch.json: the active driver file (its folder when it
// is an index.ts), plus a partner so the run does something — a client of the service the driver
// serves, or a driver serving what a client calls — found next to it or among the bundled samples.
// Plain Node (no vscode import) so it is tested directly; extension/debug-configuration-provider.ts is the VS Code glue.

import path from "node:path";
import fs from "node:fs";
import { describeProgram, listPrograms, servicesOf, type ProgramInfo } from "../runner/samples";

export interface ZeroDriverDebugConfiguration {
  type: "zero-driver";
  request: "launch";
  name: string;
  program: string;
  programs?: string[];
  cwd?: string;
  [key: string]: unknown;
}

/** A configuration for `file`, or a message saying why there is none. */
export function configurationForFile(
  file: string | undefined,
  workspaceFolder: string | undefined,
  bundledDrivers: string,
): ZeroDriverDebugConfiguration | string {
  if (!file) return 'Open a driver\'s TypeScript file (or set "program" in launch.json) to debug it.';
  if (!/\.(ts|js)$/.test(file))
    return `${path.basename(file)} is not a driver: open its index.ts (or a .ts/.js program) and press F5 again.`;
  const isEntry = /^index\.(ts|js)$/.test(path.basename(file));
  const program = isEntry ? path.dirname(file) : file;
  const name = isEntry ? path.basename(program) : path.basename(file).replace(/\.(ts|js)$/, "");
  const own = isEntry ? describeProgram(program) : { name, dir: program, ...servicesOf(readText(file)) };
  const config: ZeroDriverDebugConfiguration = {
    type: "zero-driver",
    request: "launch",
    name: `Debug ${name}`,
    program,
  };
  if (workspaceFolder) config.cwd = workspaceFolder;
  const partner = own && partnerFor(own, [path.dirname(program), bundledDrivers]);
  if (partner) {
    config.programs = [partner.dir];
    config.name = `Debug ${name} + ${partner.name}`;
  }
  return config;
}

/** A client of what `own` serves, or a server of what it calls; nearer folders first. */
export function partnerFor(own: ProgramInfo, driverDirs: readonly string[]): ProgramInfo | undefined {
  for (const dir of driverDirs) {
    const programs = listPrograms(dir).filter((p) => path.resolve(p.dir) !== path.resolve(own.dir));
    for (const service of own.serves) {
      const client = programs.find((p) => p.serves.length === 0 && p.clientOf.includes(service));
      if (client) return client;
    }
    if (own.serves.length === 0) {
      for (const service of own.clientOf) {
        const server = programs.find((p) => p.serves.includes(service));
        if (server) return server;
      }
    }
  }
  return undefined;
}

function readText(file: string): string {
  try {
    return fs.readFileSync(file, "utf8");
  } catch {
    return "";
  }
}
