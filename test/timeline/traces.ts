// Known traces for the timeline tests: the sample drivers run with `zds run --trace`, as a user
// records them, once per test run.

import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

export const root = path.join(__dirname, "..", "..");
export const zdsBin = path.join(root, "bin", "zds.js");

export const zds = (...args: string[]) =>
  spawnSync(process.execPath, [zdsBin, ...args], {
    cwd: root,
    encoding: "utf8",
    timeout: 120_000,
    maxBuffer: 64 << 20,
  });

export interface RunSummary {
  processes: { name: string; pid: number; state: string; exitCode: number | null; syscalls: number }[];
  syscalls: number;
  ipcMessages: number;
  irqs: number;
  violations: unknown[];
}

const cache = new Map<string, { file: string; summary: RunSummary }>();
let dir: string | undefined;

/** Record a trace of `programs` (cached per list) and return its file and `zds run --json` summary. */
export function recordTrace(...programs: string[]): { file: string; summary: RunSummary } {
  const key = programs.join(" ");
  const hit = cache.get(key);
  if (hit) return hit;
  dir ??= fs.mkdtempSync(path.join(os.tmpdir(), "zds-timeline-"));
  const file = path.join(dir, `${cache.size}.zlog`);
  const r = zds("run", ...programs, "--trace", file, "--json");
  if (!fs.existsSync(file)) throw new Error(`zds run ${key} wrote no trace: ${r.stderr}`);
  const summary = JSON.parse(r.stdout.trim().split("\n").pop()!) as RunSummary;
  const out = { file, summary };
  cache.set(key, out);
  return out;
}

export function tempDir(): string {
  dir ??= fs.mkdtempSync(path.join(os.tmpdir(), "zds-timeline-"));
  return dir;
}
