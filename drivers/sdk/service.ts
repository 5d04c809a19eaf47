// Service: the server side of a named IPC service. A driver sets its device up, calls ready() (which
// registers the name with Init, so clients' lookups complete), then loops on receive() and answers
// each request with reply().

import { Errno, Pid, Sys, isIrqTag, type WireMessage } from "../../kernel/abi";
import { SyscallFailedError } from "./errors";
import type { Inbox } from "./inbox";
import type { SyscallPort } from "./syscall-port";
import { registerService } from "./registry";

/** One received request. */
export interface Request {
  /** PID of the caller (set by the kernel, so it cannot be forged). */
  readonly sender: number;
  readonly tag: number;
  readonly payload: Uint8Array;
  /** Our slots of capabilities the caller transferred with the request. */
  readonly caps: readonly number[];
  /** Answer the caller's CALL. Returns false if there is no one to answer any more (the caller
   *  died, or sent without calling): a server carries on rather than failing with its client. */
  reply(tag: number, payload?: Uint8Array): boolean;
}

export class Service {
  /** The name clients look up. */
  readonly name: string;
  /** Slot of the endpoint requests arrive on. */
  readonly slot: number;
  readonly endpointId: number;

  constructor(
    private readonly kernel: SyscallPort,
    private readonly inbox: Inbox,
    info: { slot: number; service: string; endpointId: number },
  ) {
    this.name = info.service;
    this.slot = info.slot;
    this.endpointId = info.endpointId;
  }

  /** Register with Init: from now on clients can find this service. Call once the device works. */
  ready(): void {
    registerService(this.kernel, this.name, this.endpointId);
  }

  /** Block until the next request. */
  receive(): Request {
    return this.toRequest(this.inbox.wait(this.slot, isRequest));
  }

  /** The next request if one is queued, else undefined; never blocks. */
  poll(): Request | undefined {
    const msg = this.inbox.poll(this.slot, isRequest);
    return msg && this.toRequest(msg);
  }

  private toRequest(msg: WireMessage): Request {
    const kernel = this.kernel;
    return {
      sender: msg.sender,
      tag: msg.tag,
      payload: msg.payload,
      caps: msg.caps,
      reply(tag: number, payload: Uint8Array = new Uint8Array(0)): boolean {
        const result = kernel.raw(Sys.REPLY, msg.sender, tag, payload.length, payload);
        if (result === -Errno.E_NOENT) return false;
        if (result < 0) throw new SyscallFailedError(Sys.REPLY, result);
        return true;
      },
    };
  }
}

/** Interrupt notifications may share the endpoint; they belong to the Irq handle, not to us. */
function isRequest(msg: WireMessage): boolean {
  return !(msg.sender === Pid.KERNEL && isIrqTag(msg.tag));
}
