// Guest-physical memory: a sparse map of regions, each its own SharedArrayBuffer so that a driver's
// worker can map exactly its DMA buffers and nothing else. DMA memory comes from one window of the
// address space, handed out in whole zeroed pages, first fit.

import { hex } from "./format";
import type { DmaRegion } from "./machine-interface";
import { RangeMap } from "./range-map";

export { IommuView, isDmaFault } from "./iommu";
export type { DmaFault } from "./iommu";

export const PAGE_SIZE = 4096;

export interface DmaWindow {
  readonly base: number;
  readonly size: number;
}

export class GuestMemory {
  private readonly regions = new RangeMap<DmaRegion>();

  constructor(readonly dmaWindow: DmaWindow) {
    const { base, size } = dmaWindow;
    if (!Number.isSafeInteger(base) || base < 0 || base % PAGE_SIZE !== 0)
      throw new RangeError(`DMA window base ${hex(base)} is not page-aligned`);
    if (!Number.isSafeInteger(size) || size <= 0 || size % PAGE_SIZE !== 0)
      throw new RangeError(`DMA window size ${hex(size)} is not a positive number of pages`);
  }

  /** Allocate zeroed memory rounded up to whole pages, at the lowest free address of the window. */
  allocateDma(size: number): DmaRegion {
    if (!Number.isSafeInteger(size) || size <= 0)
      throw new RangeError(`DMA allocation of ${String(size)} bytes: size must be a positive integer`);
    const bytes = Math.ceil(size / PAGE_SIZE) * PAGE_SIZE;
    const phys = this.firstFit(bytes);
    if (phys === undefined) {
      throw new RangeError(
        `DMA allocation of ${bytes} bytes: no free run of that size in the DMA window ${hex(this.dmaWindow.base)}+${hex(this.dmaWindow.size)}`,
      );
    }
    // A fresh SharedArrayBuffer is zero-filled, which is the "zeroed" the interface promises.
    const region: DmaRegion = { phys, size: bytes, buffer: new SharedArrayBuffer(bytes) };
    this.regions.insert(phys, phys + bytes - 1, region);
    return region;
  }

  /** Free the allocation that starts at `phys`; anything else is a kernel bug and throws. */
  freeDma(phys: number): DmaRegion {
    const removed = this.regions.remove(phys);
    if (removed === undefined) throw new RangeError(`freeDma(${hex(phys)}): no DMA allocation starts there`);
    return removed.value;
  }

  /** The region holding `phys`, if any. */
  regionAt(phys: number): DmaRegion | undefined {
    return this.regions.find(phys)?.value;
  }

  /** True when `region` is exactly a live allocation (same address, size and memory). */
  owns(region: DmaRegion): boolean {
    const found = this.regions.find(region.phys)?.value;
    return (
      found !== undefined && found.phys === region.phys && found.size === region.size && found.buffer === region.buffer
    );
  }

  allocations(): readonly DmaRegion[] {
    return this.regions.entries().map((r) => r.value);
  }

  private firstFit(bytes: number): number | undefined {
    const { base, size } = this.dmaWindow;
    let candidate = base;
    for (const taken of this.regions.entries()) {
      if (taken.first - candidate >= bytes) break;
      candidate = Math.max(candidate, taken.last + 1);
    }
    return candidate + bytes <= base + size ? candidate : undefined;
  }
}
