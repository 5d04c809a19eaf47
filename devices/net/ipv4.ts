// IPv4 headers (RFC 791), only as far as the peer host needs them: parse a header (options
// allowed, no fragments), build a 20-byte one with its checksum.

import { internetChecksum } from "./checksum";

export const IPV4_HEADER_BYTES = 20;
export const IpProtocol = { ICMP: 1, UDP: 17 } as const;

export type Ipv4Address = Uint8Array;

export interface Ipv4Packet {
  readonly src: Ipv4Address;
  readonly dst: Ipv4Address;
  readonly protocol: number;
  readonly ttl: number;
  readonly payload: Uint8Array;
}

export type Ipv4Parse = Ipv4Packet | { readonly problem: string };

export function parseIpv4(bytes: Uint8Array): Ipv4Parse {
  if (bytes.length < IPV4_HEADER_BYTES) return { problem: `${bytes.length} bytes, shorter than an IPv4 header` };
  const version = bytes[0] >> 4;
  const headerBytes = (bytes[0] & 0x0f) * 4;
  if (version !== 4) return { problem: `version ${version}, not 4` };
  if (headerBytes < IPV4_HEADER_BYTES || headerBytes > bytes.length)
    return { problem: `header length ${headerBytes} bytes` };
  const total = (bytes[2] << 8) | bytes[3];
  if (total < headerBytes || total > bytes.length)
    return { problem: `total length ${total} with ${bytes.length} bytes present` };
  if (internetChecksum(bytes.subarray(0, headerBytes)) !== 0) return { problem: "bad header checksum" };
  const flagsFragment = (bytes[6] << 8) | bytes[7];
  if ((flagsFragment & 0x3fff) !== 0) return { problem: "a fragment (the peer does not reassemble)" };
  return {
    src: bytes.subarray(12, 16),
    dst: bytes.subarray(16, 20),
    protocol: bytes[9],
    ttl: bytes[8],
    payload: bytes.subarray(headerBytes, total),
  };
}

export function buildIpv4(
  src: Ipv4Address,
  dst: Ipv4Address,
  protocol: number,
  payload: Uint8Array,
  id: number,
  ttl = 64,
): Uint8Array {
  const packet = new Uint8Array(IPV4_HEADER_BYTES + payload.length);
  const view = new DataView(packet.buffer);
  packet[0] = 0x45;
  view.setUint16(2, packet.length);
  view.setUint16(4, id & 0xffff);
  view.setUint16(6, 0x4000); // don't fragment
  packet[8] = ttl;
  packet[9] = protocol;
  packet.set(src, 12);
  packet.set(dst, 16);
  view.setUint16(10, internetChecksum(packet.subarray(0, IPV4_HEADER_BYTES)));
  packet.set(payload, IPV4_HEADER_BYTES);
  return packet;
}

export function sameIp(a: Ipv4Address, b: Ipv4Address): boolean {
  return a.length === 4 && b.length === 4 && a.every((byte, i) => byte === b[i]);
}

export function formatIp(ip: Ipv4Address): string {
  return Array.from(ip).join(".");
}

export function parseIp(text: string): Ipv4Address {
  const parts = text.split(".");
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255))
    throw new RangeError(`"${text}" is not an IPv4 address (four numbers 0–255 separated by ".")`);
  return Uint8Array.from(parts, Number);
}
