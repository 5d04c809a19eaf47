// virtio-net (device id 1; virtio-reference §7): one receiveq/transmitq pair, no control queue.
// Offered: VERSION_1, MAC, STATUS, MTU (1500), MRG_RXBUF, INDIRECT_DESC, EVENT_IDX — no checksum
// or segmentation offloads, so every frame crosses whole and fully checksummed.
//
// Transmit: a kick takes every chain, frames each (net-transmit.ts) and completes the batch after
// a virtual latency plus the wire time of its bytes; only then do the frames go onto the wire.
// Receive: the wire hands the device a frame when it arrives; it goes into posted buffers at once
// (net-receive.ts) or, with none posted, is dropped and counted — a NIC never makes the wire wait.
// Every bad frame or buffer is counted in `stats`, and reported as a device event (for drops of
// incoming frames: once per run of drops, so a flood does not flood the event list too).

import type { ScheduledEvent } from "../clock";
import type { VirtioBackend, VirtioDeviceContext, VirtioQueueSpec } from "./backend";
import type { DescriptorChain } from "./descriptor-chain";
import { NET_HDR_BYTES, NetFeature, NetLinkStatus, NetQueue, netConfigSpace, VIRTIO_ID_NET } from "./net-spec";
import { ReceivePlacer } from "./net-receive";
import { parseTxChain, type ParsedTx, type TxDropReason } from "./net-transmit";
import type { QueueError } from "./queue-error";
import { Feature, featureMask } from "./registers";
import type { SplitQueue } from "./split-queue";
import { takeAvailable } from "./take-available";

export { VIRTIO_ID_NET } from "./net-spec";

const ETH_HEADER_BYTES = 14;

/** The wire as the device sees it: where transmitted frames go. */
export interface NetWire {
  send(frame: Uint8Array): void;
}

export interface VirtioNetOptions {
  readonly deviceName: string;
  readonly mac: Uint8Array;
  readonly wire: NetWire;
  readonly mtu?: number;
  /** Virtual time from a transmit kick to its completion, before wire time (ns). */
  readonly txLatencyNs?: number;
  /** Wire time per byte (ns): 8 = 1 Gbit/s. */
  readonly nsPerByte?: number;
  readonly maxQueueSize?: number;
}

/** Counters for tests, the run summary and the views. */
export interface VirtioNetStats {
  txFrames: number;
  txBytes: number;
  rxFrames: number;
  rxBytes: number;
  /** Receive buffers (chains) used, more than rxFrames when frames were merged over several. */
  rxBuffers: number;
  /** Transmit frames dropped: longer than mtu + 14. */
  txOversize: number;
  /** Transmit frames dropped: shorter than an Ethernet header. */
  txRunt: number;
  /** Transmit frames dropped: GSO or NEEDS_CSUM without the feature. */
  txBadHeader: number;
  /** Transmit chains with device-writable buffers: dropped. */
  txWrongDirection: number;
  /** Transmit chains too short for the 12-byte header: the device needs a reset. */
  txNoHeader: number;
  /** Transmit frames completed while the link was down: not sent. */
  txLinkDown: number;
  /** Incoming frames dropped: no receive buffer posted. */
  rxNoBuffer: number;
  /** Incoming frames dropped: the driver had not set the device up (no DRIVER_OK, queue not ready). */
  rxNotReady: number;
  /** Incoming frames dropped: the next receive buffer was too small (no MRG_RXBUF). */
  rxTooSmall: number;
  /** Incoming frames dropped: the link was down. */
  rxLinkDown: number;
  /** Incoming frames dropped: longer than mtu + 14. */
  rxOversize: number;
  /** Receive chains that were no receive buffer (device-readable parts; with MRG_RXBUF, < 12 bytes). */
  rxBadBuffer: number;
}

type Framed = Exclude<ParsedTx, { kind: "malformed" | "dma" }>;

export class VirtioNet implements VirtioBackend {
  readonly deviceId = VIRTIO_ID_NET;
  readonly features = featureMask(
    Feature.Version1,
    Feature.IndirectDesc,
    Feature.EventIdx,
    NetFeature.Mac,
    NetFeature.Status,
    NetFeature.Mtu,
    NetFeature.MrgRxbuf,
  );
  readonly queues: readonly VirtioQueueSpec[];
  readonly config;
  readonly mac: Uint8Array;
  readonly mtu: number;
  readonly stats: VirtioNetStats = {
    txFrames: 0,
    txBytes: 0,
    rxFrames: 0,
    rxBytes: 0,
    rxBuffers: 0,
    txOversize: 0,
    txRunt: 0,
    txBadHeader: 0,
    txWrongDirection: 0,
    txNoHeader: 0,
    txLinkDown: 0,
    rxNoBuffer: 0,
    rxNotReady: 0,
    rxLinkDown: 0,
    rxTooSmall: 0,
    rxOversize: 0,
    rxBadBuffer: 0,
  };

  private readonly wire: NetWire;
  private readonly txLatencyNs: number;
  private readonly nsPerByte: number;
  private linkUp = true;
  private context: VirtioDeviceContext | undefined;
  private placer: ReceivePlacer | undefined;
  private readonly pending = new Set<ScheduledEvent>();
  /** Set after an incoming frame was dropped for want of a buffer; cleared by the next delivery. */
  private dropping = false;

  constructor(options: VirtioNetOptions) {
    if (options.mac.length !== 6)
      throw new RangeError(`${options.deviceName}: a MAC address is 6 bytes, not ${options.mac.length}`);
    this.mac = options.mac.slice();
    this.mtu = options.mtu ?? 1500;
    this.wire = options.wire;
    this.txLatencyNs = options.txLatencyNs ?? 2_000;
    this.nsPerByte = options.nsPerByte ?? 8;
    const maxSize = options.maxQueueSize ?? 256;
    this.queues = [
      { name: "receiveq1", maxSize },
      { name: "transmitq1", maxSize },
    ];
    this.config = netConfigSpace({
      mac: this.mac,
      mtu: this.mtu,
      status: () => (this.linkUp ? NetLinkStatus.LinkUp : 0),
    });
  }

  /** Largest frame on the wire, Ethernet header included (no FCS). */
  get maxFrame(): number {
    return this.mtu + ETH_HEADER_BYTES;
  }

  get link(): boolean {
    return this.linkUp;
  }

  attach(context: VirtioDeviceContext): void {
    this.context = context;
    this.placer = new ReceivePlacer(context, (chain, why) => {
      this.stats.rxBadBuffer++;
      context.driverError(`receiveq1 chain ${chain.head}: ${why}; completed with used len 0`);
    });
  }

  /** Link up or down (the cable): updates config.status and raises a config-change interrupt. */
  setLink(up: boolean): void {
    if (up === this.linkUp) return;
    this.linkUp = up;
    this.context?.configChanged();
  }

  queueNotify(index: number): void {
    // Receive buffers are used when frames arrive; a receiveq kick needs no action.
    if (index === NetQueue.Transmit) this.transmit();
  }

  reset(): void {
    // Frames in flight on the transmitq are dropped, never completed (§9 item 33).
    for (const event of this.pending) event.cancel();
    this.pending.clear();
    this.placer?.reset();
    this.dropping = false;
  }

  /** A frame reached the device from the wire. */
  receive(frame: Uint8Array): void {
    const ctx = this.context;
    const placer = this.placer;
    if (ctx === undefined || placer === undefined) return;
    if (!this.linkUp) {
      this.stats.rxLinkDown++;
      return;
    }
    const queue = ctx.liveQueue(NetQueue.Receive);
    if (queue === undefined) {
      this.stats.rxNotReady++;
      return;
    }
    if (frame.length > this.maxFrame) {
      this.stats.rxOversize++;
      ctx.driverError(`an incoming ${frame.length}-byte frame is larger than mtu + 14 = ${this.maxFrame}; dropped`);
      return;
    }
    const outcome = placer.place(queue, frame, ctx.negotiated(NetFeature.MrgRxbuf));
    switch (outcome.kind) {
      case "delivered":
        this.stats.rxFrames++;
        this.stats.rxBytes += frame.length;
        this.stats.rxBuffers += outcome.buffers;
        this.dropping = false;
        break;
      case "no-buffer":
        this.stats.rxNoBuffer++;
        if (!this.dropping)
          ctx.driverError(
            `receiveq1 has no buffer for an incoming ${frame.length}-byte frame (${NET_HDR_BYTES + frame.length} bytes with the header): dropped; further drops are only counted until a frame is delivered again`,
          );
        this.dropping = true;
        break;
      case "too-small":
        this.stats.rxTooSmall++;
        ctx.driverError(
          `receiveq1 chain ${outcome.head} holds ${outcome.capacity} bytes, too small for a ${frame.length}-byte frame and its header (${outcome.needed} bytes; without MRG_RXBUF post buffers of ${NET_HDR_BYTES + this.maxFrame} bytes); frame dropped, buffer completed with used len 0`,
        );
        break;
      case "failed":
        return;
    }
    if (placer.takeCompleted()) ctx.usedBuffersAdded(NetQueue.Receive, queue);
  }

  private transmit(): void {
    const ctx = this.context;
    if (ctx === undefined) return;
    const limits = { maxFrame: this.maxFrame, minFrame: ETH_HEADER_BYTES, csum: false };
    const taken = takeAvailable(ctx, NetQueue.Transmit, (chain: DescriptorChain): Framed | { failed: QueueError } => {
      const parsed = parseTxChain(ctx.memory(), chain, limits);
      if (parsed.kind === "malformed") {
        this.stats.txNoHeader++;
        return { failed: { kind: "malformed-request", head: parsed.head, reason: parsed.reason } };
      }
      if (parsed.kind === "dma")
        return { failed: { kind: "dma", what: `the transmit buffers of chain ${parsed.head}`, fault: parsed.fault } };
      if (parsed.kind === "dropped") {
        this.count(parsed.reason);
        ctx.driverError(`transmitq1 chain ${parsed.head}: ${parsed.message}; dropped, completed with used len 0`);
      } else if (parsed.note !== undefined) {
        ctx.driverError(`transmitq1 chain ${parsed.head}: ${parsed.note}`);
      }
      return parsed;
    });
    if (taken === undefined || taken.batch.length === 0) return;
    const { queue, batch } = taken;
    const bytes = batch.reduce((sum, t) => sum + (t.kind === "frame" ? t.frame.length : 0), 0);
    const event = ctx.clock.schedule({ delay: this.txLatencyNs + bytes * this.nsPerByte }, () => {
      this.pending.delete(event);
      this.complete(ctx, queue, batch);
    });
    this.pending.add(event);
  }

  private complete(ctx: VirtioDeviceContext, queue: SplitQueue, batch: readonly Framed[]): void {
    // The queue may have been stopped, reset or broken while the frames were in flight.
    if (ctx.liveQueue(NetQueue.Transmit) !== queue) return;
    for (const tx of batch) {
      if (tx.kind === "frame") {
        if (this.linkUp) {
          this.stats.txFrames++;
          this.stats.txBytes += tx.frame.length;
          this.wire.send(tx.frame);
        } else {
          this.stats.txLinkDown++;
        }
      }
      // Nothing is written into a transmit chain: used len 0 (§7.4).
      const fault = queue.pushUsed(tx.head, 0);
      if (fault !== undefined) return ctx.queueFailed(NetQueue.Transmit, fault);
    }
    ctx.usedBuffersAdded(NetQueue.Transmit, queue);
  }

  private count(reason: TxDropReason): void {
    this.stats[reason]++;
  }
}
