// (e) Reverse debugging: one step back in a debug session of 100k syscalls. The debug adapter's
// runtime (kernel/debug/runtime.ts, what `zds dap` and the extension drive) launches a program making
// N SYS_NOP calls between two console marks, stops on each mark (a function breakpoint on
// SYS_CONSOLE_WRITE), then steps back once to the previous event (the last NOP). With checkpoints (the
// default) the runtime keeps a second run held ~1000 events behind the stop, started while the user
// looks at the stop; the step back promotes it and runs only the last events. Without, the step back
// re-runs the whole machine from the start. Baseline, in the same session: the forward run from the
// first mark to the second (the same N syscalls under the debugger).

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { DebugRuntime, type RuntimeListener, type StopInfo } from "../kernel/debug/runtime";
import type { RunSummary } from "../kernel/session";
import type { Benchmark, BenchResult } from "./types";
import { buildProgram, median, round } from "./harness";

/** A runtime whose stops and end can be awaited. */
function instrumented(): { runtime: DebugRuntime; nextStop: () => Promise<StopInfo>; ended: Promise<RunSummary> } {
  let waiting: ((stop: StopInfo) => void) | undefined;
  let endedResolve: (s: RunSummary) => void = () => undefined;
  const ended = new Promise<RunSummary>((r) => (endedResolve = r));
  const listener: RuntimeListener = {
    stopped: (stop) => waiting?.(stop),
    output: () => undefined,
    console: () => undefined,
    ended: (summary) => endedResolve(summary),
    breakpointsChanged: () => undefined,
    progress: () => undefined,
    invalidated: () => undefined,
    memory: () => undefined,
  };
  const runtime = new DebugRuntime(listener);
  const nextStop = () =>
    new Promise<StopInfo>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no stop within 120 s")), 120_000);
      waiting = (stop) => {
        clearTimeout(timer);
        waiting = undefined;
        resolve(stop);
      };
    });
  return { runtime, nextStop, ended };
}

interface Sample {
  forwardMs: number;
  stepBackMs: number;
  /** From the stop to the checkpoint run being held behind it. */
  checkpointMs: number;
  syscalls: number;
  event: number;
}

async function session(program: string, count: number, checkpoints: boolean): Promise<Sample> {
  const { runtime, nextStop, ended } = instrumented();
  if (!checkpoints) runtime.checkpointWindow = 0;
  runtime.setFunctionBreakpoints(["SYS_CONSOLE_WRITE"]);
  let stop = nextStop();
  await runtime.launch({ programs: [program], machine: "virt", seed: 1, stopOnEntry: false });
  const go = await stop;
  if (!/bench:go/.test(go.description)) throw new Error(`first stop is not the go mark: ${go.description}`);
  stop = nextStop();
  const t0 = performance.now();
  runtime.continue();
  const done = await stop;
  const forwardMs = performance.now() - t0;
  if (!/bench:done/.test(done.description)) throw new Error(`second stop is not the done mark: ${done.description}`);
  const syscalls = runtime.syscallCount;
  runtime.setFunctionBreakpoints([]);
  const t2 = performance.now();
  await runtime.checkpointReady();
  const checkpointMs = performance.now() - t2;
  stop = nextStop();
  const t1 = performance.now();
  const problem = runtime.stepBack(done.pid);
  if (problem) throw new Error(problem);
  const back = await stop;
  const stepBackMs = performance.now() - t1;
  if (back.event !== done.event - 1 || !/SYS_NOP/.test(back.description))
    throw new Error(`step back landed at event ${back.event} (${back.description}), not at ${done.event - 1}`);
  if (syscalls < count) throw new Error(`only ${syscalls} syscalls before the done mark`);
  runtime.terminate();
  await ended;
  return { forwardMs, stepBackMs, checkpointMs, syscalls, event: back.event };
}

export const stepBackBench: Benchmark = {
  name: "step-back",
  async run({ quick }): Promise<BenchResult> {
    const count = quick ? 12_000 : 100_000;
    const repeats = quick ? 1 : 3;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "zds-bench-stepback-"));
    try {
      await buildProgram(dir, "syscall-loop", "syscallLoop", { warmup: 0, count }, "bench-stepback");
      const program = path.join(dir, "bench-stepback.ts");
      const samples: Sample[] = [];
      for (let i = 0; i < repeats; i++) samples.push(await session(program, count, true));
      const scratch = await session(program, count, false);
      const back = median(samples.map((s) => s.stepBackMs));
      const forward = median(samples.map((s) => s.forwardMs));
      const at = samples[0].syscalls.toLocaleString("en-US");
      const baseline = (ms: number) => ({
        label: `forward run of the ${count.toLocaleString("en-US")} NOPs under the debugger`,
        value: round(ms, 0),
        unit: "ms",
      });
      return {
        name: "step-back",
        figures: [
          {
            label: `one step back at ${at} syscalls, from the checkpoint run (median of ${repeats})`,
            value: round(back, 1),
            unit: "ms",
            baseline: baseline(forward),
            ratio: round(back / forward, 3),
            target: "< 1 s",
            met: back < 1000,
          },
          {
            label: `one step back at ${at} syscalls, re-run from the start (no checkpoint)`,
            value: round(scratch.stepBackMs, 0),
            unit: "ms",
            baseline: baseline(scratch.forwardMs),
            ratio: round(scratch.stepBackMs / scratch.forwardMs),
          },
        ],
        notes: [
          `step back lands on event ${samples[0].event} (the last NOP); the checkpoint run was held behind the stop ${samples.map((s) => Math.round(s.checkpointMs)).join("/")} ms after it (it re-runs the past while the user looks at the stop)`,
          `samples with checkpoint (step back / forward): ${samples.map((s) => `${round(s.stepBackMs, 1)}/${Math.round(s.forwardMs)} ms`).join(", ")}`,
        ],
      };
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
};
