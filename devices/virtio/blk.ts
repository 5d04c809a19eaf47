// virtio-blk (device id 2; virtio-reference §6): one request queue in front of a BlockStore.
//
// A kick takes every chain the driver published, frames each as a request (blk-request.ts) and
// schedules the whole batch to complete together after a virtual latency, like a device working on
// its requests in parallel. At completion the device does the I/O, writes each status byte, puts
// every completion in the used ring and only then decides once whether to interrupt (§3.6, with
// EVENT_IDX when negotiated): many completions, one interrupt. Several kicks can be in flight.
//
// Offered: VERSION_1, INDIRECT_DESC, EVENT_IDX, SEG_MAX, BLK_SIZE, FLUSH, and RO for a read-only disk.
// A request carries at most BLK_MAX_REQUEST_BYTES (4 MiB) of data, else IOERR; data in whole
// sectors moves in place, other layouts through a bounce buffer of at most 64 KiB.

import type { ScheduledEvent } from "../clock";
import type { BlockStore } from "../disk/block-store";
import type { DiskOperation, FaultPoints } from "../faults";
import { isDmaFault, type DmaFault, type IommuView } from "../iommu";
import type { VirtioBackend, VirtioDeviceContext, VirtioQueueSpec } from "./backend";
import { parseBlkRequest, type BlkOperation, type ParsedBlkRequest } from "./blk-request";
import {
  BLK_BOUNCE_BYTES,
  BLK_ID_BYTES,
  blkConfigSpace,
  BlkFeature,
  BlkStatus,
  VIRTIO_ID_BLOCK,
  type BlkStatusCode,
} from "./blk-spec";
import { checkBuffers, gatherInto, scatter, sliceBuffers } from "./chain-bytes";
import type { ChainBuffer } from "./descriptor-chain";
import { hostBuffer } from "./host-buffer";
import { Feature, featureMask } from "./registers";
import type { SplitQueue } from "./split-queue";
import type { QueueError } from "./queue-error";
import { takeAvailable } from "./take-available";

export { VIRTIO_ID_BLOCK } from "./blk-spec";

const REQUEST_QUEUE = 0;

export interface VirtioBlkOptions {
  readonly deviceName: string;
  readonly disk: BlockStore;
  /** Virtual time from kick to completion of a batch, before transfer time (ns). */
  readonly requestLatencyNs?: number;
  /** Virtual transfer time per KiB of the batch (ns): 250 ≈ 4 GB/s. */
  readonly transferNsPerKiB?: number;
  /** QueueSizeMax (a power of two ≥ 128). */
  readonly maxQueueSize?: number;
  /** What GET_ID answers (ASCII, at most 20 bytes). */
  readonly serial?: string;
  /** Armed faults (devices/faults.ts): an error status, a late or a lost completion. */
  readonly faults?: FaultPoints;
}

/** Counters for tests, views and the benchmark. */
export interface VirtioBlkStats {
  requests: number;
  completed: number;
  /** Completion batches: each is one used-ring update followed by one notification decision. */
  batches: number;
  inFlight: number;
  maxInFlight: number;
  bytesRead: number;
  bytesWritten: number;
  flushes: number;
}

type Framed = Extract<ParsedBlkRequest, { kind: "refused" | "request" }>;

export class VirtioBlk implements VirtioBackend {
  readonly deviceId = VIRTIO_ID_BLOCK;
  readonly features: bigint;
  readonly queues: readonly VirtioQueueSpec[];
  readonly config;
  readonly disk: BlockStore;
  readonly serial: string;
  readonly stats: VirtioBlkStats = {
    requests: 0,
    completed: 0,
    batches: 0,
    inFlight: 0,
    maxInFlight: 0,
    bytesRead: 0,
    bytesWritten: 0,
    flushes: 0,
  };

  private readonly segMax: number;
  private readonly requestLatencyNs: number;
  private readonly transferNsPerKiB: number;
  private context: VirtioDeviceContext | undefined;
  private readonly pending = new Set<ScheduledEvent>();
  private readonly faults: FaultPoints | undefined;
  /** Requests a fault said to fail with IOERR, without touching the disk. */
  private readonly failing = new WeakSet<Framed>();

  constructor(options: VirtioBlkOptions) {
    this.disk = options.disk;
    this.faults = options.faults;
    const queueSize = options.maxQueueSize ?? 256;
    if (queueSize < 128)
      throw new RangeError(
        `${options.deviceName}: virtio-blk queues hold at least 128 entries (asked for ${queueSize})`,
      );
    this.queues = [{ name: "requestq", maxSize: queueSize }];
    // Linux's choice: header and status take two descriptors, the rest may carry data.
    this.segMax = queueSize - 2;
    this.requestLatencyNs = options.requestLatencyNs ?? 10_000;
    this.transferNsPerKiB = options.transferNsPerKiB ?? 250;
    this.serial = (options.serial ?? `ZDS-${options.deviceName}`).replace(/[^\x20-\x7e]/g, "?").slice(0, BLK_ID_BYTES);
    const offered: number[] = [
      Feature.Version1,
      Feature.IndirectDesc,
      Feature.EventIdx,
      BlkFeature.SegMax,
      BlkFeature.BlkSize,
      BlkFeature.Flush,
    ];
    if (this.disk.readOnly) offered.push(BlkFeature.Ro);
    this.features = featureMask(...offered);
    this.config = blkConfigSpace({ capacity: this.disk.sectors, segMax: this.segMax, blkSize: 512 });
  }

  attach(context: VirtioDeviceContext): void {
    this.context = context;
  }

  queueNotify(index: number): void {
    const ctx = this.context;
    if (ctx === undefined || index !== REQUEST_QUEUE) return;
    const taken = takeAvailable(ctx, index, (chain): Framed | { failed: QueueError } => {
      const parsed = parseBlkRequest(ctx.memory(), chain, {
        capacity: this.disk.sectors,
        segMax: this.segMax,
        readOnly: this.disk.readOnly,
      });
      if (parsed.kind === "malformed")
        return { failed: { kind: "malformed-request", head: parsed.head, reason: parsed.reason } };
      if (parsed.kind === "dma")
        return { failed: { kind: "dma", what: `the header of chain ${parsed.head}`, fault: parsed.fault } };
      if (parsed.kind === "refused")
        ctx.driverError(
          `requestq chain ${parsed.head}: ${parsed.reason}; completed with status ${statusName(parsed.status)}`,
        );
      else if (parsed.note !== undefined) ctx.driverError(`requestq chain ${parsed.head}: ${parsed.note}`);
      return parsed;
    });
    if (taken === undefined) return;
    const { queue, batch: all } = taken;
    if (all.length === 0) return;
    this.stats.requests += all.length;
    this.stats.inFlight += all.length;
    this.stats.maxInFlight = Math.max(this.stats.maxInFlight, this.stats.inFlight);
    // Armed faults take their requests out of the batch: late ones complete on their own, lost ones never.
    const batch: Framed[] = [];
    for (const request of all) {
      const action = this.faults?.request(ctx.deviceName, diskOperation(request));
      if (action?.kind === "drop") continue;
      if (action?.kind === "io-error") this.failing.add(request);
      if (action?.kind === "delay") this.completeLater(ctx, queue, [request], this.latency([request]) + action.ns);
      else batch.push(request);
    }
    if (batch.length > 0) this.completeLater(ctx, queue, batch, this.latency(batch));
  }

  private completeLater(ctx: VirtioDeviceContext, queue: SplitQueue, batch: readonly Framed[], delay: number): void {
    const event = ctx.clock.schedule({ delay }, () => {
      this.pending.delete(event);
      this.stats.inFlight -= batch.length;
      this.complete(ctx, queue, batch);
    });
    this.pending.add(event);
  }

  reset(): void {
    // In-flight requests are dropped, never completed (§9 item 33); what reached the disk stays.
    for (const event of this.pending) event.cancel();
    this.pending.clear();
    this.stats.inFlight = 0;
  }

  private latency(batch: readonly Framed[]): number {
    const bytes = batch.reduce((sum, r) => sum + (r.kind === "request" && "bytes" in r.op ? r.op.bytes : 0), 0);
    return this.requestLatencyNs + Math.ceil(bytes / 1024) * this.transferNsPerKiB;
  }

  private complete(ctx: VirtioDeviceContext, queue: SplitQueue, batch: readonly Framed[]): void {
    // The queue may have been stopped, reset or broken while the batch was in flight.
    if (ctx.liveQueue(REQUEST_QUEUE) !== queue) return;
    for (const request of batch) {
      const outcome =
        request.kind === "refused"
          ? { status: request.status, written: 0 }
          : this.failing.has(request)
            ? { status: BlkStatus.IoErr, written: 0 }
            : this.execute(ctx, request.op);
      if (isDmaFault(outcome))
        return ctx.queueFailed(REQUEST_QUEUE, {
          kind: "dma",
          what: `the data of chain ${request.head}`,
          fault: outcome,
        });
      const fault = ctx.memory().write(request.statusAddr, Uint8Array.of(outcome.status));
      if (fault !== undefined)
        return ctx.queueFailed(REQUEST_QUEUE, { kind: "dma", what: `the status byte of chain ${request.head}`, fault });
      // Used length = bytes written into the chain: the data, then the status byte (§6.5).
      const queueFault = queue.pushUsed(request.head, outcome.written + 1);
      if (queueFault !== undefined) return ctx.queueFailed(REQUEST_QUEUE, queueFault);
      this.stats.completed++;
    }
    this.stats.batches++;
    ctx.usedBuffersAdded(REQUEST_QUEUE, queue);
  }

  /** Do one request against the disk: its status and the data bytes written into the chain. */
  private execute(ctx: VirtioDeviceContext, op: BlkOperation): { status: BlkStatusCode; written: number } | DmaFault {
    const memory = ctx.memory();
    try {
      switch (op.kind) {
        case "read": {
          const fault = wholeSectors(op.data)
            ? this.readInPlace(memory, op.sector, op.data)
            : this.readBounced(memory, op.sector, op.data, op.bytes);
          if (fault !== undefined) return fault;
          this.stats.bytesRead += op.bytes;
          return { status: BlkStatus.Ok, written: op.bytes };
        }
        case "write": {
          if (wholeSectors(op.data)) {
            const fault = this.writeInPlace(memory, op.sector, op.data);
            if (fault !== undefined) return fault;
          } else {
            const fault = this.writeBounced(memory, op.sector, op.data, op.bytes);
            if (fault !== undefined) return fault;
          }
          // Without FLUSH negotiated, a completed write must already be stable (§6.6, case a).
          if (!ctx.negotiated(BlkFeature.Flush)) this.disk.flush();
          this.stats.bytesWritten += op.bytes;
          return { status: BlkStatus.Ok, written: 0 };
        }
        case "flush":
          this.disk.flush();
          this.stats.flushes++;
          return { status: BlkStatus.Ok, written: 0 };
        case "get-id": {
          const id = new Uint8Array(BLK_ID_BYTES);
          for (let i = 0; i < this.serial.length; i++) id[i] = this.serial.charCodeAt(i);
          const written = Math.min(op.bytes, BLK_ID_BYTES);
          const fault = scatter(memory, op.data, id.subarray(0, written));
          return fault ?? { status: BlkStatus.Ok, written };
        }
      }
    } catch (error) {
      ctx.hostError(
        `${op.kind} on ${this.disk.label} failed: ${error instanceof Error ? error.message : String(error)}; completed with status IOERR`,
      );
      return { status: BlkStatus.IoErr, written: 0 };
    }
  }

  // Buffers of whole sectors move straight between the image and guest memory, as a DMA engine
  // would: no bounce copy, which is most of the cost of a large read. Other layouts (legal: a
  // chain is a byte stream) go through one bounce buffer.

  private readInPlace(memory: IommuView, sector: number, buffers: readonly ChainBuffer[]): DmaFault | undefined {
    // Check every buffer before touching any, so a fault leaves guest memory as it was.
    const spans: Uint8Array[] = [];
    for (const b of buffers) {
      const span = memory.span(b.addr, b.len, true);
      if (isDmaFault(span)) return span;
      spans.push(span);
    }
    let at = sector;
    for (const span of spans) {
      this.disk.read(at, span);
      at += span.length / SECTOR_BYTES;
    }
    return undefined;
  }

  private readBounced(
    memory: IommuView,
    sector: number,
    buffers: readonly ChainBuffer[],
    bytes: number,
  ): DmaFault | undefined {
    const fault = checkBuffers(memory, buffers, true);
    if (fault !== undefined) return fault;
    const bounce = hostBuffer(Math.min(bytes, BLK_BOUNCE_BYTES));
    for (let at = 0; at < bytes; at += bounce.length) {
      const piece = bounce.subarray(0, Math.min(bounce.length, bytes - at));
      this.disk.read(sector + at / SECTOR_BYTES, piece);
      scatter(memory, sliceBuffers(buffers, at, piece.length), piece);
    }
    return undefined;
  }

  private writeBounced(
    memory: IommuView,
    sector: number,
    buffers: readonly ChainBuffer[],
    bytes: number,
  ): DmaFault | undefined {
    // Checked whole first, so a fault never leaves half a request on the disk.
    const fault = checkBuffers(memory, buffers, false);
    if (fault !== undefined) return fault;
    const bounce = hostBuffer(Math.min(bytes, BLK_BOUNCE_BYTES));
    for (let at = 0; at < bytes; at += bounce.length) {
      const piece = bounce.subarray(0, Math.min(bounce.length, bytes - at));
      gatherInto(memory, sliceBuffers(buffers, at, piece.length), piece);
      this.disk.write(sector + at / SECTOR_BYTES, piece);
    }
    return undefined;
  }

  private writeInPlace(memory: IommuView, sector: number, buffers: readonly ChainBuffer[]): DmaFault | undefined {
    const spans: Uint8Array[] = [];
    for (const b of buffers) {
      const span = memory.span(b.addr, b.len, false);
      if (isDmaFault(span)) return span;
      spans.push(span);
    }
    let at = sector;
    for (const span of spans) {
      this.disk.write(at, span);
      at += span.length / SECTOR_BYTES;
    }
    return undefined;
  }
}

const SECTOR_BYTES = 512;

/** A request as the fault points see it. */
function diskOperation(request: Framed): DiskOperation {
  if (request.kind === "refused") return { op: "other", sector: 0, sectors: 0 };
  const op = request.op;
  if (op.kind === "read" || op.kind === "write")
    return { op: op.kind, sector: op.sector, sectors: Math.ceil(op.bytes / SECTOR_BYTES) };
  return { op: op.kind === "flush" ? "flush" : "other", sector: 0, sectors: 0 };
}

function wholeSectors(buffers: readonly ChainBuffer[]): boolean {
  return buffers.every((b) => b.len % SECTOR_BYTES === 0);
}

function statusName(status: BlkStatusCode): string {
  return status === BlkStatus.Ok ? "OK" : status === BlkStatus.IoErr ? "IOERR" : "UNSUPP";
}
