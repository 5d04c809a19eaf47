// What one device can reach of guest memory: the DMA regions of the driver bound to it, and the
// buffers other processes shared with that driver (a Dma capability it holds), each in the
// directions the capability allows; nothing else. A device that strays outside is a driver bug to
// show, not a host crash, so every access returns a fault value instead of throwing.

import { hex, span } from "./format";
import type { DmaRegion, IommuMapping } from "./machine-interface";

/** A refused device access to guest memory. */
export interface DmaFault {
  readonly fault: "dma";
  readonly address: number;
  readonly length: number;
  readonly write: boolean;
  readonly reason: string;
}

export function isDmaFault(value: unknown): value is DmaFault {
  return typeof value === "object" && value !== null && (value as { fault?: unknown }).fault === "dma";
}

interface Window {
  readonly region: DmaRegion;
  /** What the device may do here (a buffer shared read-only lets the device read, not write). */
  readonly read: boolean;
  readonly write: boolean;
  readonly view: DataView;
  readonly bytes: Uint8Array;
}

interface Located {
  readonly window: Window;
  readonly offset: number;
}

export class IommuView {
  /** The view of a device no driver is bound to: every access faults. */
  static readonly empty = new IommuView([]);

  private readonly windows: readonly Window[];

  /** Plain regions are reachable both ways; mappings say which ways. */
  constructor(regions: readonly (DmaRegion | IommuMapping)[]) {
    this.windows = regions
      .map((r): IommuMapping => ("region" in r ? r : { region: r, read: true, write: true }))
      .sort((a, b) => a.region.phys - b.region.phys)
      .map(({ region, read, write }) => ({
        region,
        read,
        write,
        view: new DataView(region.buffer, 0, region.size),
        bytes: new Uint8Array(region.buffer, 0, region.size),
      }));
  }

  get regions(): readonly DmaRegion[] {
    return this.windows.map((w) => w.region);
  }

  /** Whether [address, address+length) lies inside one region; undefined when it does. */
  check(address: number, length: number, write: boolean): DmaFault | undefined {
    const found = this.locate(address, length, write);
    return isDmaFault(found) ? found : undefined;
  }

  /** A copy of the bytes, so that a device never keeps a live alias into driver memory. */
  read(address: number, length: number): Uint8Array | DmaFault {
    const found = this.locate(address, length, false);
    if (isDmaFault(found)) return found;
    return found.window.bytes.slice(found.offset, found.offset + length);
  }

  /** The guest memory itself, for a transfer done at once (a disk read straight into a buffer, no
   *  bounce copy). The caller must not keep the array beyond the transfer. */
  span(address: number, length: number, write: boolean): Uint8Array | DmaFault {
    const found = this.locate(address, length, write);
    if (isDmaFault(found)) return found;
    return found.window.bytes.subarray(found.offset, found.offset + length);
  }

  /** The window's DataView and the offset of `address` in it, for reading a small structure (a
   *  descriptor) in place without copying it out first. */
  dataView(address: number, length: number): { readonly view: DataView; readonly offset: number } | DmaFault {
    const found = this.locate(address, length, false);
    if (isDmaFault(found)) return found;
    return { view: found.window.view, offset: found.offset };
  }

  write(address: number, data: Uint8Array): DmaFault | undefined {
    const found = this.locate(address, data.length, true);
    if (isDmaFault(found)) return found;
    found.window.bytes.set(data, found.offset);
    return undefined;
  }

  readLe16(address: number): number | DmaFault {
    const found = this.locate(address, 2, false);
    return isDmaFault(found) ? found : found.window.view.getUint16(found.offset, true);
  }

  readLe32(address: number): number | DmaFault {
    const found = this.locate(address, 4, false);
    return isDmaFault(found) ? found : found.window.view.getUint32(found.offset, true);
  }

  readLe64(address: number): bigint | DmaFault {
    const found = this.locate(address, 8, false);
    return isDmaFault(found) ? found : found.window.view.getBigUint64(found.offset, true);
  }

  writeLe16(address: number, value: number): DmaFault | undefined {
    const found = this.locate(address, 2, true);
    if (isDmaFault(found)) return found;
    found.window.view.setUint16(found.offset, value, true);
    return undefined;
  }

  writeLe32(address: number, value: number): DmaFault | undefined {
    const found = this.locate(address, 4, true);
    if (isDmaFault(found)) return found;
    found.window.view.setUint32(found.offset, value >>> 0, true);
    return undefined;
  }

  writeLe64(address: number, value: bigint): DmaFault | undefined {
    const found = this.locate(address, 8, true);
    if (isDmaFault(found)) return found;
    found.window.view.setBigUint64(found.offset, BigInt.asUintN(64, value), true);
    return undefined;
  }

  private locate(address: number, length: number, write: boolean): Located | DmaFault {
    const fault = (reason: string): DmaFault => ({ fault: "dma", address, length, write, reason });
    if (!Number.isSafeInteger(address) || address < 0)
      return fault(`address ${String(address)} is not a guest-physical address`);
    if (!Number.isSafeInteger(length) || length < 0) return fault(`length ${String(length)} is not a byte count`);
    if (this.windows.length === 0)
      return fault(`${span(address, length)}: the device has no IOMMU view (no driver's DMA memory is mapped for it)`);
    const window = this.windowAt(address);
    if (window === undefined) {
      return fault(
        `${span(address, length)} is outside every DMA region of the bound driver (${this.describeRegions()})`,
      );
    }
    const offset = address - window.region.phys;
    if (offset + length > window.region.size) {
      const end = window.region.phys + window.region.size;
      return fault(
        `${span(address, length)} runs past the end of DMA region ${hex(window.region.phys)}..${hex(end - 1)} by ${offset + length - window.region.size} bytes`,
      );
    }
    if (write ? !window.write : !window.read) {
      return fault(
        `${span(address, length)}: the device may not ${write ? "write" : "read"} DMA region ${hex(window.region.phys)}+${hex(window.region.size)} (shared with the driver ${window.write ? "write" : "read"}-only)`,
      );
    }
    return { window, offset };
  }

  private windowAt(address: number): Window | undefined {
    for (const window of this.windows) {
      if (address >= window.region.phys && address < window.region.phys + window.region.size) return window;
    }
    return undefined;
  }

  private describeRegions(): string {
    return this.windows.map((w) => `${hex(w.region.phys)}+${hex(w.region.size)}`).join(", ");
  }
}
