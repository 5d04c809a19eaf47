// (b) Sequential 64 KiB reads and (c) 4 KiB random reads at queue depth 1 and 32, through the whole
// stack: client → IPC → drivers/virtio-blk → virtqueue → device → image file → IRQ → reply. The
// image is a real raw file in a temp dir, opened as `zds run --disk` opens it (copy-on-write
// overlay over the file). Baselines read the same file with `fs` in this process.
//
// Queue depth 32 = 32 client processes, each with one CALL outstanding. The block protocol is
// CALL/REPLY (docs/block-protocol.md) and REPLY only answers a CALL, so one client cannot keep
// several requests open without changing the protocol; several clients are also what the driver
// was written for ("several clients give a driver several [requests]").

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { DriverBundle } from "../kernel/loader/bundle-driver";
import type { Benchmark, BenchResult, Figure } from "./types";
import { buildProgram, firstMark, lastMark, perUnit, round, runInstrumented, sampleDriver, syscallMix, throwIfFailed, type BenchRun, type Mark } from "./harness";
import type { BlkReaderParams } from "./programs/blk-reader";

const BLOCK = 4096;
const UNIT = 64 * 1024;
const MiB = 1024 * 1024;

interface Sizes {
  imageBytes: number;
  seqBytes: number;
  qd1Reads: number;
  /** Reads per client at depth 32. */
  qd32ReadsEach: number;
  warmup: number;
  /** Minimum wall ms each fs baseline runs for. */
  baselineMs: number;
}

const QUICK: Sizes = { imageBytes: 8 * MiB, seqBytes: 1 * MiB, qd1Reads: 300, qd32ReadsEach: 20, warmup: 20, baselineMs: 50 };
const FULL: Sizes = { imageBytes: 64 * MiB, seqBytes: 8 * MiB, qd1Reads: 3_000, qd32ReadsEach: 200, warmup: 50, baselineMs: 400 };

/** Each 4 KiB block starts with its own number (the reader checks it); the rest is filler. */
function writeImage(file: string, bytes: number): void {
  const fd = fs.openSync(file, "w");
  try {
    const chunk = Buffer.alloc(MiB);
    for (let i = 0; i < chunk.length; i++) chunk[i] = (i * 131 + 7) & 0xff;
    for (let off = 0; off < bytes; off += MiB) {
      for (let b = 0; b < MiB / BLOCK; b++) chunk.writeUInt32LE((off + b * BLOCK) / BLOCK, b * BLOCK);
      fs.writeSync(fd, chunk, 0, Math.min(MiB, bytes - off), off);
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** MB/s reading [0, bytes) sequentially in 64 KiB preads, repeated for at least `minMs`. */
function fsSequential(file: string, bytes: number, minMs: number): number {
  const fd = fs.openSync(file, "r");
  try {
    const buf = Buffer.alloc(UNIT);
    let total = 0;
    const t0 = performance.now();
    do {
      for (let off = 0; off < bytes; off += UNIT) total += fs.readSync(fd, buf, 0, UNIT, off);
    } while (performance.now() - t0 < minMs);
    return total / 1e6 / ((performance.now() - t0) / 1000);
  } finally {
    fs.closeSync(fd);
  }
}

/** IOPS of 4 KiB preads at random aligned offsets, one at a time, for at least `minMs`. */
function fsRandom(file: string, bytes: number, minMs: number): number {
  const fd = fs.openSync(file, "r");
  try {
    const buf = Buffer.alloc(BLOCK);
    const blocks = bytes / BLOCK;
    let n = 0;
    const t0 = performance.now();
    do {
      for (let i = 0; i < 1000; i++, n++) fs.readSync(fd, buf, 0, BLOCK, Math.floor(Math.random() * blocks) * BLOCK);
    } while (performance.now() - t0 < minMs);
    return n / ((performance.now() - t0) / 1000);
  } finally {
    fs.closeSync(fd);
  }
}

/** Where the time goes between two marks: counters per request and the syscall mix. */
function profile(what: string, run: BenchRun, from: Mark, to: Mark, requests: number): string {
  const c = perUnit(from.at, to.at, requests);
  const ms = to.at.t - from.at.t;
  const syscalls = to.at.syscalls - from.at.syscalls;
  const usPerRequest = (ms * 1000) / requests;
  const usPerSyscall = (ms * 1000) / syscalls;
  const kernelShare = (to.at.kernelMs - from.at.kernelMs) / ms;
  return (
    `${what}: ${round(usPerRequest, 1)} µs per 4 KiB request = ${c.syscalls} syscalls × ${round(usPerSyscall, 1)} µs; ` +
    `per request ${c.ipcMessages} IPC messages, ${c.irqs} interrupts, ${c.deviceBatches} device batches (kicks with work), ${c.processSwitches} process switches; ` +
    `host inside Kernel.submit ${round(kernelShare * 100, 1)}% of the window, host loop busy ${round(run.hostBusy * 100, 1)}% over the run; ` +
    `syscalls per request: ${syscallMix(from.at, to.at, requests)}`
  );
}

async function reader(dir: string, params: BlkReaderParams, name: string): Promise<DriverBundle> {
  return buildProgram(dir, "blk-reader", "blkReader", params, name);
}

export const storageBench: Benchmark = {
  name: "storage",
  async run({ quick }): Promise<BenchResult> {
    const s = quick ? QUICK : FULL;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "zds-bench-storage-"));
    const notes: string[] = [];
    const figures: Figure[] = [];
    try {
      const image = path.join(dir, "bench.img");
      writeImage(image, s.imageBytes);
      const disk = { path: image };
      // Warm the page cache, so both sides read memory: the figure is the stack, not the SSD.
      fsSequential(image, s.imageBytes, 0);
      const driver = await sampleDriver("virtio-blk");

      // (b) sequential 64 KiB reads
      const seqBaseline = fsSequential(image, s.seqBytes, s.baselineMs);
      const seq = await runInstrumented({
        programs: [driver, await reader(dir, { mode: "sequential", amount: s.seqBytes, warmup: s.warmup }, "bench-seq")],
        disk,
        timeoutSeconds: 300,
      });
      throwIfFailed("sequential reads", seq);
      const seqGo = firstMark(seq, "bench:go");
      const seqDone = firstMark(seq, "bench:done");
      if (!seqGo || !seqDone) throw new Error("the sequential reader printed no marks");
      const seqMBs = s.seqBytes / 1e6 / ((seqDone.at.t - seqGo.at.t) / 1000);
      figures.push({
        label: `sequential 64 KiB reads through the whole stack (${s.seqBytes / MiB} MiB, 16 READs of 4 KiB each)`,
        value: round(seqMBs, 1),
        unit: "MB/s",
        baseline: { label: "fs.readSync of the same file, 64 KiB at a time (page cache)", value: round(seqBaseline, 1), unit: "MB/s" },
        ratio: round(seqMBs / seqBaseline, 4),
        higherIsBetter: true,
        target: "≥ 50% of fs",
        met: seqMBs / seqBaseline >= 0.5,
      });
      notes.push(profile("sequential", seq, seqGo, seqDone, s.seqBytes / BLOCK));

      // (c) random 4 KiB reads, depth 1
      const randBaseline = fsRandom(image, s.imageBytes, s.baselineMs);
      const qd1 = await runInstrumented({
        programs: [driver, await reader(dir, { mode: "random", amount: s.qd1Reads, warmup: s.warmup }, "bench-rand")],
        disk,
        timeoutSeconds: 300,
      });
      throwIfFailed("random reads at depth 1", qd1);
      const go1 = firstMark(qd1, "bench:go");
      const done1 = firstMark(qd1, "bench:done");
      if (!go1 || !done1) throw new Error("the random reader printed no marks");
      const iops1 = s.qd1Reads / ((done1.at.t - go1.at.t) / 1000);
      figures.push({
        label: "4 KiB random reads, queue depth 1",
        value: Math.round(iops1),
        unit: "IOPS",
        baseline: { label: "fs.readSync 4 KiB at random offsets, one at a time", value: Math.round(randBaseline), unit: "IOPS" },
        ratio: round(iops1 / randBaseline, 4),
        higherIsBetter: true,
      });
      notes.push(profile("random, depth 1", qd1, go1, done1, s.qd1Reads));

      // (c) random 4 KiB reads, depth 32: 32 clients of one bundle (each has its own seed, so
      // its own sequence of offsets).
      const client = await reader(dir, { mode: "random", amount: s.qd32ReadsEach, warmup: Math.ceil(s.warmup / 10) }, "bench-rand32");
      const qd32 = await runInstrumented({ programs: [driver, ...Array.from({ length: 32 }, () => client)], disk, timeoutSeconds: 300 });
      throwIfFailed("random reads at depth 32", qd32);
      // Steady state: from the moment the last client started timing to the moment the first
      // finished, all 32 have a request outstanding; the device counts what completed meanwhile.
      const lastGo = lastMark(qd32, "bench:go");
      const firstDone = firstMark(qd32, "bench:done");
      const firstGo = firstMark(qd32, "bench:go");
      const lastDone = lastMark(qd32, "bench:done");
      if (!lastGo || !firstDone || !firstGo || !lastDone) throw new Error("the depth-32 readers printed no marks");
      const steady = firstDone.at.t > lastGo.at.t && firstDone.at.completed - lastGo.at.completed > 0;
      const [from, to] = steady ? [lastGo, firstDone] : [firstGo, lastDone];
      const done32 = to.at.completed - from.at.completed;
      const iops32 = done32 / ((to.at.t - from.at.t) / 1000);
      figures.push({
        label: "4 KiB random reads, queue depth 32 (32 client processes)",
        value: Math.round(iops32),
        unit: "IOPS",
        baseline: { label: "the same reads at queue depth 1 through the stack", value: Math.round(iops1), unit: "IOPS" },
        ratio: round(iops32 / iops1),
        higherIsBetter: true,
        target: "≥ 50k IOPS",
        met: iops32 >= 50_000,
      });
      const batchSize = (to.at.completed - from.at.completed) / Math.max(1, to.at.batches - from.at.batches);
      notes.push(
        `depth 32: measured over ${steady ? "the steady window (last client started → first finished)" : "the whole run (no steady window)"}, ${done32} reads in ${round(to.at.t - from.at.t, 1)} ms; ` +
          `${round(batchSize, 1)} requests per device batch on average, at most ${lastDone.at.maxInFlight} in flight on the device`,
      );
      notes.push(profile("random, depth 32", qd32, from, to, done32));
      return { name: "storage", figures, notes };
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
};
