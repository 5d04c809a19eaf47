// An NVMe controller on its own MMIO bus over a disk the test controls, with a driver's DMA pages:
// helpers that set the controller up and submit commands the way a driver would (or deliberately not).

import {
  GuestMemory,
  InterruptLines,
  IommuView,
  MmioBus,
  NvmeController,
  VirtualClock,
  type BlockStore,
  type DeviceEvent,
  type DmaRegion,
  type NvmeOptions,
} from "../../../devices";
import { CountingDisk } from "./blk-rig";

export const IRQ = 10;
export const READY_NS = 20_000;
export const ADMIN_NS = 2_000;
export const IO_NS = 10_000;
export const R = {
  CAP: 0x00,
  VS: 0x08,
  INTMS: 0x0c,
  INTMC: 0x10,
  CC: 0x14,
  CSTS: 0x1c,
  AQA: 0x24,
  ASQ: 0x28,
  ACQ: 0x30,
} as const;
/** CC with IOSQES = 6, IOCQES = 4 and EN. */
export const CC_READY = (6 << 16) | (4 << 20) | 1;
export const OP = {
  deleteSq: 0x00,
  createSq: 0x01,
  getLogPage: 0x02,
  deleteCq: 0x04,
  createCq: 0x05,
  identify: 0x06,
  abort: 0x08,
  setFeatures: 0x09,
  getFeatures: 0x0a,
  aer: 0x0c,
  flush: 0x00,
  write: 0x01,
  read: 0x02,
} as const;

/** Page offsets in the driver's DMA region. */
export const PAGE = 4096;
export const ASQ_PAGE = 0;
export const ACQ_PAGE = 1;
export const DATA_PAGE = 8;

export interface Cqe {
  dw0: number;
  sqhd: number;
  sqid: number;
  cid: number;
  phase: number;
  sct: number;
  sc: number;
  dnr: boolean;
}

export interface SqeFields {
  opcode: number;
  cid?: number;
  nsid?: number;
  prp1?: number | bigint;
  prp2?: number | bigint;
  cdw10?: number;
  cdw11?: number;
  cdw12?: number;
  /** Raw CDW0 bits above the opcode (FUSE, PSDT) for malformed commands. */
  flags?: number;
}

export class NvmeRig {
  readonly clock = new VirtualClock();
  readonly lines = new InterruptLines();
  readonly events: DeviceEvent[] = [];
  readonly memory = new GuestMemory({ base: 0x4000_0000, size: 0x100_0000 });
  readonly region: DmaRegion;
  readonly bus = new MmioBus();
  readonly nvme: NvmeController;
  readonly disk: BlockStore & { flushes?: number };
  /** Per queue: next SQ slot, entries, and the CQ reader's head and expected phase. */
  private readonly sq = new Map<number, { base: number; size: number; tail: number; cqid: number }>();
  private readonly cq = new Map<number, { base: number; size: number; head: number; phase: number }>();
  private nextCid = 1;

  constructor(options: { disk?: BlockStore & { flushes?: number }; pages?: number; nvme?: Partial<NvmeOptions> } = {}) {
    this.disk = options.disk ?? new CountingDisk(2048);
    this.nvme = new NvmeController({
      name: "nvme0",
      disk: this.disk,
      irq: this.lines.line(IRQ),
      clock: this.clock,
      emit: (e) => this.events.push(e),
      readyNs: READY_NS,
      adminLatencyNs: ADMIN_NS,
      requestLatencyNs: IO_NS,
      transferNsPerKiB: 0,
      ...options.nvme,
    });
    this.region = this.memory.allocateDma((options.pages ?? 600) * PAGE);
    this.nvme.setIommuView(new IommuView([this.region]));
    this.bus.map("nvme0", 0, 0x2000, this.nvme);
  }

  phys(page: number, offset = 0): number {
    return this.region.phys + page * PAGE + offset;
  }

  read32(offset: number): number {
    return Number(this.bus.read(offset, 4));
  }

  write32(offset: number, value: number): void {
    this.bus.write(offset, 4, value);
  }

  read64(offset: number): bigint {
    return BigInt(this.bus.read(offset, 8));
  }

  write64(offset: number, value: number | bigint): void {
    this.bus.write(offset, 8, BigInt(value));
  }

  irq(): boolean {
    return this.lines.level(IRQ);
  }

  errors(): string[] {
    return this.events.filter((e) => e.kind === "driver-error").map((e) => (e as { message: string }).message);
  }

  bytes(addr: number, len: number): Uint8Array {
    return new Uint8Array(this.region.buffer, addr - this.region.phys, len);
  }

  view(): DataView {
    return new DataView(this.region.buffer);
  }

  /** Program the admin queues (`entries` each), enable, and wait for CSTS.RDY. */
  enable(entries = 16, cc = CC_READY): void {
    this.write32(R.AQA, ((entries - 1) << 16) | (entries - 1));
    this.write64(R.ASQ, this.phys(ASQ_PAGE));
    this.write64(R.ACQ, this.phys(ACQ_PAGE));
    this.write32(R.CC, cc);
    this.clock.advance(READY_NS);
    this.sq.set(0, { base: this.phys(ASQ_PAGE), size: entries, tail: 0, cqid: 0 });
    this.cq.set(0, { base: this.phys(ACQ_PAGE), size: entries, head: 0, phase: 1 });
  }

  doorbell(qid: number, completion: boolean, value: number): void {
    this.write32(0x1000 + (2 * qid + (completion ? 1 : 0)) * this.nvme.doorbellStride, value);
  }

  /** Write a command into SQ `qid` without ringing; returns its CID. */
  place(qid: number, f: SqeFields): number {
    const q = this.sq.get(qid);
    if (!q) throw new Error(`test rig: no SQ ${qid}`);
    const cid = f.cid ?? this.nextCid++ & 0xffff;
    const at = q.base + q.tail * 64 - this.region.phys;
    const v = this.view();
    new Uint8Array(this.region.buffer, at, 64).fill(0);
    v.setUint32(at, ((cid << 16) | ((f.flags ?? 0) << 8) | f.opcode) >>> 0, true);
    v.setUint32(at + 4, f.nsid ?? 0, true);
    v.setBigUint64(at + 24, BigInt(f.prp1 ?? 0), true);
    v.setBigUint64(at + 32, BigInt(f.prp2 ?? 0), true);
    v.setUint32(at + 40, (f.cdw10 ?? 0) >>> 0, true);
    v.setUint32(at + 44, (f.cdw11 ?? 0) >>> 0, true);
    v.setUint32(at + 48, (f.cdw12 ?? 0) >>> 0, true);
    q.tail = (q.tail + 1) % q.size;
    return cid;
  }

  ring(qid: number): void {
    const q = this.sq.get(qid);
    if (!q) throw new Error(`test rig: no SQ ${qid}`);
    this.doorbell(qid, false, q.tail);
  }

  /** Completions with the expected phase in CQ `cqid`, consumed (head doorbell rung once). */
  reap(cqid: number, ring = true): Cqe[] {
    const q = this.cq.get(cqid);
    if (!q) throw new Error(`test rig: no CQ ${cqid}`);
    const out: Cqe[] = [];
    const v = this.view();
    for (;;) {
      const at = q.base + q.head * 16 - this.region.phys;
      const dw3 = v.getUint32(at + 12, true);
      if (((dw3 >>> 16) & 1) !== q.phase) break;
      out.push({
        dw0: v.getUint32(at, true),
        sqhd: v.getUint16(at + 8, true),
        sqid: v.getUint16(at + 10, true),
        cid: dw3 & 0xffff,
        phase: (dw3 >>> 16) & 1,
        sc: (dw3 >>> 17) & 0xff,
        sct: (dw3 >>> 25) & 0x7,
        dnr: dw3 >>> 31 === 1,
      });
      q.head = (q.head + 1) % q.size;
      if (q.head === 0) q.phase ^= 1;
    }
    if (ring && out.length > 0) this.doorbell(cqid, true, q.head);
    return out;
  }

  /** Submit one command, let it complete, return its completion. */
  run(qid: number, f: SqeFields, cqid = this.sq.get(qid)?.cqid ?? 0): Cqe {
    const cid = this.place(qid, f);
    this.ring(qid);
    this.clock.advance(qid === 0 ? ADMIN_NS : IO_NS);
    const got = this.reap(cqid);
    const mine = got.find((c) => c.cid === cid);
    if (!mine) throw new Error(`test rig: no completion for CID ${cid} (got ${JSON.stringify(got)})`);
    return mine;
  }

  admin(f: SqeFields): Cqe {
    return this.run(0, f);
  }

  /** Create CQ `id` and SQ `id` (pages picked from `page`), `entries` each. */
  createPair(id: number, entries: number, page: number, cqFlags = 0b11): void {
    const cqBytes = entries * 16;
    const cqPage = page;
    const sqPage = page + Math.ceil(cqBytes / PAGE);
    expectOk(
      this.admin({ opcode: OP.createCq, prp1: this.phys(cqPage), cdw10: ((entries - 1) << 16) | id, cdw11: cqFlags }),
    );
    expectOk(
      this.admin({
        opcode: OP.createSq,
        prp1: this.phys(sqPage),
        cdw10: ((entries - 1) << 16) | id,
        cdw11: (id << 16) | 1,
      }),
    );
    this.cq.set(id, { base: this.phys(cqPage), size: entries, head: 0, phase: 1 });
    this.sq.set(id, { base: this.phys(sqPage), size: entries, tail: 0, cqid: id });
  }

  /** Enable with admin queues, then create I/O queue pair 1 of `entries`. */
  ready(entries = 64): this {
    this.enable();
    this.createPair(1, entries, 2);
    return this;
  }
}

export function expectOk(c: Cqe): Cqe {
  if (c.sct !== 0 || c.sc !== 0) throw new Error(`expected success, got SCT ${c.sct} SC 0x${c.sc.toString(16)}`);
  return c;
}

/** [SCT, SC] of a completion. */
export function statusOf(c: Cqe): [number, number] {
  return [c.sct, c.sc];
}

export function pattern(seed: number, bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++) out[i] = (seed * 31 + i * 7 + (i >> 9)) & 0xff;
  return out;
}
