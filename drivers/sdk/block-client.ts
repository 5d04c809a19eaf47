// The block protocol's bulk path, client side (docs/block-protocol.md): lend a DMA buffer to the
// block driver once, then move many sectors per message. A READ's data is in the buffer when the
// BATCH reply comes (the device wrote it there); a WRITE's data is taken from the buffer.

import {
  BLK_BATCH_ENTRY_BYTES,
  BLK_MAX_BATCH,
  BlkBatchOp,
  BlkInfoFlag,
  BlkTag,
  Perm,
  describeBlkError,
} from "../../kernel/abi";
import type { Connection } from "./client";
import type { DmaBuffer } from "./dma";
import { ProtocolError } from "./errors";
import { Reader, Writer } from "./ipc";

/** One transfer of a BATCH: `sectors` sectors at disk `sector`, at byte `offset` of buffer `buffer`. */
export interface BulkTransfer {
  readonly op: "read" | "write";
  readonly buffer: number;
  readonly offset: number;
  readonly sectors: number;
  readonly sector: number;
}

/** INFO_REPLY, decoded. */
export interface DiskInfo {
  readonly sectors: number;
  readonly sectorSize: number;
  readonly maxRead: number;
  readonly maxWrite: number;
  readonly readOnly: boolean;
  readonly flush: boolean;
  /** ATTACH, DETACH and BATCH are served. */
  readonly bulk: boolean;
}

export function askDiskInfo(disk: Connection): DiskInfo {
  const reply = disk.call(BlkTag.INFO);
  if (reply.tag !== BlkTag.INFO_REPLY) throw new ProtocolError(`blk INFO answered with tag 0x${reply.tag.toString(16)}`);
  const r = new Reader(reply.payload);
  const sectors = Number(r.u64());
  const sectorSize = r.u32();
  const maxRead = r.u32();
  const maxWrite = r.u32();
  const flags = r.u32();
  return {
    sectors,
    sectorSize,
    maxRead,
    maxWrite,
    readOnly: (flags & BlkInfoFlag.READ_ONLY) !== 0,
    flush: (flags & BlkInfoFlag.FLUSH) !== 0,
    bulk: (flags & BlkInfoFlag.BULK) !== 0,
  };
}

/**
 * Lend `buffer` to the block driver under the number `id` (ours to choose). `use` says which
 * transfers it serves, and so which right the lent capability carries: "read" lets the device write
 * into it, "write" lets it read from it. Only a capability derived from ours travels; revoking
 * ours (or DMA_FREE) takes it back, and so does the end of `lifetimeUs` (virtual µs; 0 = none).
 */
export function attachBuffer(disk: Connection, buffer: DmaBuffer, id: number, use: "read" | "write" | "both" = "both", lifetimeUs = 0): void {
  const perms = (use !== "write" ? Perm.WRITE : 0) | (use !== "read" ? Perm.READ : 0);
  disk.lend(BlkTag.ATTACH, new Writer().u32(id).finish(), buffer.slot, perms, lifetimeUs);
}

/** Ask the driver to give buffer `id` back; false if it did not know it. */
export function detachBuffer(disk: Connection, id: number): boolean {
  return disk.call(BlkTag.DETACH, new Writer().u32(id).finish()).tag === BlkTag.DONE;
}

/** A reusable BATCH encoder: one request buffer, no allocation per call. */
export class BatchWriter {
  private readonly bytes = new Uint8Array(4 + BLK_MAX_BATCH * BLK_BATCH_ENTRY_BYTES);
  private readonly view = new DataView(this.bytes.buffer);
  private count = 0;

  get size(): number {
    return this.count;
  }

  add(t: BulkTransfer): this {
    if (this.count === BLK_MAX_BATCH) throw new RangeError(`a BATCH holds at most ${BLK_MAX_BATCH} transfers`);
    const at = 4 + this.count * BLK_BATCH_ENTRY_BYTES;
    const v = this.view;
    v.setUint32(at, t.op === "read" ? BlkBatchOp.READ : BlkBatchOp.WRITE, true);
    v.setUint32(at + 4, t.buffer, true);
    v.setUint32(at + 8, t.offset, true);
    v.setUint32(at + 12, t.sectors, true);
    v.setUint32(at + 16, t.sector % 2 ** 32, true);
    v.setUint32(at + 20, Math.floor(t.sector / 2 ** 32), true);
    this.count++;
    return this;
  }

  /** Send the batch and wait for every transfer; returns one status per transfer (0 = done, else
   *  a BlkError), and starts a new, empty batch. */
  send(disk: Connection): number[] {
    this.view.setUint32(0, this.count, true);
    const reply = disk.call(BlkTag.BATCH, this.bytes.subarray(0, 4 + this.count * BLK_BATCH_ENTRY_BYTES));
    const sent = this.count;
    this.count = 0;
    if (reply.tag === BlkTag.ERROR) throw new ProtocolError(`blk BATCH refused: ${describeBlkError(new Reader(reply.payload).u32())}`);
    if (reply.tag !== BlkTag.BATCH_DONE) throw new ProtocolError(`blk BATCH answered with tag 0x${reply.tag.toString(16)}`);
    const r = new Reader(reply.payload);
    const count = r.u32();
    if (count !== sent || reply.payload.length !== 4 + 4 * count) throw new ProtocolError(`blk BATCH of ${sent} answered with ${count} statuses in ${reply.payload.length} bytes`);
    return Array.from({ length: count }, () => r.u32());
  }
}
