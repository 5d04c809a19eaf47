// Init's service registry (zero-os-abi.md §7.2), spoken with CALL on Slot.INIT_ENDPOINT.
// A server registers its endpoint under a name once its device works; a client looks the name up
// and receives a send+call capability for it. Init holds a lookup until the name is registered, so
// a client may start before its driver.

import { Errno, Slot, Tag } from "../../kernel/abi";
import { ProtocolError, ServiceError } from "./errors";
import { Reader, Writer } from "./ipc";
import type { SyscallPort } from "./syscall-port";
import { callEndpoint } from "./rpc";

const INIT = "init";

/** REGISTER_SERVICE [name_len u8][name][endpoint_id u32 low][u32 high] → SERVICE_READY [status u32]. */
export function registerService(kernel: SyscallPort, name: string, endpointId: number): void {
  const request = new Writer()
    .string(name)
    .u32(endpointId % 2 ** 32)
    .u32(Math.floor(endpointId / 2 ** 32))
    .finish();
  const reply = callEndpoint(kernel, Slot.INIT_ENDPOINT, INIT, Tag.REGISTER_SERVICE, request);
  if (reply.tag !== Tag.SERVICE_READY || reply.payload.length < 4) {
    throw new ProtocolError(
      `Init answered REGISTER_SERVICE with tag 0x${reply.tag.toString(16)} and ${reply.payload.length} bytes`,
    );
  }
  const status = new Reader(reply.payload).u32();
  if (status !== 0) throw new ServiceError(name, "registering", status);
}

export interface LookupResult {
  endpointId: number;
  /** Our slot of the send+call capability Init handed over. */
  slot: number;
}

/** LOOKUP_SERVICE [name_len u8][name] → LOOKUP_RESPONSE [found u8][endpoint_id u32 low][u32 high], caps[0]. */
export function lookupService(kernel: SyscallPort, name: string): LookupResult {
  const reply = callEndpoint(kernel, Slot.INIT_ENDPOINT, INIT, Tag.LOOKUP_SERVICE, new Writer().string(name).finish());
  if (reply.tag !== Tag.LOOKUP_RESPONSE || reply.payload.length < 9) {
    throw new ProtocolError(
      `Init answered LOOKUP_SERVICE with tag 0x${reply.tag.toString(16)} and ${reply.payload.length} bytes`,
    );
  }
  const r = new Reader(reply.payload);
  const found = r.u8();
  const endpointId = r.u32() + r.u32() * 2 ** 32;
  if (!found) throw new ServiceError(name, "looking up", Errno.E_NOENT);
  if (reply.caps.length < 1) throw new ProtocolError(`Init found service "${name}" but handed over no capability`);
  return { endpointId, slot: reply.caps[0] };
}
