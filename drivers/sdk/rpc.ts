// One synchronous call to a service endpoint. The kernel answers a call whose server died (or whose
// endpoint vanished) with Tag.CALL_FAILED [errno u32]; that becomes a ServiceError naming the
// service, so a client never mistakes the kernel's answer for the server's.

import { Errno, Sys, Tag, type WireMessage } from "../../kernel/abi";
import { ServiceError } from "./errors";
import type { SyscallPort } from "./syscall-port";

export function callEndpoint(
  kernel: SyscallPort,
  slot: number,
  service: string,
  tag: number,
  payload: Uint8Array,
): WireMessage {
  kernel.call(Sys.CALL, slot, tag, payload.length, payload);
  const reply = kernel.message(Sys.CALL);
  if (reply.tag === Tag.CALL_FAILED) {
    const errno =
      reply.payload.length >= 4
        ? new DataView(reply.payload.buffer, reply.payload.byteOffset).getUint32(0, true)
        : Errno.E_NOENT;
    throw new ServiceError(service, "calling", errno);
  }
  return reply;
}
