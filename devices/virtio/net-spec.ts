// virtio-net numbers (virtio-reference §7): device id, feature bits, config layout, the 12-byte
// virtio_net_hdr of a VERSION_1 device, and the config space this device presents.

import type { ConfigSpace } from "./backend";

export const VIRTIO_ID_NET = 1;

/** Device-specific feature bit numbers (§7.2) this device knows. */
export const NetFeature = {
  Csum: 0,
  GuestCsum: 1,
  Mtu: 3,
  Mac: 5,
  MrgRxbuf: 15,
  Status: 16,
} as const;

/** Config offsets from 0x100 (§7.3); the driver must not write any of them. */
export const NetConfig = {
  mac: 0,
  status: 6,
  maxVirtqueuePairs: 8,
  mtu: 10,
  /** The structure up to and including mtu. */
  size: 12,
} as const;

/** config.status bits. */
export const NetLinkStatus = { LinkUp: 1, Announce: 2 } as const;

/** virtio_net_hdr without HASH_REPORT: flags u8, gso_type u8, hdr_len, gso_size, csum_start,
 *  csum_offset, num_buffers (le16 each) (§7.4). */
export const NET_HDR_BYTES = 12;
export const NetHdr = {
  flags: 0,
  gsoType: 1,
  hdrLen: 2,
  gsoSize: 4,
  csumStart: 6,
  csumOffset: 8,
  numBuffers: 10,
} as const;
export const NetHdrFlag = { NeedsCsum: 1, DataValid: 2 } as const;
export const GSO_NONE = 0;

/** Queue indices with one queue pair and no control queue (§7.1). */
export const NetQueue = { Receive: 0, Transmit: 1 } as const;

/** Config space over live fields: the MAC and MTU never change; status follows the link. */
export function netConfigSpace(fields: { mac: Uint8Array; mtu: number; status: () => number }): ConfigSpace {
  const image = (): DataView => {
    const view = new DataView(new ArrayBuffer(NetConfig.size));
    fields.mac.forEach((byte, i) => view.setUint8(NetConfig.mac + i, byte));
    view.setUint16(NetConfig.status, fields.status(), true);
    // Meaningful only with MQ (not offered); one pair is the truth either way.
    view.setUint16(NetConfig.maxVirtqueuePairs, 1, true);
    view.setUint16(NetConfig.mtu, fields.mtu, true);
    return view;
  };
  return {
    size: NetConfig.size,
    read(offset, width) {
      if (offset + width > NetConfig.size) return undefined;
      const view = image();
      return width === 1
        ? view.getUint8(offset)
        : width === 2
          ? view.getUint16(offset, true)
          : view.getUint32(offset, true);
    },
    write(offset, width) {
      return offset + width > NetConfig.size ? "out-of-range" : "read-only";
    },
  };
}
