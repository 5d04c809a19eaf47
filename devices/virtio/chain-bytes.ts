// A chain's buffers seen as one byte stream, as virtio 1.x requires of a device (§3.2: no
// assumption about how a request is split over descriptors). Pure arithmetic on addresses, plus
// gather/scatter through the IOMMU view.

import { isDmaFault, type DmaFault, type IommuView } from "../iommu";
import type { ChainBuffer } from "./descriptor-chain";
import { hostBuffer } from "./host-buffer";

export function totalLength(buffers: readonly ChainBuffer[]): number {
  return buffers.reduce((sum, b) => sum + b.len, 0);
}

/** Bytes [offset, offset+length) of the stream, as the buffers (or parts) that hold them. */
export function sliceBuffers(buffers: readonly ChainBuffer[], offset: number, length: number): ChainBuffer[] {
  const out: ChainBuffer[] = [];
  let skip = offset;
  let want = length;
  for (const b of buffers) {
    if (want === 0) break;
    if (skip >= b.len) {
      skip -= b.len;
      continue;
    }
    const take = Math.min(b.len - skip, want);
    out.push({ addr: b.addr + skip, len: take });
    want -= take;
    skip = 0;
  }
  return out;
}

/** Read the whole stream into one new array. Callers bound the stream first (a device cap, or a
 *  slice of one): the array is as long as the buffers claim. */
export function gather(memory: IommuView, buffers: readonly ChainBuffer[]): Uint8Array | DmaFault {
  const out = hostBuffer(totalLength(buffers));
  const fault = gatherInto(memory, buffers, out);
  return fault ?? out;
}

/** Copy the stream's first out.length bytes into `out` (straight from guest memory: one copy). */
export function gatherInto(memory: IommuView, buffers: readonly ChainBuffer[], out: Uint8Array): DmaFault | undefined {
  let at = 0;
  for (const b of buffers) {
    if (at >= out.length) break;
    const take = Math.min(b.len, out.length - at);
    const bytes = memory.span(b.addr, take, false);
    if (isDmaFault(bytes)) return bytes;
    out.set(bytes, at);
    at += take;
  }
  return undefined;
}

/** Whether every buffer is still inside the view in the direction given: checked before a
 *  transfer done in pieces, so a fault never leaves it half done. */
export function checkBuffers(memory: IommuView, buffers: readonly ChainBuffer[], write: boolean): DmaFault | undefined {
  for (const b of buffers) {
    const fault = memory.check(b.addr, b.len, write);
    if (fault !== undefined) return fault;
  }
  return undefined;
}

/** Write `data` over the stream, buffer by buffer, from its start. */
export function scatter(memory: IommuView, buffers: readonly ChainBuffer[], data: Uint8Array): DmaFault | undefined {
  let at = 0;
  for (const b of buffers) {
    if (at >= data.length) break;
    const part = data.subarray(at, at + b.len);
    const fault = memory.write(b.addr, part);
    if (fault !== undefined) return fault;
    at += part.length;
  }
  return undefined;
}
