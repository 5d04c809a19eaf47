// The block protocol's bulk path, client side (docs/block-protocol.md): lend a DMA buffer to the
// block driver once, then move many sectors per message. A READ's data is in the buffer when the
// BATCH reply comes (the device wrote it there); a WRITE's data is taken from the buffer.

import {
  BLK_MAX_BATCH,
  BlkBatchOp,
  BlkInfoFlag,
  BlkTag,
  Perm,
  blkBatchBytes,
  blkBatchEntryAt,
  decodeBlkBatchDone,
  decodeBlkInfo,
  describeBlkError,
  writeBlkBatchEntry,
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
  if (reply.tag !== BlkTag.INFO_REPLY)
    throw new ProtocolError(`blk INFO answered with tag 0x${reply.tag.toString(16)}`);
  const info = decodeDiskInfo(reply.payload);
  if (!info)
    throw new ProtocolError(
      `blk INFO_REPLY is ${reply.payload.length} bytes, shorter than [sectors u64][sector_size u32][max_read u32][max_write u32][flags u32]`,
    );
  return info;
}

/** An INFO_REPLY payload, decoded (layout: decodeBlkInfo, kernel/abi/block.ts); undefined if it is
 *  too short. */
export function decodeDiskInfo(payload: Uint8Array): DiskInfo | undefined {
  const fields = decodeBlkInfo(payload);
  if (!fields) return undefined;
  const { sectors, sectorSize, maxRead, maxWrite, flags } = fields;
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
export function attachBuffer(
  disk: Connection,
  buffer: DmaBuffer,
  id: number,
  use: "read" | "write" | "both" = "both",
  lifetimeUs = 0,
): void {
  const perms = (use !== "write" ? Perm.WRITE : 0) | (use !== "read" ? Perm.READ : 0);
  disk.lend(BlkTag.ATTACH, new Writer().u32(id).finish(), buffer.slot, perms, lifetimeUs);
}

/** Ask the driver to give buffer `id` back; false if it did not know it. */
export function detachBuffer(disk: Connection, id: number): boolean {
  return disk.call(BlkTag.DETACH, new Writer().u32(id).finish()).tag === BlkTag.DONE;
}

/** A reusable BATCH encoder: one request buffer, no allocation per call. */
export class BatchWriter {
  private readonly bytes = new Uint8Array(blkBatchBytes(BLK_MAX_BATCH));
  private readonly view = new DataView(this.bytes.buffer);
  private count = 0;

  get size(): number {
    return this.count;
  }

  add(t: BulkTransfer): this {
    if (this.count === BLK_MAX_BATCH) throw new RangeError(`a BATCH holds at most ${BLK_MAX_BATCH} transfers`);
    writeBlkBatchEntry(this.view, blkBatchEntryAt(this.count), {
      op: t.op === "read" ? BlkBatchOp.READ : BlkBatchOp.WRITE,
      buffer: t.buffer,
      offset: t.offset,
      sectors: t.sectors,
      sector: t.sector,
    });
    this.count++;
    return this;
  }

  /** Send the batch and wait for every transfer; returns one status per transfer (0 = done, else
   *  a BlkError), and starts a new, empty batch. */
  send(disk: Connection): number[] {
    this.view.setUint32(0, this.count, true);
    const reply = disk.call(BlkTag.BATCH, this.bytes.subarray(0, blkBatchBytes(this.count)));
    const sent = this.count;
    this.count = 0;
    if (reply.tag === BlkTag.ERROR)
      throw new ProtocolError(`blk BATCH refused: ${describeBlkError(new Reader(reply.payload).u32())}`);
    if (reply.tag !== BlkTag.BATCH_DONE)
      throw new ProtocolError(`blk BATCH answered with tag 0x${reply.tag.toString(16)}`);
    const count = new Reader(reply.payload).u32();
    const statuses = decodeBlkBatchDone(reply.payload);
    if (count !== sent || !statuses)
      throw new ProtocolError(`blk BATCH of ${sent} answered with ${count} statuses in ${reply.payload.length} bytes`);
    return statuses;
  }
}
