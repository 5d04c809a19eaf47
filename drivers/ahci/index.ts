// ahci: a driver for an AHCI host bus adapter with a SATA disk on port 0, offered to other programs
// as the "blk" service (docs/block-protocol.md), like drivers/virtio-blk and drivers/nvme.
// docs/ahci.md says what the HBA emulates.
//
// An AHCI HBA (the ABAR, an MMIO window) has a few registers for the whole adapter and a block of
// registers per SATA port:
//
//   CAP, GHC, IS, PI   what the HBA can do (command slots, NCQ, 64-bit), its switches (AE: AHCI mode,
//                      IE: interrupts, HR: reset), which ports interrupted, which ports exist
//   PxCLB, PxFB        where the port's command list and received-FIS area are in our memory
//   PxCMD              ST starts the command list engine, FRE the FIS receive engine (CR, FR follow)
//   PxIS, PxIE         what happened (a D2H FIS arrived, a task-file error…) and which of it interrupts
//   PxTFD              the disk's ATA status and error registers, as its last FIS left them
//   PxCI               "slot n holds a command": we set bits, the HBA clears each when it is done
//
// A command lives in our memory, in three pieces the HBA reads by DMA:
//
//   command header   32 bytes in the command list (slot n at CLB + 32n): FIS length, write or read,
//                    how many PRD entries, and the address of the command table
//   command table    the command FIS (a register host-to-device FIS: ATA command, LBA, count),
//                    then the PRDT: address + byte count entries saying where the data goes
//   received FIS     the HBA writes the disk's answer there (a D2H register FIS: status, error)
//
// We use 32 slots, each with its own table; every request from a client (a message READ/WRITE of
// ≤ 4 KiB through a bounce buffer, or a bulk transfer straight into a client's lent buffer) becomes
// a READ DMA EXT, WRITE DMA EXT or FLUSH CACHE EXT in a free slot. We issue every new slot with one
// PxCI write; the HBA works through them and interrupts; a slot whose CI bit is clear is done. If
// the disk reports an error (PxIS.TFES) or the HBA could not reach memory (PxIS.HBFS), the port
// stops: PxCMD.CCS names the failed slot, which we fail; we restart the port (ST off, then on) and
// issue the remaining slots again. Jobs wait in a backlog until a slot is free.

import {
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

// Registers (AHCI 1.3.1 §3): the HBA's, then port 0's at 0x100.
const CAP = 0x00;
const GHC = 0x04;
const PI = 0x0c;
const P0 = 0x100;
const PxCLB = P0 + 0x00;
const PxCLBU = P0 + 0x04;
const PxFB = P0 + 0x08;
const PxFBU = P0 + 0x0c;
const PxIS = P0 + 0x10;
const PxIE = P0 + 0x14;
const PxCMD = P0 + 0x18;
const PxTFD = P0 + 0x20;
const PxSIG = P0 + 0x24;
const PxSSTS = P0 + 0x28;
const PxSERR = P0 + 0x30;
const PxCI = P0 + 0x38;
const GHC_HR = 1 << 0;
const GHC_IE = 1 << 1;
const GHC_AE = 1 << 31;
const CMD_ST = 1 << 0;
const CMD_FRE = 1 << 4;
const CMD_FR = 1 << 14;
const CMD_CR = 1 << 15;
const IS_DHRS = 1 << 0;
const IS_PSS = 1 << 1;
const IS_HBFS = 1 << 29;
const IS_TFES = 1 << 30;
const IS_ERRORS = (1 << 24) | (1 << 27) | (1 << 28) | IS_HBFS | IS_TFES;
const TFD_BUSY = 0x88; // BSY | DRQ
const ERR_ABRT = 0x04;
const ERR_IDNF = 0x10;
const SIG_ATA = 0x101;

// ATA commands (ACS-3) and the FIS that carries them.
const ATA_IDENTIFY = 0xec;
const ATA_READ_DMA_EXT = 0x25;
const ATA_WRITE_DMA_EXT = 0x35;
const ATA_FLUSH_CACHE_EXT = 0xea;
const FIS_REG_H2D = 0x27;

const SLOTS = 32;
const TABLE_BYTES = 256; // the command FIS at 0, one PRD entry at 0x80 (tables are 128-byte aligned)
const BOUNCE_BYTES = BLK_MAX_READ_SECTORS * BLK_SECTOR_SIZE;
/** One PRD entry moves at most 4 MiB; our transfers (≤ 1 MiB, contiguous) need one. */
const MAX_BULK_SECTORS = 2048;
const TIMEOUT_US = 100_000;

// DMA layout: command list (1 KiB aligned), received FIS area, IDENTIFY data, 32 command tables,
// 32 bounce buffers.
const CMD_LIST_AT = 0;
const RX_FIS_AT = 0x400;
const IDENTIFY_AT = 0x800;
const TABLES_AT = 0x1000;
const BOUNCE_AT = TABLES_AT + SLOTS * TABLE_BYTES;
const DMA_BYTES = BOUNCE_AT + SLOTS * BOUNCE_BYTES;

/** One ATA command to run for a client: what, where its data is, and whom to tell. */
interface Job {
  readonly command: number;
  readonly lba: number;
  /** Absent for FLUSH. `phys` in a lent buffer (bulk), else the slot's bounce buffer, filled from `fill`. */
  readonly data?: { readonly bytes: number; readonly phys?: number; readonly fill?: Uint8Array; readonly toDisk: boolean };
  /** Called with 0 on success or the ATA error register, and the bounce buffer's offset. */
  done(error: number, bounce: number): void;
}

/** Everything the handlers need (xv6 keeps this in `disk`). */
interface Port {
  readonly regs: MmioRegion;
  readonly irq: Irq;
  readonly mem: DmaBuffer;
  readonly info: BlockInfo;
  readonly buffers: LentBuffers;
  readonly freeSlots: number[];
  readonly backlog: Job[];
  /** By slot: jobs the HBA holds. */
  readonly inFlight: Map<number, Job>;
  /** Slots written since the last PxCI write. */
  fresh: number;
  /** Where the next slot is looked for. */
  cursor: number;
  debug(text: string): void;
}

class AhciFailure extends Error {}

export default defineDriver({
  name: "ahci",
  device: { type: "ahci" },
  caps: {
    // Generic host control and port 0's registers.
    regs: mmio({ size: 0x180 }),
    irq: irq(),
    mem: dma({ size: DMA_BYTES }),
    blk: serve("blk"),
  },
  main({ regs, irq, mem, blk }, sys) {
    // Reset the HBA, enter AHCI mode (§10.4.3, §10.1.2).
    regs.write32(GHC, GHC_HR);
    while (regs.read32(GHC) & GHC_HR) sys.yield();
    regs.write32(GHC, GHC_AE);
    if ((regs.read32(PI) & 1) === 0) throw new AhciFailure("port 0 is not implemented (PI bit 0 = 0)");
    const slots = ((regs.read32(CAP) >>> 8) & 0x1f) + 1;
    if (slots < SLOTS) throw new AhciFailure(`the HBA has ${slots} command slots; this driver uses ${SLOTS}`);
    // The port must be idle before its memory is given: ST, CR, FRE, FR all 0.
    stopPort(regs, () => sys.yield());
    regs.write32(PxCLB, mem.physAt(CMD_LIST_AT));
    regs.write32(PxCLBU, 0);
    regs.write32(PxFB, mem.physAt(RX_FIS_AT));
    regs.write32(PxFBU, 0);
    regs.write32(PxCMD, CMD_FRE);
    if ((regs.read32(PxSSTS) & 0xf) !== 3) throw new AhciFailure("no disk on port 0 (PxSSTS.DET is not 3)");
    if (regs.read32(PxSIG) !== SIG_ATA) throw new AhciFailure(`port 0's device is not an ATA disk (signature 0x${regs.read32(PxSIG).toString(16)})`);
    regs.write32(PxSERR, 0xffff_ffff);
    regs.write32(PxIS, 0xffff_ffff);
    regs.write32(PxIE, IS_DHRS | IS_PSS | IS_ERRORS);
    startPort(regs, () => sys.yield());
    regs.write32(GHC, GHC_AE | GHC_IE);

    // IDENTIFY DEVICE in slot 0: words 83 (48-bit LBA, FLUSH CACHE EXT) and 100–103 (capacity).
    const p0: Port = { regs, irq, mem, info: { sectors: 0, readOnly: false, flush: true }, buffers: new LentBuffers(sys), freeSlots: [], backlog: [], inFlight: new Map(), fresh: 0, cursor: 1, debug: (line) => sys.debug(line) };
    writeCommand(p0, 0, ATA_IDENTIFY, 0, { bytes: 512, phys: mem.physAt(IDENTIFY_AT), toDisk: false });
    regs.write32(PxCI, 1);
    while (regs.read32(PxCI) & 1) {
      const interrupted = irq.wait({ timeoutUs: TIMEOUT_US });
      const status = regs.read32(PxIS);
      if (status & IS_ERRORS) throw new AhciFailure(`IDENTIFY DEVICE failed: PxIS 0x${status.toString(16)}, PxTFD 0x${regs.read32(PxTFD).toString(16)}`);
      regs.write32(PxIS, status);
      if (interrupted) irq.ack();
    }
    if ((mem.getU16(IDENTIFY_AT + 2 * 83) & (1 << 10)) === 0) throw new AhciFailure("the disk does not support 48-bit LBA (IDENTIFY word 83 bit 10)");
    const sectors = Number(mem.getU64(IDENTIFY_AT + 2 * 100));
    const model = ataString(mem, IDENTIFY_AT + 2 * 27, 20);

    const p: Port = { ...p0, info: { sectors, readOnly: false, flush: true, bulk: true }, freeSlots: [...Array(SLOTS).keys()].reverse() };
    blk.ready();
    sys.debug(`ahci: ready, "${model}", ${sectors} sectors, ${SLOTS} command slots`);

    for (;;) {
      // Sleep on the endpoint only when the HBA has nothing of ours; otherwise take whatever
      // requests are already waiting, as long as a slot is free.
      if (p.inFlight.size === 0 && p.backlog.length === 0) handleRequest(p, blk.receive());
      for (;;) {
        startBacklog(p);
        if (p.backlog.length > 0) break;
        const req = blk.poll();
        if (!req) break;
        handleRequest(p, req);
      }
      // One PxCI write issues every slot filled since the last one.
      if (p.fresh !== 0) {
        regs.write32(PxCI, p.fresh);
        p.fresh = 0;
      }
      if (p.inFlight.size > 0) collectCompletions(p, () => sys.yield());
    }
  },
});

/** Answer a request at once, or turn it into jobs for the HBA. */
function handleRequest(p: Port, req: Request): void {
  switch (req.tag) {
    case BlkTag.ATTACH: {
      const refused = p.buffers.attach(req);
      if (refused !== undefined) {
        p.debug(`ahci: ATTACH from pid ${req.sender} refused: ${refused}`);
        req.reply(BlkTag.ERROR, blockError(BlkError.INVALID));
      }
      return;
    }
    case BlkTag.DETACH: {
      const known = req.payload.length === 4 && p.buffers.detach(req.sender, new Reader(req.payload).u32());
      req.reply(known ? BlkTag.DONE : BlkTag.ERROR, known ? undefined : blockError(BlkError.BUFFER));
      return;
    }
    case BlkTag.BATCH:
      return startBatch(p, req);
  }
  const request = decodeBlockRequest(req.tag, req.payload, p.info);
  switch (request.kind) {
    case "info":
      req.reply(BlkTag.INFO_REPLY, blockInfoPayload(p.info));
      return;
    case "refused":
      req.reply(BlkTag.ERROR, blockError(request.error));
      return;
    case "read": {
      const bytes = request.count * BLK_SECTOR_SIZE;
      p.backlog.push({
        command: ATA_READ_DMA_EXT,
        lba: request.sector,
        data: { bytes, toDisk: false },
        done: (error, bounce) => (error === 0 ? req.reply(BlkTag.DATA, p.mem.read(bounce, bytes)) : replyFailed(req, error)),
      });
      return;
    }
    case "write":
      p.backlog.push({ command: ATA_WRITE_DMA_EXT, lba: request.sector, data: { bytes: request.data.length, fill: request.data, toDisk: true }, done: (error) => replyDone(req, error) });
      return;
    case "flush":
      p.backlog.push({ command: ATA_FLUSH_CACHE_EXT, lba: 0, done: (error) => replyDone(req, error) });
      return;
  }
}

/** A BATCH: one job per good entry, one reply when the last of them is done. */
function startBatch(p: Port, req: Request): void {
  const batch = decodeBatch(req.payload, p.info, p.buffers, req.sender);
  if (batch.kind === "refused") {
    p.debug(`ahci: BATCH from pid ${req.sender} refused: ${batch.reason}`);
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
    if (entry.sectors > MAX_BULK_SECTORS) throw new AhciFailure(`a bulk transfer of ${entry.sectors} sectors is more than one PRD entry moves`);
    p.backlog.push({
      command: entry.kind === "read" ? ATA_READ_DMA_EXT : ATA_WRITE_DMA_EXT,
      lba: entry.sector,
      data: { bytes: entry.sectors * BLK_SECTOR_SIZE, phys: entry.phys, toDisk: entry.kind === "write" },
      done: (error) => {
        statuses[i] = blkStatus(error);
        if (--remaining === 0) req.reply(BlkTag.BATCH_DONE, batchDonePayload(statuses));
      },
    });
  });
}

/** Put waiting jobs into free slots, in order. */
function startBacklog(p: Port): void {
  while (p.backlog.length > 0 && p.freeSlots.length > 0) {
    const job = p.backlog.shift() as Job;
    const slot = takeSlot(p);
    if (job.data?.fill) p.mem.write(bounceAt(slot), job.data.fill);
    const data = job.data && { ...job.data, phys: job.data.phys ?? p.mem.physAt(bounceAt(slot)) };
    writeCommand(p, slot, job.command, job.lba, data);
    p.inFlight.set(slot, job);
    p.fresh |= 1 << slot;
  }
}

/** The first free slot from the one after the last we took, wrapping: the HBA takes issued slots
 *  in the same turn (from PxCMD.CCS + 1), so commands run in the order clients sent them. */
function takeSlot(p: Port): number {
  for (let i = 0; i < SLOTS; i++) {
    const slot = (p.cursor + i) % SLOTS;
    const at = p.freeSlots.indexOf(slot);
    if (at < 0) continue;
    p.freeSlots.splice(at, 1);
    p.cursor = (slot + 1) % SLOTS;
    return slot;
  }
  throw new AhciFailure("no free command slot"); // startBacklog checks first
}

/** Fill slot `slot`'s command header and table: a register H2D FIS and at most one PRD entry. */
function writeCommand(p: { mem: DmaBuffer }, slot: number, command: number, lba: number, data?: { bytes: number; phys?: number; toDisk: boolean }): void {
  const { mem } = p;
  const table = TABLES_AT + slot * TABLE_BYTES;
  mem.bytes.fill(0, table, table + TABLE_BYTES);
  mem.setU8(table, FIS_REG_H2D);
  mem.setU8(table + 1, 0x80); // C = 1: this FIS carries a command
  mem.setU8(table + 2, command);
  const sectors = data ? data.bytes / BLK_SECTOR_SIZE : 0;
  if (command !== ATA_IDENTIFY && command !== ATA_FLUSH_CACHE_EXT) {
    for (let i = 0; i < 3; i++) mem.setU8(table + 4 + i, Math.floor(lba / 2 ** (8 * i)) & 0xff);
    mem.setU8(table + 7, 0x40); // device: LBA mode
    for (let i = 0; i < 3; i++) mem.setU8(table + 8 + i, Math.floor(lba / 2 ** (8 * (i + 3))) & 0xff);
    mem.setU16(table + 12, sectors & 0xffff);
  }
  if (data) {
    mem.setU64(table + 0x80, BigInt(data.phys as number));
    mem.setU32(table + 0x8c, data.bytes - 1); // DBC, 0's based
  }
  const header = CMD_LIST_AT + slot * 32;
  // CFL = 5 dwords (a 20-byte register FIS), W when the data goes to the disk, PRDTL.
  mem.setU32(header, 5 | (data?.toDisk ? 1 << 6 : 0) | ((data ? 1 : 0) << 16));
  mem.setU32(header + 4, 0); // PRDBC: the HBA writes the bytes it moved
  mem.setU64(header + 8, BigInt(mem.physAt(table)));
}

/** Sleep until the HBA interrupts, then finish every slot it completed; recover from an error. */
function collectCompletions(p: Port, yieldNow: () => void): void {
  const interrupted = p.irq.wait({ timeoutUs: TIMEOUT_US });
  const status = p.regs.read32(PxIS);
  // Clearing PxIS lowers the (level-triggered) line; only then ack.
  p.regs.write32(PxIS, status);
  if (interrupted) p.irq.ack();
  const ci = p.regs.read32(PxCI);
  let failed: number | undefined;
  if (status & (IS_TFES | IS_HBFS)) failed = (p.regs.read32(PxCMD) >>> 8) & 0x1f;
  const error = failed === undefined ? 0 : (p.regs.read32(PxTFD) >>> 8) & 0xff || ERR_ABRT;
  for (const [slot, job] of [...p.inFlight]) {
    if (slot !== failed && ci & (1 << slot)) continue;
    p.inFlight.delete(slot);
    p.freeSlots.push(slot);
    job.done(slot === failed ? error : 0, bounceAt(slot));
  }
  if (failed === undefined) return;
  p.debug(`ahci: slot ${failed} failed (PxIS 0x${status.toString(16)}, PxTFD 0x${p.regs.read32(PxTFD).toString(16)}); restarting the port`);
  // Error recovery (§6.2.2.1): stop the port (which drops PxCI), clear the errors, start it again
  // and issue the slots that had not run.
  p.regs.write32(PxCMD, CMD_FRE);
  while (p.regs.read32(PxCMD) & CMD_CR) yieldNow();
  p.regs.write32(PxSERR, 0xffff_ffff);
  p.regs.write32(PxIS, 0xffff_ffff);
  startPort(p.regs, yieldNow);
  let again = 0;
  for (const slot of p.inFlight.keys()) again |= 1 << slot;
  if (again !== 0) p.regs.write32(PxCI, again);
}

/** ST and FRE off, and wait until the engines say they stopped (CR, FR). */
function stopPort(regs: MmioRegion, yieldNow: () => void): void {
  regs.write32(PxCMD, regs.read32(PxCMD) & ~CMD_ST);
  while (regs.read32(PxCMD) & CMD_CR) yieldNow();
  regs.write32(PxCMD, regs.read32(PxCMD) & ~CMD_FRE);
  while (regs.read32(PxCMD) & CMD_FR) yieldNow();
}

/** ST on, once the disk is not busy (PxTFD BSY and DRQ clear) and FRE is on. */
function startPort(regs: MmioRegion, yieldNow: () => void): void {
  while (regs.read32(PxTFD) & TFD_BUSY) yieldNow();
  regs.write32(PxCMD, CMD_FRE | CMD_ST);
}

const bounceAt = (slot: number): number => BOUNCE_AT + BOUNCE_BYTES * slot;

/** An IDENTIFY string: two characters per word, the first in the high byte. */
function ataString(mem: DmaBuffer, at: number, words: number): string {
  let text = "";
  for (let i = 0; i < words; i++) {
    const w = mem.getU16(at + 2 * i);
    text += String.fromCharCode(w >> 8, w & 0xff);
  }
  return text.trim();
}

/** The protocol's status for an ATA error register: 0 for success, else a BlkError. */
function blkStatus(error: number): number {
  if (error === 0) return 0;
  if (error & ERR_IDNF) return BlkError.RANGE;
  return BlkError.IO;
}

function replyFailed(req: Request, error: number): void {
  req.reply(BlkTag.ERROR, blockError(blkStatus(error)));
}

function replyDone(req: Request, error: number): void {
  if (error === 0) req.reply(BlkTag.DONE);
  else replyFailed(req, error);
}
