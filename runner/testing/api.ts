// `@zds/sdk/test`: the test API driver tests import (docs/testing.md). It runs on the host, not in
// the sandbox: each test boots a machine, starts the driver under test and its clients (by path or
// inline source), optionally injects faults (docs/faults.md), runs until the machine is done, then
// calls the test's body with what happened; `expect` asserts on it. `zds test` loads test files
// (runner/testing/load.ts), which resolves `@zds/sdk/test` to this module.

import { ExpectationFailed, expect } from "./expect";
import type { TestRun } from "./test-run";

export { expect, ExpectationFailed };
export type { TestRun, ProcessView, DeviceView, DiskView } from "./test-run";

/** A client written in the test file: the source of a program (it imports "@zds/sdk"). */
export interface InlineProgram {
  readonly name: string;
  readonly source: string;
}

export interface TestOptions {
  /** The driver under test: a folder with index.ts or a file, relative to the test file. */
  driver?: string;
  /** Its client(s): paths (relative to the test file) or inline programs (`inline(name, source)`). */
  client?: string | InlineProgram | readonly (string | InlineProgram)[];
  /** More programs to start, in order after the driver. */
  programs?: readonly (string | InlineProgram)[];
  /** "virt" (default) or a machine description file, relative to the test file. */
  machine?: string;
  /** Same seed, same run (default 1). `zds test --seeds N` runs the test over N seeds instead. */
  seed?: number;
  /** Faults to inject: specs (docs/faults.md) or values from `faults`. */
  faults?: readonly (string | FaultValue)[];
  /** Restart policy for the drivers (default: the machine description's). */
  restart?: "never" | "on-failure" | "always";
  /** Keys typed on the machine console, a line at a time whenever a program waits for input
   *  (like `zds run --input`: escapes \n \r \t \b \e \\ \xHH). */
  input?: string;
  /** Wall-clock seconds before the run is stopped (default 60). */
  timeoutSeconds?: number;
}

export type TestBody = (run: TestRun) => void | Promise<void>;

/** A test as registered by a test file. */
export interface RegisteredTest {
  readonly name: string;
  readonly options: TestOptions;
  readonly body: TestBody;
  /** Where `test(...)` was called: file, line, column (1-based), for editors and reports. */
  readonly location: { file: string; line: number; column: number } | undefined;
  readonly suite: readonly string[];
  readonly only: boolean;
  readonly skip: boolean;
}

/** Where test files register their tests while they are loaded. */
export interface TestRegistry {
  tests: RegisteredTest[];
  suite: string[];
  /** The test file being loaded (locations are taken from stack frames in it). */
  file: string | undefined;
}

const REGISTRY_KEY = Symbol.for("zds.test.registry");

export function registry(): TestRegistry {
  const holder = globalThis as { [REGISTRY_KEY]?: TestRegistry };
  holder[REGISTRY_KEY] ??= { tests: [], suite: [], file: undefined };
  return holder[REGISTRY_KEY];
}

function callerLocation(): RegisteredTest["location"] {
  const file = registry().file;
  const stack = new Error().stack ?? "";
  for (const line of stack.split("\n").slice(1)) {
    const m = /\(?((?:[A-Za-z]:)?[^():]+):(\d+):(\d+)\)?$/.exec(line.trim());
    if (!m) continue;
    if (file !== undefined && m[1] !== file) continue;
    return { file: m[1], line: Number(m[2]), column: Number(m[3]) };
  }
  return undefined;
}

function register(name: string, options: TestOptions, body: TestBody, flags: { only?: boolean; skip?: boolean }): void {
  const r = registry();
  r.tests.push({
    name,
    options,
    body,
    location: callerLocation(),
    suite: [...r.suite],
    only: flags.only ?? false,
    skip: flags.skip ?? false,
  });
}

/** Declare a test: boot a machine with `options`, run it, then check what happened in `body`. */
export function test(name: string, options: TestOptions, body: TestBody): void {
  register(name, options, body, {});
}
test.only = (name: string, options: TestOptions, body: TestBody): void => register(name, options, body, { only: true });
test.skip = (name: string, options: TestOptions, body: TestBody): void => register(name, options, body, { skip: true });

/** Group tests under a name (shown in reports and the Test Explorer). */
export function describe(name: string, define: () => void): void {
  const r = registry();
  r.suite.push(name);
  try {
    define();
  } finally {
    r.suite.pop();
  }
}

/** A client written in the test file. `source` is a program as in its own file (imports "@zds/sdk"). */
export function inline(name: string, source: string): InlineProgram {
  return { name, source };
}

/** A fault, built by `faults.*` (docs/faults.md has every kind and key). */
export interface FaultValue {
  readonly spec: string;
}

type Trigger = { at?: string; after?: number; request?: number; nth?: number; count?: number | "all" };

function spec(kind: string, target: string | undefined, keys: Record<string, string | number | undefined>): FaultValue {
  const pairs = Object.entries(keys)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${v}`);
  return { spec: [`${kind}${target ? `@${target}` : ""}`, ...pairs].join(",") };
}

/** Builders for fault specs: `faults.ioError({ sector: 8 })` is "io-error,sector=8". */
export const faults = {
  ioError: (o: Trigger & { device?: string; sector?: number; op?: "read" | "write" | "flush" } = {}) =>
    spec("io-error", o.device, { ...o, device: undefined }),
  completionDelay: (o: Trigger & { device?: string; by: string; op?: string; sector?: number }) =>
    spec("completion-delay", o.device, { ...o, device: undefined }),
  completionDrop: (o: Trigger & { device?: string; op?: string; sector?: number } = {}) =>
    spec("completion-drop", o.device, { ...o, device: undefined }),
  irqLost: (device: string, o: Trigger = {}) => spec("irq-lost", device, { ...o }),
  irqDuplicate: (device: string, o: Trigger = {}) => spec("irq-duplicate", device, { ...o }),
  irqSpurious: (device: string, o: Trigger) => spec("irq-spurious", device, { ...o }),
  needsReset: (device: string, o: Trigger) => spec("needs-reset", device, { ...o }),
  linkDown: (o: Trigger & { device?: string; for?: string }) =>
    spec("link-down", o.device, { ...o, device: undefined }),
  frame: (
    what: "drop" | "duplicate" | "reorder" | "corrupt",
    o: Trigger & { device?: string; dir?: "in" | "out" } = {},
  ) => spec(`frame-${what}`, o.device, { ...o, device: undefined }),
  uart: (what: "framing" | "overrun", o: Trigger & { device?: string }) =>
    spec(`uart-${what}`, o.device, { ...o, device: undefined }),
  dmaRevoke: (driver: string, o: Trigger) => spec("dma-revoke", driver, { ...o }),
  kill: (driverOrDevice: string, o: Trigger) => spec("kill", driverOrDevice, { ...o }),
};
