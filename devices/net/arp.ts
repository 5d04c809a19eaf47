// ARP for IPv4 over Ethernet (RFC 826): the 28-byte request/reply the peer host answers.

import type { Mac } from "./ethernet";
import type { Ipv4Address } from "./ipv4";

export const ARP_BYTES = 28;
export const ArpOp = { Request: 1, Reply: 2 } as const;

export interface ArpPacket {
  readonly op: number;
  readonly senderMac: Mac;
  readonly senderIp: Ipv4Address;
  readonly targetMac: Mac;
  readonly targetIp: Ipv4Address;
}

/** An Ethernet/IPv4 ARP packet, or undefined for anything else. */
export function parseArp(bytes: Uint8Array): ArpPacket | undefined {
  if (bytes.length < ARP_BYTES) return undefined;
  const htype = (bytes[0] << 8) | bytes[1];
  const ptype = (bytes[2] << 8) | bytes[3];
  if (htype !== 1 || ptype !== 0x0800 || bytes[4] !== 6 || bytes[5] !== 4) return undefined;
  return {
    op: (bytes[6] << 8) | bytes[7],
    senderMac: bytes.subarray(8, 14),
    senderIp: bytes.subarray(14, 18),
    targetMac: bytes.subarray(18, 24),
    targetIp: bytes.subarray(24, 28),
  };
}

export function buildArp(packet: ArpPacket): Uint8Array {
  const bytes = new Uint8Array(ARP_BYTES);
  bytes.set([0, 1, 0x08, 0x00, 6, 4, 0, packet.op]);
  bytes.set(packet.senderMac, 8);
  bytes.set(packet.senderIp, 14);
  bytes.set(packet.targetMac, 18);
  bytes.set(packet.targetIp, 24);
  return bytes;
}
