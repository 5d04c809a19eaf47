// The block protocol's structured payloads (docs/block-protocol.md): INFO_REPLY, the BATCH request
// and its entries, BATCH_DONE. Their layout is spelled here once, as field offsets and as the one
// encoder and decoder of each, which both sides use: the server side in drivers/sdk/block.ts and
// block-bulk.ts, the client side in drivers/sdk/block-client.ts (and so every driver and client
// built on them). The tags and limits are BlkTag, BLK_* in tags.ts. All integers little-endian.

import { BLK_BATCH_ENTRY_BYTES } from "./tags";

/** INFO_REPLY: [sectors u64][sector_size u32][max_read u32][max_write u32][flags u32]. */
export const BlkInfoField = {
  SECTORS: 0,
  SECTOR_SIZE: 8,
  MAX_READ: 12,
  MAX_WRITE: 16,
  FLAGS: 20,
} as const;
export const BLK_INFO_REPLY_BYTES = 24;

/** INFO_REPLY's fields as numbers; `flags` holds BlkInfoFlag bits. */
export interface BlkInfoFields {
  /** Capacity in sectors (a u64 on the wire; exact below 2^53). */
  readonly sectors: number;
  readonly sectorSize: number;
  /** Sectors one READ may ask for. */
  readonly maxRead: number;
  /** Sectors one WRITE may carry. */
  readonly maxWrite: number;
  readonly flags: number;
}

/** The INFO_REPLY payload. Fields out of range for their width throw a RangeError. */
export function encodeBlkInfo(info: BlkInfoFields): Uint8Array {
  checkUint("sectors", info.sectors, 53);
  const out = new Uint8Array(BLK_INFO_REPLY_BYTES);
  const view = new DataView(out.buffer);
  view.setBigUint64(BlkInfoField.SECTORS, BigInt(info.sectors), true);
  view.setUint32(BlkInfoField.SECTOR_SIZE, checkUint("sector_size", info.sectorSize, 32), true);
  view.setUint32(BlkInfoField.MAX_READ, checkUint("max_read", info.maxRead, 32), true);
  view.setUint32(BlkInfoField.MAX_WRITE, checkUint("max_write", info.maxWrite, 32), true);
  view.setUint32(BlkInfoField.FLAGS, checkUint("flags", info.flags, 32), true);
  return out;
}

/** Decode INFO_REPLY; undefined when the payload is too short to hold it (longer is accepted: the
 *  protocol may grow at the end). */
export function decodeBlkInfo(payload: Uint8Array): BlkInfoFields | undefined {
  if (payload.length < BLK_INFO_REPLY_BYTES) return undefined;
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  return {
    sectors: Number(view.getBigUint64(BlkInfoField.SECTORS, true)),
    sectorSize: view.getUint32(BlkInfoField.SECTOR_SIZE, true),
    maxRead: view.getUint32(BlkInfoField.MAX_READ, true),
    maxWrite: view.getUint32(BlkInfoField.MAX_WRITE, true),
    flags: view.getUint32(BlkInfoField.FLAGS, true),
  };
}

/** BATCH: [count u32], then count entries of BLK_BATCH_ENTRY_BYTES (24) each. */
export const BLK_BATCH_HEADER_BYTES = 4;

/** One BATCH entry: [op u32][buffer u32][offset u32][sectors u32][sector u64], at these offsets. */
export const BlkBatchEntryField = {
  /** BlkBatchOp. */
  OP: 0,
  /** The client's number for a buffer it lent with ATTACH. */
  BUFFER: 4,
  /** Byte offset in that buffer, a multiple of 512. */
  OFFSET: 8,
  SECTORS: 12,
  /** Disk sector, a u64: low word here, high word at SECTOR + 4. */
  SECTOR: 16,
} as const;

/** A BATCH entry's fields as numbers. */
export interface BlkBatchEntryFields {
  readonly op: number;
  readonly buffer: number;
  readonly offset: number;
  readonly sectors: number;
  /** Exact below 2^53; anything above is far past any disk anyway. */
  readonly sector: number;
}

/** Bytes of a BATCH of `count` entries. */
export function blkBatchBytes(count: number): number {
  return BLK_BATCH_HEADER_BYTES + count * BLK_BATCH_ENTRY_BYTES;
}

/** Where entry `index` of a BATCH starts. */
export function blkBatchEntryAt(index: number): number {
  return BLK_BATCH_HEADER_BYTES + index * BLK_BATCH_ENTRY_BYTES;
}

/** Write one entry at byte `at` of a BATCH (u32 fields are taken modulo 2^32, as DataView does). */
export function writeBlkBatchEntry(view: DataView, at: number, entry: BlkBatchEntryFields): void {
  view.setUint32(at + BlkBatchEntryField.OP, entry.op, true);
  view.setUint32(at + BlkBatchEntryField.BUFFER, entry.buffer, true);
  view.setUint32(at + BlkBatchEntryField.OFFSET, entry.offset, true);
  view.setUint32(at + BlkBatchEntryField.SECTORS, entry.sectors, true);
  view.setUint32(at + BlkBatchEntryField.SECTOR, entry.sector % 2 ** 32, true);
  view.setUint32(at + BlkBatchEntryField.SECTOR + 4, Math.floor(entry.sector / 2 ** 32), true);
}

/** Read the entry at byte `at` of a BATCH (the caller checked the payload's length). */
export function readBlkBatchEntry(view: DataView, at: number): BlkBatchEntryFields {
  return {
    op: view.getUint32(at + BlkBatchEntryField.OP, true),
    buffer: view.getUint32(at + BlkBatchEntryField.BUFFER, true),
    offset: view.getUint32(at + BlkBatchEntryField.OFFSET, true),
    sectors: view.getUint32(at + BlkBatchEntryField.SECTORS, true),
    sector:
      view.getUint32(at + BlkBatchEntryField.SECTOR + 4, true) * 2 ** 32 +
      view.getUint32(at + BlkBatchEntryField.SECTOR, true),
  };
}

/** BATCH_DONE: [count u32] then count × [status u32] (0 done, else a BlkError), in request order. */
export function blkBatchDoneBytes(count: number): number {
  return 4 + 4 * count;
}

/** The BATCH_DONE payload. Statuses out of range for a u32 throw a RangeError. */
export function encodeBlkBatchDone(statuses: readonly number[]): Uint8Array {
  const out = new Uint8Array(blkBatchDoneBytes(statuses.length));
  const view = new DataView(out.buffer);
  view.setUint32(0, statuses.length, true);
  statuses.forEach((status, i) => view.setUint32(4 + 4 * i, checkUint("status", status, 32), true));
  return out;
}

/** Decode BATCH_DONE; undefined unless it holds exactly its count's statuses. */
export function decodeBlkBatchDone(payload: Uint8Array): number[] | undefined {
  if (payload.length < 4) return undefined;
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const count = view.getUint32(0, true);
  if (payload.length !== blkBatchDoneBytes(count)) return undefined;
  return Array.from({ length: count }, (_, i) => view.getUint32(4 + 4 * i, true));
}

function checkUint(field: string, value: number, bits: number): number {
  if (!Number.isInteger(value) || value < 0 || value > 2 ** bits - 1)
    throw new RangeError(`${field} ${value} does not fit in an unsigned ${bits}-bit field`);
  return value;
}
