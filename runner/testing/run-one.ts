// One test on one machine: bundle its programs (inline ones from a temporary folder), boot the
// machine with its seed and faults, run it with a trace, call the body, and say how it went. A
// failing test keeps its trace (.zds/test-traces/), with the failure recorded in it
// (the `assert` line, docs/zlog.md) so a debug session on the trace stops there.

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createMachine, loadMachineDescription, type SupervisionDescription } from "../../devices";
import { FaultSpecError, parseFaultSpecs } from "../../kernel/faults/spec";
import { Session, programName } from "../../kernel/session";
import { TestKeys } from "./test-keys";
import type { RegisteredTest, InlineProgram } from "./api";
import { ExpectationFailed, locationIn, setTestFile, type SourceLocation } from "./expect";
import { testRun } from "./test-run";

export interface TestResult {
  /** Suite names and the test's name. */
  title: string[];
  file: string;
  seed: number;
  state: "passed" | "failed" | "skipped";
  durationMs: number;
  /** Where the test was declared. */
  location?: SourceLocation;
  failure?: {
    message: string;
    expected?: string;
    actual?: string;
    /** Where it failed (the expect's line), else where the test was declared. */
    location?: SourceLocation;
    stack?: string;
    /** The failing run's trace, and the SysLog event the failure comes after. */
    trace?: string;
    event?: number;
  };
}

function programPath(base: string, p: string | InlineProgram, scratch: () => string): string {
  if (typeof p === "string") return path.resolve(base, p);
  const dir = path.join(scratch(), p.name);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "index.ts"), p.source);
  return dir;
}

function list<T>(x: T | readonly T[] | undefined): T[] {
  return x === undefined ? [] : Array.isArray(x) ? [...(x as T[])] : [x as T];
}

/** Where failing tests' traces go: .zds/test-traces/ under the working directory. */
export function traceDir(cwd = process.cwd()): string {
  // ZDS_TEST_TRACES: the editor runs tests from its own folder (see extension/testing/controller.ts)
  // and keeps the traces in the workspace.
  return process.env.ZDS_TEST_TRACES ?? path.join(cwd, ".zds", "test-traces");
}

function traceName(file: string, title: string[], seed: number): string {
  const slug = [path.basename(file).replace(/\.test\.[jt]s$/, ""), ...title]
    .join("-")
    .replace(/[^A-Za-z0-9._-]+/g, "-")
    .replace(/-+/g, "-")
    .slice(0, 120);
  return `${slug}-seed${seed}.zlog`;
}

export async function runOne(
  file: string,
  test: RegisteredTest,
  seed: number,
  cwd = process.cwd(),
): Promise<TestResult> {
  const title = [...test.suite, test.name];
  const started = performance.now();
  const base: Omit<TestResult, "state" | "durationMs"> = { title, file, seed, location: test.location };
  if (test.skip) return { ...base, state: "skipped", durationMs: 0 };
  const dir = path.dirname(file);
  let scratchDir: string | undefined;
  const scratch = (): string => (scratchDir ??= fs.mkdtempSync(path.join(os.tmpdir(), "zds-test-inline-")));
  const o = test.options;
  const driver = o.driver === undefined ? undefined : programPath(dir, o.driver, scratch);
  const clients = list(o.client).map((c) => programPath(dir, c, scratch));
  const others = list(o.programs).map((c) => programPath(dir, c, scratch));
  const paths = [...(driver ? [driver] : []), ...others, ...clients];
  const tmpTrace = path.join(os.tmpdir(), `zds-test-${process.pid}-${Math.random().toString(16).slice(2)}.zlog`);
  let event: number | undefined;
  let debugEvent: number | undefined;
  try {
    if (paths.length === 0) throw new Error("the test names no driver, client or programs to run");
    const faults = parseFaultSpecs((o.faults ?? []).map((f) => (typeof f === "string" ? f : f.spec)));
    const description = loadMachineDescription(
      o.machine === undefined || o.machine === "virt" ? "virt" : path.resolve(dir, o.machine),
    );
    const bundles = await Session.bundle(paths);
    const keys = o.input !== undefined ? new TestKeys(o.input) : undefined;
    const machine = createMachine(description, { seed });
    const { source: _source, ...machineData } = description;
    let consoleText = "";
    const debug: string[] = [];
    const decoder = new TextDecoder();
    machine.onConsoleOutput((_device, bytes) => (consoleText += decoder.decode(bytes, { stream: true })));
    let session: Session;
    try {
      session = new Session({
        machine,
        machineName: description.name,
        machineData,
        seed,
        timeoutSeconds: o.timeoutSeconds ?? 60,
        supervision: withRestart(description.supervision, o.restart),
        faults,
        ...(keys && { consoleInput: keys, inputs: [{ kind: "console", mode: "paced" }] }),
        traceFile: tmpTrace,
        adapters: { storageDir: path.join(scratch(), "storage") },
        output: {
          console: (_p, text) => (consoleText += text),
          debug: (p, text) => debug.push(`${p.name}: ${text}`),
        },
      });
    } catch (error) {
      machine.close();
      throw error;
    }
    if (keys) keys.kernel = session.kernel;
    // The debugger numbers events as syscalls carried out + messages delivered (kernel/debug/
    // time-travel.ts): counted here too, so the trace says where a debug session stops on a failure.
    let deliveries = 0;
    session.kernel.debugHooks = { onDeliver: () => void deliveries++ };
    for (const b of bundles) session.spawn(b);
    const summary = await session.run();
    event = Math.max(0, session.kernel.syslog.eventCount - 1);
    debugEvent = Math.max(0, session.kernel.syslog.syscallCount + deliveries - 1);
    const names = {
      driver: driver ? programName(bundles[0]) : undefined,
      client: clients.length > 0 ? programName(bundles[paths.length - clients.length]) : undefined,
    };
    const run = testRun(summary, machine, { console: consoleText, debug }, names);
    try {
      setTestFile(file);
      await test.body(run);
    } finally {
      setTestFile(undefined);
      machine.close();
    }
    fs.rmSync(tmpTrace, { force: true });
    return { ...base, state: "passed", durationMs: Math.round(performance.now() - started) };
  } catch (error) {
    const failure = describeFailure(error, file, test);
    if (fs.existsSync(tmpTrace)) {
      const kept = path.join(traceDir(cwd), traceName(file, title, seed));
      fs.mkdirSync(path.dirname(kept), { recursive: true });
      fs.copyFileSync(tmpTrace, kept);
      fs.rmSync(tmpTrace, { force: true });
      fs.appendFileSync(kept, `${JSON.stringify({ ...assertLine(failure, event ?? 0, title), debugEvent })}\n`);
      Object.assign(failure, { trace: kept, event });
    }
    return { ...base, state: "failed", durationMs: Math.round(performance.now() - started), failure };
  } finally {
    if (scratchDir) fs.rmSync(scratchDir, { recursive: true, force: true });
  }
}

function describeFailure(error: unknown, file: string, test: RegisteredTest): NonNullable<TestResult["failure"]> {
  if (error instanceof ExpectationFailed)
    return {
      message: error.message,
      expected: error.expected,
      actual: error.actual,
      location: error.location ?? test.location,
      stack: error.stack,
    };
  if (error instanceof FaultSpecError) return { message: error.message, location: test.location };
  const e = error instanceof Error ? error : new Error(String(error));
  return { message: `${e.name}: ${e.message}`, location: locationIn(e.stack, file) ?? test.location, stack: e.stack };
}

/** The trace line saying where the test failed (docs/zlog.md). */
function assertLine(f: NonNullable<TestResult["failure"]>, event: number, title: string[]): Record<string, unknown> {
  return {
    assert: f.message,
    test: title.join(" › "),
    event,
    ...(f.expected !== undefined && { expected: f.expected, actual: f.actual }),
    ...(f.location && { file: f.location.file, line: f.location.line, column: f.location.column }),
  };
}

function withRestart(
  s: SupervisionDescription | undefined,
  restart: string | undefined,
): SupervisionDescription | undefined {
  if (restart === undefined) return s;
  return { ...s, default: { ...s?.default, restart: restart as "never" } };
}
