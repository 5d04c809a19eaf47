// Turning one descriptor chain into a virtio-blk request (virtio-reference §6.4–§6.7). The chain is
// a byte stream (§6.5): its first 16 device-readable bytes are the header, its last device-writable
// byte is the status, and what lies between is the data. Every way a driver can get this wrong is
// a value in the result, never an exception, so the device can apply one policy per case:
//
//   malformed — no 16-byte header or no status byte: the device cannot even answer. QEMU calls
//               virtio_error (DEVICE_NEEDS_RESET); so do we.
//   refused   — framed, but the request itself is wrong (sector beyond capacity, data in the wrong
//               direction, length not whole sectors, more than 4 MiB, too many segments, write to a read-only disk,
//               unknown type): status IOERR or UNSUPP, nothing transferred, the device carries on.
//   request   — something to execute.

import { isDmaFault, type DmaFault, type IommuView } from "../iommu";
import { BLK_HEADER_BYTES, BLK_MAX_REQUEST_BYTES, BlkStatus, BlkType, type BlkStatusCode } from "./blk-spec";
import { gather, sliceBuffers, totalLength } from "./chain-bytes";
import type { ChainBuffer, DescriptorChain } from "./descriptor-chain";

const SECTOR = 512;

export type BlkOperation =
  | { readonly kind: "read"; readonly sector: number; readonly data: readonly ChainBuffer[]; readonly bytes: number }
  | { readonly kind: "write"; readonly sector: number; readonly data: readonly ChainBuffer[]; readonly bytes: number }
  | { readonly kind: "flush" }
  | { readonly kind: "get-id"; readonly data: readonly ChainBuffer[]; readonly bytes: number };

export type ParsedBlkRequest =
  | { readonly kind: "malformed"; readonly head: number; readonly reason: string }
  | { readonly kind: "dma"; readonly head: number; readonly fault: DmaFault }
  | {
      readonly kind: "refused";
      readonly head: number;
      readonly statusAddr: number;
      readonly status: BlkStatusCode;
      readonly reason: string;
    }
  | {
      readonly kind: "request";
      readonly head: number;
      readonly statusAddr: number;
      readonly op: BlkOperation;
      readonly note?: string;
    };

export interface BlkLimits {
  /** Capacity in 512-byte sectors. */
  readonly capacity: number;
  /** Most data segments one request may use (the seg_max the device advertises). */
  readonly segMax: number;
  readonly readOnly: boolean;
}

export function parseBlkRequest(memory: IommuView, chain: DescriptorChain, limits: BlkLimits): ParsedBlkRequest {
  const head = chain.head;
  const readableBytes = totalLength(chain.readable);
  const writableBytes = totalLength(chain.writable);
  if (readableBytes < BLK_HEADER_BYTES) {
    return {
      kind: "malformed",
      head,
      reason: `has ${readableBytes} device-readable bytes; a virtio-blk request starts with a 16-byte device-readable header`,
    };
  }
  if (writableBytes < 1) {
    return {
      kind: "malformed",
      head,
      reason: `has no device-writable byte; a virtio-blk request ends with a device-writable status byte`,
    };
  }
  const header = gather(memory, sliceBuffers(chain.readable, 0, BLK_HEADER_BYTES));
  if (isDmaFault(header)) return { kind: "dma", head, fault: header };
  const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
  const type = view.getUint32(0, true);
  const sector = view.getBigUint64(8, true);

  const statusAddr = sliceBuffers(chain.writable, writableBytes - 1, 1)[0].addr;
  const refuse = (status: BlkStatusCode, reason: string): ParsedBlkRequest => ({
    kind: "refused",
    head,
    statusAddr,
    status,
    reason,
  });
  // What lies between header and status, in each direction.
  const extraReadable = sliceBuffers(chain.readable, BLK_HEADER_BYTES, readableBytes - BLK_HEADER_BYTES);
  const extraWritable = sliceBuffers(chain.writable, 0, writableBytes - 1);

  switch (type) {
    case BlkType.In:
    case BlkType.Out: {
      const isRead = type === BlkType.In;
      const name = isRead ? "IN (read)" : "OUT (write)";
      const [data, wrong] = isRead ? [extraWritable, extraReadable] : [extraReadable, extraWritable];
      if (totalLength(wrong) > 0) {
        return refuse(
          BlkStatus.IoErr,
          `${name} carries ${totalLength(wrong)} data bytes in ${isRead ? "device-readable" : "device-writable"} buffers; ${isRead ? "read data goes in device-writable buffers" : "write data goes in device-readable buffers"}`,
        );
      }
      const bytes = totalLength(data);
      if (bytes % SECTOR !== 0)
        return refuse(BlkStatus.IoErr, `${name} of ${bytes} data bytes, not a whole number of 512-byte sectors`);
      if (bytes > BLK_MAX_REQUEST_BYTES)
        return refuse(
          BlkStatus.IoErr,
          `${name} of ${bytes} data bytes, more than the ${BLK_MAX_REQUEST_BYTES} one request may carry`,
        );
      if (data.length > limits.segMax)
        return refuse(BlkStatus.IoErr, `${name} uses ${data.length} data segments, more than seg_max ${limits.segMax}`);
      if (sector + BigInt(bytes / SECTOR) > BigInt(limits.capacity)) {
        return refuse(
          BlkStatus.IoErr,
          `${name} of ${bytes / SECTOR} sector(s) at sector ${sector} runs past the end of the disk (capacity ${limits.capacity} sectors)`,
        );
      }
      if (!isRead && limits.readOnly)
        return refuse(BlkStatus.IoErr, `OUT (write) to a read-only disk (VIRTIO_BLK_F_RO)`);
      return {
        kind: "request",
        head,
        statusAddr,
        op: { kind: isRead ? "read" : "write", sector: Number(sector), data, bytes },
      };
    }
    case BlkType.Flush: {
      const stray = totalLength(extraReadable) + totalLength(extraWritable);
      const note =
        stray > 0 || sector !== 0n
          ? `FLUSH should carry no data and sector 0 (has ${stray} data bytes, sector ${sector}); ignored`
          : undefined;
      return { kind: "request", head, statusAddr, op: { kind: "flush" }, note };
    }
    case BlkType.GetId: {
      if (totalLength(extraReadable) > 0)
        return refuse(
          BlkStatus.IoErr,
          `GET_ID carries ${totalLength(extraReadable)} bytes in device-readable buffers; the id goes in a device-writable buffer`,
        );
      const bytes = totalLength(extraWritable);
      const note = bytes !== 20 ? `GET_ID buffer is ${bytes} bytes; the spec asks for exactly 20` : undefined;
      return { kind: "request", head, statusAddr, op: { kind: "get-id", data: extraWritable, bytes }, note };
    }
    default:
      return refuse(BlkStatus.Unsupp, `request type ${type} is not supported (IN 0, OUT 1, FLUSH 4, GET_ID 8)`);
  }
}
