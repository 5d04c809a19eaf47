// ServiceClient: the client side of a named service. connect() asks Init for the service (waiting,
// inside Init, until its driver is ready); the Connection then calls it.

import { Sys } from "../../kernel/abi";
import type { Kernel } from "./kernel";
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
    private readonly kernel: Kernel,
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
}

export class ServiceClient {
  private connection: Connection | undefined;

  constructor(
    private readonly kernel: Kernel,
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
