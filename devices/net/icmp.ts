// ICMP echo (RFC 792): type 8 request, type 0 reply; identifier, sequence number and data are
// echoed back unchanged.

import { internetChecksum } from "./checksum";

export const IcmpType = { EchoReply: 0, EchoRequest: 8 } as const;
export const ICMP_ECHO_HEADER_BYTES = 8;

export interface IcmpEcho {
  readonly type: number;
  readonly id: number;
  readonly seq: number;
  readonly data: Uint8Array;
}

export type IcmpParse = IcmpEcho | { readonly problem: string } | undefined;

/** An echo request or reply; undefined for other ICMP types; a problem for a broken message. */
export function parseIcmpEcho(bytes: Uint8Array): IcmpParse {
  if (bytes.length < ICMP_ECHO_HEADER_BYTES) return { problem: `${bytes.length}-byte ICMP message` };
  if (internetChecksum(bytes) !== 0) return { problem: "bad ICMP checksum" };
  const type = bytes[0];
  if ((type !== IcmpType.EchoRequest && type !== IcmpType.EchoReply) || bytes[1] !== 0) return undefined;
  return {
    type,
    id: (bytes[4] << 8) | bytes[5],
    seq: (bytes[6] << 8) | bytes[7],
    data: bytes.subarray(ICMP_ECHO_HEADER_BYTES),
  };
}

export function buildIcmpEcho(echo: IcmpEcho): Uint8Array {
  const bytes = new Uint8Array(ICMP_ECHO_HEADER_BYTES + echo.data.length);
  const view = new DataView(bytes.buffer);
  bytes[0] = echo.type;
  view.setUint16(4, echo.id);
  view.setUint16(6, echo.seq);
  bytes.set(echo.data, ICMP_ECHO_HEADER_BYTES);
  view.setUint16(2, internetChecksum(bytes));
  return bytes;
}
