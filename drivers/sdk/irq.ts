// Irq: one interrupt line, delivered by the kernel as a message (sender 0, tag irqTag(line),
// payload [line u8]) on an endpoint. After delivering, the kernel masks the line until ack().
// The line is level-triggered: clear the device's interrupt status BEFORE ack(), or the still-
// asserted line is delivered again at once.

import { Pid, Sys, irqTag, type WireMessage } from "../../kernel/abi";
import { SyscallFailedError } from "./errors";
import { handleRecord } from "./guard";
import type { Inbox } from "./inbox";
import type { SyscallPort } from "./syscall-port";

export class Irq {
  readonly line: number;
  /** Capability slot of the IRQ itself (what ack() names). */
  readonly slot: number;
  /** Slot of the endpoint the interrupt messages arrive on. */
  readonly endpointSlot: number;

  constructor(
    private readonly kernel: SyscallPort,
    private readonly inbox: Inbox,
    info: { slot: number; line: number; endpointSlot: number },
  ) {
    this.line = info.line;
    this.slot = info.slot;
    this.endpointSlot = info.endpointSlot;
  }

  /** Block until this line fires. With `timeoutUs`, give up after that many µs of virtual time
   *  and return false (a lost interrupt, a device that never answers: docs/faults.md). */
  wait(options?: { timeoutUs?: number }): boolean {
    const timeout = options?.timeoutUs;
    if (timeout === undefined || timeout <= 0) {
      this.inbox.wait(this.endpointSlot, (msg) => this.isMine(msg));
      return true;
    }
    return this.inbox.waitFor(this.endpointSlot, (msg) => this.isMine(msg), timeout) !== undefined;
  }

  /** True if the line fired and was not yet waited for; never blocks. */
  poll(): boolean {
    return this.inbox.poll(this.endpointSlot, (msg) => this.isMine(msg)) !== undefined;
  }

  /** Unmask the line. Call after the device's interrupt status has been cleared. */
  ack(): void {
    const result = this.kernel.raw(Sys.IRQ_ACK, this.slot);
    if (result < 0)
      throw new SyscallFailedError(Sys.IRQ_ACK, result, { call: `ack() on IRQ ${irqName(this)}line ${this.line}` });
  }

  /** Whether `msg` is this line's interrupt notification (only the kernel can send those). */
  isMine(msg: WireMessage): boolean {
    return msg.sender === Pid.KERNEL && msg.tag === irqTag(this.line);
  }
}

function irqName(irq: Irq): string {
  const name = handleRecord(irq)?.words.name;
  return name !== undefined ? `"${name}", ` : "";
}
