// An AHCI HBA on its own MMIO bus over a disk the test controls, with a driver's DMA pages: helpers
// that start port 0 and issue commands the way a driver would (or deliberately not).

import {
  AhciHba,
  GuestMemory,
  InterruptLines,
  IommuView,
  MmioBus,
  VirtualClock,
  type AhciOptions,
  type BlockStore,
  type DeviceEvent,
  type DmaRegion,
} from "../../../devices";
import { CountingDisk } from "./blk-rig";

export const IRQ = 9;
export const LATENCY_NS = 10_000;
export const PAGE = 4096;
export const CLB_PAGE = 0;
export const FB_PAGE = 1;
/** Slot n's command table at page TABLE_PAGE + n. */
export const TABLE_PAGE = 2;
export const DATA_PAGE = 40;
export const H = { CAP: 0x00, GHC: 0x04, IS: 0x08, PI: 0x0c, VS: 0x10 } as const;
export const P = {
  CLB: 0x100,
  CLBU: 0x104,
  FB: 0x108,
  FBU: 0x10c,
  IS: 0x110,
  IE: 0x114,
  CMD: 0x118,
  TFD: 0x120,
  SIG: 0x124,
  SSTS: 0x128,
  SCTL: 0x12c,
  SERR: 0x130,
  SACT: 0x134,
  CI: 0x138,
} as const;
export const IS = { DHRS: 1, PSS: 2, SDBS: 8, OFS: 1 << 24, HBFS: 1 << 29, TFES: 1 << 30 } as const;
export const CMD = { ST: 1, FRE: 1 << 4, FR: 1 << 14, CR: 1 << 15 } as const;
export const ATA = {
  identify: 0xec,
  readDmaExt: 0x25,
  writeDmaExt: 0x35,
  flushExt: 0xea,
  readFpdma: 0x60,
  writeFpdma: 0x61,
} as const;

export interface CommandFields {
  command: number;
  lba?: number;
  count?: number;
  /** [address, bytes] PRD entries. */
  prds?: [number, number][];
  write?: boolean;
  /** Overrides for malformed FISes. */
  fisType?: number;
  c?: boolean;
  /** NCQ: tag in the count field, sector count in the features fields. */
  ncqTag?: number;
}

export class AhciRig {
  readonly clock = new VirtualClock();
  readonly lines = new InterruptLines();
  readonly events: DeviceEvent[] = [];
  readonly memory = new GuestMemory({ base: 0x4000_0000, size: 0x100_0000 });
  readonly region: DmaRegion;
  readonly bus = new MmioBus();
  readonly hba: AhciHba;
  readonly disk: BlockStore & { flushes?: number };

  constructor(options: { disk?: BlockStore & { flushes?: number }; pages?: number; hba?: Partial<AhciOptions> } = {}) {
    this.disk = options.disk ?? new CountingDisk(2048);
    this.hba = new AhciHba({
      name: "ahci0",
      disk: this.disk,
      irq: this.lines.line(IRQ),
      clock: this.clock,
      emit: (e) => this.events.push(e),
      requestLatencyNs: LATENCY_NS,
      transferNsPerKiB: 0,
      ...options.hba,
    });
    this.region = this.memory.allocateDma((options.pages ?? 600) * PAGE);
    this.hba.setIommuView(new IommuView([this.region]));
    this.bus.map("ahci0", 0, 0x1100, this.hba);
  }

  phys(page: number, offset = 0): number {
    return this.region.phys + page * PAGE + offset;
  }

  read(offset: number): number {
    return Number(this.bus.read(offset, 4));
  }

  write(offset: number, value: number): void {
    this.bus.write(offset, 4, value >>> 0);
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

  /** CLB, FB, FRE, then ST; every interrupt enabled, GHC.IE on. */
  start(): this {
    this.write(P.CLB, this.phys(CLB_PAGE));
    this.write(P.CLBU, 0);
    this.write(P.FB, this.phys(FB_PAGE));
    this.write(P.FBU, 0);
    this.write(P.CMD, CMD.FRE);
    this.write(P.IE, 0xffff_ffff);
    this.write(P.CMD, CMD.FRE | CMD.ST);
    this.write(H.GHC, (1 << 31) | 2);
    return this;
  }

  /** Write slot `slot`'s header and table (the CI write is separate). */
  place(slot: number, f: CommandFields): void {
    const v = this.view();
    const table = (TABLE_PAGE + slot) * PAGE;
    new Uint8Array(this.region.buffer, table, PAGE).fill(0);
    const lba = f.lba ?? 0;
    v.setUint8(table, f.fisType ?? 0x27);
    v.setUint8(table + 1, f.c === false ? 0 : 0x80);
    v.setUint8(table + 2, f.command);
    for (let i = 0; i < 3; i++) v.setUint8(table + 4 + i, Math.floor(lba / 2 ** (8 * i)) & 0xff);
    v.setUint8(table + 7, 0x40);
    for (let i = 0; i < 3; i++) v.setUint8(table + 8 + i, Math.floor(lba / 2 ** (8 * (i + 3))) & 0xff);
    const count = f.count ?? 1;
    if (f.ncqTag !== undefined) {
      v.setUint8(table + 3, count & 0xff);
      v.setUint8(table + 11, count >> 8);
      v.setUint8(table + 12, f.ncqTag << 3);
    } else v.setUint16(table + 12, count, true);
    const prds = f.prds ?? [];
    prds.forEach(([addr, bytes], i) => {
      v.setBigUint64(table + 0x80 + 16 * i, BigInt(addr), true);
      v.setUint32(table + 0x80 + 16 * i + 12, bytes - 1, true);
    });
    const header = CLB_PAGE * PAGE + slot * 32;
    v.setUint32(header, 5 | (f.write ? 1 << 6 : 0) | (prds.length << 16), true);
    v.setUint32(header + 4, 0, true);
    v.setBigUint64(header + 8, BigInt(this.phys(TABLE_PAGE + slot)), true);
  }

  /** Issue one command in `slot`, let it complete, return PxIS then (cleared afterwards). */
  run(slot: number, f: CommandFields): number {
    this.place(slot, f);
    this.write(P.CI, 1 << slot);
    this.clock.advance(LATENCY_NS);
    const status = this.read(P.IS);
    this.write(P.IS, status);
    return status;
  }

  /** Bytes moved, as the HBA wrote PRDBC into the slot's header. */
  prdbc(slot: number): number {
    return this.view().getUint32(CLB_PAGE * PAGE + slot * 32 + 4, true);
  }

  /** The received FIS area at `offset` (0x20 PIO setup, 0x40 D2H register, 0x58 set device bits). */
  fis(offset: number, len = 20): Uint8Array {
    return this.bytes(this.phys(FB_PAGE, offset), len).slice();
  }

  /** Software error recovery: ST off, clear SERR and IS, ST on. */
  recover(): void {
    this.write(P.CMD, CMD.FRE);
    this.write(P.SERR, 0xffff_ffff);
    this.write(P.IS, 0xffff_ffff);
    this.write(P.CMD, CMD.FRE | CMD.ST);
  }
}

export function pattern(seed: number, bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++) out[i] = (seed * 31 + i * 7 + (i >> 9)) & 0xff;
  return out;
}
