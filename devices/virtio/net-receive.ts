// Placing one incoming frame into the receiveq (virtio-reference §7.4): the 12-byte header, then
// the frame. Without MRG_RXBUF the frame must fit one chain (num_buffers = 1); with it, the frame
// spans as many chains as it needs, only the first starts with the header, all but the last are
// filled completely, and num_buffers says how many there are.
//
// Chains the device took but could not use for this frame (too few for a merged frame) are held,
// in order, for the next frame rather than returned: a real device keeps them too (QEMU rewinds
// its ring cursor), and a ring index cannot move backwards.

import type { VirtioDeviceContext } from "./backend";
import { scatter, totalLength } from "./chain-bytes";
import type { DescriptorChain } from "./descriptor-chain";
import { NET_HDR_BYTES, NetHdr, NetQueue } from "./net-spec";
import type { SplitQueue } from "./split-queue";

export type RxOutcome =
  | { readonly kind: "delivered"; readonly buffers: number }
  /** No (or not enough) buffers posted: the frame is dropped. */
  | { readonly kind: "no-buffer" }
  /** Without MRG_RXBUF, the next chain cannot hold header + frame: completed with used len 0. */
  | { readonly kind: "too-small"; readonly head: number; readonly capacity: number; readonly needed: number }
  /** The queue broke (ring error or DMA fault), already reported to the transport. */
  | { readonly kind: "failed" };

export class ReceivePlacer {
  private held: { queue: SplitQueue; chains: DescriptorChain[] } | undefined;
  /** Whether used entries were added since the last takeCompleted(): worth a notification decision. */
  private completed = false;

  constructor(
    private readonly ctx: VirtioDeviceContext,
    /** Called for every chain that is not a receive buffer at all (completed with used len 0). */
    private readonly badBuffer: (chain: DescriptorChain, why: string) => void,
  ) {}

  takeCompleted(): boolean {
    const was = this.completed;
    this.completed = false;
    return was;
  }

  /** Forget held chains (device reset: they belong to a ring that no longer exists). */
  reset(): void {
    this.held = undefined;
  }

  place(queue: SplitQueue, frame: Uint8Array, mergeable: boolean): RxOutcome {
    const needed = NET_HDR_BYTES + frame.length;
    const chains: DescriptorChain[] = [];
    let capacity = 0;
    while (capacity < needed && (mergeable || chains.length === 0)) {
      const chain = this.take(queue, mergeable);
      if (chain === "failed") return { kind: "failed" };
      if (chain === "empty") {
        this.giveBack(queue, chains);
        return { kind: "no-buffer" };
      }
      chains.push(chain);
      capacity += totalLength(chain.writable);
    }
    if (capacity < needed) {
      // Only reachable without MRG_RXBUF: one chain, too small.
      const chain = chains[0];
      if (!this.complete(queue, chain.head, 0)) return { kind: "failed" };
      return { kind: "too-small", head: chain.head, capacity, needed };
    }

    const stream = new Uint8Array(needed);
    stream[NetHdr.numBuffers] = chains.length & 0xff;
    stream[NetHdr.numBuffers + 1] = chains.length >> 8;
    stream.set(frame, NET_HDR_BYTES);
    let at = 0;
    const memory = this.ctx.memory();
    for (const chain of chains) {
      const part = stream.subarray(at, at + totalLength(chain.writable));
      const fault = scatter(memory, chain.writable, part);
      if (fault !== undefined) {
        this.ctx.queueFailed(NetQueue.Receive, { kind: "dma", what: `filling receive chain ${chain.head}`, fault });
        return { kind: "failed" };
      }
      at += part.length;
    }
    // Written first, made used together after, each with the bytes that went into it.
    at = 0;
    for (const chain of chains) {
      const len = Math.min(totalLength(chain.writable), needed - at);
      if (!this.complete(queue, chain.head, len)) return { kind: "failed" };
      at += len;
    }
    return { kind: "delivered", buffers: chains.length };
  }

  /** The next usable receive chain: held ones first, then the ring. Unusable chains are completed
   *  with used len 0 and reported, and the search goes on. */
  private take(queue: SplitQueue, mergeable: boolean): DescriptorChain | "empty" | "failed" {
    for (;;) {
      let chain: DescriptorChain | undefined;
      if (this.held !== undefined && this.held.queue === queue && this.held.chains.length > 0) {
        chain = this.held.chains.shift();
      } else {
        const next = queue.pop();
        if (next.kind === "empty") return "empty";
        if (next.kind === "error") {
          this.ctx.queueFailed(NetQueue.Receive, next.error);
          return "failed";
        }
        chain = next.chain;
      }
      if (chain === undefined) return "empty";
      const why =
        chain.readable.length > 0
          ? `${chain.readable.length} device-readable descriptor(s) in a receive chain (receive buffers are device-writable only)`
          : mergeable && totalLength(chain.writable) < NET_HDR_BYTES
            ? `a receive chain of ${totalLength(chain.writable)} bytes; with MRG_RXBUF every buffer must hold at least the ${NET_HDR_BYTES}-byte header`
            : undefined;
      if (why === undefined) return chain;
      this.badBuffer(chain, why);
      if (!this.complete(queue, chain.head, 0)) return "failed";
    }
  }

  private giveBack(queue: SplitQueue, chains: DescriptorChain[]): void {
    if (chains.length === 0) return;
    const rest = this.held !== undefined && this.held.queue === queue ? this.held.chains : [];
    this.held = { queue, chains: [...chains, ...rest] };
  }

  private complete(queue: SplitQueue, head: number, len: number): boolean {
    const fault = queue.pushUsed(head, len);
    if (fault === undefined) {
      this.completed = true;
      return true;
    }
    this.ctx.queueFailed(NetQueue.Receive, fault);
    return false;
  }
}
