// Ethernet II framing (IEEE 802.3 with an EtherType): 6-byte destination and source MACs, a 2-byte
// big-endian EtherType, then the payload. Frames on our simulated wire carry no preamble and no
// FCS, as virtio-net and pcap (LINKTYPE_ETHERNET) both see them.

export const ETH_HEADER_BYTES = 14;
/** The usual payload limit; with the header, the largest frame is 1514 bytes. */
export const ETH_MTU = 1500;
export const ETH_MAX_FRAME = ETH_HEADER_BYTES + ETH_MTU;

export const EtherType = {
  IPv4: 0x0800,
  ARP: 0x0806,
} as const;

export type Mac = Uint8Array;

export const BROADCAST_MAC: Mac = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff);

export interface EthernetFrame {
  readonly dst: Mac;
  readonly src: Mac;
  readonly etherType: number;
  readonly payload: Uint8Array;
}

/** The frame's parts, or undefined for a runt (shorter than the header). */
export function parseEthernet(frame: Uint8Array): EthernetFrame | undefined {
  if (frame.length < ETH_HEADER_BYTES) return undefined;
  return {
    dst: frame.subarray(0, 6),
    src: frame.subarray(6, 12),
    etherType: (frame[12] << 8) | frame[13],
    payload: frame.subarray(ETH_HEADER_BYTES),
  };
}

export function buildEthernet(dst: Mac, src: Mac, etherType: number, payload: Uint8Array): Uint8Array {
  const frame = new Uint8Array(ETH_HEADER_BYTES + payload.length);
  frame.set(dst, 0);
  frame.set(src, 6);
  frame[12] = etherType >> 8;
  frame[13] = etherType & 0xff;
  frame.set(payload, ETH_HEADER_BYTES);
  return frame;
}

export function sameMac(a: Mac, b: Mac): boolean {
  return a.length === 6 && b.length === 6 && a.every((byte, i) => byte === b[i]);
}

/** "52:54:00:12:34:56". */
export function formatMac(mac: Mac): string {
  return Array.from(mac, (b) => b.toString(16).padStart(2, "0")).join(":");
}

export function parseMac(text: string): Mac {
  const parts = text.split(":");
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-f]{2}$/i.test(p)))
    throw new RangeError(`"${text}" is not a MAC address (six hex byte pairs separated by ":")`);
  return Uint8Array.from(parts, (p) => Number.parseInt(p, 16));
}
