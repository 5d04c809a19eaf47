// Several handles may receive on one endpoint (the kernel may bind an IRQ to the same endpoint a
// service receives on). Each handle wants only its own messages, so a message received for one
// handle but meant for another is kept here, per endpoint slot, until that handle asks.

import { Pid, Sys, Tag, type WireMessage } from "../../kernel/abi";
import { MachineShutdown } from "./errors";
import type { SyscallPort } from "./syscall-port";

export type MessageFilter = (msg: WireMessage) => boolean;

export class Inbox {
  private readonly kept = new Map<number, WireMessage[]>();

  constructor(private readonly kernel: SyscallPort) {}

  /** Block until a message on `slot` passes `wanted`. */
  wait(slot: number, wanted: MessageFilter): WireMessage {
    const early = this.takeKept(slot, wanted);
    if (early) return early;
    for (;;) {
      // 0 would be a wake-up with no message; the protocol promises 1, but waiting again is harmless.
      if (this.kernel.call(Sys.RECV_WAIT, slot) === 0) continue;
      const msg = this.kernel.message(Sys.RECV_WAIT);
      if (isShutdown(msg)) throw new MachineShutdown();
      if (wanted(msg)) return msg;
      this.keep(slot, msg);
    }
  }

  /** Like wait(), but give up after `timeoutUs` µs of virtual time: undefined then. */
  waitFor(slot: number, wanted: MessageFilter, timeoutUs: number): WireMessage | undefined {
    const early = this.takeKept(slot, wanted);
    if (early) return early;
    for (;;) {
      // 0: the wait timed out with no message (RECV_WAIT's a1, docs/abi.md).
      if (this.kernel.call(Sys.RECV_WAIT, slot, Math.max(1, Math.ceil(timeoutUs))) === 0) return undefined;
      const msg = this.kernel.message(Sys.RECV_WAIT);
      if (isShutdown(msg)) throw new MachineShutdown();
      if (wanted(msg)) return msg;
      this.keep(slot, msg);
    }
  }

  /** The next message on `slot` that passes `wanted`, or undefined if none is queued now. */
  poll(slot: number, wanted: MessageFilter): WireMessage | undefined {
    const early = this.takeKept(slot, wanted);
    if (early) return early;
    while (this.kernel.call(Sys.RECV, slot) !== 0) {
      const msg = this.kernel.message(Sys.RECV);
      if (isShutdown(msg)) throw new MachineShutdown();
      if (wanted(msg)) return msg;
      this.keep(slot, msg);
    }
    return undefined;
  }

  private keep(slot: number, msg: WireMessage): void {
    const list = this.kept.get(slot);
    if (list) list.push(msg);
    else this.kept.set(slot, [msg]);
  }

  private takeKept(slot: number, wanted: MessageFilter): WireMessage | undefined {
    const list = this.kept.get(slot);
    const at = list ? list.findIndex(wanted) : -1;
    return list && at >= 0 ? list.splice(at, 1)[0] : undefined;
  }
}

function isShutdown(msg: WireMessage): boolean {
  return msg.sender === Pid.KERNEL && msg.tag === Tag.SHUTDOWN;
}
