// The driver's side of one split virtqueue, written straight into a DMA region the way a driver
// would: tests use it to put rings (well-formed or deliberately broken) in front of the device.

import type { DmaRegion } from "../../../devices";

export interface RingLayout {
  size: number;
  descAddr: number;
  availAddr: number;
  usedAddr: number;
  /** First free byte after the three areas, page-relative: where tests put buffers. */
  dataAddr: number;
}

export const NEXT = 1;
export const WRITE = 2;
export const INDIRECT = 4;

export class DriverRing {
  readonly layout: RingLayout;
  private readonly view: DataView;
  private availIdx = 0;

  constructor(
    readonly region: DmaRegion,
    size: number,
  ) {
    const descAddr = region.phys;
    const availAddr = descAddr + 16 * size;
    const usedAddr = align(availAddr + 6 + 2 * size, 4);
    const dataAddr = align(usedAddr + 6 + 8 * size, 16);
    this.layout = { size, descAddr, availAddr, usedAddr, dataAddr };
    this.view = new DataView(region.buffer);
  }

  private off(addr: number): number {
    return addr - this.region.phys;
  }

  setDesc(index: number, addr: number | bigint, len: number, flags = 0, next = 0): void {
    this.writeDescAt(this.layout.descAddr + 16 * index, addr, len, flags, next);
  }

  /** Write one descriptor anywhere in the region (indirect tables). */
  writeDescAt(at: number, addr: number | bigint, len: number, flags = 0, next = 0): void {
    const o = this.off(at);
    this.view.setBigUint64(o, BigInt(addr), true);
    this.view.setUint32(o + 8, len, true);
    this.view.setUint16(o + 12, flags, true);
    this.view.setUint16(o + 14, next, true);
  }

  /** Put heads in the avail ring and publish them by moving avail.idx. */
  publish(...heads: number[]): void {
    for (const head of heads) {
      this.view.setUint16(this.off(this.layout.availAddr + 4 + 2 * (this.availIdx % this.layout.size)), head, true);
      this.availIdx = (this.availIdx + 1) & 0xffff;
    }
    this.setAvailIdx(this.availIdx);
  }

  setAvailIdx(value: number): void {
    this.availIdx = value & 0xffff;
    this.view.setUint16(this.off(this.layout.availAddr + 2), this.availIdx, true);
  }

  setAvailFlags(flags: number): void {
    this.view.setUint16(this.off(this.layout.availAddr), flags, true);
  }

  setUsedEvent(value: number): void {
    this.view.setUint16(this.off(this.layout.availAddr + 4 + 2 * this.layout.size), value, true);
  }

  availEvent(): number {
    return this.view.getUint16(this.off(this.layout.usedAddr + 4 + 8 * this.layout.size), true);
  }

  usedIdx(): number {
    return this.view.getUint16(this.off(this.layout.usedAddr + 2), true);
  }

  usedElem(slot: number): { id: number; len: number } {
    const at = this.off(this.layout.usedAddr + 4 + 8 * (slot % this.layout.size));
    return { id: this.view.getUint32(at, true), len: this.view.getUint32(at + 4, true) };
  }

  bytes(addr: number, len: number): Uint8Array {
    return new Uint8Array(this.region.buffer, this.off(addr), len).slice();
  }
}

function align(value: number, to: number): number {
  return Math.ceil(value / to) * to;
}
