// virtio-rng (device id 4; virtio-reference §9 item 36 and the entropy device section): one queue
// of device-writable buffers that the device fills with random bytes. The bytes come from a
// deterministic generator seeded by the machine seed and the device name, so a run can be
// replayed byte for byte. Requests complete after a small virtual latency, not inside the kick, as
// a real device would, so drivers must really wait for the interrupt.
//
// The device may write fewer bytes than a request offers (the used length says how many), so it
// fills at most RNG_MAX_REQUEST_BYTES per request, through one small scratch buffer: however many
// descriptors alias the driver's memory, a request costs the host 4 KiB, not what it claims.

import type { ScheduledEvent } from "../clock";
import { deviceSeed, Xoshiro128 } from "../prng";
import { emptyConfig, type VirtioBackend, type VirtioDeviceContext, type VirtioQueueSpec } from "./backend";
import { checkBuffers, scatter, sliceBuffers, totalLength } from "./chain-bytes";
import type { DescriptorChain } from "./descriptor-chain";
import { hostBuffer } from "./host-buffer";
import { takeAvailable } from "./take-available";
import { Feature, featureMask } from "./registers";
import type { SplitQueue } from "./split-queue";

export const VIRTIO_ID_RNG = 4;
const REQUEST_QUEUE = 0;
/** How much of the produced stream is kept for tests and views. */
const PRODUCED_LIMIT = 64 * 1024;
/** Most bytes one request gets (Linux's hw_random asks for far less; the SDK driver loops). */
export const RNG_MAX_REQUEST_BYTES = 64 * 1024;
/** Bytes generated and written at a time; a multiple of 4 so the stream matches one big fill. */
const CHUNK_BYTES = 4096;

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
  private readonly scratch = hostBuffer(CHUNK_BYTES);
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

  /** Fill the chain's writable buffers (up to the cap); the byte count, or undefined if the device failed. */
  private serve(ctx: VirtioDeviceContext, chain: DescriptorChain): number | undefined {
    const offered = totalLength(chain.writable);
    if (chain.readable.length > 0 || offered === 0) {
      // The spec forbids device-readable buffers here and requires ≥ 1 byte written; like
      // Firecracker, complete the request with nothing written and carry on.
      const why =
        chain.readable.length > 0
          ? `${chain.readable.length} device-readable descriptor(s)`
          : "no device-writable byte";
      ctx.driverError(
        `requestq chain with head ${chain.head} has ${why}: entropy requests are device-writable buffers only; completed with used len 0`,
      );
      return 0;
    }
    const total = Math.min(offered, RNG_MAX_REQUEST_BYTES);
    const memory = ctx.memory();
    // Checked whole first: the view may have changed since the kick, and a fault must not leave
    // the request half filled.
    const fault = checkBuffers(memory, sliceBuffers(chain.writable, 0, total), true);
    if (fault !== undefined) {
      ctx.queueFailed(REQUEST_QUEUE, { kind: "dma", what: `filling the buffers of chain ${chain.head}`, fault });
      return undefined;
    }
    for (let at = 0; at < total; at += CHUNK_BYTES) {
      const chunk = this.scratch.subarray(0, Math.min(CHUNK_BYTES, total - at));
      this.generator.fill(chunk);
      scatter(memory, sliceBuffers(chain.writable, at, chunk.length), chunk);
      this.record(chunk);
    }
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
