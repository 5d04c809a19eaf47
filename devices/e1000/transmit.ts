// Walking the transmit ring (manual §3.3): legacy descriptors from the device's fetch cursor up to
// TDT, each naming a buffer; a packet is the bytes of consecutive descriptors up to one with EOP.
// Every outcome is a value: packets to send, descriptors to write back, and either nothing wrong, a
// packet dropped for a named reason (the walk goes on), or a DMA fault (the ring stops there).
//
// Only packets within the wire's limit are copied: the bytes of a packet that grows past
// TX_MAX_FRAME are skipped, not gathered, so the host copies at most that much per packet whatever
// the descriptors claim.

import { isDmaFault, type DmaFault, type IommuView } from "../iommu";
import { onesSum, finishChecksum } from "../net/checksum";
import type { DescriptorRing } from "./ring";
import { TxCmd, TxDesc } from "./registers";

/** Largest frame the device puts on the wire: 1 514 bytes plus a VLAN tag's 4 (no FCS on our wire). */
export const TX_MAX_FRAME = 1518;
export const TX_MIN_FRAME = 14;

export type TxDropReason = "txOversize" | "txRunt" | "txExtended";

/** A packet being gathered: carried over to the next walk when TDT stops before its EOP. */
export interface TxPacket {
  parts: Uint8Array[];
  bytes: number;
  /** Bytes the descriptors claimed beyond TX_MAX_FRAME (not copied). */
  skipped: number;
  extended: boolean;
}

export interface TxWalk {
  /** Finished packets, in order. */
  readonly frames: Uint8Array[];
  /** Indices of descriptors with RS set: their status gets DD on completion. */
  readonly reportStatus: number[];
  /** Descriptors consumed (the fetch cursor moves by this much). */
  readonly consumed: number;
  readonly drops: { reason: TxDropReason; message: string }[];
  /** The walk stopped at a descriptor the device could not read (or whose buffer it could not). */
  readonly fault?: { index: number; what: string; fault: DmaFault };
}

export function newPacket(): TxPacket {
  return { parts: [], bytes: 0, skipped: 0, extended: false };
}

/** Walk descriptors [from, ring.tail) of `ring`; `packet` is the packet in progress (mutated). */
export function walkTransmit(memory: IommuView, ring: DescriptorRing, from: number, packet: TxPacket): TxWalk {
  const frames: Uint8Array[] = [];
  const reportStatus: number[] = [];
  const drops: { reason: TxDropReason; message: string }[] = [];
  const n = ring.count;
  let index = from;
  let consumed = 0;
  while (index !== ring.tail && consumed < n) {
    const desc = memory.dataView(ring.address(index), 16);
    if (isDmaFault(desc))
      return {
        frames,
        reportStatus,
        consumed,
        drops,
        fault: { index, what: `transmit descriptor ${index}`, fault: desc },
      };
    const { view, offset } = desc;
    const addr = Number(view.getBigUint64(offset + TxDesc.addr, true));
    const length = view.getUint16(offset + TxDesc.length, true);
    const cmd = view.getUint8(offset + TxDesc.cmd);
    const cso = view.getUint8(offset + TxDesc.cso);
    const css = view.getUint8(offset + TxDesc.css);
    if ((cmd & TxCmd.DEXT) !== 0) {
      packet.extended = true;
    } else if (packet.bytes + length > TX_MAX_FRAME) {
      packet.skipped += length;
    } else if (length > 0) {
      const data = memory.read(addr, length);
      if (isDmaFault(data))
        return {
          frames,
          reportStatus,
          consumed,
          drops,
          fault: { index, what: `the buffer of transmit descriptor ${index}`, fault: data },
        };
      packet.parts.push(data);
      packet.bytes += length;
    }
    if ((cmd & TxCmd.RS) !== 0) reportStatus.push(index);
    index = (index + 1) % n;
    consumed++;
    if ((cmd & TxCmd.EOP) === 0) continue;
    const done = finishPacket(packet, (cmd & TxCmd.IC) !== 0 ? { cso, css } : undefined);
    if ("frame" in done) frames.push(done.frame);
    else drops.push(done);
    Object.assign(packet, newPacket());
  }
  return { frames, reportStatus, consumed, drops };
}

function finishPacket(
  packet: TxPacket,
  checksum: { cso: number; css: number } | undefined,
): { frame: Uint8Array } | { reason: TxDropReason; message: string } {
  if (packet.extended)
    return {
      reason: "txExtended",
      message:
        "an extended (DEXT) descriptor: context and data descriptors (checksum and segmentation offloads) are not emulated; use legacy descriptors",
    };
  const total = packet.bytes + packet.skipped;
  if (packet.skipped > 0)
    return {
      reason: "txOversize",
      message: `a ${total}-byte packet is longer than the ${TX_MAX_FRAME} bytes a frame may have`,
    };
  if (total < TX_MIN_FRAME)
    return {
      reason: "txRunt",
      message: `a ${total}-byte packet is shorter than an Ethernet header (${TX_MIN_FRAME} bytes)`,
    };
  const frame = new Uint8Array(total);
  let at = 0;
  for (const part of packet.parts) {
    frame.set(part, at);
    at += part.length;
  }
  // Legacy checksum insertion (CMD.IC): the ones'-complement sum from CSS to the end, stored at CSO.
  if (checksum !== undefined && checksum.css < total && checksum.cso + 2 <= total) {
    const sum = finishChecksum(onesSum(frame.subarray(checksum.css)));
    frame[checksum.cso] = sum >> 8;
    frame[checksum.cso + 1] = sum & 0xff;
  }
  return { frame };
}
