// Messages onto endpoints and into processes: queueing within the owner's limits, handing a message
// straight to a waiting receiver (checking its right to receive at that instant), placing the
// capabilities a message carries, and the kernel's own error replies. Used by the IPC syscalls,
// init, interrupts and revocation notices.

import { ObjectType, Perm } from "./abi/caps";
import { Errno } from "./abi/errors";
import { Pid, Sys } from "./abi/syscalls";
import { Tag } from "./abi/tags";
import { encodeWireMessage } from "./abi/wire";
import type { CommitBody } from "./axiom/commitlog";
import type { Capability } from "./cspace";
import type { KernelDebugHooks } from "./kernel-types";
import type { Quota } from "./limit-book";
import { carriedCaps, chargedBytes } from "./limits";
import { ENDPOINT_QUEUE_LIMIT, type Endpoint, type Message } from "./objects";
import type { KernelProcess } from "./process";

/** What delivery needs from the rest of the kernel. */
export interface IpcDeliveryDeps {
  readonly processes: ReadonlyMap<number, KernelProcess>;
  readonly quota: Quota;
  debugHooks(): KernelDebugHooks;
  now(): number;
  commit(body: CommitBody): void;
  wake(proc: KernelProcess, result: number, payload?: Uint8Array): void;
  place(proc: KernelProcess, cap: Capability): number;
  isRevoked(capId: number): boolean;
}

export class IpcDelivery {
  constructor(private readonly deps: IpcDeliveryDeps) {}

  /** Put a message on an endpoint, or hand it straight to a waiting receiver. */
  deliver(ep: Endpoint, message: Message): number {
    const { quota } = this.deps;
    if (ep.queue.length >= ENDPOINT_QUEUE_LIMIT && ep.waiters.length === 0) return -Errno.E_AGAIN;
    if (ep.waiters.length === 0 && quota.overQueueLimit(ep, message)) return -Errno.E_NOMEM;
    this.deps.debugHooks().onDeliver?.(ep, message);
    this.deps.commit({
      type: "MessageSent",
      fromPid: message.sender,
      toEndpoint: ep.id,
      tag: message.tag,
      size: message.payload.length,
    });
    for (let waiterPid = ep.waiters.shift(); waiterPid !== undefined; waiterPid = ep.waiters.shift()) {
      const waiter = this.deps.processes.get(waiterPid);
      if (!waiter?.alive || waiter.blockedOn?.kind !== "receive") continue;
      // Taking the message uses the waiter's read capability now, so it is checked now: one that
      // expired during the wait fails the wait (E_PERM) and the next waiter, if any, gets it.
      const check = waiter.cspace.check(waiter.blockedOn.slot, Perm.READ, ObjectType.Endpoint, this.deps.now());
      if (!check.ok || check.cap.objectId !== ep.id) {
        this.deps.wake(waiter, -(check.ok ? Errno.E_BADF : check.errno));
        continue;
      }
      // Its space filled while it waited (grants from others): it is told, and the message goes on.
      if (!quota.canTake(waiter, ep, message, false)) {
        quota.refuseCapabilities(waiter, Sys.RECV_WAIT, carriedCaps(message));
        this.deps.wake(waiter, -Errno.E_NOMEM);
        continue;
      }
      this.deps.wake(waiter, 1, this.receive(waiter, message));
      ep.delivered++;
      return 0;
    }
    // Every waiter turned out stale: the message queues after all, so the owner's limit holds here too.
    if (quota.overQueueLimit(ep, message)) return -Errno.E_NOMEM;
    ep.queue.push(message);
    ep.queuedBytes += chargedBytes(message);
    ep.queuedCaps += carriedCaps(message);
    ep.delivered++;
    ep.highWater = Math.max(ep.highWater, ep.queue.length);
    return 0;
  }

  /** Take the oldest message off a queue. */
  dequeue(ep: Endpoint): Message | undefined {
    const message = ep.queue.shift();
    if (message) {
      ep.queuedBytes -= chargedBytes(message);
      ep.queuedCaps -= carriedCaps(message);
    }
    return message;
  }

  /** `proc` takes a message: transferred capabilities get slots in its CSpace (those revoked while
   *  in flight are dropped), and a CALL makes it owe the caller a reply. Returns the wire bytes. */
  receive(proc: KernelProcess, message: Message): Uint8Array {
    if (message.callFrom !== undefined) {
      const caller = this.deps.processes.get(message.callFrom);
      // A caller that died after its CALL was queued waits for nothing: no reply is owed (else the
      // receiver would owe a reply to a dead PID, and REPLY to it would succeed).
      if (caller?.alive && caller.blockedOn?.kind === "reply") {
        proc.owedReplies.add(message.callFrom);
        caller.blockedOn.server = proc.pid;
      }
    }
    const slots: number[] = [];
    for (const cap of message.caps ?? []) if (!this.deps.isRevoked(cap.id)) slots.push(this.deps.place(proc, cap));
    return encodeWireMessage({ sender: message.sender, tag: message.tag, caps: slots, payload: message.payload });
  }

  /** Wire bytes of a message that carries no capabilities (replies, kernel notices). */
  wire(message: Message): Uint8Array {
    return encodeWireMessage({ sender: message.sender, tag: message.tag, caps: [], payload: message.payload });
  }

  /** End a pending CALL with an error reply from the kernel (the server is gone). */
  failCall(callerPid: number, errno: number): void {
    const caller = this.deps.processes.get(callerPid);
    if (!caller?.alive || caller.blockedOn?.kind !== "reply") return;
    const payload = new Uint8Array(4);
    new DataView(payload.buffer).setUint32(0, errno, true);
    this.deps.wake(caller, 1, encodeWireMessage({ sender: Pid.KERNEL, tag: Tag.CALL_FAILED, caps: [], payload }));
  }
}
