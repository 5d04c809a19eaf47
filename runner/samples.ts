// Which programs under a drivers/ folder serve a service and which are clients of one, so the
// quick pick can offer "driver + client" pairs that do something visible when run. Read from the
// manifest text with a pattern, not the analysis: this runs on every quick pick and must stay
// cheap (the manifest is plain data by design, so `serve("x")` / `client("x")` is enough).

import fs from "node:fs";
import path from "node:path";

export interface ProgramInfo {
  /** Folder name under drivers/, e.g. "virtio-rng". */
  name: string;
  /** Absolute path of the program folder. */
  dir: string;
  serves: string[];
  clientOf: string[];
}

export interface SamplePairing {
  label: string;
  service: string;
  driver: ProgramInfo;
  client: ProgramInfo;
}

const ENTRY = ["index.ts", "index.js"];

export function describeProgram(dir: string): ProgramInfo | undefined {
  const entry = ENTRY.map((e) => path.join(dir, e)).find((f) => fs.existsSync(f));
  if (!entry) return undefined;
  return { name: path.basename(dir), dir, ...servicesOf(fs.readFileSync(entry, "utf8")) };
}

export function servicesOf(source: string): { serves: string[]; clientOf: string[] } {
  const grab = (re: RegExp): string[] => [...new Set([...source.matchAll(re)].map((m) => m[1]!))];
  return { serves: grab(/\bserve\(\s*["']([^"']+)["']/g), clientOf: grab(/\bclient\(\s*["']([^"']+)["']/g) };
}

/** Every program folder directly under `driversDir` (sdk and templates are not programs). */
export function listPrograms(driversDir: string): ProgramInfo[] {
  if (!fs.existsSync(driversDir)) return [];
  return fs
    .readdirSync(driversDir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && d.name !== "sdk" && d.name !== "templates")
    .map((d) => describeProgram(path.join(driversDir, d.name)))
    .filter((p): p is ProgramInfo => p !== undefined)
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** Each driver that serves a service, paired with each pure client of that service. */
export function samplePairings(driversDir: string): SamplePairing[] {
  const programs = listPrograms(driversDir);
  const pairs: SamplePairing[] = [];
  for (const driver of programs) {
    for (const service of driver.serves) {
      for (const client of programs) {
        if (client.serves.length === 0 && client.clientOf.includes(service)) {
          pairs.push({ label: `${driver.name} + ${client.name}`, service, driver, client });
        }
      }
    }
  }
  return pairs;
}
