// nvme: a driver for an NVM Express controller, offered to other programs as the "blk" service
// (docs/block-protocol.md), like drivers/virtio-blk. docs/nvme.md says what the controller emulates.
//
// An NVMe controller is driven through queues in our memory, not through registers. The registers
// (an MMIO window) only set the controller up and ring doorbells:
//
//   CAP    what the controller can do: largest queue (MQES), doorbell stride (DSTRD), timeout (TO)
//   CC     our configuration; CC.EN = 1 starts the controller, and CSTS.RDY = 1 says it started
//   AQA, ASQ, ACQ   size and address of the admin queue pair, which exists as soon as it starts
//   doorbells from 0x1000: "queue y's submission tail is now t", "I consumed its completions to h"
//
// A queue pair is two rings of fixed-size entries:
//
//   submission queue   64-byte commands we write: opcode, command ID, namespace, PRP1/PRP2 (where the
//                      data is), command dwords 10–15 (for READ/WRITE: the LBA and block count)
//   completion queue   16-byte entries the controller writes: command ID, status, and a phase bit
//                      that flips on every pass round the ring, so a new entry is told from an old one
//
// The admin pair carries setup commands (IDENTIFY, SET FEATURES, CREATE I/O … QUEUE); we run them one
// at a time. Then one I/O pair carries READ, WRITE and FLUSH, with up to 128 commands in flight: the
// controller takes every command we wrote when we ring the tail doorbell once, and one interrupt may
// report many completions. Each command's data is named by PRPs: PRP1 is the first page, PRP2 the
// second page or, for more than two pages, the address of a list of page addresses (one per slot).
//
// Requests arrive by both paths of the block protocol, exactly as in drivers/virtio-blk: messages
// (≤ 4 KiB, through a bounce buffer here) and the bulk path (a client lends a DMA buffer and sends a
// BATCH; the controller moves the sectors straight between the disk and that buffer). Each becomes a
// Job; jobs wait in a backlog until a slot (a command ID, a PRP list) is free.

import {
  BLK_MAX_BULK_SECTORS,
  BLK_MAX_READ_SECTORS,
  BLK_SECTOR_SIZE,
  BlkError,
  BlkTag,
  LentBuffers,
  Reader,
  batchDonePayload,
  blockError,
  blockInfoPayload,
  decodeBatch,
  decodeBlockRequest,
  defineDriver,
  dma,
  irq,
  mmio,
  serve,
  type BlockInfo,
  type DmaBuffer,
  type Irq,
  type MmioRegion,
  type Request,
} from "@zds/sdk";

// Controller registers (NVMe Base 2.0 §3.1.3).
const CAP = 0x00;
const CC = 0x14;
const CSTS = 0x1c;
const AQA = 0x24;
const ASQ = 0x28;
const ACQ = 0x30;
const DOORBELLS = 0x1000;
const CC_EN = 1;
const CC_IOSQES_64 = 6 << 16; // 2^6-byte submission entries
const CC_IOCQES_16 = 4 << 20; // 2^4-byte completion entries
const CSTS_RDY = 1;
const CSTS_CFS = 2;

// Admin opcodes (§5) and NVM I/O opcodes (NVM Command Set §3).
const ADMIN_CREATE_SQ = 0x01;
const ADMIN_CREATE_CQ = 0x05;
const ADMIN_IDENTIFY = 0x06;
const ADMIN_SET_FEATURES = 0x09;
const FEATURE_NUMBER_OF_QUEUES = 0x07;
const IO_FLUSH = 0x00;
const IO_WRITE = 0x01;
const IO_READ = 0x02;
// Status codes we tell apart (§4.6.1.2): SCT 0, generic.
const SC_LBA_OUT_OF_RANGE = 0x80;
const SC_WRITE_PROTECTED = 0x20;

const PAGE = 4096;
const ADMIN_ENTRIES = 16;
const IO_ENTRIES = 256;
const SLOTS = 128;
const BOUNCES = 32;
const BOUNCE_BYTES = BLK_MAX_READ_SECTORS * BLK_SECTOR_SIZE;
/** A PRP list per slot: 1 MiB at any sector offset spans 257 pages, 256 of them in the list. */
const PRP_LIST_BYTES = 2048;

// DMA layout: admin SQ, admin CQ, the IDENTIFY buffer, the I/O SQ and CQ, the PRP lists, then the
// bounce buffers for message requests (bulk transfers use the client's buffer instead).
const ADMIN_SQ_AT = 0;
const ADMIN_CQ_AT = PAGE;
const IDENTIFY_AT = 2 * PAGE;
const IO_SQ_AT = 3 * PAGE;
const IO_CQ_AT = IO_SQ_AT + IO_ENTRIES * 64;
const PRP_LISTS_AT = IO_CQ_AT + IO_ENTRIES * 16;
const BOUNCE_AT = PRP_LISTS_AT + SLOTS * PRP_LIST_BYTES;
const DMA_BYTES = BOUNCE_AT + BOUNCES * BOUNCE_BYTES;

/** One NVMe command to make for a client: what, where its data is, and whom to tell. */
interface Job {
  readonly opcode: number;
  readonly lba: number;
  /** Absent for FLUSH. `phys` in a lent buffer (bulk), else a bounce buffer, filled from `fill`. */
  readonly data?: { readonly bytes: number; readonly phys?: number; readonly fill?: Uint8Array };
  /** Called with the NVMe status (0 = success) and the bounce buffer's offset, if it had one. */
  done(status: number, bounce: number | undefined): void;
}

/** One of the two queue pairs, as we drive it. */
interface QueuePair {
  readonly id: number;
  readonly sqAt: number;
  readonly cqAt: number;
  readonly entries: number;
  sqTail: number;
  /** The tail we last rang the doorbell with: commands between it and sqTail are not handed over yet. */
  rung: number;
  cqHead: number;
  /** The phase a new completion carries: 1 on the first pass, then flipped on every wrap. */
  phase: number;
}

/** What bringing the controller up needs. */
interface Setup {
  readonly regs: MmioRegion;
  readonly irq: Irq;
  readonly mem: DmaBuffer;
  /** Bytes between doorbells: 4 << CAP.DSTRD. */
  readonly stride: number;
  /** CAP.TO: how long the controller may take to become ready, or to answer (ns). */
  readonly timeoutNs: number;
  readonly admin: QueuePair;
  readonly io: QueuePair;
}

/** Everything the handlers need once the controller is up (xv6 keeps this in `disk`). */
interface Controller extends Setup {
  readonly info: BlockInfo;
  readonly buffers: LentBuffers;
  readonly freeSlots: number[];
  readonly freeBounces: number[];
  readonly backlog: Job[];
  /** By command ID (= slot). */
  readonly inFlight: Map<number, { job: Job; bounce: number | undefined }>;
  debug(text: string): void;
}

class NvmeFailure extends Error {}

export default defineDriver({
  name: "nvme",
  device: { type: "nvme" },
  caps: {
    // Registers and the doorbells of queue pairs 0 and 1 (4 bytes apart with CAP.DSTRD = 0).
    regs: mmio({ size: DOORBELLS + 4 * 4 }),
    irq: irq(),
    mem: dma({ size: DMA_BYTES }),
    blk: serve("blk"),
  },
  main({ regs, irq, mem, blk }, sys) {
    const cap = regs.read64(CAP);
    const stride = 4 << Number((cap >> 32n) & 0xfn);
    if (DOORBELLS + 4 * stride > regs.size) throw new NvmeFailure(`doorbell stride ${stride} reaches past our grant`);
    if (((cap >> 37n) & 1n) === 0n) throw new NvmeFailure("the controller does not offer the NVM command set");
    const maxEntries = Number(cap & 0xffffn) + 1;
    const pair = (id: number, sqAt: number, cqAt: number, entries: number): QueuePair => ({
      id, sqAt, cqAt, entries: Math.min(entries, maxEntries), sqTail: 0, rung: 0, cqHead: 0, phase: 1,
    });
    const admin = pair(0, ADMIN_SQ_AT, ADMIN_CQ_AT, ADMIN_ENTRIES);
    const io = pair(1, IO_SQ_AT, IO_CQ_AT, IO_ENTRIES);
    // Start the controller (§3.5.1): reset it, give it the admin queues and our configuration, set
    // CC.EN and wait for CSTS.RDY, for at most the CAP.TO it announced (units of 500 ms).
    const timeoutNs = Number((cap >> 24n) & 0xffn) * 500_000_000;
    const setup: Setup = { regs, irq, mem, stride, timeoutNs, admin, io };
    if (regs.read32(CC) & CC_EN) {
      regs.write32(CC, 0);
      waitReady(setup, false, sys.time);
    }
    regs.write32(AQA, ((admin.entries - 1) << 16) | (admin.entries - 1));
    regs.write64(ASQ, BigInt(mem.physAt(ADMIN_SQ_AT)));
    regs.write64(ACQ, BigInt(mem.physAt(ADMIN_CQ_AT)));
    regs.write32(CC, CC_IOSQES_64 | CC_IOCQES_16 | CC_EN);
    waitReady(setup, true, sys.time);

    // What the controller and namespace 1 are: MDTS limits one command's transfer (2^MDTS pages).
    adminCommand(setup, ADMIN_IDENTIFY, { cdw10: 1, prp1: mem.physAt(IDENTIFY_AT) });
    const mdts = mem.getU8(IDENTIFY_AT + 77);
    const model = text(mem, IDENTIFY_AT + 24, 40);
    adminCommand(setup, ADMIN_IDENTIFY, { nsid: 1, cdw10: 0, prp1: mem.physAt(IDENTIFY_AT) });
    const sectors = Number(mem.getU64(IDENTIFY_AT));
    const lbaFormat = mem.getU8(IDENTIFY_AT + 26) & 0xf;
    if (mem.getU8(IDENTIFY_AT + 128 + 4 * lbaFormat + 2) !== 9) throw new NvmeFailure("namespace 1 does not use 512-byte blocks");
    const readOnly = (mem.getU8(IDENTIFY_AT + 99) & 1) !== 0;

    // One I/O queue pair: ask for it (0's based counts), then create its completion queue (physically
    // contiguous, interrupts on) and its submission queue, which completes into it.
    adminCommand(setup, ADMIN_SET_FEATURES, { cdw10: FEATURE_NUMBER_OF_QUEUES, cdw11: 0 });
    adminCommand(setup, ADMIN_CREATE_CQ, { prp1: mem.physAt(IO_CQ_AT), cdw10: ((io.entries - 1) << 16) | io.id, cdw11: 0b11 });
    adminCommand(setup, ADMIN_CREATE_SQ, { prp1: mem.physAt(IO_SQ_AT), cdw10: ((io.entries - 1) << 16) | io.id, cdw11: (io.id << 16) | 1 });

    // The bulk path sends up to 1 MiB per command: offered when MDTS allows that (0 = no limit).
    const bulk = mdts === 0 || (1 << mdts) * PAGE >= BLK_MAX_BULK_SECTORS * BLK_SECTOR_SIZE;
    const c: Controller = {
      ...setup,
      info: { sectors, readOnly, flush: true, bulk },
      buffers: new LentBuffers(sys),
      freeSlots: [...Array(Math.min(SLOTS, io.entries - 1)).keys()].reverse(),
      freeBounces: [...Array(BOUNCES).keys()].reverse(),
      backlog: [],
      inFlight: new Map(),
      debug: (line) => sys.debug(line),
    };
    blk.ready();
    sys.debug(`nvme: ready, "${model}", ${sectors} sectors${readOnly ? " (read-only)" : ""}, I/O queue of ${io.entries}, ${c.freeSlots.length} commands in flight at most`);

    for (;;) {
      // Sleep on the endpoint only when the controller has nothing of ours; otherwise take whatever
      // requests are already waiting, as long as a slot is free.
      if (c.inFlight.size === 0 && c.backlog.length === 0) handleRequest(c, blk.receive());
      for (;;) {
        startBacklog(c);
        if (c.backlog.length > 0) break;
        const req = blk.poll();
        if (!req) break;
        handleRequest(c, req);
      }
      // One doorbell for every command written since the last one.
      ringSubmissions(c, io);
      if (c.inFlight.size > 0) collectCompletions(c);
    }
  },
});

/** Answer a request at once, or turn it into jobs for the controller. */
function handleRequest(c: Controller, req: Request): void {
  switch (req.tag) {
    case BlkTag.ATTACH: {
      const refused = c.buffers.attach(req);
      if (refused !== undefined) {
        c.debug(`nvme: ATTACH from pid ${req.sender} refused: ${refused}`);
        req.reply(BlkTag.ERROR, blockError(BlkError.INVALID));
      }
      return;
    }
    case BlkTag.DETACH: {
      const known = req.payload.length === 4 && c.buffers.detach(req.sender, new Reader(req.payload).u32());
      req.reply(known ? BlkTag.DONE : BlkTag.ERROR, known ? undefined : blockError(BlkError.BUFFER));
      return;
    }
    case BlkTag.BATCH:
      if (c.info.bulk) return startBatch(c, req);
  }
  const request = decodeBlockRequest(req.tag, req.payload, c.info);
  switch (request.kind) {
    case "info":
      req.reply(BlkTag.INFO_REPLY, blockInfoPayload(c.info));
      return;
    case "refused":
      req.reply(BlkTag.ERROR, blockError(request.error));
      return;
    case "read": {
      const bytes = request.count * BLK_SECTOR_SIZE;
      c.backlog.push({
        opcode: IO_READ,
        lba: request.sector,
        data: { bytes },
        done: (status, bounce) => (status === 0 ? req.reply(BlkTag.DATA, c.mem.read(bounce as number, bytes)) : replyFailed(req, status)),
      });
      return;
    }
    case "write":
      c.backlog.push({ opcode: IO_WRITE, lba: request.sector, data: { bytes: request.data.length, fill: request.data }, done: (status) => replyDone(req, status) });
      return;
    case "flush":
      c.backlog.push({ opcode: IO_FLUSH, lba: 0, done: (status) => replyDone(req, status) });
      return;
  }
}

/** A BATCH: one job per good entry, one reply when the last of them is done. */
function startBatch(c: Controller, req: Request): void {
  const batch = decodeBatch(req.payload, c.info, c.buffers, req.sender);
  if (batch.kind === "refused") {
    c.debug(`nvme: BATCH from pid ${req.sender} refused: ${batch.reason}`);
    req.reply(BlkTag.ERROR, blockError(BlkError.INVALID));
    return;
  }
  const statuses = batch.entries.map((e) => (e.kind === "refused" ? e.status : 0));
  let remaining = batch.entries.filter((e) => e.kind !== "refused").length;
  if (remaining === 0) {
    req.reply(BlkTag.BATCH_DONE, batchDonePayload(statuses));
    return;
  }
  batch.entries.forEach((entry, i) => {
    if (entry.kind === "refused") return;
    c.backlog.push({
      opcode: entry.kind === "read" ? IO_READ : IO_WRITE,
      lba: entry.sector,
      data: { bytes: entry.sectors * BLK_SECTOR_SIZE, phys: entry.phys },
      done: (status) => {
        statuses[i] = blkStatus(status);
        if (--remaining === 0) req.reply(BlkTag.BATCH_DONE, batchDonePayload(statuses));
      },
    });
  });
}

/** Give the controller waiting jobs, in order, while slots (and bounce buffers) are free. */
function startBacklog(c: Controller): void {
  for (;;) {
    const job = c.backlog[0];
    if (job === undefined || c.freeSlots.length === 0) return;
    const needsBounce = job.data !== undefined && job.data.phys === undefined;
    if (needsBounce && c.freeBounces.length === 0) return;
    c.backlog.shift();
    start(c, job, needsBounce ? c.freeBounces.pop() : undefined);
  }
}

/** Write the job's command into the I/O submission queue (the doorbell comes later). */
function start(c: Controller, job: Job, bounce: number | undefined): void {
  const slot = c.freeSlots.pop() as number; // startBacklog only starts a job when a slot is free
  let prp1 = 0;
  let prp2 = 0;
  let cdw12 = 0;
  if (job.data) {
    if (job.data.fill && bounce !== undefined) c.mem.write(bounceAt(bounce), job.data.fill);
    const phys = job.data.phys ?? c.mem.physAt(bounceAt(bounce as number));
    [prp1, prp2] = dataPointers(c, slot, phys, job.data.bytes);
    cdw12 = job.data.bytes / BLK_SECTOR_SIZE - 1; // NLB, 0's based
  }
  writeCommand(c, c.io, { opcode: job.opcode, cid: slot, nsid: 1, prp1, prp2, cdw10: job.lba % 2 ** 32, cdw11: Math.floor(job.lba / 2 ** 32), cdw12 });
  c.inFlight.set(slot, { job, bounce });
}

/** PRP1 and PRP2 for `bytes` of physically contiguous memory at `phys` (§4.3.1). */
function dataPointers(c: Controller, slot: number, phys: number, bytes: number): [number, number] {
  const firstPage = PAGE - (phys % PAGE);
  if (bytes <= firstPage) return [phys, 0];
  if (bytes <= firstPage + PAGE) return [phys, phys + firstPage];
  // More than two pages: PRP2 is a list of the pages after the first.
  const list = PRP_LISTS_AT + slot * PRP_LIST_BYTES;
  let n = 0;
  for (let page = phys + firstPage; page < phys + bytes; page += PAGE) c.mem.setU64(list + 8 * n++, BigInt(page));
  return [phys, c.mem.physAt(list)];
}

/** Sleep until the controller interrupts, then finish every I/O command it completed. */
function collectCompletions(c: Controller): void {
  const interrupted = waitForInterrupt(c);
  for (let done = nextCompletion(c, c.io); done; done = nextCompletion(c, c.io)) {
    const started = c.inFlight.get(done.cid);
    if (!started) throw new NvmeFailure(`the controller completed command ID ${done.cid}, which is not one of ours`);
    c.inFlight.delete(done.cid);
    started.job.done(done.status, started.bounce === undefined ? undefined : bounceAt(started.bounce));
    c.freeSlots.push(done.cid);
    if (started.bounce !== undefined) c.freeBounces.push(started.bounce);
  }
  // Telling the controller how far we consumed lowers its (level-triggered) line; only then ack.
  c.regs.write32(cqHeadDoorbell(c, c.io), c.io.cqHead);
  if (interrupted) c.irq.ack();
}

/** Run one admin command and wait for its completion; its DW0 if it succeeded. */
function adminCommand(c: Setup, opcode: number, f: { nsid?: number; prp1?: number; cdw10: number; cdw11?: number }): number {
  writeCommand(c, c.admin, { opcode, cid: 0, nsid: f.nsid ?? 0, prp1: f.prp1 ?? 0, prp2: 0, cdw10: f.cdw10, cdw11: f.cdw11 ?? 0, cdw12: 0 });
  ringSubmissions(c, c.admin);
  for (;;) {
    const interrupted = waitForInterrupt(c);
    const done = nextCompletion(c, c.admin);
    c.regs.write32(cqHeadDoorbell(c, c.admin), c.admin.cqHead);
    if (interrupted) c.irq.ack();
    if (!done) continue;
    if (done.status !== 0) throw new NvmeFailure(`admin command 0x${opcode.toString(16)} failed with status 0x${done.status.toString(16)}`);
    return done.dw0;
  }
}

/** Wait for the interrupt, for at most CAP.TO. A controller silent that long is asked why: CSTS.CFS
 *  means it gave up (it cannot post a completion to say so); otherwise the interrupt was lost and
 *  the completion queue is read anyway. False if no interrupt came (nothing to acknowledge). */
function waitForInterrupt(c: Setup): boolean {
  if (c.irq.wait({ timeoutUs: c.timeoutNs / 1000 })) return true;
  if (c.regs.read32(CSTS) & CSTS_CFS) throw new NvmeFailure("the controller reports a fatal error (CSTS.CFS); requests in flight are lost (see the device events)");
  return false;
}

/** A 64-byte command at the queue's tail. */
function writeCommand(
  c: { mem: DmaBuffer },
  q: QueuePair,
  f: { opcode: number; cid: number; nsid: number; prp1: number; prp2: number; cdw10: number; cdw11: number; cdw12: number },
): void {
  const at = q.sqAt + q.sqTail * 64;
  c.mem.bytes.fill(0, at, at + 64);
  c.mem.setU32(at, (f.cid << 16) | f.opcode);
  c.mem.setU32(at + 4, f.nsid);
  c.mem.setU64(at + 24, BigInt(f.prp1));
  c.mem.setU64(at + 32, BigInt(f.prp2));
  c.mem.setU32(at + 40, f.cdw10);
  c.mem.setU32(at + 44, f.cdw11);
  c.mem.setU32(at + 48, f.cdw12);
  q.sqTail = (q.sqTail + 1) % q.entries;
}

/** The completion at the queue's head if its phase says it is new; consumes it. Status: SCT << 8 | SC. */
function nextCompletion(c: { mem: DmaBuffer }, q: QueuePair): { cid: number; status: number; dw0: number } | undefined {
  const at = q.cqAt + q.cqHead * 16;
  const dw3 = c.mem.getU32(at + 12);
  if (((dw3 >>> 16) & 1) !== q.phase) return undefined;
  q.cqHead = (q.cqHead + 1) % q.entries;
  if (q.cqHead === 0) q.phase ^= 1;
  return { cid: dw3 & 0xffff, status: (dw3 >>> 17) & 0x7ff, dw0: c.mem.getU32(at) };
}

/** Hand the controller every command written since the last doorbell: the SQ tail doorbell. */
function ringSubmissions(c: Setup, q: QueuePair): void {
  if (q.sqTail === q.rung) return;
  c.regs.write32(DOORBELLS + 2 * q.id * c.stride, q.sqTail);
  q.rung = q.sqTail;
}

function cqHeadDoorbell(c: { stride: number }, q: QueuePair): number {
  return DOORBELLS + (2 * q.id + 1) * c.stride;
}

/** Poll CSTS until RDY is `ready`, for at most the controller's timeout (virtual time). */
function waitReady(c: Setup, ready: boolean, now: () => number): void {
  const deadline = now() + c.timeoutNs;
  for (;;) {
    const csts = c.regs.read32(CSTS);
    if (csts & CSTS_CFS) throw new NvmeFailure("the controller reports a fatal error (CSTS.CFS) while starting; see the device events");
    if (((csts & CSTS_RDY) !== 0) === ready) return;
    if (now() > deadline) throw new NvmeFailure(`CSTS.RDY did not become ${ready ? 1 : 0} within CAP.TO`);
  }
}

const bounceAt = (bounce: number): number => BOUNCE_AT + BOUNCE_BYTES * bounce;

function text(mem: DmaBuffer, at: number, length: number): string {
  return String.fromCharCode(...mem.bytes.subarray(at, at + length)).trim();
}

/** The protocol's status for an NVMe status: 0 for success, else a BlkError. */
function blkStatus(status: number): number {
  if (status === 0) return 0;
  if (status === SC_LBA_OUT_OF_RANGE) return BlkError.RANGE;
  if (status === SC_WRITE_PROTECTED) return BlkError.READ_ONLY;
  return BlkError.IO;
}

function replyFailed(req: Request, status: number): void {
  req.reply(BlkTag.ERROR, blockError(blkStatus(status)));
}

function replyDone(req: Request, status: number): void {
  if (status === 0) req.reply(BlkTag.DONE);
  else replyFailed(req, status);
}
