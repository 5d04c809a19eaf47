// The driver's half of a split virtqueue (virtio-reference.md §3.1–§3.6), laid out in a DmaBuffer:
//
//   descriptor table  16·N bytes, 16-aligned   the buffers: addr, len, flags, next
//   available ring    6 + 2·N, 2-aligned       driver → device: heads of chains to process
//   used ring         6 + 8·N, 4-aligned       device → driver: heads done, bytes written
//
// The driver owns the descriptor table and the available ring; the device owns the used ring.
// A request is a chain of descriptors, device-readable ones first; its head index names it from
// add() until popUsed() hands it back.

import type { DmaBuffer } from "../dma";
import { DescFlag, VIRTQ_DESC_BYTES, VIRTQ_USED_F_NO_NOTIFY } from "./constants";
import { VirtioError } from "./errors";

/** One buffer of a chain, by guest-physical address. */
export interface BufferRef {
  addr: number;
  len: number;
}

/** A request: buffers the device reads, then buffers it writes. */
export interface Chain {
  readable?: readonly BufferRef[];
  writable?: readonly BufferRef[];
}

/** A finished request: its head index and the bytes the device wrote into its writable part. */
export interface UsedElement {
  id: number;
  len: number;
}

export interface DriverSplitQueueOptions {
  dma: DmaBuffer;
  /** Where the queue starts in `dma` (rounded up to 16). */
  offset?: number;
  /** N, a power of two, 1 … 32768. */
  size: number;
  /** VIRTIO_F_EVENT_IDX was negotiated: use used_event / avail_event instead of the flags. */
  eventIdx?: boolean;
  /** VIRTIO_F_INDIRECT_DESC was negotiated: add() may lay a chain out in an indirect table. */
  indirect?: boolean;
  /** Tell the device there is work (VirtioMmio.setupQueue wires this to QueueNotify). */
  notify?: () => void;
}

const DESC_BYTES = VIRTQ_DESC_BYTES;
const NONE: readonly BufferRef[] = [];

const alignUp = (n: number, to: number): number => Math.ceil(n / to) * to;

/** virtio's vring_need_event: did the index move from `oldIdx` to `newIdx` across `eventIdx`? */
export function needEvent(eventIdx: number, newIdx: number, oldIdx: number): boolean {
  return ((newIdx - eventIdx - 1) & 0xffff) < ((newIdx - oldIdx) & 0xffff);
}

export class DriverSplitQueue {
  readonly size: number;
  /** Byte offsets within the DmaBuffer, and the physical addresses the device is given. */
  readonly descOffset: number;
  readonly availOffset: number;
  readonly usedOffset: number;
  readonly descPhys: number;
  readonly availPhys: number;
  readonly usedPhys: number;

  private readonly dma: DmaBuffer;
  private readonly eventIdx: boolean;
  /** Whether chains may go in indirect tables (INDIRECT_DESC negotiated). */
  readonly indirect: boolean;
  private readonly notifyDevice: () => void;
  /** Descriptors not in any chain (a stack: the most recently freed is reused first). */
  private readonly free: number[] = [];
  /** For each head in flight, the descriptors of its chain. */
  private readonly chains: (number[] | undefined)[];
  /** Our copy of avail.idx, including chains added but not yet published. */
  private nextAvail = 0;
  /** avail.idx as the device last saw it (at the last publish). */
  private publishedAvail = 0;
  /** used.idx up to which we have consumed the used ring. */
  private lastUsed = 0;

  /** Bytes a queue of `size` entries needs, from a 16-aligned start. */
  static bytesFor(size: number): number {
    const used = alignUp(DESC_BYTES * size + 6 + 2 * size, 4);
    return used + 6 + 8 * size;
  }

  constructor(opts: DriverSplitQueueOptions) {
    const { dma, size } = opts;
    if (!Number.isInteger(size) || size < 1 || size > 32768 || (size & (size - 1)) !== 0) {
      throw new RangeError(`virtqueue size ${size} is not a power of two between 1 and 32768`);
    }
    this.dma = dma;
    this.size = size;
    this.eventIdx = opts.eventIdx ?? false;
    this.indirect = opts.indirect ?? false;
    this.notifyDevice = opts.notify ?? (() => undefined);
    this.descOffset = alignUp(opts.offset ?? 0, 16);
    this.availOffset = this.descOffset + DESC_BYTES * size;
    this.usedOffset = alignUp(this.availOffset + 6 + 2 * size, 4);
    const end = this.usedOffset + 6 + 8 * size;
    if (end > dma.size) {
      throw new RangeError(
        `a ${size}-entry virtqueue at offset ${this.descOffset} needs ${end} bytes; the DMA buffer has ${dma.size}`,
      );
    }
    this.descPhys = dma.physAt(this.descOffset);
    this.availPhys = dma.physAt(this.availOffset);
    this.usedPhys = dma.physAt(this.usedOffset);
    // The device expects zeroed rings (flags 0 = "interrupt me", indices 0); the buffer may be reused.
    dma.bytes.fill(0, this.descOffset, end);
    for (let i = size - 1; i >= 0; i--) this.free.push(i);
    this.chains = new Array<number[] | undefined>(size).fill(undefined);
  }

  /** Descriptors available for new chains. */
  get numFree(): number {
    return this.free.length;
  }

  /** Write a chain into the descriptor table and queue its head for the device (visible at the
   *  next publish() or kick()). Returns the head index, which popUsed() reports when it is done.
   *  With `indirectAt` (a 16-aligned offset in the queue's DmaBuffer, room for 16 bytes per buffer,
   *  INDIRECT_DESC negotiated) the chain goes in an indirect table there and takes one ring entry
   *  (virtio 1.x §2.7.5.3): a queue of N entries then holds N requests in flight, whatever their
   *  length. The table must stay untouched until popUsed() returns the head. */
  add(chain: Chain, indirectAt?: number): number {
    // A driver adds a chain per request, many per batch: plain loops, no intermediate arrays.
    const readable = chain.readable ?? NONE;
    const writable = chain.writable ?? NONE;
    const n = readable.length + writable.length;
    if (n === 0) throw new RangeError("a virtqueue chain needs at least one buffer");
    for (const b of readable) checkBuffer(b);
    for (const b of writable) checkBuffer(b);
    if (indirectAt !== undefined) return this.addIndirect(readable, writable, indirectAt);
    if (n > this.free.length) {
      throw new RangeError(
        `a chain of ${n} buffers does not fit: ${this.free.length} of ${this.size} descriptors are free`,
      );
    }
    const ids: number[] = [];
    for (let i = 0; i < n; i++) ids.push(this.free.pop() as number);
    for (let i = 0; i < n; i++) {
      const b = i < readable.length ? readable[i] : writable[i - readable.length];
      const flags = (i < readable.length ? 0 : DescFlag.WRITE) | (i < n - 1 ? DescFlag.NEXT : 0);
      this.writeDescriptor(ids[i], b.addr, b.len, flags, i < n - 1 ? ids[i + 1] : 0);
    }
    const head = ids[0];
    this.chains[head] = ids;
    this.makeAvailable(head);
    return head;
  }

  private addIndirect(readable: readonly BufferRef[], writable: readonly BufferRef[], at: number): number {
    if (!this.indirect) throw new RangeError("an indirect chain needs VIRTIO_F_INDIRECT_DESC negotiated");
    if (at % DESC_BYTES !== 0) throw new RangeError(`indirect table offset ${at} is not 16-byte aligned`);
    const n = readable.length + writable.length;
    const bytes = DESC_BYTES * n;
    const tablePhys = this.dma.physAt(at);
    this.dma.physAt(at + bytes); // throws if the table would run past the buffer
    if (this.free.length === 0) throw new RangeError(`no free descriptor: all ${this.size} are in flight`);
    // Inside a table, `next` indexes the table itself (§2.7.5.3.1).
    for (let i = 0; i < n; i++) {
      const b = i < readable.length ? readable[i] : writable[i - readable.length];
      const flags = (i < readable.length ? 0 : DescFlag.WRITE) | (i < n - 1 ? DescFlag.NEXT : 0);
      this.writeDescriptorAt(at + DESC_BYTES * i, b.addr, b.len, flags, i < n - 1 ? i + 1 : 0);
    }
    const head = this.free.pop() as number;
    this.writeDescriptor(head, tablePhys, bytes, DescFlag.INDIRECT, 0);
    this.chains[head] = [head];
    this.makeAvailable(head);
    return head;
  }

  private makeAvailable(head: number): void {
    this.dma.setU16(this.availOffset + 4 + 2 * (this.nextAvail % this.size), head);
    this.nextAvail = (this.nextAvail + 1) & 0xffff;
  }

  /** Make added chains visible to the device (store avail.idx). Returns whether the device asked
   *  to be notified of them: not when it set NO_NOTIFY, or (EVENT_IDX) when avail_event says it is
   *  still busy with earlier ones. */
  publish(): boolean {
    const oldIdx = this.publishedAvail;
    const newIdx = this.nextAvail;
    if (oldIdx === newIdx) return false;
    this.dma.setU16(this.availOffset + 2, newIdx);
    this.publishedAvail = newIdx;
    if (this.eventIdx) return needEvent(this.availEvent(), newIdx, oldIdx);
    return (this.dma.getU16(this.usedOffset) & VIRTQ_USED_F_NO_NOTIFY) === 0;
  }

  /** Publish, and notify the device if it wants to be. */
  kick(): void {
    if (this.publish()) this.notifyDevice();
  }

  /** Take the next finished chain off the used ring and free its descriptors; undefined if none. */
  popUsed(): UsedElement | undefined {
    const usedIdx = this.dma.getU16(this.usedOffset + 2);
    if (usedIdx === this.lastUsed) return undefined;
    if (((usedIdx - this.lastUsed) & 0xffff) > this.size) {
      throw new VirtioError(`device moved used.idx to ${usedIdx}, more than ${this.size} past ${this.lastUsed}`);
    }
    const entry = this.usedOffset + 4 + 8 * (this.lastUsed % this.size);
    const id = this.dma.getU32(entry);
    const len = this.dma.getU32(entry + 4);
    this.lastUsed = (this.lastUsed + 1) & 0xffff;
    // With EVENT_IDX the device interrupts only when used.idx passes used_event: ask for the next one.
    if (this.eventIdx) this.dma.setU16(this.usedEventOffset(), this.lastUsed);
    this.freeChain(id);
    return { id, len };
  }

  private freeChain(head: number): void {
    const ids = head < this.size ? this.chains[head] : undefined;
    if (!ids) throw new VirtioError(`device returned descriptor ${head}, which is not the head of a chain in flight`);
    this.chains[head] = undefined;
    for (const id of ids) this.free.push(id);
  }

  private writeDescriptor(id: number, addr: number, len: number, flags: number, next: number): void {
    this.writeDescriptorAt(this.descOffset + DESC_BYTES * id, addr, len, flags, next);
  }

  private writeDescriptorAt(at: number, addr: number, len: number, flags: number, next: number): void {
    // addr is a safe integer (checkBuffer): two 32-bit halves, no BigInt.
    this.dma.setU32(at, addr % 2 ** 32);
    this.dma.setU32(at + 4, Math.floor(addr / 2 ** 32));
    this.dma.setU32(at + 8, len);
    this.dma.setU16(at + 12, flags);
    this.dma.setU16(at + 14, next);
  }

  private availEvent(): number {
    return this.dma.getU16(this.usedOffset + 4 + 8 * this.size);
  }

  private usedEventOffset(): number {
    return this.availOffset + 4 + 2 * this.size;
  }
}

function checkBuffer(b: BufferRef): void {
  if (!Number.isSafeInteger(b.addr) || b.addr < 0)
    throw new RangeError(`buffer address ${b.addr} is not a physical address`);
  if (!Number.isInteger(b.len) || b.len < 0 || b.len > 0xffffffff)
    throw new RangeError(`buffer length ${b.len} does not fit in 32 bits`);
}

/** @deprecated Use DriverSplitQueue: the old name, which devices/'s device-side SplitQueue shares.
 *  Kept because drivers made by New Driver… from an older sample name it. */
export const SplitQueue = DriverSplitQueue;
/** @deprecated Use DriverSplitQueue. */
export type SplitQueue = DriverSplitQueue;
/** @deprecated Use DriverSplitQueueOptions. */
export type SplitQueueOptions = DriverSplitQueueOptions;
