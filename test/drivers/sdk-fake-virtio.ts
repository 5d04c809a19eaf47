// A fake virtio-mmio (version 2) entropy device for SDK tests: the register file, feature
// negotiation, one split queue processed on notify (honouring EVENT_IDX if negotiated), and an
// interrupt line. Rule breaks by the driver are collected in `violations` rather than thrown, so a
// test can assert there were none.

import type { MmioDevice } from "./sdk-fakes";

const VERSION_1 = 1n << 32n;
const EVENT_IDX = 1n << 29n;

export interface FakeRngOptions {
  memory(phys: number, length: number): Uint8Array;
  setIrq(level: boolean): void;
  offered?: bigint;
  queueSizeMax?: number;
  /** Bytes written per buffer at most (the device may write fewer than asked). */
  maxBytesPerBuffer?: number;
  magic?: number;
  version?: number;
  deviceId?: number;
  /** Refuse FEATURES_OK whatever the driver accepts. */
  refuseFeatures?: boolean;
}

export class FakeVirtioRng implements MmioDevice {
  readonly violations: string[] = [];
  readonly statusWrites: number[] = [];
  status = 0;
  driverFeatures = 0n;
  interruptStatus = 0;
  notifications = 0;
  queueSize = 0;
  queueReady = 0;
  desc = 0;
  avail = 0;
  used = 0;
  private featuresSel = 0;
  private driverFeaturesSel = 0;
  private queueSel = 0;
  private lastAvail = 0;
  private usedIdx = 0;
  private counter = 0;
  private readonly addr = new Map<number, number>();

  constructor(private readonly o: FakeRngOptions) {}

  private get offered(): bigint {
    return this.o.offered ?? VERSION_1;
  }

  read(offset: number, width: number): number {
    if (offset < 0x100 && width !== 4) this.violations.push(`read${width * 8} of register 0x${offset.toString(16)}`);
    switch (offset) {
      case 0x000:
        return this.o.magic ?? 0x74726976;
      case 0x004:
        return this.o.version ?? 2;
      case 0x008:
        return this.o.deviceId ?? 4;
      case 0x00c:
        return 0x554d4551;
      case 0x010:
        return Number((this.offered >> BigInt(32 * this.featuresSel)) & 0xffffffffn);
      case 0x034:
        return this.queueSel === 0 ? (this.o.queueSizeMax ?? 256) : 0;
      case 0x044:
        return this.queueSel === 0 ? this.queueReady : 0;
      case 0x060:
        return this.interruptStatus;
      case 0x070:
        return this.status;
      case 0x0fc:
        return 0;
      default:
        this.violations.push(`read of 0x${offset.toString(16)}`);
        return 0;
    }
  }

  write(offset: number, width: number, raw: number | bigint): void {
    const value = Number(raw);
    if (offset < 0x100 && width !== 4) this.violations.push(`write${width * 8} of register 0x${offset.toString(16)}`);
    switch (offset) {
      case 0x014:
        this.featuresSel = value;
        return;
      case 0x020: {
        const shift = BigInt(32 * this.driverFeaturesSel);
        this.driverFeatures = (this.driverFeatures & ~(0xffffffffn << shift)) | (BigInt(value) << shift);
        return;
      }
      case 0x024:
        this.driverFeaturesSel = value;
        return;
      case 0x030:
        this.queueSel = value;
        return;
      case 0x038:
        this.queueSize = value;
        return;
      case 0x044:
        this.queueReady = value;
        return;
      case 0x050:
        this.notifications++;
        this.process();
        return;
      case 0x064:
        this.interruptStatus &= ~value;
        this.o.setIrq(this.interruptStatus !== 0);
        return;
      case 0x070:
        this.writeStatus(value);
        return;
      case 0x080:
      case 0x084:
      case 0x090:
      case 0x094:
      case 0x0a0:
      case 0x0a4:
        if (this.queueReady) this.violations.push(`queue address written while the queue is live`);
        this.addr.set(offset, value);
        this.desc = this.pair(0x080);
        this.avail = this.pair(0x090);
        this.used = this.pair(0x0a0);
        return;
      default:
        this.violations.push(`write of 0x${offset.toString(16)}`);
    }
  }

  private pair(low: number): number {
    return (this.addr.get(low) ?? 0) + (this.addr.get(low + 4) ?? 0) * 2 ** 32;
  }

  private writeStatus(value: number): void {
    this.statusWrites.push(value);
    if (value === 0) {
      this.status = 0;
      this.driverFeatures = 0n;
      this.queueReady = 0;
      this.interruptStatus = 0;
      this.lastAvail = 0;
      this.usedIdx = 0;
      this.o.setIrq(false);
      return;
    }
    if (value & ~this.status & 0x8) {
      const ok =
        !this.o.refuseFeatures &&
        (this.driverFeatures & ~this.offered) === 0n &&
        (this.driverFeatures & VERSION_1) !== 0n;
      if (!ok) value &= ~0x8;
    }
    if (this.status & ~value)
      this.violations.push(`status bits cleared: 0x${this.status.toString(16)} → 0x${value.toString(16)}`);
    this.status = value;
  }

  private u16(phys: number): number {
    const b = this.o.memory(phys, 2);
    return b[0] | (b[1] << 8);
  }

  private view(phys: number, length: number): DataView {
    const b = this.o.memory(phys, length);
    return new DataView(b.buffer, b.byteOffset, b.byteLength);
  }

  /** §3.7: take every new avail entry, fill its writable buffers, return it on the used ring. */
  private process(): void {
    if (!this.queueReady || !(this.status & 4)) {
      this.violations.push("notified before DRIVER_OK / queue ready");
      return;
    }
    const n = this.queueSize;
    const eventIdx = (this.driverFeatures & EVENT_IDX) !== 0n;
    const oldUsed = this.usedIdx;
    const availIdx = this.u16(this.avail + 2);
    while (this.lastAvail !== availIdx) {
      const head = this.u16(this.avail + 4 + 2 * (this.lastAvail % n));
      this.lastAvail = (this.lastAvail + 1) & 0xffff;
      let written = 0;
      let id = head;
      for (let hops = 0; hops < n; hops++) {
        const d = this.view(this.desc + 16 * id, 16);
        const addr = Number(d.getBigUint64(0, true));
        const len = d.getUint32(8, true);
        const flags = d.getUint16(12, true);
        if (!(flags & 2)) this.violations.push("readable buffer posted to the entropy device");
        else {
          const count = Math.min(len, this.o.maxBytesPerBuffer ?? len);
          const out = this.o.memory(addr, count);
          for (let i = 0; i < count; i++) out[i] = (this.counter++ * 37 + 11) & 0xff;
          written += count;
        }
        if (!(flags & 1)) break;
        id = d.getUint16(14, true);
      }
      const slot = this.used + 4 + 8 * (this.usedIdx % n);
      const e = this.view(slot, 8);
      e.setUint32(0, head, true);
      e.setUint32(4, written, true);
      this.usedIdx = (this.usedIdx + 1) & 0xffff;
      this.view(this.used + 2, 2).setUint16(0, this.usedIdx, true);
    }
    if (eventIdx) this.view(this.used + 4 + 8 * n, 2).setUint16(0, this.lastAvail, true);
    if (this.usedIdx === oldUsed) return;
    const notify = eventIdx
      ? ((this.usedIdx - this.u16(this.avail + 4 + 2 * n) - 1) & 0xffff) < ((this.usedIdx - oldUsed) & 0xffff)
      : (this.u16(this.avail) & 1) === 0;
    if (notify) {
      this.interruptStatus |= 1;
      this.o.setIrq(true);
    }
  }
}
