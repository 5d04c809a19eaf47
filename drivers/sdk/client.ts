// ServiceClient: the client side of a named service. connect() asks Init for the service (waiting,
// inside Init, until its driver is ready); the Connection then calls it.

import { Perm, Sys } from "../../kernel/abi";
import { SyscallFailedError } from "./errors";
import type { SyscallPort } from "./syscall-port";
import { lookupService } from "./registry";
import { callEndpoint } from "./rpc";

export interface Reply {
  readonly tag: number;
  readonly payload: Uint8Array;
  /** Our slots of capabilities the server transferred with the reply. */
  readonly caps: readonly number[];
}

export class Connection {
  constructor(
    private readonly kernel: SyscallPort,
    /** The service's name, as errors report it. */
    readonly service: string,
    /** Our slot of the send+call capability for the service's endpoint. */
    readonly slot: number,
    readonly endpointId: number,
  ) {}

  /** Send a request and block until the reply. Throws a ServiceError if the server died. */
  call(tag: number, payload: Uint8Array = new Uint8Array(0)): Reply {
    const msg = callEndpoint(this.kernel, this.slot, this.service, tag, payload);
    return { tag: msg.tag, payload: msg.payload, caps: msg.caps };
  }

  /** Send a one-way message; no reply comes back. */
  send(tag: number, payload: Uint8Array = new Uint8Array(0)): void {
    this.kernel.call(Sys.SEND, this.slot, tag, payload.length, payload);
  }

  /** Send a one-way message carrying a capability derived from ours in `slot` with `perms` (plus
   *  the grant right the transfer needs), for `lifetimeUs` of virtual time (0 = as long as ours).
   *  We keep ours; revoking it later takes the lent one back. */
  lend(tag: number, payload: Uint8Array, slot: number, perms: number, lifetimeUs = 0): void {
    const child = this.kernel.call(Sys.CAP_DERIVE, slot, perms | Perm.GRANT, lifetimeUs);
    const body = new Uint8Array(payload.length + 4);
    body.set(payload);
    new DataView(body.buffer).setUint32(payload.length, child, true);
    const result = this.kernel.raw(Sys.SEND_CAP, this.slot, tag, payload.length | (1 << 16), body);
    if (result < 0) {
      this.kernel.raw(Sys.CAP_DELETE, child); // not sent: it is still ours
      throw new SyscallFailedError(Sys.SEND_CAP, result);
    }
  }
}

export class ServiceClient {
  private connection: Connection | undefined;

  constructor(
    private readonly kernel: SyscallPort,
    /** The name looked up with Init. */
    readonly service: string,
  ) {}

  /** Look the service up (once; later calls return the same connection). */
  connect(): Connection {
    if (!this.connection) {
      const found = lookupService(this.kernel, this.service);
      this.connection = new Connection(this.kernel, this.service, found.slot, found.endpointId);
    }
    return this.connection;
  }
}
