// A virtio-blk device on its own bus, over a disk the test controls, with a driver's DMA pages and a
// ring in them; plus helpers that lay out requests the way a driver would (or deliberately not).

import {
  CowOverlay,
  GuestMemory,
  InterruptLines,
  IommuView,
  MmioBus,
  VirtioBlk,
  VirtioMmioTransport,
  VirtualClock,
  ZeroDisk,
  type BlockStore,
  type DeviceEvent,
  type DmaRegion,
} from "../../../devices";
import { DriverRing, NEXT, WRITE } from "./driver-ring";
import { MiniDriver, VERSION_1 } from "./mini-driver";

export const BLK_IRQ = 1;
export const SECTORS = 64;
export const LATENCY = 10_000;
export const F = { SEG_MAX: 1n << 2n, RO: 1n << 5n, BLK_SIZE: 1n << 6n, FLUSH: 1n << 9n } as const;
export const T = { IN: 0, OUT: 1, FLUSH: 4, GET_ID: 8 } as const;
export const S = { OK: 0, IOERR: 1, UNSUPP: 2 } as const;

/** A disk in memory that counts flushes. */
export class CountingDisk extends CowOverlay {
  flushes = 0;
  constructor(sectors = SECTORS, readOnly = false) {
    super(new ZeroDisk(sectors, "test disk"), { label: "test disk", readOnly });
  }
  override flush(): void {
    this.flushes++;
  }
}

export interface BlkRig {
  blk: VirtioBlk;
  disk: CountingDisk;
  driver: MiniDriver;
  ring: DriverRing;
  region: DmaRegion;
  /** A second buffer, lent to the driver by another process (options.lent), if asked for. */
  lent?: DmaRegion;
  clock: VirtualClock;
  lines: InterruptLines;
  events: DeviceEvent[];
  /** Bytes of the driver's DMA page at a guest-physical address. */
  bytes(addr: number, len: number): Uint8Array;
  fill(addr: number, data: Uint8Array): void;
  /** Negotiate `features`, bring queue 0 up, DRIVER_OK. */
  start(features?: bigint): void;
  irq(): boolean;
  errors(): string[];
}

export function blkRig(
  options: { disk?: BlockStore & CountingDisk; size?: number; lent?: { read: boolean; write: boolean } } = {},
): BlkRig {
  const clock = new VirtualClock();
  const lines = new InterruptLines();
  const events: DeviceEvent[] = [];
  const disk = options.disk ?? new CountingDisk();
  const blk = new VirtioBlk({ deviceName: "virtio-blk0", disk, requestLatencyNs: LATENCY, transferNsPerKiB: 0 });
  const transport = new VirtioMmioTransport({
    name: "virtio-blk0",
    backend: blk,
    irq: lines.line(BLK_IRQ),
    clock,
    emit: (e) => events.push(e),
  });
  const memory = new GuestMemory({ base: 0x4000_0000, size: 0x10_0000 });
  const region = memory.allocateDma(16 * 4096);
  const lent = options.lent && memory.allocateDma(16 * 4096);
  transport.setIommuView(new IommuView(lent && options.lent ? [region, { region: lent, ...options.lent }] : [region]));
  const bus = new MmioBus();
  bus.map("virtio-blk0", 0, 0x1000, transport);
  const driver = new MiniDriver({ mmioRead: (a, w) => bus.read(a, w), mmioWrite: (a, w, v) => bus.write(a, w, v) }, 0);
  const ring = new DriverRing(region, options.size ?? 128);
  const view = new Uint8Array(region.buffer);
  return {
    blk,
    disk,
    driver,
    ring,
    region,
    lent,
    clock,
    lines,
    events,
    bytes: (addr, len) => view.slice(addr - region.phys, addr - region.phys + len),
    fill: (addr, data) => view.set(data, addr - region.phys),
    start(features = VERSION_1 | F.FLUSH) {
      if (!driver.negotiate(features)) throw new Error("FEATURES_OK refused");
      driver.setupQueue(0, ring.layout);
      driver.driverOk();
    },
    irq: () => lines.level(BLK_IRQ),
    errors: () => events.flatMap((e) => (e.kind === "driver-error" ? [e.message] : [])),
  };
}

/** Where a test's request buffers go: well after the ring. */
export function areas(rig: BlkRig): { header: number; data: number; status: number } {
  const base = rig.ring.layout.dataAddr;
  return { header: base, status: base + 0x20, data: base + 0x1000 };
}

export function header(type: number, sector: number | bigint): Uint8Array {
  const out = new Uint8Array(16);
  const v = new DataView(out.buffer);
  v.setUint32(0, type, true);
  v.setBigUint64(8, BigInt(sector), true);
  return out;
}

/** The usual three-descriptor request at descriptors first, first+1, first+2, published and kicked. */
export function request(
  rig: BlkRig,
  type: number,
  sector: number | bigint,
  data: { len: number; write: boolean } | undefined,
  first = 0,
  where = areas(rig),
): void {
  rig.fill(where.header, header(type, sector));
  rig.fill(where.status, Uint8Array.of(0xff));
  rig.ring.setDesc(first, where.header, 16, NEXT, first + 1);
  if (data) {
    rig.ring.setDesc(first + 1, where.data, data.len, (data.write ? WRITE : 0) | NEXT, first + 2);
    rig.ring.setDesc(first + 2, where.status, 1, WRITE);
  } else {
    rig.ring.setDesc(first + 1, where.status, 1, WRITE);
  }
  rig.ring.publish(first);
  rig.driver.kick(0);
}

export function pattern(len: number, seed = 1): Uint8Array {
  return Uint8Array.from({ length: len }, (_, i) => (i * 31 + seed * 7 + 1) & 0xff);
}
