// `npm run bench` / `zds bench`: every benchmark, one after the other in this process, printed side
// by side as one table and written as JSON. Speed is reported, never asserted: a missed target is
// a row marked "no", not a failure. A benchmark that crashes is reported and makes the exit status 1.

import fs from "node:fs";
import os from "node:os";
import { parseArgs } from "node:util";
import type { Benchmark, BenchResult, Figure } from "./types";
import { syscallBench } from "./syscall";
import { storageBench } from "./storage";
import { timelineBench } from "./timeline";
import { networkBench } from "./network";
import { displayBench } from "./display";
import { stepBackBench } from "./step-back";
import * as languageServer from "./language-server";
import { bundlerBench, probeBundler } from "./bundler";

export const BENCH_USAGE = `usage: zds bench [--quick] [--out FILE] [--only NAME,...]

Runs every benchmark in this process and prints one table (figure, value, baseline, ratio, target,
met), then writes the results as JSON.
  --quick   small sizes: a smoke run of a few seconds (figures are rough)
  --out     JSON file to write (default bench-results.json)
  --only    run only the benchmarks whose names contain one of these words (e.g. syscall,storage)
`;

function isBenchmark(x: unknown): x is Benchmark {
  return (
    typeof x === "object" &&
    x !== null &&
    typeof (x as { name?: unknown }).name === "string" &&
    typeof (x as { run?: unknown }).run === "function"
  );
}

/** Every benchmark we have. Other modules' exports are taken if they are Benchmarks, so a module
 *  still being written (exporting none yet) is skipped rather than breaking the run. */
export function allBenchmarks(): Benchmark[] {
  const found: Benchmark[] = [
    syscallBench,
    storageBench,
    timelineBench,
    networkBench,
    displayBench,
    stepBackBench,
    bundlerBench,
  ];
  for (const value of Object.values(languageServer as Record<string, unknown>))
    if (isBenchmark(value)) found.push(value);
  return found;
}

export interface BenchReport {
  date: string;
  quick: boolean;
  host: { node: string; platform: string; cpus: number; cpuModel: string; loadavg: number[] };
  results: (BenchResult & { error?: string; seconds: number })[];
}

export async function runBenchmarks(
  benchmarks: Benchmark[],
  quick: boolean,
  progress: (text: string) => void,
): Promise<BenchReport> {
  const cpus = os.cpus();
  const report: BenchReport = {
    date: new Date().toISOString(),
    quick,
    host: {
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
      cpus: cpus.length,
      cpuModel: cpus[0]?.model ?? "unknown",
      loadavg: os.loadavg(),
    },
    results: [],
  };
  for (const b of benchmarks) {
    progress(`bench: ${b.name}…\n`);
    const t0 = performance.now();
    try {
      const result = await b.run({ quick });
      report.results.push({ ...result, seconds: round((performance.now() - t0) / 1000) });
    } catch (error) {
      report.results.push({
        name: b.name,
        figures: [],
        error: error instanceof Error ? error.message : String(error),
        seconds: round((performance.now() - t0) / 1000),
      });
    }
  }
  return report;
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

function formatNumber(x: number): string {
  if (Number.isInteger(x) || Math.abs(x) >= 1000) return Math.round(x).toLocaleString("en-US");
  return String(round(x));
}

function ratioText(f: Figure): string {
  if (f.ratio === undefined) return "";
  return f.higherIsBetter ? `${(f.ratio * 100).toFixed(f.ratio < 0.01 ? 2 : 1)}%` : `${f.ratio}×`;
}

/** The table: one row per figure, columns padded to their widest cell. */
export function formatTable(report: BenchReport): string {
  const header = ["benchmark", "figure", "value", "baseline", "ratio", "target", "met"];
  const rows: string[][] = [];
  for (const r of report.results) {
    if (r.error !== undefined) rows.push([r.name, `FAILED: ${r.error}`, "", "", "", "", ""]);
    for (const f of r.figures) {
      rows.push([
        r.name,
        f.label,
        `${formatNumber(f.value)} ${f.unit}`,
        f.baseline ? `${formatNumber(f.baseline.value)} ${f.baseline.unit} (${f.baseline.label})` : "",
        ratioText(f),
        f.target ?? "",
        f.met === undefined ? "" : f.met ? "yes" : "NO",
      ]);
    }
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join("  ")
      .trimEnd();
  const out = [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)];
  const notes = report.results.flatMap((r) => (r.notes ?? []).map((n) => `  [${r.name}] ${n}`));
  if (notes.length > 0) out.push("", "notes:", ...notes);
  return out.join("\n") + "\n";
}

export interface BenchIo {
  out(text: string): void;
  err(text: string): void;
}

/** The `zds bench` command. Returns the exit status. */
export async function benchCommand(argv: string[], io: BenchIo): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: "boolean", default: false },
      out: { type: "string", default: "bench-results.json" },
      only: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
      // The bundler benchmark's child process (bench/bundler.ts): bundle the samples, print JSON.
      "probe-bundler": { type: "string" },
    },
    strict: true,
  });
  if (values.help) {
    io.out(BENCH_USAGE);
    return 0;
  }
  const probe = values["probe-bundler"];
  if (probe !== undefined) {
    if (probe !== "native" && probe !== "wasm") throw new Error(`--probe-bundler ${probe}: native or wasm`);
    io.out(JSON.stringify(await probeBundler(probe)) + "\n");
    return 0;
  }
  const words = values.only
    ?.split(",")
    .map((w) => w.trim().toLowerCase())
    .filter((w) => w.length > 0);
  const benchmarks = allBenchmarks().filter((b) => !words || words.some((w) => b.name.toLowerCase().includes(w)));
  if (benchmarks.length === 0) {
    io.err(`zds bench: no benchmark matches --only ${values.only ?? ""}\n`);
    return 2;
  }
  const report = await runBenchmarks(benchmarks, values.quick, (t) => io.err(t));
  io.out(formatTable(report));
  fs.writeFileSync(values.out, JSON.stringify(report, null, 2) + "\n");
  io.out(`\nwrote ${values.out}\n`);
  return report.results.some((r) => r.error !== undefined) ? 1 : 0;
}
