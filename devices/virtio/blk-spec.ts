// virtio-blk numbers (virtio-reference §6): feature bits, request types, status codes and the
// configuration layout, plus the read-only config space this device presents.

import type { ConfigSpace } from "./backend";

export const VIRTIO_ID_BLOCK = 2;

/** Device-specific feature bit numbers (§6.1). */
export const BlkFeature = {
  SizeMax: 1,
  SegMax: 2,
  Geometry: 4,
  Ro: 5,
  BlkSize: 6,
  Flush: 9,
  Topology: 10,
  ConfigWce: 11,
  Mq: 12,
  Discard: 13,
  WriteZeroes: 14,
} as const;

/** Request types (§6.4). */
export const BlkType = {
  In: 0,
  Out: 1,
  Flush: 4,
  GetId: 8,
} as const;

/** The status byte the device writes last (§6.4). */
export const BlkStatus = {
  Ok: 0,
  IoErr: 1,
  Unsupp: 2,
} as const;

export type BlkStatusCode = (typeof BlkStatus)[keyof typeof BlkStatus];

/** type le32, reserved le32, sector le64. */
export const BLK_HEADER_BYTES = 16;
/** Most data bytes one IN/OUT request may carry; larger ones complete with IOERR. Above the SDK's
 *  1 MiB bulk transfers and Linux's default max_sectors_kb (1280 KiB); it bounds the disk work one
 *  request can cause, whatever its descriptors claim. */
export const BLK_MAX_REQUEST_BYTES = 4 * 1024 * 1024;
/** The bounce buffer for data not laid out in whole sectors: such requests move in pieces of
 *  this size, so the host copy per request is bounded by it, not by the request. */
export const BLK_BOUNCE_BYTES = 64 * 1024;
/** GET_ID answers at most 20 bytes of ASCII (§6.4). */
export const BLK_ID_BYTES = 20;

/** Config field offsets from 0x100 (§6.2). */
export const BlkConfig = {
  capacity: 0,
  sizeMax: 8,
  segMax: 12,
  blkSize: 20,
  /** The whole structure, up to and including the zoned fields. */
  size: 96,
} as const;

/** The config space: capacity, seg_max and blk_size filled in, every other field 0, nothing writable
 *  (writeback exists only with CONFIG_WCE, which this device does not offer). */
export function blkConfigSpace(fields: { capacity: number; segMax: number; blkSize: number }): ConfigSpace {
  const image = new Uint8Array(BlkConfig.size);
  const view = new DataView(image.buffer);
  view.setBigUint64(BlkConfig.capacity, BigInt(fields.capacity), true);
  view.setUint32(BlkConfig.segMax, fields.segMax, true);
  view.setUint32(BlkConfig.blkSize, fields.blkSize, true);
  return {
    size: BlkConfig.size,
    read(offset, width) {
      if (offset + width > BlkConfig.size) return undefined;
      return width === 1
        ? view.getUint8(offset)
        : width === 2
          ? view.getUint16(offset, true)
          : view.getUint32(offset, true);
    },
    write(offset, width) {
      return offset + width > BlkConfig.size ? "out-of-range" : "read-only";
    },
  };
}
