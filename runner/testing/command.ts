// `zds test [paths…]`: find test files, list their tests, run them in parallel worker processes (one
// machine per test, as many workers as the machine has cores), report like mocha (or JUnit XML for
// CI) and exit 1 on any failure. A failing test's trace path is printed with how to open it.

import { fork, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { packageRoot } from "../../kernel/host/paths";
import { CliError, type Io } from "../io";
import { findTestFiles, loadTestFile, TestLoadError } from "./load";
import { runOne, type TestResult } from "./run-one";
import { junitReport } from "./junit";
import { specReport } from "./spec-report";

export const TEST_USAGE = `usage: zds test [paths…] [--seeds N] [--seed N] [--grep TEXT] [--jobs N] [--reporter spec|junit|json] [--output FILE]

Runs driver tests (*.test.ts files, and every file in a tests/ folder; default: this folder) written
with @zds/sdk/test (docs/testing.md). Each test boots its own machine; tests run in parallel worker
processes, as many as the machine has cores. Exit status 1 if any test fails.
  --seeds     run every test over N seeds (1..N, or from --seed on)
  --seed      the seed of every test (default: each test's own, else 1)
  --grep      run only tests whose full title contains TEXT
  --jobs      worker processes (default: the number of cores)
  --reporter  spec (default, as mocha prints), junit (JUnit XML for CI) or json
  --output    write the report to FILE instead of stdout
A failing test keeps its trace in .zds/test-traces/: open it with \`zds replay FILE\`, or debug it
with "replay": "FILE" in a launch.json (the session stops at the failing assertion).`;

interface Job {
  file: string;
  index: number;
  seed: number;
  /** Position in the report (declaration order). */
  order: number;
}

export async function testCommand(argv: string[], io: Io): Promise<number> {
  if (argv[0] === "--worker") return worker();
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      seeds: { type: "string" },
      seed: { type: "string" },
      grep: { type: "string" },
      jobs: { type: "string" },
      reporter: { type: "string", default: "spec" },
      output: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    io.out(TEST_USAGE + "\n");
    return 0;
  }
  const reporter = values.reporter ?? "spec";
  if (!["spec", "junit", "json"].includes(reporter))
    throw new CliError(`--reporter must be spec, junit or json (got "${reporter}")`);
  const whole = (name: string, text: string | undefined, min: number): number | undefined => {
    if (text === undefined) return undefined;
    if (!/^\d+$/.test(text) || Number(text) < min)
      throw new CliError(`--${name} must be a whole number ≥ ${min} (got "${text}")`);
    return Number(text);
  };
  const seeds = whole("seeds", values.seeds, 1);
  const seed = whole("seed", values.seed, 0);
  const jobsWanted = whole("jobs", values.jobs, 1);
  let files: string[];
  try {
    files = findTestFiles(positionals);
  } catch (error) {
    if (error instanceof TestLoadError) throw new CliError(error.message);
    throw error;
  }
  const started = performance.now();
  const jobs: Job[] = [];
  const declared: TestResult[] = [];
  const loadFailures: TestResult[] = [];
  for (const file of files) {
    let tests;
    try {
      tests = await loadTestFile(file);
    } catch (error) {
      if (!(error instanceof TestLoadError)) throw error;
      loadFailures.push({
        title: ["(loading the file)"],
        file,
        seed: 0,
        state: "failed",
        durationMs: 0,
        failure: { message: error.message },
      });
      continue;
    }
    tests.forEach((t, index) => {
      const title = [...t.suite, t.name];
      if (values.grep !== undefined && !title.join(" ").includes(values.grep)) return;
      const first = seed ?? t.options.seed ?? 1;
      const list = seeds === undefined ? [first] : Array.from({ length: seeds }, (_, i) => (seed ?? 1) + i);
      for (const s of list) {
        jobs.push({ file, index, seed: s, order: declared.length });
        declared.push({
          title: seeds === undefined ? title : [...title.slice(0, -1), `${title[title.length - 1]} [seed ${s}]`],
          file,
          seed: s,
          state: "skipped",
          durationMs: 0,
          location: t.location,
        });
      }
    });
  }
  const workers = Math.max(1, Math.min(jobsWanted ?? os.availableParallelism(), jobs.length));
  const results = await runJobs(jobs, workers);
  const all = [...loadFailures, ...results.map((r, i) => ({ ...r, title: declared[i].title }))];
  const wallMs = Math.round(performance.now() - started);
  const text =
    reporter === "junit"
      ? junitReport(all, wallMs)
      : reporter === "json"
        ? JSON.stringify({ results: all, wallMs }, null, 2) + "\n"
        : specReport(all, wallMs, process.cwd());
  if (values.output !== undefined) {
    fs.mkdirSync(path.dirname(path.resolve(values.output)), { recursive: true });
    fs.writeFileSync(values.output, text);
    if (reporter !== "spec") io.err(specReport(all, wallMs, process.cwd()));
  } else io.out(text);
  if (files.length === 0) io.err(`zds test: no test files under ${positionals.join(", ") || "."}\n`);
  return all.some((r) => r.state === "failed") ? 1 : 0;
}

/** Hand the jobs to `count` worker processes, one at a time each; results in job order. */
async function runJobs(jobs: readonly Job[], count: number): Promise<TestResult[]> {
  const results: TestResult[] = new Array(jobs.length);
  if (jobs.length === 0) return results;
  let next = 0;
  const launcher = path.join(packageRoot(), "bin", "zds.js");
  await Promise.all(
    Array.from({ length: count }, async () => {
      const child: ChildProcess = fork(launcher, ["test", "--worker"], {
        stdio: ["ignore", "ignore", "inherit", "ipc"],
      });
      try {
        for (;;) {
          const job = jobs[next++];
          if (job === undefined) break;
          results[job.order] = await ask(child, job);
        }
      } finally {
        child.disconnect?.();
        child.kill();
      }
    }),
  );
  return results;
}

function ask(child: ChildProcess, job: Job): Promise<TestResult> {
  return new Promise((resolve) => {
    const done = (result: TestResult): void => {
      child.off("message", onMessage);
      child.off("exit", onExit);
      resolve(result);
    };
    const onMessage = (message: unknown): void => done(message as TestResult);
    const onExit = (code: number | null): void =>
      done({
        title: [],
        file: job.file,
        seed: job.seed,
        state: "failed",
        durationMs: 0,
        failure: { message: `the test's worker process ended (exit ${code}) before the test did` },
      });
    child.on("message", onMessage);
    child.on("exit", onExit);
    child.send({ file: job.file, index: job.index, seed: job.seed });
  });
}

/** A worker process: load files as asked (once each), run one test per message, answer with its result. */
function worker(): Promise<number> {
  const loaded = new Map<string, ReturnType<typeof loadTestFile>>();
  return new Promise((resolve) => {
    process.on("message", (message: { file: string; index: number; seed: number }) => {
      void (async () => {
        const tests = loaded.get(message.file) ?? loadTestFile(message.file);
        loaded.set(message.file, tests);
        const test = (await tests)[message.index];
        const result = await runOne(message.file, test, message.seed);
        process.send?.(result);
      })();
    });
    process.on("disconnect", () => resolve(0));
  });
}
