// Guest DMA memory for the memory view: read and write by guest-physical address, and what changed
// under the ranges a client has looked at (so the adapter can send `memory` events). Only allocated
// DMA memory is readable; device registers are not memory here (a read of one has side effects).

import type { Machine } from "../../devices";

export interface MemoryRead {
  address: number;
  /** Bytes read from `address` on (may be fewer than asked). */
  data: Uint8Array;
  /** Bytes after the data that are not DMA memory. */
  unreadable: number;
}

export interface MemoryChange {
  reference: string;
  offset: number;
  count: number;
}

interface Viewed {
  reference: string;
  base: number;
  offset: number;
  count: number;
  seen: Uint8Array;
}

/** How many distinct viewed ranges are remembered (a memory view reads a few pages at a time). */
const MAX_VIEWED = 64;

/** "0x80000000" (or a decimal number) to an address; undefined when it is not one. */
export function parseReference(reference: string): number | undefined {
  const text = reference.trim().replace(/^dma:/i, "");
  if (!/^(0x[0-9a-f]+|\d+)$/i.test(text)) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

export class GuestMemoryView {
  private viewed: Viewed[] = [];

  constructor(private readonly machine: () => Machine | undefined) {}

  read(address: number, count: number): MemoryRead {
    const machine = this.machine();
    const region = machine?.memory.regionAt(address);
    if (!region) return { address, data: new Uint8Array(0), unreadable: count };
    const end = Math.min(address + count, region.phys + region.size);
    const data = new Uint8Array(region.buffer, address - region.phys, end - address).slice();
    return { address, data, unreadable: count - data.length };
  }

  /** Write bytes; returns how many were written (stops at the end of the DMA region). */
  write(address: number, bytes: Uint8Array, allowPartial: boolean): number | string {
    const region = this.machine()?.memory.regionAt(address);
    if (!region)
      return `0x${address.toString(16)} is not DMA memory: only allocated DMA buffers can be written from the debugger`;
    const room = region.phys + region.size - address;
    if (bytes.length > room && !allowPartial)
      return `${bytes.length} bytes at 0x${address.toString(16)} run past the end of the DMA buffer (${room} bytes left)`;
    const n = Math.min(room, bytes.length);
    new Uint8Array(region.buffer, address - region.phys, n).set(bytes.subarray(0, n));
    return n;
  }

  /** Remember what a client saw, to tell it later when that changes. */
  noteViewed(reference: string, base: number, offset: number, read: MemoryRead): void {
    if (read.data.length === 0) return;
    this.viewed = this.viewed.filter((v) => !(v.reference === reference && v.offset === offset));
    this.viewed.push({ reference, base, offset, count: read.data.length, seen: read.data });
    if (this.viewed.length > MAX_VIEWED) this.viewed.shift();
  }

  /** Viewed ranges whose bytes differ from what the client last saw (each reported once). */
  changes(): MemoryChange[] {
    const out: MemoryChange[] = [];
    for (const v of this.viewed) {
      const now = this.read(v.base + v.offset, v.count).data;
      if (now.length === v.seen.length && now.every((b, i) => b === v.seen[i])) continue;
      v.seen = now;
      out.push({ reference: v.reference, offset: v.offset, count: v.count });
    }
    return out;
  }

  clear(): void {
    this.viewed = [];
  }
}
