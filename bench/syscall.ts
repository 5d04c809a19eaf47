// (a) Syscall round trip, worker → kernel → worker, through the real Session: a program makes N
// SYS_NOP calls between two console marks; the host timestamps the marks. Baselines, measured in the
// same run: a **spinning** ping-pong between two worker threads (each spins on the shared word and
// never sleeps: the floor of any cross-thread round trip, and the one the target is set against), a
// sleeping one (both in Atomics.wait: what a futex wake-up costs), and worker ↔ host thread with
// Atomics.waitAsync, the kernel's own wake-up path with no kernel work.

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Worker } from "node:worker_threads";
import type { Benchmark, BenchResult, Figure } from "./types";
import { buildProgram, firstMark, median, perUnit, round, runInstrumented, syscallMix, throwIfFailed } from "./harness";

/** Two workers bounce a counter: A bumps word 0 and waits on word 1; B answers. Timed inside A.
 *  `spin`: both sides spin on Atomics.load and never sleep (no futex, no wake-up); else they wait. */
const PING_PONG = `
const { workerData, parentPort } = require("node:worker_threads");
const w = new Int32Array(workerData.sab);
const n = workerData.n, warm = workerData.warm, spin = workerData.spin;
const await1 = (at, value) => { while (Atomics.load(w, at) !== value) if (!spin) Atomics.wait(w, at, value - 1); };
const post = (at, value) => { Atomics.store(w, at, value); if (!spin) Atomics.notify(w, at); };
if (workerData.role === "a") {
  let t0 = 0;
  for (let i = 1; i <= warm + n; i++) {
    if (i === warm + 1) t0 = performance.now();
    post(0, i);
    await1(1, i);
  }
  parentPort.postMessage((performance.now() - t0) * 1000 / n);
} else {
  for (let i = 1; i <= warm + n; i++) {
    await1(0, i);
    post(1, i);
  }
  parentPort.postMessage(0);
}`;

/** The worker side of worker ↔ host: the same protocol, the host answers with waitAsync. */
const TO_HOST = `
const { workerData, parentPort } = require("node:worker_threads");
const w = new Int32Array(workerData.sab);
const n = workerData.n, warm = workerData.warm;
let t0 = 0;
for (let i = 1; i <= warm + n; i++) {
  if (i === warm + 1) t0 = performance.now();
  Atomics.store(w, 0, i); Atomics.notify(w, 0);
  while (Atomics.load(w, 1) !== i) Atomics.wait(w, 1, i - 1);
}
parentPort.postMessage((performance.now() - t0) * 1000 / n);`;

function once(worker: Worker): Promise<number> {
  return new Promise((resolve, reject) => {
    worker.once("message", (v: number) => resolve(v));
    worker.once("error", reject);
  });
}

/** Mean µs per round trip between two workers, sleeping (Atomics.wait) or spinning. */
async function pingPong(n: number, warm: number, spin = false): Promise<number> {
  const sab = new SharedArrayBuffer(8);
  const b = new Worker(PING_PONG, { eval: true, workerData: { sab, n, warm, spin, role: "b" } });
  const a = new Worker(PING_PONG, { eval: true, workerData: { sab, n, warm, spin, role: "a" } });
  const [us] = await Promise.all([once(a), once(b)]);
  await Promise.all([a.terminate(), b.terminate()]);
  return us;
}

/** Mean µs per round trip between a worker and this (host) thread answering via waitAsync. */
async function workerToHost(n: number, warm: number): Promise<number> {
  const sab = new SharedArrayBuffer(8);
  const w = new Int32Array(sab);
  const worker = new Worker(TO_HOST, { eval: true, workerData: { sab, n, warm } });
  const result = once(worker);
  for (let i = 1; i <= warm + n; i++) {
    while (Atomics.load(w, 0) !== i) {
      const wait = Atomics.waitAsync(w, 0, i - 1);
      if (wait.async) await wait.value;
    }
    Atomics.store(w, 1, i);
    Atomics.notify(w, 1);
  }
  const us = await result;
  await worker.terminate();
  return us;
}

export const syscallBench: Benchmark = {
  name: "syscall",
  async run({ quick }): Promise<BenchResult> {
    const n = quick ? 2_000 : 20_000;
    const warm = quick ? 200 : 2_000;
    // Five repeats: on a 2-vCPU VM a run is bimodal (threads on one vCPU or on two), the median is stable.
    const repeats = quick ? 1 : 5;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "zds-bench-syscall-"));
    try {
      const program = await buildProgram(
        dir,
        "syscall-loop",
        "syscallLoop",
        { warmup: warm, count: n },
        "bench-syscalls",
      );
      const kernelUs: number[] = [];
      const bareUs: number[] = [];
      const hostUs: number[] = [];
      const spinUs: number[] = [];
      const notes: string[] = [];
      // Interleaved, so that a noisy neighbour on the shared machine slows both alike.
      for (let r = 0; r < repeats; r++) {
        bareUs.push(await pingPong(n, warm));
        spinUs.push(await pingPong(n, warm, true));
        hostUs.push(await workerToHost(n, warm));
        const run = await runInstrumented({ programs: [program], timeoutSeconds: 120 });
        throwIfFailed("syscall loop", run);
        const go = firstMark(run, "bench:go");
        const done = firstMark(run, "bench:done");
        if (!go || !done) throw new Error("the syscall loop printed no marks");
        // n NOPs and the CONSOLE_WRITE of the second mark lie between the two timestamps.
        kernelUs.push(((done.at.t - go.at.t) * 1000) / (n + 1));
        if (r === repeats - 1) {
          const window = done.at.t - go.at.t;
          const kernelShare = (done.at.kernelMs - go.at.kernelMs) / window;
          const counts = perUnit(go.at, done.at, n + 1);
          notes.push(
            `last repeat (${round(kernelUs[r])} µs per syscall): the host spends ${round(((done.at.kernelMs - go.at.kernelMs) * 1000) / (n + 1))} µs per syscall inside Kernel.submit (SysLog, dispatch, schedule, post): ` +
              `${round(kernelShare * 100, 1)}% of the wall time; the rest is the two cross-thread wake-ups (worker → host, host → worker). ` +
              `Host event loop busy ${round(run.hostBusy * 100, 1)}% over the whole run (startup included).`,
            `syscall mix: ${syscallMix(go.at, done.at, n + 1)}; process switches per syscall ${counts.processSwitches}`,
          );
        }
      }
      const kernel = median(kernelUs);
      const bare = median(bareUs);
      const host = median(hostUs);
      const spin = median(spinUs);
      const ratio = kernel / spin;
      const figures: Figure[] = [
        {
          label: "syscall round trip worker → kernel → worker (SYS_NOP, mean)",
          value: round(kernel),
          unit: "µs",
          baseline: {
            label: "spinning Atomics ping-pong, two worker threads, no sleep (mean)",
            value: round(spin, 2),
            unit: "µs",
          },
          ratio: round(ratio),
          target: "≤ 3× spinning ping-pong",
          met: ratio <= 3,
        },
        {
          label: "syscall round trip against a sleeping ping-pong (Atomics.wait both sides)",
          value: round(kernel),
          unit: "µs",
          baseline: { label: "sleeping Atomics ping-pong, two worker threads (mean)", value: round(bare), unit: "µs" },
          ratio: round(kernel / bare),
        },
        {
          label: "syscalls per second, one process",
          value: Math.round(1e6 / kernel),
          unit: "/s",
          baseline: { label: "bare ping-pong round trips per second", value: Math.round(1e6 / bare), unit: "/s" },
          ratio: round(bare / kernel),
          higherIsBetter: true,
        },
        {
          label: "worker ↔ host thread, Atomics.wait / waitAsync, no kernel (mean)",
          value: round(host),
          unit: "µs",
          baseline: { label: "bare Atomics ping-pong, two worker threads (mean)", value: round(bare), unit: "µs" },
          ratio: round(host / bare),
        },
      ];
      notes.unshift(
        `${n} NOPs after ${warm} warm-up calls, median of ${repeats} interleaved repeat(s): kernel ${kernelUs.map((x) => round(x)).join("/")} µs, spinning ${spinUs.map((x) => round(x, 2)).join("/")} µs, sleeping ${bareUs.map((x) => round(x)).join("/")} µs, host-thread ${hostUs.map((x) => round(x)).join("/")} µs`,
      );
      return { name: "syscall", figures, notes };
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
};
