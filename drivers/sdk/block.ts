// The block protocol ("blk", docs/block-protocol.md), server side: decoding a request into what it
// asks for, already checked against the disk, and encoding the replies. Every block driver serves
// the same protocol, so the checks live here once and the drivers only move sectors.

import {
  BLK_MAX_READ_SECTORS,
  BLK_MAX_WRITE_SECTORS,
  BLK_SECTOR_SIZE,
  BlkError,
  BlkInfoFlag,
  BlkTag,
  encodeBlkInfo,
} from "../../kernel/abi";
import { Reader, Writer } from "./ipc";

/** What a block driver knows about its disk. */
export interface BlockInfo {
  /** Capacity in 512-byte sectors. */
  readonly sectors: number;
  readonly readOnly: boolean;
  /** FLUSH reaches stable storage. */
  readonly flush: boolean;
  /** The bulk path (ATTACH, DETACH, BATCH) is served. */
  readonly bulk?: boolean;
}

export type BlockRequest =
  | { readonly kind: "info" }
  | { readonly kind: "read"; readonly sector: number; readonly count: number }
  | { readonly kind: "write"; readonly sector: number; readonly count: number; readonly data: Uint8Array }
  | { readonly kind: "flush" }
  /** Answer with `blockError(error)`: the request was malformed or cannot be done. */
  | { readonly kind: "refused"; readonly error: number; readonly reason: string };

export function decodeBlockRequest(tag: number, payload: Uint8Array, disk: BlockInfo): BlockRequest {
  const refuse = (error: number, reason: string): BlockRequest => ({ kind: "refused", error, reason });
  switch (tag) {
    case BlkTag.INFO:
      return { kind: "info" };
    case BlkTag.FLUSH:
      return { kind: "flush" };
    case BlkTag.READ: {
      if (payload.length !== 12)
        return refuse(BlkError.INVALID, `READ payload is ${payload.length} bytes, not [sector u64][count u32]`);
      const r = new Reader(payload);
      const sector = r.u64();
      const count = r.u32();
      if (count === 0 || count > BLK_MAX_READ_SECTORS)
        return refuse(BlkError.INVALID, `READ of ${count} sectors (1 … ${BLK_MAX_READ_SECTORS})`);
      if (sector + BigInt(count) > BigInt(disk.sectors))
        return refuse(BlkError.RANGE, `READ of sectors ${sector}+${count} on a disk of ${disk.sectors}`);
      return { kind: "read", sector: Number(sector), count };
    }
    case BlkTag.WRITE: {
      const bytes = payload.length - 8;
      const count = bytes / BLK_SECTOR_SIZE;
      if (bytes <= 0 || !Number.isInteger(count) || count > BLK_MAX_WRITE_SECTORS) {
        return refuse(
          BlkError.INVALID,
          `WRITE payload is ${payload.length} bytes, not [sector u64] + 1 … ${BLK_MAX_WRITE_SECTORS} whole sectors`,
        );
      }
      const r = new Reader(payload);
      const sector = r.u64();
      if (sector + BigInt(count) > BigInt(disk.sectors))
        return refuse(BlkError.RANGE, `WRITE of sectors ${sector}+${count} on a disk of ${disk.sectors}`);
      if (disk.readOnly) return refuse(BlkError.READ_ONLY, "WRITE to a read-only disk");
      return { kind: "write", sector: Number(sector), count, data: r.rest() };
    }
    default:
      return refuse(BlkError.UNSUPPORTED, `unknown block request tag 0x${tag.toString(16)}`);
  }
}

/** The INFO reply payload (its layout: encodeBlkInfo, kernel/abi/block.ts). */
export function blockInfoPayload(disk: BlockInfo): Uint8Array {
  const flags =
    (disk.readOnly ? BlkInfoFlag.READ_ONLY : 0) |
    (disk.flush ? BlkInfoFlag.FLUSH : 0) |
    (disk.bulk === true ? BlkInfoFlag.BULK : 0);
  return encodeBlkInfo({
    sectors: disk.sectors,
    sectorSize: BLK_SECTOR_SIZE,
    maxRead: BLK_MAX_READ_SECTORS,
    maxWrite: BLK_MAX_WRITE_SECTORS,
    flags,
  });
}

/** The ERROR reply payload. */
export function blockError(error: number): Uint8Array {
  return new Writer().u32(error).finish();
}
