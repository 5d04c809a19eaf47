// The shapes the debug runtime's callers hand in and get back: launch options, a stop, the listener
// the runtime reports to, a thread. They sit apart from runtime.ts so that the modules behind the
// facade (run-lifecycle.ts, stop-hooks.ts, travel.ts, …) can name them without importing the facade;
// runtime.ts re-exports every one, and callers keep importing them from there.

import type { MachineDescription } from "../../devices";
import type { RecordedFault } from "../faults/injector";
import type { FaultSpec } from "../faults/spec";
import type { RunSummary } from "../session";
import type { MemoryChange } from "./guest-memory";
import type { SourceBreakpointResult, SourceFrame } from "./source-types";
import type { StopReason } from "./stop-rules";
import type { HitKey, LineRecipe } from "./time-travel";

export interface LaunchOptions {
  /** Driver or client paths (folders with index.ts, or files), already resolved to absolute. */
  programs: string[];
  /** "virt" or a machine description file, or a description already parsed (a trace's). */
  machine: string | MachineDescription;
  seed: number;
  stopOnEntry: boolean;
  watchdogMs?: number;
  /** Raw disk image for the disk controllers (absolute); writes go to an overlay unless `persist`. */
  disk?: string;
  persist?: boolean;
  /** Save the run as a .zlog trace here (absolute). */
  trace?: string;
  /** Content hashes the bundled programs must have (a replayed trace's): a change is refused. */
  expectSha256?: string[];
  /** Faults to inject (docs/faults.md): a replayed trace's plan, and the injections a debug session
   *  made in it, at the input points they went in. */
  faults?: readonly FaultSpec[];
  recordedFaults?: readonly RecordedFault[];
  /** Stop at this event index instead of running on (a failed test's trace: its failure). */
  stopAt?: { event: number; description: string };
}

export interface StopInfo {
  reason: StopReason;
  pid: number;
  /** One line for the UI: what stopped the machine. */
  description: string;
  /** The exception filter that matched, for exception stops. */
  exceptionId?: string;
  /** Driver frames mapped from an exception's stack text (the worker's own stack is gone). */
  frames?: SourceFrame[];
  /** Event index of the stop: the syscall or message it is at, or the next one (a driver line). */
  event: number;
  /** Where the stop sits among breakpoint hits (reverse continue goes to the last one before). */
  key: HitKey;
  /** For a stop on a driver line reached by a line breakpoint and line steps: how to come back. */
  recipe?: LineRecipe;
}

export interface ProgressReport {
  id: string;
  kind: "start" | "update" | "end";
  title?: string;
  message?: string;
}

export interface RuntimeListener {
  stopped(stop: StopInfo): void;
  output(category: "stdout" | "stderr" | "console", text: string): void;
  /** What the machine console shows: console devices' output and programs' SYS_CONSOLE_WRITE ("kernel"). */
  console(device: string, text: string): void;
  /** The run ended (every program ended, the machine went idle, or stop() was called). */
  ended(summary: RunSummary): void;
  /** Source breakpoints resolved again once launch has bundled the programs. */
  breakpointsChanged(results: SourceBreakpointResult[]): void;
  progress(report: ProgressReport): void;
  /** Views showing these areas are stale (state changed while the machine is stopped). */
  invalidated(areas: ("threads" | "variables" | "stacks")[]): void;
  /** DMA memory a client has viewed changed. */
  memory(changes: MemoryChange[]): void;
}

export interface ThreadInfo {
  pid: number;
  name: string;
  state: string;
}
