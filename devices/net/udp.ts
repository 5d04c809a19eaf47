// UDP (RFC 768) over IPv4, with the pseudo-header checksum. A zero checksum means "none" and is
// accepted, as RFC 768 allows.

import { finishChecksum, onesSum } from "./checksum";
import { IpProtocol, type Ipv4Address } from "./ipv4";

export const UDP_HEADER_BYTES = 8;

export interface UdpDatagram {
  readonly srcPort: number;
  readonly dstPort: number;
  readonly data: Uint8Array;
}

export type UdpParse = UdpDatagram | { readonly problem: string };

export function parseUdp(bytes: Uint8Array, src: Ipv4Address, dst: Ipv4Address): UdpParse {
  if (bytes.length < UDP_HEADER_BYTES) return { problem: `${bytes.length}-byte UDP datagram` };
  const length = (bytes[4] << 8) | bytes[5];
  if (length < UDP_HEADER_BYTES || length > bytes.length)
    return { problem: `UDP length ${length} with ${bytes.length} bytes present` };
  const datagram = bytes.subarray(0, length);
  const stored = (bytes[6] << 8) | bytes[7];
  if (stored !== 0 && finishChecksum(onesSum(datagram, pseudoHeaderSum(src, dst, length))) !== 0)
    return { problem: "bad UDP checksum" };
  return {
    srcPort: (bytes[0] << 8) | bytes[1],
    dstPort: (bytes[2] << 8) | bytes[3],
    data: datagram.subarray(UDP_HEADER_BYTES),
  };
}

export function buildUdp(src: Ipv4Address, dst: Ipv4Address, datagram: UdpDatagram): Uint8Array {
  const bytes = new Uint8Array(UDP_HEADER_BYTES + datagram.data.length);
  const view = new DataView(bytes.buffer);
  view.setUint16(0, datagram.srcPort);
  view.setUint16(2, datagram.dstPort);
  view.setUint16(4, bytes.length);
  bytes.set(datagram.data, UDP_HEADER_BYTES);
  // A computed 0 is sent as 0xFFFF: 0 on the wire means "no checksum".
  view.setUint16(6, finishChecksum(onesSum(bytes, pseudoHeaderSum(src, dst, bytes.length))) || 0xffff);
  return bytes;
}

function pseudoHeaderSum(src: Ipv4Address, dst: Ipv4Address, length: number): number {
  return onesSum(src) + onesSum(dst) + IpProtocol.UDP + length;
}
