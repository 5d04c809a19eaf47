// Framing one transmitq chain (virtio-reference §7.4, §9 items 29 and 36): the 12-byte
// virtio_net_hdr and the Ethernet frame after it, over any split into device-readable buffers.
// Every outcome is a value: a frame to send, a frame dropped for a named reason (the chain is
// completed and the device carries on), or a chain too short to hold even the header, which the
// device cannot frame at all and treats like a ring error (QEMU: "virtio-net header not in first
// element"; blk does the same for a missing request header).
//
// Only the header is copied before the frame is known to fit: a chain longer than mtu + 26 bytes
// is dropped as oversize without a byte of it reaching the host, so the copy per frame is bounded
// by the MTU (at most 64 KiB), not by what the descriptors claim.

import { isDmaFault, type DmaFault, type IommuView } from "../iommu";
import { gather, sliceBuffers, totalLength } from "./chain-bytes";
import type { DescriptorChain } from "./descriptor-chain";
import { GSO_NONE, NET_HDR_BYTES, NetHdr, NetHdrFlag } from "./net-spec";

/** Why a transmit frame was dropped; each is a counter in VirtioNetStats. */
export type TxDropReason = "txOversize" | "txRunt" | "txBadHeader" | "txWrongDirection";

export type ParsedTx =
  | { readonly kind: "frame"; readonly head: number; readonly frame: Uint8Array; readonly note?: string }
  | { readonly kind: "dropped"; readonly head: number; readonly reason: TxDropReason; readonly message: string }
  | { readonly kind: "malformed"; readonly head: number; readonly reason: string }
  | { readonly kind: "dma"; readonly head: number; readonly fault: DmaFault };

export interface TxLimits {
  /** Largest frame (Ethernet header included) the device forwards: mtu + 14. */
  readonly maxFrame: number;
  readonly minFrame: number;
  /** VIRTIO_NET_F_CSUM negotiated: NEEDS_CSUM is allowed. */
  readonly csum: boolean;
}

export function parseTxChain(memory: IommuView, chain: DescriptorChain, limits: TxLimits): ParsedTx {
  const head = chain.head;
  const readableBytes = totalLength(chain.readable);
  if (readableBytes < NET_HDR_BYTES) {
    return {
      kind: "malformed",
      head,
      reason: `has ${readableBytes} device-readable bytes, fewer than the ${NET_HDR_BYTES}-byte virtio_net_hdr every transmit starts with`,
    };
  }
  if (chain.writable.length > 0) {
    return {
      kind: "dropped",
      head,
      reason: "txWrongDirection",
      message: `${chain.writable.length} device-writable descriptor(s) in a transmit chain (transmit buffers are device-readable only)`,
    };
  }
  const header = gather(memory, sliceBuffers(chain.readable, 0, NET_HDR_BYTES));
  if (isDmaFault(header)) return { kind: "dma", head, fault: header };
  const flags = header[NetHdr.flags];
  const gsoType = header[NetHdr.gsoType];
  const numBuffers = header[NetHdr.numBuffers] | (header[NetHdr.numBuffers + 1] << 8);
  const frameBytes = readableBytes - NET_HDR_BYTES;
  if (gsoType !== GSO_NONE) {
    return {
      kind: "dropped",
      head,
      reason: "txBadHeader",
      message: `gso_type ${gsoType} but no HOST_TSO/UFO feature is offered (gso_type must be 0)`,
    };
  }
  if ((flags & NetHdrFlag.NeedsCsum) !== 0 && !limits.csum) {
    return {
      kind: "dropped",
      head,
      reason: "txBadHeader",
      message:
        "NEEDS_CSUM set but VIRTIO_NET_F_CSUM was not negotiated (flags must be 0 and the frame fully checksummed)",
    };
  }
  if (frameBytes > limits.maxFrame) {
    return {
      kind: "dropped",
      head,
      reason: "txOversize",
      message: `a ${frameBytes}-byte frame is larger than the MTU allows (${limits.maxFrame} bytes with the Ethernet header)`,
    };
  }
  if (frameBytes < limits.minFrame) {
    return {
      kind: "dropped",
      head,
      reason: "txRunt",
      message: `a ${frameBytes}-byte frame is shorter than an Ethernet header (${limits.minFrame} bytes)`,
    };
  }
  // gather() copies into a buffer of its own: the wire may keep the frame.
  const frame = gather(memory, sliceBuffers(chain.readable, NET_HDR_BYTES, frameBytes));
  if (isDmaFault(frame)) return { kind: "dma", head, fault: frame };
  // The spec says the driver MUST set num_buffers to 0 on transmit; the device does not need it.
  const note =
    numBuffers !== 0
      ? `num_buffers = ${numBuffers} in a transmit header (the driver must set 0); the frame was sent`
      : undefined;
  return { kind: "frame", head, frame, ...(note !== undefined && { note }) };
}
