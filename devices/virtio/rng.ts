// virtio-rng (device id 4; virtio-reference §9 item 36 and the entropy device section): one queue
// of device-writable buffers that the device fills with random bytes. The bytes come from a
// deterministic generator seeded by the machine seed and the device name, so a run can be
// replayed byte for byte. Requests complete after a small virtual latency, not inside the kick, as
// a real device would, so drivers must really wait for the interrupt.

import type { ScheduledEvent } from "../clock";
import { isDmaFault } from "../iommu";
import { deviceSeed, Xoshiro128 } from "../prng";
import { emptyConfig, type VirtioBackend, type VirtioDeviceContext, type VirtioQueueSpec } from "./backend";
import type { DescriptorChain } from "./descriptor-chain";
import { takeAvailable } from "./take-available";
import { Feature, featureMask } from "./registers";
import type { SplitQueue } from "./split-queue";

export const VIRTIO_ID_RNG = 4;
const REQUEST_QUEUE = 0;
/** How much of the produced stream is kept for tests and views. */
const PRODUCED_LIMIT = 64 * 1024;

export interface VirtioRngOptions {
  readonly machineSeed: bigint;
  readonly deviceName: string;
  /** Virtual time from kick to completion (ns). */
  readonly latencyNs?: number;
  readonly maxQueueSize?: number;
}

export class VirtioRng implements VirtioBackend {
  readonly deviceId = VIRTIO_ID_RNG;
  // INDIRECT_DESC and EVENT_IDX are offered so that drivers (and our tests) exercise both paths.
  readonly features = featureMask(Feature.Version1, Feature.IndirectDesc, Feature.EventIdx);
  readonly queues: readonly VirtioQueueSpec[];
  readonly config = emptyConfig;

  private readonly generator: Xoshiro128;
  private readonly latencyNs: number;
  private context: VirtioDeviceContext | undefined;
  private readonly pending = new Set<ScheduledEvent>();
  private produced = new Uint8Array(PRODUCED_LIMIT);
  private producedLength = 0;

  constructor(options: VirtioRngOptions) {
    this.generator = new Xoshiro128(deviceSeed(options.machineSeed, options.deviceName));
    this.latencyNs = options.latencyNs ?? 5_000;
    this.queues = [{ name: "requestq", maxSize: options.maxQueueSize ?? 256 }];
  }

  attach(context: VirtioDeviceContext): void {
    this.context = context;
  }

  queueNotify(index: number): void {
    const ctx = this.context;
    if (ctx === undefined || index !== REQUEST_QUEUE) return;
    const taken = takeAvailable(ctx, index, (chain) => chain);
    if (taken === undefined) return;
    const { queue, batch } = taken;
    if (batch.length === 0) return;
    const event = ctx.clock.schedule({ delay: this.latencyNs }, () => {
      this.pending.delete(event);
      this.complete(ctx, queue, batch);
    });
    this.pending.add(event);
  }

  reset(): void {
    // In-flight requests are dropped, never completed (§9 item 33). The generator runs on: an
    // entropy source that replayed its bytes after a driver restart would be a poor one.
    for (const event of this.pending) event.cancel();
    this.pending.clear();
  }

  /** The last bytes the device wrote into guest memory (up to 64 KiB), oldest first. */
  producedBytes(): Uint8Array {
    return this.produced.slice(0, this.producedLength);
  }

  private complete(ctx: VirtioDeviceContext, queue: SplitQueue, batch: readonly DescriptorChain[]): void {
    // The queue may have been stopped, reset or broken while the request was in flight.
    if (ctx.liveQueue(REQUEST_QUEUE) !== queue) return;
    for (const chain of batch) {
      const written = this.serve(ctx, chain);
      if (written === undefined) return;
      const fault = queue.pushUsed(chain.head, written);
      if (fault !== undefined) return ctx.queueFailed(REQUEST_QUEUE, fault);
    }
    ctx.usedBuffersAdded(REQUEST_QUEUE, queue);
  }

  /** Fill the chain's writable buffers; the byte count, or undefined if the device failed. */
  private serve(ctx: VirtioDeviceContext, chain: DescriptorChain): number | undefined {
    const total = chain.writable.reduce((sum, b) => sum + b.len, 0);
    if (chain.readable.length > 0 || total === 0) {
      // The spec forbids device-readable buffers here and requires ≥ 1 byte written; like
      // Firecracker, complete the request with nothing written and carry on.
      const why = chain.readable.length > 0 ? `${chain.readable.length} device-readable descriptor(s)` : "no device-writable byte";
      ctx.driverError(`requestq chain with head ${chain.head} has ${why}: entropy requests are device-writable buffers only; completed with used len 0`);
      return 0;
    }
    const bytes = new Uint8Array(total);
    this.generator.fill(bytes);
    const memory = ctx.memory();
    let offset = 0;
    for (const buffer of chain.writable) {
      const fault = memory.write(buffer.addr, bytes.subarray(offset, offset + buffer.len));
      if (isDmaFault(fault)) {
        ctx.queueFailed(REQUEST_QUEUE, { kind: "dma", what: `filling the buffer of chain ${chain.head} (addr 0x${buffer.addr.toString(16)}, len ${buffer.len})`, fault });
        return undefined;
      }
      offset += buffer.len;
    }
    this.record(bytes);
    return total;
  }

  private record(bytes: Uint8Array): void {
    const keep = bytes.subarray(Math.max(0, bytes.length - PRODUCED_LIMIT));
    const room = PRODUCED_LIMIT - this.producedLength;
    if (keep.length > room) {
      // Slide the window: drop the oldest bytes so the newest always fit.
      const drop = keep.length - room;
      this.produced.copyWithin(0, drop, this.producedLength);
      this.producedLength -= drop;
    }
    this.produced.set(keep, this.producedLength);
    this.producedLength += keep.length;
  }
}
