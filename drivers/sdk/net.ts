// The network protocol ("net", docs/net-protocol.md), server side: decoding a request into what
// it asks for, already checked, and encoding the replies, so a network driver only moves frames.

import { NET_MAX_FRAME, NET_MIN_FRAME, NetError, NetReceiveFlag, NetTag } from "../../kernel/abi";
import { Reader, Writer } from "./ipc";

export type NetRequest =
  | { readonly kind: "mac" }
  | { readonly kind: "link" }
  | { readonly kind: "send"; readonly frame: Uint8Array }
  /** `wait`: hold the reply until a frame arrives (no NOWAIT flag). */
  | { readonly kind: "receive"; readonly wait: boolean }
  /** Answer with `netError(error)`. */
  | { readonly kind: "refused"; readonly error: number; readonly reason: string };

export function decodeNetRequest(tag: number, payload: Uint8Array): NetRequest {
  const refuse = (error: number, reason: string): NetRequest => ({ kind: "refused", error, reason });
  switch (tag) {
    case NetTag.MAC:
      return { kind: "mac" };
    case NetTag.LINK:
      return { kind: "link" };
    case NetTag.SEND:
      if (payload.length < NET_MIN_FRAME || payload.length > NET_MAX_FRAME)
        return refuse(NetError.INVALID, `SEND of a ${payload.length}-byte frame (${NET_MIN_FRAME} … ${NET_MAX_FRAME})`);
      return { kind: "send", frame: payload };
    case NetTag.RECEIVE: {
      if (payload.length !== 4)
        return refuse(NetError.INVALID, `RECEIVE payload is ${payload.length} bytes, not [flags u32]`);
      const flags = new Reader(payload).u32();
      if ((flags & ~NetReceiveFlag.NOWAIT) !== 0)
        return refuse(NetError.INVALID, `RECEIVE flags 0x${flags.toString(16)} (only NOWAIT = 1 exists)`);
      return { kind: "receive", wait: (flags & NetReceiveFlag.NOWAIT) === 0 };
    }
    default:
      return refuse(NetError.UNSUPPORTED, `unknown network request tag 0x${tag.toString(16)}`);
  }
}

/** LINK_STATUS reply payload. */
export function netLinkStatus(link: { readonly up: boolean; readonly mtu: number }): Uint8Array {
  return new Writer()
    .u8(link.up ? 1 : 0)
    .u8(0)
    .u16(link.mtu)
    .finish();
}

/** ERROR reply payload. */
export function netError(status: number): Uint8Array {
  return new Writer().u32(status).finish();
}
