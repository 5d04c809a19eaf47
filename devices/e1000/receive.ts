// Receiving one frame (manual §3.2): the address filter decides whether the frame is for us, then
// the frame goes into the buffers of the descriptors from RDH on — as many as it needs at the buffer
// size RCTL selects, EOP on the last — each descriptor written back with its length and DD. With too
// few descriptors owned by the device the frame is dropped whole (missed, MPC), never half-placed.
//
// What QEMU does and we do too: a frame shorter than the 60-byte Ethernet minimum is padded with
// zeros (a real wire never carries one), and unless RCTL.SECRC strips it, the 4-byte FCS follows
// the frame in memory and in the length — our wire carries no FCS, so it is computed here.

import { isDmaFault, type DmaFault, type IommuView } from "../iommu";
import type { DescriptorRing } from "./ring";
import { RAH_AV, Rctl, RECEIVE_ADDRESSES, RxDesc, RxStatus } from "./registers";

export const ETH_MIN_FRAME = 60;
const FCS_BYTES = 4;
/** Largest frame accepted without RCTL.LPE: 1 518 bytes with the FCS, i.e. 1 514 without it (plus a VLAN tag). */
export const RX_MAX_FRAME = 1518;
/** With RCTL.LPE: the 82540EM's 16 KiB receive limit. */
export const RX_MAX_LONG_FRAME = 16384;

export type RxFilterVerdict = "accept" | "filtered";

/** Whether RCTL's filter passes a frame with this destination (manual §3.2.1). */
export function filterFrame(frame: Uint8Array, rctl: number, ra: Uint32Array, mta: Uint32Array): RxFilterVerdict {
  if ((rctl & Rctl.UPE) !== 0) return "accept";
  const dst = frame.subarray(0, 6);
  const multicast = (dst[0] & 1) !== 0;
  if (dst.every((b) => b === 0xff)) return (rctl & Rctl.BAM) !== 0 ? "accept" : "filtered";
  if (multicast) {
    if ((rctl & Rctl.MPE) !== 0) return "accept";
    // The 12-bit hash the multicast offset (RCTL.MO) selects from the last two address bytes.
    const shift = [4, 3, 2, 0][(rctl & Rctl.MO_MASK) >>> Rctl.MO_SHIFT];
    const hash = ((dst[4] | (dst[5] << 8)) >>> shift) & 0xfff;
    return (mta[hash >>> 5] >>> (hash & 31)) & 1 ? "accept" : "filtered";
  }
  for (let i = 0; i < RECEIVE_ADDRESSES; i++) {
    const low = ra[2 * i];
    const high = ra[2 * i + 1];
    if ((high & RAH_AV) === 0) continue;
    const same =
      dst[0] === (low & 0xff) &&
      dst[1] === ((low >>> 8) & 0xff) &&
      dst[2] === ((low >>> 16) & 0xff) &&
      dst[3] === low >>> 24 &&
      dst[4] === (high & 0xff) &&
      dst[5] === ((high >>> 8) & 0xff);
    if (same) return "accept";
  }
  return "filtered";
}

/** The buffer size RCTL.BSIZE and BSEX select; undefined for the reserved combination. */
export function receiveBufferBytes(rctl: number): number | undefined {
  const code = (rctl & Rctl.BSIZE_MASK) >>> Rctl.BSIZE_SHIFT;
  if ((rctl & Rctl.BSEX) === 0) return [2048, 1024, 512, 256][code];
  return code === 0 ? undefined : [0, 16384, 8192, 4096][code];
}

export type RxPlacement =
  | { readonly kind: "placed"; readonly descriptors: number; readonly bytes: number }
  /** Not enough descriptors owned by the device (RDH = RDT, or fewer than the frame needs). */
  | { readonly kind: "missed"; readonly needed: number; readonly owned: number }
  | { readonly kind: "fault"; readonly index: number; readonly what: string; readonly fault: DmaFault };

/** The frame as it lands in memory: padded to the minimum, with the FCS unless SECRC. */
export function receivedBytes(frame: Uint8Array, rctl: number): Uint8Array {
  const padded = Math.max(frame.length, ETH_MIN_FRAME);
  const fcs = (rctl & Rctl.SECRC) !== 0 ? 0 : FCS_BYTES;
  const bytes = new Uint8Array(padded + fcs);
  bytes.set(frame);
  if (fcs > 0) {
    const crc = crc32(bytes.subarray(0, padded));
    for (let i = 0; i < 4; i++) bytes[padded + i] = (crc >>> (8 * i)) & 0xff;
  }
  return bytes;
}

/** Place `bytes` at RDH on; RDH moves past the descriptors used. */
export function placeFrame(
  memory: IommuView,
  ring: DescriptorRing,
  bytes: Uint8Array,
  bufferBytes: number,
): RxPlacement {
  const needed = Math.ceil(bytes.length / bufferBytes);
  const owned = ring.owned;
  if (owned < needed) return { kind: "missed", needed, owned };
  const n = ring.count;
  let at = 0;
  for (let used = 0; used < needed; used++) {
    const index = ring.head;
    const where = ring.address(index);
    const addr = memory.readLe64(where);
    if (isDmaFault(addr)) return { kind: "fault", index, what: `receive descriptor ${index}`, fault: addr };
    const part = bytes.subarray(at, Math.min(at + bufferBytes, bytes.length));
    const last = at + part.length === bytes.length;
    const written = memory.write(Number(addr), part);
    if (written !== undefined)
      return { kind: "fault", index, what: `the buffer of receive descriptor ${index}`, fault: written };
    const status = RxStatus.DD | RxStatus.IXSM | (last ? RxStatus.EOP : 0);
    // length, checksum 0, status, errors 0, special 0: one 8-byte store after the buffer is full.
    const upper = BigInt(part.length) | (BigInt(status) << 32n);
    const back = memory.writeLe64(where + RxDesc.length, upper);
    if (back !== undefined)
      return { kind: "fault", index, what: `writing back receive descriptor ${index}`, fault: back };
    ring.head = (index + 1) % n;
    at += part.length;
  }
  return { kind: "placed", descriptors: needed, bytes: bytes.length };
}

let crcTable: Uint32Array | undefined;

/** CRC-32 (IEEE 802.3), the Ethernet FCS. */
export function crc32(bytes: Uint8Array): number {
  crcTable ??= Uint32Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  let crc = 0xffffffff;
  for (const b of bytes) crc = crcTable[(crc ^ b) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
