// (b) Sequential 64 KiB reads and (c) 4 KiB random reads at queue depth 1 and 32, through the whole
// stack: client → IPC → drivers/virtio-blk → virtqueue → device → image file → IRQ → reply; then the
// same through drivers/nvme (submission queue → doorbell → NVMe controller → completion queue), in
// the same run against the same fs baselines, with virtio-blk's figures as its targets. The
// image is a real raw file in a temp dir, opened as `zds run --disk` opens it (copy-on-write
// overlay over the file). Baselines read the same file with `fs` in this process.
//
// Each figure is measured twice, the two ways the block protocol moves data:
//   bulk path  the client lends a DMA buffer and sends BATCHes; the device writes into the buffer.
//              (b): 128 reads of 64 KiB per BATCH (8 MiB per message). (c): 1 read per BATCH at depth 1, 32 at depth 32.
//   messages   READ replies carry ≤ 4 KiB, so a 64 KiB unit is 16 READs; depth 32 is 32 client
//              processes, each with one CALL outstanding (REPLY only answers a CALL). Kept as the
//              comparison: the ratio bulk / messages is the gain of the bulk path, in the same run.

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { BLK_MAX_BATCH } from "../kernel/abi";
import type { DriverBundle } from "../kernel/loader/bundle-driver";
import type { Benchmark, BenchResult, Figure } from "./types";
import {
  buildProgram,
  firstMark,
  lastMark,
  perUnit,
  round,
  runInstrumented,
  sampleDriver,
  syscallMix,
  throwIfFailed,
  type BenchRun,
  type Mark,
} from "./harness";
import type { BlkReaderParams } from "./programs/blk-reader";
import type { BlkBulkReaderParams } from "./programs/blk-bulk-reader";

const BLOCK = 4096;
const UNIT = 64 * 1024;
const MiB = 1024 * 1024;
/** Reads per BATCH for (b): as many as the protocol allows, so one round trip moves 8 MiB. */
const SEQ_BATCH = BLK_MAX_BATCH;

interface Sizes {
  imageBytes: number;
  seqBytes: number;
  /** Bytes the bulk sequential reader reads (wrapping over the image). */
  bulkSeqBytes: number;
  /** Batches of 32 random reads at depth 32 on the bulk path. */
  bulkQd32Batches: number;
  qd1Reads: number;
  /** Reads per client at depth 32. */
  qd32ReadsEach: number;
  warmup: number;
  /** Minimum wall ms each fs baseline runs for. */
  baselineMs: number;
}

const QUICK: Sizes = {
  imageBytes: 8 * MiB,
  seqBytes: 1 * MiB,
  bulkSeqBytes: 16 * MiB,
  bulkQd32Batches: 20,
  qd1Reads: 300,
  qd32ReadsEach: 20,
  warmup: 20,
  baselineMs: 50,
};
const FULL: Sizes = {
  imageBytes: 64 * MiB,
  seqBytes: 8 * MiB,
  bulkSeqBytes: 512 * MiB,
  bulkQd32Batches: 400,
  qd1Reads: 3_000,
  qd32ReadsEach: 200,
  warmup: 50,
  baselineMs: 400,
};

/** Each 4 KiB block starts with its own number (the reader checks it); the rest is filler. */
export function writeImage(file: string, bytes: number): void {
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
function profile(what: string, run: BenchRun, from: Mark, to: Mark, requests: number, unit = "4 KiB request"): string {
  const c = perUnit(from.at, to.at, requests);
  const ms = to.at.t - from.at.t;
  const syscalls = to.at.syscalls - from.at.syscalls;
  const usPerRequest = (ms * 1000) / requests;
  const usPerSyscall = (ms * 1000) / syscalls;
  const kernelShare = (to.at.kernelMs - from.at.kernelMs) / ms;
  return (
    `${what}: ${round(usPerRequest, 1)} µs per ${unit} = ${c.syscalls} syscalls × ${round(usPerSyscall, 1)} µs; ` +
    `per request ${c.ipcMessages} IPC messages, ${c.irqs} interrupts, ${c.deviceBatches} device batches (kicks with work), ${c.processSwitches} process switches; ` +
    `host inside Kernel.submit ${round(kernelShare * 100, 1)}% of the window, host loop busy ${round(run.hostBusy * 100, 1)}% over the run; ` +
    `syscalls per request: ${syscallMix(from.at, to.at, requests)}`
  );
}

async function reader(dir: string, params: BlkReaderParams, name: string): Promise<DriverBundle> {
  return buildProgram(dir, "blk-reader", "blkReader", params, name);
}

async function bulkReader(dir: string, params: BlkBulkReaderParams, name: string): Promise<DriverBundle> {
  return buildProgram(dir, "blk-bulk-reader", "blkBulkReader", params, name);
}

/** Run `programs` with the virtio-blk driver and return the run with its go/done marks. */
async function timed(
  what: string,
  programs: DriverBundle[],
  disk: { path: string },
): Promise<{ run: BenchRun; go: Mark; done: Mark; ms: number }> {
  const run = await runInstrumented({ programs, disk, timeoutSeconds: 300 });
  throwIfFailed(what, run);
  const go = firstMark(run, "bench:go");
  const done = firstMark(run, "bench:done");
  if (!go || !done) throw new Error(`${what}: the reader printed no marks`);
  return { run, go, done, ms: done.at.t - go.at.t };
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

      // (b) sequential 64 KiB reads, bulk path: 128 per BATCH (8 MiB per message), wrapping over the
      // image; the baseline reads the same image range with fs, 64 KiB at a time.
      const bulkSeqBaseline = fsSequential(image, s.imageBytes, s.baselineMs);
      const bulkSeq = await timed(
        "bulk sequential reads",
        [
          driver,
          await bulkReader(
            dir,
            { mode: "sequential", unitBytes: UNIT, batch: SEQ_BATCH, amount: s.bulkSeqBytes, warmup: 2 },
            "bench-bulk-seq",
          ),
        ],
        disk,
      );
      const bulkSeqMBs = s.bulkSeqBytes / 1e6 / (bulkSeq.ms / 1000);
      figures.push({
        label: `sequential 64 KiB reads through the whole stack, bulk path (${s.bulkSeqBytes / MiB} MiB, ${SEQ_BATCH} reads per BATCH)`,
        value: round(bulkSeqMBs, 1),
        unit: "MB/s",
        baseline: {
          label: "fs.readSync of the same image, 64 KiB at a time (page cache)",
          value: round(bulkSeqBaseline, 1),
          unit: "MB/s",
        },
        ratio: round(bulkSeqMBs / bulkSeqBaseline, 4),
        higherIsBetter: true,
        target: "≥ 50% of fs",
        met: bulkSeqMBs / bulkSeqBaseline >= 0.5,
      });
      notes.push(
        profile("sequential, bulk", bulkSeq.run, bulkSeq.go, bulkSeq.done, s.bulkSeqBytes / UNIT, "64 KiB read"),
      );

      // (b) the same through 4 KiB messages, for comparison.
      const seqBaseline = fsSequential(image, s.seqBytes, s.baselineMs);
      const seq = await timed(
        "sequential reads (messages)",
        [driver, await reader(dir, { mode: "sequential", amount: s.seqBytes, warmup: s.warmup }, "bench-seq")],
        disk,
      );
      const seqMBs = s.seqBytes / 1e6 / (seq.ms / 1000);
      figures.push({
        label: `sequential 64 KiB reads, messages (${s.seqBytes / MiB} MiB, 16 READs of 4 KiB each)`,
        value: round(seqMBs, 1),
        unit: "MB/s",
        baseline: {
          label: "fs.readSync of the same range, 64 KiB at a time (page cache)",
          value: round(seqBaseline, 1),
          unit: "MB/s",
        },
        ratio: round(seqMBs / seqBaseline, 4),
        higherIsBetter: true,
      });
      notes.push(profile("sequential, messages", seq.run, seq.go, seq.done, s.seqBytes / BLOCK));
      notes.push(
        `sequential: the bulk path moves ${round(bulkSeqMBs / seqMBs, 0)}× the bytes per second of 4 KiB messages`,
      );

      // (c) random 4 KiB reads, depth 1: bulk path (one read per BATCH), then messages.
      const randBaseline = fsRandom(image, s.imageBytes, s.baselineMs);
      const bulk1 = await timed(
        "bulk random reads at depth 1",
        [
          driver,
          await bulkReader(
            dir,
            { mode: "random", unitBytes: BLOCK, batch: 1, amount: s.qd1Reads, warmup: s.warmup },
            "bench-bulk-rand1",
          ),
        ],
        disk,
      );
      const bulkIops1 = s.qd1Reads / (bulk1.ms / 1000);
      figures.push({
        label: "4 KiB random reads, queue depth 1, bulk path (1 read per BATCH)",
        value: Math.round(bulkIops1),
        unit: "IOPS",
        baseline: {
          label: "fs.readSync 4 KiB at random offsets, one at a time",
          value: Math.round(randBaseline),
          unit: "IOPS",
        },
        ratio: round(bulkIops1 / randBaseline, 4),
        higherIsBetter: true,
      });
      notes.push(profile("random, depth 1, bulk", bulk1.run, bulk1.go, bulk1.done, s.qd1Reads));

      const qd1 = await timed(
        "random reads at depth 1 (messages)",
        [driver, await reader(dir, { mode: "random", amount: s.qd1Reads, warmup: s.warmup }, "bench-rand")],
        disk,
      );
      const iops1 = s.qd1Reads / (qd1.ms / 1000);
      figures.push({
        label: "4 KiB random reads, queue depth 1, messages",
        value: Math.round(iops1),
        unit: "IOPS",
        baseline: {
          label: "fs.readSync 4 KiB at random offsets, one at a time",
          value: Math.round(randBaseline),
          unit: "IOPS",
        },
        ratio: round(iops1 / randBaseline, 4),
        higherIsBetter: true,
      });
      notes.push(profile("random, depth 1, messages", qd1.run, qd1.go, qd1.done, s.qd1Reads));

      // (c) random 4 KiB reads, depth 32, bulk path: one client, 32 reads per BATCH, so the device
      // has 32 requests from one kick.
      const bulk32Reads = s.bulkQd32Batches * 32;
      const bulk32 = await timed(
        "bulk random reads at depth 32",
        [
          driver,
          await bulkReader(
            dir,
            { mode: "random", unitBytes: BLOCK, batch: 32, amount: bulk32Reads, warmup: 2 },
            "bench-bulk-rand32",
          ),
        ],
        disk,
      );
      const bulkIops32 = bulk32Reads / (bulk32.ms / 1000);
      figures.push({
        label: "4 KiB random reads, queue depth 32, bulk path (one client, 32 reads per BATCH)",
        value: Math.round(bulkIops32),
        unit: "IOPS",
        baseline: { label: "the same reads at queue depth 1, bulk path", value: Math.round(bulkIops1), unit: "IOPS" },
        ratio: round(bulkIops32 / bulkIops1),
        higherIsBetter: true,
        target: "≥ 50k IOPS",
        met: bulkIops32 >= 50_000,
      });
      notes.push(profile("random, depth 32, bulk", bulk32.run, bulk32.go, bulk32.done, bulk32Reads));

      // (c) depth 32 through messages: 32 clients of one bundle (each has its own seed, so its own
      // sequence of offsets).
      const client = await reader(
        dir,
        { mode: "random", amount: s.qd32ReadsEach, warmup: Math.ceil(s.warmup / 10) },
        "bench-rand32",
      );
      const qd32 = await runInstrumented({
        programs: [driver, ...Array.from({ length: 32 }, () => client)],
        disk,
        timeoutSeconds: 300,
      });
      throwIfFailed("random reads at depth 32 (messages)", qd32);
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
        label: "4 KiB random reads, queue depth 32, messages (32 client processes)",
        value: Math.round(iops32),
        unit: "IOPS",
        baseline: { label: "the same reads at queue depth 1, messages", value: Math.round(iops1), unit: "IOPS" },
        ratio: round(iops32 / iops1),
        higherIsBetter: true,
      });
      const batchSize = (to.at.completed - from.at.completed) / Math.max(1, to.at.batches - from.at.batches);
      notes.push(
        `depth 32, messages: measured over ${steady ? "the steady window (last client started → first finished)" : "the whole run (no steady window)"}, ${done32} reads in ${round(to.at.t - from.at.t, 1)} ms; ` +
          `${round(batchSize, 1)} requests per device batch on average, at most ${lastDone.at.maxInFlight} in flight on the device`,
      );
      notes.push(profile("random, depth 32, messages", qd32, from, to, done32));
      notes.push(`depth 32: the bulk path does ${round(bulkIops32 / iops32, 1)}× the IOPS of 32 message clients`);

      // The same workloads through drivers/nvme on the NVMe controller, in the same run, against the
      // same fs baselines: the virtio-blk figures above are its targets.
      figures.push(
        ...(await controllerFigures({ name: "NVMe", sample: "nvme" }, dir, disk, s, notes, {
          seqBaseline: bulkSeqBaseline,
          randBaseline,
          virtio: { seq: bulkSeqMBs, qd1: bulkIops1, qd32: bulkIops32, msgQd1: iops1 },
        })),
      );
      // And through drivers/ahci on the AHCI HBA: one SATA port, commands taken one at a time.
      figures.push(
        ...(await controllerFigures({ name: "AHCI", sample: "ahci" }, dir, disk, s, notes, {
          seqBaseline: bulkSeqBaseline,
          randBaseline,
          virtio: { seq: bulkSeqMBs, qd1: bulkIops1, qd32: bulkIops32, msgQd1: iops1 },
        })),
      );
      return { name: "storage", figures, notes };
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
};

/** Another block controller's rows: sequential 64 KiB and random 4 KiB at depth 1 and 32, bulk path,
 *  and random 4 KiB at depth 1 through messages — the virtio-blk workloads on drivers/nvme or
 *  drivers/ahci. Each figure's baseline is the fs one; the notes say where each stands against
 *  virtio-blk's figure of the same run. Only NVMe's rows carry virtio-blk's targets. */
async function controllerFigures(
  c: { readonly name: "NVMe" | "AHCI"; readonly sample: "nvme" | "ahci" },
  dir: string,
  disk: { path: string },
  s: Sizes,
  notes: string[],
  base: {
    seqBaseline: number;
    randBaseline: number;
    virtio: { seq: number; qd1: number; qd32: number; msgQd1: number };
  },
): Promise<Figure[]> {
  const driver = await sampleDriver(c.sample);
  const N = c.name;
  const slug = c.sample;
  const bulk = async (what: string, mode: "sequential" | "random", unitBytes: number, batch: number, amount: number) =>
    timed(
      `${N} ${what}`,
      [
        driver,
        await bulkReader(
          dir,
          { mode, unitBytes, batch, amount, warmup: mode === "sequential" ? 2 : s.warmup },
          `bench-${slug}-${what.replace(/\W+/g, "-")}`,
        ),
      ],
      disk,
    );
  const seq = await bulk("bulk sequential", "sequential", UNIT, SEQ_BATCH, s.bulkSeqBytes);
  const seqMBs = s.bulkSeqBytes / 1e6 / (seq.ms / 1000);
  notes.push(profile(`${N} sequential, bulk`, seq.run, seq.go, seq.done, s.bulkSeqBytes / UNIT, "64 KiB read"));
  const qd1 = await bulk("bulk random depth 1", "random", BLOCK, 1, s.qd1Reads);
  const iops1 = s.qd1Reads / (qd1.ms / 1000);
  notes.push(profile(`${N} random, depth 1, bulk`, qd1.run, qd1.go, qd1.done, s.qd1Reads));
  const reads32 = s.bulkQd32Batches * 32;
  const qd32 = await bulk("bulk random depth 32", "random", BLOCK, 32, reads32);
  const iops32 = reads32 / (qd32.ms / 1000);
  notes.push(profile(`${N} random, depth 32, bulk`, qd32.run, qd32.go, qd32.done, reads32));
  const msg = await timed(
    `${N} random reads at depth 1 (messages)`,
    [driver, await reader(dir, { mode: "random", amount: s.qd1Reads, warmup: s.warmup }, `bench-${slug}-rand`)],
    disk,
  );
  const msgIops1 = s.qd1Reads / (msg.ms / 1000);
  notes.push(profile(`${N} random, depth 1, messages`, msg.run, msg.go, msg.done, s.qd1Reads));
  const v = base.virtio;
  notes.push(
    `${N} against virtio-blk in this run: sequential ${round(seqMBs / v.seq, 2)}×, depth 1 ${round(iops1 / v.qd1, 2)}×, ` +
      `depth 32 ${round(iops32 / v.qd32, 2)}×, depth 1 through messages ${round(msgIops1 / v.msgQd1, 2)}× ` +
      `(the targets are virtio-blk's: ≥ 50% of fs sequential, ≥ 50k IOPS at depth 32)`,
  );
  const fsSeq = {
    label: "fs.readSync of the same image, 64 KiB at a time (page cache)",
    value: round(base.seqBaseline, 1),
    unit: "MB/s",
  };
  const fsRand = {
    label: "fs.readSync 4 KiB at random offsets, one at a time",
    value: Math.round(base.randBaseline),
    unit: "IOPS",
  };
  return [
    {
      label: `${N}: sequential 64 KiB reads through the whole stack, bulk path (${s.bulkSeqBytes / MiB} MiB, ${SEQ_BATCH} reads per BATCH)`,
      value: round(seqMBs, 1),
      unit: "MB/s",
      baseline: fsSeq,
      ratio: round(seqMBs / base.seqBaseline, 4),
      higherIsBetter: true,
      ...(N === "NVMe" && { target: "≥ 50% of fs (virtio-blk's)", met: seqMBs / base.seqBaseline >= 0.5 }),
    },
    {
      label: `${N}: 4 KiB random reads, queue depth 1, bulk path (1 read per BATCH)`,
      value: Math.round(iops1),
      unit: "IOPS",
      baseline: fsRand,
      ratio: round(iops1 / base.randBaseline, 4),
      higherIsBetter: true,
    },
    {
      label: `${N}: 4 KiB random reads, queue depth 32, bulk path (one client, 32 reads per BATCH)`,
      value: Math.round(iops32),
      unit: "IOPS",
      baseline: { label: `the same reads at queue depth 1, bulk path, ${N}`, value: Math.round(iops1), unit: "IOPS" },
      ratio: round(iops32 / iops1),
      higherIsBetter: true,
      ...(N === "NVMe" && { target: "≥ 50k IOPS (virtio-blk's)", met: iops32 >= 50_000 }),
    },
    {
      label: `${N}: 4 KiB random reads, queue depth 1, messages`,
      value: Math.round(msgIops1),
      unit: "IOPS",
      baseline: fsRand,
      ratio: round(msgIops1 / base.randBaseline, 4),
      higherIsBetter: true,
    },
  ];
}
