// One split virtqueue seen from the device (virtio-reference §3.3, §3.4, §3.6, §3.7): take chains
// from the available ring, put completions in the used ring, and decide whether the driver wants
// an interrupt. All ring memory is reached through the device's current IOMMU view; every problem
// comes back as a QueueError value.

import { isDmaFault, type DmaFault, type IommuView } from "../iommu";
import { walkChain, type DescriptorChain } from "./descriptor-chain";
import { AvailFlag, Avail, Used } from "./descriptors";
import type { QueueError } from "./queue-error";

export interface SplitQueueLayout {
  /** Queue size N: a power of two, 1 … 32768. */
  readonly size: number;
  readonly descAddr: number;
  readonly availAddr: number;
  readonly usedAddr: number;
}

export interface SplitQueueFeatures {
  readonly indirectDesc: boolean;
  readonly eventIdx: boolean;
}

export type PopResult =
  | { readonly kind: "empty" }
  | { readonly kind: "chain"; readonly chain: DescriptorChain }
  | { readonly kind: "error"; readonly error: QueueError };

/** A read-only picture of the ring cursors, for the debugger's views. */
export interface SplitQueueState extends SplitQueueLayout {
  readonly lastAvailIdx: number;
  readonly usedIdx: number;
  readonly signalledUsedIdx: number;
}

export class SplitQueue {
  /** Next avail slot the device will take (free-running, mod 2^16). */
  private lastAvailIdx = 0;
  /** Next used slot the device will fill (free-running, mod 2^16). */
  private usedIdx = 0;
  /** used.idx at the last notification decision: `old` of §3.6's need_event. */
  private signalledUsedIdx = 0;

  constructor(
    readonly layout: SplitQueueLayout,
    readonly features: SplitQueueFeatures,
    /** Asked on every access, so that a replaced IOMMU view takes effect at once. */
    private readonly memory: () => IommuView,
  ) {}

  state(): SplitQueueState {
    return {
      ...this.layout,
      lastAvailIdx: this.lastAvailIdx,
      usedIdx: this.usedIdx,
      signalledUsedIdx: this.signalledUsedIdx,
    };
  }

  /** Take the next available chain, if the driver published one. */
  pop(): PopResult {
    const memory = this.memory();
    const { size, availAddr, usedAddr, descAddr } = this.layout;
    const availIdx = memory.readLe16(Avail.idx(availAddr));
    if (isDmaFault(availIdx)) return failed(dma("avail.idx", availIdx));
    const pending = (availIdx - this.lastAvailIdx) & 0xffff;
    if (pending === 0) return { kind: "empty" };
    if (pending > size) return failed({ kind: "avail-idx-jump", lastAvail: this.lastAvailIdx, availIdx, size });
    if (((availIdx - this.usedIdx) & 0xffff) > size)
      return failed({ kind: "too-many-in-flight", availIdx, usedIdx: this.usedIdx, size });

    const slot = this.lastAvailIdx % size;
    const head = memory.readLe16(Avail.ring(availAddr, slot));
    if (isDmaFault(head)) return failed(dma(`avail.ring[${slot}]`, head));
    if (head >= size) return failed({ kind: "head-out-of-range", slot, head, size });
    this.lastAvailIdx = (this.lastAvailIdx + 1) & 0xffff;

    if (this.features.eventIdx) {
      // "Kick me when you publish past what I have taken": the device side of §3.6.
      const fault = memory.writeLe16(Used.availEvent(usedAddr, size), this.lastAvailIdx);
      if (fault !== undefined) return failed(dma("used.avail_event", fault));
    }

    const chain = walkChain(memory, { addr: descAddr, size }, head, this.features.indirectDesc);
    return "readable" in chain ? { kind: "chain", chain } : failed(chain);
  }

  /** Put {id, len} in the used ring, then publish the new used.idx (data first, index last). */
  pushUsed(head: number, len: number): QueueError | undefined {
    const memory = this.memory();
    const { size, usedAddr } = this.layout;
    const slot = this.usedIdx % size;
    const idFault = memory.writeLe32(Used.id(usedAddr, slot), head);
    if (idFault !== undefined) return dma(`used.ring[${slot}].id`, idFault);
    const lenFault = memory.writeLe32(Used.len(usedAddr, slot), len);
    if (lenFault !== undefined) return dma(`used.ring[${slot}].len`, lenFault);
    const next = (this.usedIdx + 1) & 0xffff;
    const idxFault = memory.writeLe16(Used.idx(usedAddr), next);
    if (idxFault !== undefined) return dma("used.idx", idxFault);
    this.usedIdx = next;
    return undefined;
  }

  /** §3.6: does the driver want an interrupt for what was pushed since the last decision? */
  shouldNotify(): boolean | QueueError {
    const memory = this.memory();
    const { size, availAddr } = this.layout;
    if (this.features.eventIdx) {
      const usedEvent = memory.readLe16(Avail.usedEvent(availAddr, size));
      if (isDmaFault(usedEvent)) return dma("avail.used_event", usedEvent);
      const old = this.signalledUsedIdx;
      this.signalledUsedIdx = this.usedIdx;
      return needEvent(usedEvent, this.usedIdx, old);
    }
    const flags = memory.readLe16(Avail.flags(availAddr));
    if (isDmaFault(flags)) return dma("avail.flags", flags);
    this.signalledUsedIdx = this.usedIdx;
    return (flags & AvailFlag.NoInterrupt) === 0;
  }
}

/** Linux's vring_need_event, all arithmetic mod 2^16. */
export function needEvent(eventIdx: number, newIdx: number, oldIdx: number): boolean {
  return ((newIdx - eventIdx - 1) & 0xffff) < ((newIdx - oldIdx) & 0xffff);
}

function dma(what: string, fault: DmaFault): QueueError {
  return { kind: "dma", what, fault };
}

function failed(error: QueueError): PopResult {
  return { kind: "error", error };
}
