// virtio-gpu, 2D only (device id 16; virtio 1.2 §5.7): the display of the machine. The driver makes
// a host-side resource (RESOURCE_CREATE_2D), gives it guest pages as backing (ATTACH_BACKING), shows
// it on scanout 0 (SET_SCANOUT), and after drawing into its pages copies the changed rectangle to the
// host (TRANSFER_TO_HOST_2D) and asks for it to be shown (RESOURCE_FLUSH). A flush of the resource on
// the scanout makes a **frame**: the scanout's rectangle as RGBA, with a hash that the kernel puts in
// the SysLog, so a replay checks the pixels too.
//
// Queue 0 is the controlq (request: device-readable, response: device-writable), queue 1 the cursorq
// (requests only). Commands complete after a small virtual latency, in order. Every backing entry is
// checked against the driver's DMA grant when it is attached and again before each transfer, so the
// device never reads memory outside the grant; bad requests get the error responses QEMU gives, and
// the host memory of all resources together is bounded (ERR_OUT_OF_MEMORY beyond it).

import type { ScheduledEvent } from "../clock";
import type { ConfigSpace, ConfigWriteResult, VirtioBackend, VirtioDeviceContext, VirtioQueueSpec } from "./backend";
import { checkBuffers, gather, gatherInto, sliceBuffers, totalLength } from "./chain-bytes";
import type { ChainBuffer, DescriptorChain } from "./descriptor-chain";
import {
  FORMAT_LAYOUT,
  GPU_DISPLAY_INFO_BYTES,
  GPU_EVENT_DISPLAY,
  GPU_FLAG_FENCE,
  GPU_HDR_BYTES,
  GPU_MAX_BACKING_ENTRIES,
  GPU_MEM_ENTRY_BYTES,
  GPU_REQUEST_BYTES,
  GpuCmd,
  GpuConfig,
  GpuResp,
  VIRTIO_ID_GPU,
} from "./gpu-spec";
import { hostBuffer } from "./host-buffer";
import { Feature, featureMask } from "./registers";
import { frameHash, type DisplayFrame } from "./gpu-frame";
import { takeAvailable } from "./take-available";

export { VIRTIO_ID_GPU };
export type { DisplayFrame };

const CONTROLQ = 0;
const CURSORQ = 1;
/** A resource's side, either way: QEMU's limit. */
export const GPU_MAX_RESOURCE_SIDE = 16384;
/** Most bytes of one request the device reads: ATTACH_BACKING with the most entries allowed. */
const MAX_REQUEST_BYTES =
  GPU_REQUEST_BYTES[GpuCmd.RESOURCE_ATTACH_BACKING] + GPU_MAX_BACKING_ENTRIES * GPU_MEM_ENTRY_BYTES;

export interface VirtioGpuOptions {
  readonly deviceName: string;
  /** Scanout 0's mode (GET_DISPLAY_INFO). */
  readonly width?: number;
  readonly height?: number;
  /** Virtual time from a kick to the completion of what it found (ns). */
  readonly latencyNs?: number;
  readonly maxQueueSize?: number;
  /** Host bytes all resources together may take (default 64 MiB). */
  readonly maxHostBytes?: number;
}

export interface VirtioGpuStats {
  commands: number;
  /** Commands answered with an ERR_* response. */
  errors: number;
  frames: number;
  /** Bytes copied from guest backing into resources. */
  transferredBytes: number;
}

interface Resource {
  readonly id: number;
  readonly format: number;
  readonly width: number;
  readonly height: number;
  /** The host copy, in the resource's own format (4 bytes a pixel, rows of width × 4). */
  readonly pixels: Uint8Array;
  backing?: ChainBuffer[];
}

interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** What the debugger's device view shows. */
export interface VirtioGpuSnapshot {
  mode: { width: number; height: number };
  resources: { id: number; format: number; width: number; height: number; backingBytes: number }[];
  scanout?: { resourceId: number; rect: Rect };
  cursor?: { resourceId: number; x: number; y: number };
  frames: number;
  lastError?: string;
}

class GpuError {
  constructor(
    readonly code: number,
    readonly why: string,
  ) {}
}

export class VirtioGpu implements VirtioBackend {
  readonly deviceId = VIRTIO_ID_GPU;
  readonly features = featureMask(Feature.Version1, Feature.EventIdx);
  readonly queues: readonly VirtioQueueSpec[];
  readonly config: ConfigSpace;
  readonly stats: VirtioGpuStats = { commands: 0, errors: 0, frames: 0, transferredBytes: 0 };
  readonly width: number;
  readonly height: number;

  private readonly latencyNs: number;
  private readonly maxHostBytes: number;
  private context: VirtioDeviceContext | undefined;
  private readonly pending = new Set<ScheduledEvent>();
  private readonly resources = new Map<number, Resource>();
  private hostBytes = 0;
  private scanout: { resourceId: number; rect: Rect } | undefined;
  private cursor: { resourceId: number; x: number; y: number } | undefined;
  private eventsRead = GPU_EVENT_DISPLAY;
  private frame: DisplayFrame | undefined;
  private lastError: string | undefined;
  private readonly listeners: ((frame: DisplayFrame) => void)[] = [];

  constructor(options: VirtioGpuOptions) {
    this.width = options.width ?? 640;
    this.height = options.height ?? 480;
    this.latencyNs = options.latencyNs ?? 10_000;
    this.maxHostBytes = options.maxHostBytes ?? 64 * 1024 * 1024;
    const size = options.maxQueueSize ?? 64;
    this.queues = [
      { name: "controlq", maxSize: size },
      { name: "cursorq", maxSize: size },
    ];
    this.config = this.makeConfig();
  }

  attach(context: VirtioDeviceContext): void {
    this.context = context;
  }

  /** Hear every frame (a flush of the resource on the scanout), in order. */
  onFrame(listener: (frame: DisplayFrame) => void): void {
    this.listeners.push(listener);
  }

  /** The last frame shown (kept across a reset), or undefined while nothing has been. */
  lastFrame(): DisplayFrame | undefined {
    return this.frame;
  }

  snapshot(): VirtioGpuSnapshot {
    return {
      mode: { width: this.width, height: this.height },
      resources: [...this.resources.values()].map((r) => ({
        id: r.id,
        format: r.format,
        width: r.width,
        height: r.height,
        backingBytes: r.backing ? totalLength(r.backing) : 0,
      })),
      ...(this.scanout && { scanout: { resourceId: this.scanout.resourceId, rect: { ...this.scanout.rect } } }),
      ...(this.cursor && { cursor: { ...this.cursor } }),
      frames: this.stats.frames,
      ...(this.lastError !== undefined && { lastError: this.lastError }),
    };
  }

  queueNotify(index: number): void {
    const ctx = this.context;
    if (ctx === undefined || (index !== CONTROLQ && index !== CURSORQ)) return;
    const taken = takeAvailable(ctx, index, (chain) => chain);
    if (taken === undefined || taken.batch.length === 0) return;
    const { queue, batch } = taken;
    const event = ctx.clock.schedule({ delay: this.latencyNs }, () => {
      this.pending.delete(event);
      if (ctx.liveQueue(index) !== queue) return;
      for (const chain of batch) {
        const written = index === CONTROLQ ? this.control(ctx, chain) : this.cursorCommand(ctx, chain);
        if (written === undefined) return;
        const fault = queue.pushUsed(chain.head, written);
        if (fault !== undefined) return ctx.queueFailed(index, fault);
      }
      ctx.usedBuffersAdded(index, queue);
    });
    this.pending.add(event);
  }

  reset(): void {
    for (const event of this.pending) event.cancel();
    this.pending.clear();
    this.resources.clear();
    this.hostBytes = 0;
    this.scanout = undefined;
    this.cursor = undefined;
    // The last frame stays: what the screen showed when its driver stopped (a run's screenshot is
    // taken after every driver has exited, and exiting resets the device).
    this.eventsRead = GPU_EVENT_DISPLAY;
  }

  /** One controlq request: the response's length, or undefined when the device failed the queue. */
  private control(ctx: VirtioDeviceContext, chain: DescriptorChain): number | undefined {
    this.stats.commands++;
    const memory = ctx.memory();
    const readable = totalLength(chain.readable);
    const request = gather(memory, sliceBuffers(chain.readable, 0, Math.min(readable, MAX_REQUEST_BYTES)));
    if (!(request instanceof Uint8Array)) {
      ctx.queueFailed(CONTROLQ, { kind: "dma", what: `reading the request of chain ${chain.head}`, fault: request });
      return undefined;
    }
    if (request.length < GPU_HDR_BYTES) {
      ctx.driverError(
        `controlq chain ${chain.head}: a request of ${request.length} bytes is shorter than the 24-byte control header; completed with used len 0`,
      );
      return 0;
    }
    const view = new DataView(request.buffer, request.byteOffset, request.byteLength);
    const type = view.getUint32(0, true);
    let response: Uint8Array;
    try {
      response = this.execute(ctx, type, view);
    } catch (error) {
      if (!(error instanceof GpuError)) throw error;
      this.stats.errors++;
      this.lastError = `${commandName(type)}: ${error.why}`;
      ctx.driverError(`virtio-gpu ${this.lastError} → ${responseName(error.code)}`);
      response = header(error.code);
    }
    // The response echoes the fence (§5.7.6.7: flags and fence_id copied when FENCE is set).
    const flags = view.getUint32(4, true);
    const out = new DataView(response.buffer, response.byteOffset, response.byteLength);
    if (flags & GPU_FLAG_FENCE) {
      out.setUint32(4, GPU_FLAG_FENCE, true);
      out.setBigUint64(8, view.getBigUint64(8, true), true);
    }
    out.setUint32(16, view.getUint32(16, true), true);
    const room = totalLength(chain.writable);
    if (room < response.length) {
      ctx.driverError(
        `controlq chain ${chain.head}: ${commandName(type)} needs ${response.length} response bytes, the chain offers ${room}; completed with used len 0`,
      );
      return 0;
    }
    const target = sliceBuffers(chain.writable, 0, response.length);
    const fault = checkBuffers(memory, target, true);
    if (fault !== undefined) {
      ctx.queueFailed(CONTROLQ, { kind: "dma", what: `writing the response of chain ${chain.head}`, fault });
      return undefined;
    }
    let at = 0;
    for (const b of target) {
      memory.write(b.addr, response.subarray(at, at + b.len));
      at += b.len;
    }
    return response.length;
  }

  private execute(ctx: VirtioDeviceContext, type: number, req: DataView): Uint8Array {
    const size = GPU_REQUEST_BYTES[type];
    if (size === undefined || type === GpuCmd.UPDATE_CURSOR || type === GpuCmd.MOVE_CURSOR)
      throw new GpuError(GpuResp.ERR_UNSPEC, `unknown command 0x${type.toString(16)} on the controlq`);
    if (req.byteLength < size)
      throw new GpuError(GpuResp.ERR_UNSPEC, `request of ${req.byteLength} bytes, the command's structure is ${size}`);
    const u32 = (at: number) => req.getUint32(at, true);
    switch (type) {
      case GpuCmd.GET_DISPLAY_INFO: {
        const out = header(GpuResp.OK_DISPLAY_INFO, GPU_DISPLAY_INFO_BYTES);
        const v = new DataView(out.buffer);
        v.setUint32(GPU_HDR_BYTES + 8, this.width, true);
        v.setUint32(GPU_HDR_BYTES + 12, this.height, true);
        v.setUint32(GPU_HDR_BYTES + 16, 1, true);
        return out;
      }
      case GpuCmd.RESOURCE_CREATE_2D:
        this.create(u32(24), u32(28), u32(32), u32(36));
        return header(GpuResp.OK_NODATA);
      case GpuCmd.RESOURCE_UNREF: {
        this.resource(u32(24));
        const r = this.resources.get(u32(24));
        if (r) this.hostBytes -= r.pixels.length;
        this.resources.delete(u32(24));
        if (this.scanout?.resourceId === u32(24)) this.scanout = undefined;
        return header(GpuResp.OK_NODATA);
      }
      case GpuCmd.RESOURCE_ATTACH_BACKING:
        this.attachBacking(ctx, req);
        return header(GpuResp.OK_NODATA);
      case GpuCmd.RESOURCE_DETACH_BACKING: {
        const r = this.resource(u32(24));
        if (!r.backing) throw new GpuError(GpuResp.ERR_UNSPEC, `resource ${r.id} has no backing to detach`);
        r.backing = undefined;
        return header(GpuResp.OK_NODATA);
      }
      case GpuCmd.SET_SCANOUT: {
        const rect = rectAt(req, 24);
        const scanoutId = u32(40);
        const resourceId = u32(44);
        if (scanoutId !== 0)
          throw new GpuError(GpuResp.ERR_INVALID_SCANOUT_ID, `scanout ${scanoutId}: the device has one, scanout 0`);
        if (resourceId === 0) {
          this.scanout = undefined;
          return header(GpuResp.OK_NODATA);
        }
        const r = this.resource(resourceId);
        this.inside(rect, r, "the scanout rectangle");
        this.scanout = { resourceId, rect };
        return header(GpuResp.OK_NODATA);
      }
      case GpuCmd.TRANSFER_TO_HOST_2D:
        this.transfer(ctx, rectAt(req, 24), Number(req.getBigUint64(40, true)), u32(48));
        return header(GpuResp.OK_NODATA);
      case GpuCmd.RESOURCE_FLUSH: {
        const rect = rectAt(req, 24);
        const r = this.resource(u32(40));
        this.inside(rect, r, "the flush rectangle");
        if (this.scanout?.resourceId === r.id) this.show(r, this.scanout.rect);
        return header(GpuResp.OK_NODATA);
      }
    }
    throw new GpuError(GpuResp.ERR_UNSPEC, `command 0x${type.toString(16)} is not supported`);
  }

  private create(id: number, format: number, width: number, height: number): void {
    if (id === 0) throw new GpuError(GpuResp.ERR_INVALID_RESOURCE_ID, "resource id 0 is reserved");
    if (this.resources.has(id)) throw new GpuError(GpuResp.ERR_INVALID_RESOURCE_ID, `resource ${id} exists already`);
    if (FORMAT_LAYOUT[format] === undefined)
      throw new GpuError(GpuResp.ERR_INVALID_PARAMETER, `format ${format} is not a virtio_gpu_formats value`);
    if (width === 0 || height === 0 || width > GPU_MAX_RESOURCE_SIDE || height > GPU_MAX_RESOURCE_SIDE)
      throw new GpuError(
        GpuResp.ERR_INVALID_PARAMETER,
        `${width}×${height}: each side must be 1…${GPU_MAX_RESOURCE_SIDE} pixels`,
      );
    const bytes = width * height * 4;
    if (this.hostBytes + bytes > this.maxHostBytes)
      throw new GpuError(
        GpuResp.ERR_OUT_OF_MEMORY,
        `${width}×${height} needs ${bytes} bytes; resources hold ${this.hostBytes} of the device's ${this.maxHostBytes}`,
      );
    this.hostBytes += bytes;
    this.resources.set(id, { id, format, width, height, pixels: hostBuffer(bytes) });
  }

  private attachBacking(ctx: VirtioDeviceContext, req: DataView): void {
    const r = this.resource(req.getUint32(24, true));
    const count = req.getUint32(28, true);
    if (r.backing) throw new GpuError(GpuResp.ERR_UNSPEC, `resource ${r.id} has backing already (detach it first)`);
    if (count === 0 || count > GPU_MAX_BACKING_ENTRIES)
      throw new GpuError(GpuResp.ERR_UNSPEC, `${count} backing entries: 1…${GPU_MAX_BACKING_ENTRIES} allowed`);
    const first = GPU_REQUEST_BYTES[GpuCmd.RESOURCE_ATTACH_BACKING];
    if (req.byteLength < first + count * GPU_MEM_ENTRY_BYTES)
      throw new GpuError(
        GpuResp.ERR_UNSPEC,
        `${count} entries need ${first + count * GPU_MEM_ENTRY_BYTES} request bytes, the request has ${req.byteLength}`,
      );
    const entries: ChainBuffer[] = [];
    const memory = ctx.memory();
    for (let i = 0; i < count; i++) {
      const at = first + i * GPU_MEM_ENTRY_BYTES;
      const addr = Number(req.getBigUint64(at, true));
      const len = req.getUint32(at + 8, true);
      if (memory.check(addr, len, false) !== undefined)
        throw new GpuError(
          GpuResp.ERR_UNSPEC,
          `backing entry ${i} (0x${addr.toString(16)}, ${len} bytes) is outside the driver's DMA grant`,
        );
      entries.push({ addr, len });
    }
    r.backing = entries;
  }

  private transfer(ctx: VirtioDeviceContext, rect: Rect, offset: number, id: number): void {
    const r = this.resource(id);
    if (!r.backing) throw new GpuError(GpuResp.ERR_UNSPEC, `resource ${id} has no backing (ATTACH_BACKING first)`);
    this.inside(rect, r, "the transfer rectangle");
    const stride = r.width * 4;
    const rowBytes = rect.width * 4;
    const last = offset + stride * (rect.height - 1) + rowBytes;
    const backingBytes = totalLength(r.backing);
    if (last > backingBytes)
      throw new GpuError(
        GpuResp.ERR_INVALID_PARAMETER,
        `offset ${offset} with ${rect.height} rows of stride ${stride} reaches byte ${last}; the backing has ${backingBytes}`,
      );
    const memory = ctx.memory();
    // The grant may have changed since ATTACH_BACKING (a buffer freed or revoked).
    if (checkBuffers(memory, sliceBuffers(r.backing, offset, last - offset), false) !== undefined)
      throw new GpuError(GpuResp.ERR_UNSPEC, `resource ${id}'s backing is no longer in the driver's DMA grant`);
    for (let row = 0; row < rect.height; row++) {
      const dst = (rect.y + row) * stride + rect.x * 4;
      gatherInto(
        memory,
        sliceBuffers(r.backing, offset + stride * row, rowBytes),
        r.pixels.subarray(dst, dst + rowBytes),
      );
    }
    this.stats.transferredBytes += rowBytes * rect.height;
  }

  private show(r: Resource, rect: Rect): void {
    const [red, green, blue, alpha] = FORMAT_LAYOUT[r.format];
    const rgba = new Uint8Array(rect.width * rect.height * 4);
    let o = 0;
    for (let y = rect.y; y < rect.y + rect.height; y++) {
      let i = (y * r.width + rect.x) * 4;
      for (let x = 0; x < rect.width; x++, i += 4) {
        rgba[o++] = r.pixels[i + red];
        rgba[o++] = r.pixels[i + green];
        rgba[o++] = r.pixels[i + blue];
        rgba[o++] = alpha < 0 ? 255 : r.pixels[i + alpha];
      }
    }
    const frame: DisplayFrame = {
      index: this.stats.frames++,
      width: rect.width,
      height: rect.height,
      rgba,
      hash: frameHash(rect.width, rect.height, rgba),
    };
    this.frame = frame;
    for (const l of this.listeners) l(frame);
  }

  private resource(id: number): Resource {
    const r = this.resources.get(id);
    if (!r) throw new GpuError(GpuResp.ERR_INVALID_RESOURCE_ID, `resource ${id} does not exist`);
    return r;
  }

  private inside(rect: Rect, r: Resource, what: string): void {
    if (rect.width === 0 || rect.height === 0 || rect.x + rect.width > r.width || rect.y + rect.height > r.height)
      throw new GpuError(
        GpuResp.ERR_INVALID_PARAMETER,
        `${what} ${rect.width}×${rect.height} at (${rect.x}, ${rect.y}) is empty or not inside resource ${r.id} (${r.width}×${r.height})`,
      );
  }

  /** cursorq: UPDATE_CURSOR / MOVE_CURSOR move the pointer; no response (used len 0). */
  private cursorCommand(ctx: VirtioDeviceContext, chain: DescriptorChain): number | undefined {
    const request = gather(ctx.memory(), sliceBuffers(chain.readable, 0, 56));
    if (!(request instanceof Uint8Array)) {
      ctx.queueFailed(CURSORQ, { kind: "dma", what: `reading cursor request ${chain.head}`, fault: request });
      return undefined;
    }
    const view = new DataView(request.buffer, request.byteOffset, request.byteLength);
    const type = request.length >= 4 ? view.getUint32(0, true) : 0;
    if (request.length < 56 || (type !== GpuCmd.UPDATE_CURSOR && type !== GpuCmd.MOVE_CURSOR)) {
      ctx.driverError(`cursorq chain ${chain.head}: not a 56-byte UPDATE_CURSOR or MOVE_CURSOR request; ignored`);
      return 0;
    }
    // struct virtio_gpu_update_cursor: pos {scanout_id u32 @24, x u32 @28, y u32 @32}, resource_id @40.
    const x = view.getUint32(28, true);
    const y = view.getUint32(32, true);
    const resourceId = type === GpuCmd.UPDATE_CURSOR ? view.getUint32(40, true) : (this.cursor?.resourceId ?? 0);
    this.cursor = { resourceId, x, y };
    return 0;
  }

  private makeConfig(): ConfigSpace {
    return {
      size: 16,
      read: (offset, width) => {
        if (width !== 4) return undefined;
        switch (offset) {
          case GpuConfig.EventsRead:
            return this.eventsRead;
          case GpuConfig.EventsClear:
            return 0;
          case GpuConfig.NumScanouts:
            return 1;
          case GpuConfig.NumCapsets:
            return 0;
        }
        return undefined;
      },
      write: (offset, width, value): ConfigWriteResult => {
        if (offset === GpuConfig.EventsClear && width === 4) {
          this.eventsRead &= ~value;
          return "ok";
        }
        return offset < 16 ? "read-only" : "out-of-range";
      },
    };
  }
}

function header(type: number, bytes = GPU_HDR_BYTES): Uint8Array {
  const out = new Uint8Array(bytes);
  new DataView(out.buffer).setUint32(0, type, true);
  return out;
}

function rectAt(view: DataView, at: number): Rect {
  return {
    x: view.getUint32(at, true),
    y: view.getUint32(at + 4, true),
    width: view.getUint32(at + 8, true),
    height: view.getUint32(at + 12, true),
  };
}

export function commandName(type: number): string {
  const entry = Object.entries(GpuCmd).find(([, v]) => v === type);
  return entry ? entry[0] : `command 0x${type.toString(16)}`;
}

export function responseName(type: number): string {
  const entry = Object.entries(GpuResp).find(([, v]) => v === type);
  return entry ? `RESP_${entry[0]}` : `response 0x${type.toString(16)}`;
}
