// IPC block: CREATE_ENDPOINT, SEND, RECV (non-blocking), RECV_WAIT (blocking), CALL, REPLY.
// Semantics of the v0.1.3 spec / kernel-core: checked rights, FIFO per endpoint, blocking
// receive and call/reply (which the running browser kernel lacks, zero-os-abi.md §5.3).

import { ObjectType, Perm } from "../abi/caps";
import { Errno } from "../abi/errors";
import { Pid, Sys } from "../abi/syscalls";
import type { Capability } from "../cspace";
import { carriedCaps } from "../limits";
import { ENDPOINT_QUEUE_LIMIT, type Endpoint } from "../objects";
import type { KernelProcess } from "../process";
import type { SyscallRequest } from "../worker/mailbox";
import { fail, ok, type Outcome, type SyscallHandler } from "./outcome";
import type { SyscallContext } from "./context";

type Resolved = { ep: Endpoint } | { outcome: Outcome };

/** Axiom check on an endpoint slot, then find the endpoint (it may have died with its owner). */
function endpointFor(k: SyscallContext, p: KernelProcess, slot: number, right: number): Resolved {
  const check = k.capabilities.check(p, slot, right, ObjectType.Endpoint);
  if (!check.ok) return { outcome: fail(check.errno) };
  const ep = k.endpoint(check.cap.objectId);
  if (!ep) return { outcome: fail(Errno.E_NOENT) };
  return { ep };
}

/** a2 must equal the payload length and stay within the message limit in force. */
function checkedPayload(k: SyscallContext, req: SyscallRequest): Uint8Array | undefined {
  if (req.a2 !== req.payload.length || req.payload.length > k.limits.bytes) return undefined;
  return req.payload;
}

/** E_NOMEM from deliver: the endpoint owner's queued-bytes limit, recorded by name. */
function refusedQueue(k: SyscallContext, p: KernelProcess, ep: Endpoint, bytes: number, num: number): Outcome {
  return k.quota.refuse(p, "queuedBytes", k.quota.queuedBytesFor(ep.owner) + bytes, num);
}

/** Take the head of the queue. A message whose capabilities `p`'s space cannot take stays queued
 *  (E_NOMEM, named): `p` may make room (CAP_DELETE) and receive it then. */
function receiveOne(k: SyscallContext, p: KernelProcess, ep: Endpoint, num: number): Outcome | undefined {
  const head = ep.queue[0];
  if (!head) return undefined;
  if (!k.quota.canTake(p, ep, head, true))
    return k.quota.refuseCapabilities(p, num, carriedCaps(head), p, ep.owner === p.pid ? carriedCaps(head) : 0);
  const message = k.ipc.dequeue(ep)!;
  return ok(1, k.ipc.receive(p, message));
}

const send: SyscallHandler = (k, p, req) => {
  const r = endpointFor(k, p, req.a0, Perm.WRITE);
  if ("outcome" in r) return r.outcome;
  const payload = checkedPayload(k, req);
  if (!payload) return fail(Errno.E_INVAL);
  const status = k.ipc.deliver(r.ep, { sender: p.pid, tag: req.a1, payload });
  if (status === -Errno.E_NOMEM) return refusedQueue(k, p, r.ep, payload.length, req.num);
  if (status === 0) k.countIpcMessage();
  return status === 0 ? ok() : fail(-status);
};

const recv: SyscallHandler = (k, p, req) => {
  const r = endpointFor(k, p, req.a0, Perm.READ);
  if ("outcome" in r) return r.outcome;
  return receiveOne(k, p, r.ep, req.num) ?? ok(0);
};

const recvWait: SyscallHandler = (k, p, req, requestId) => {
  const r = endpointFor(k, p, req.a0, Perm.READ);
  if ("outcome" in r) return r.outcome;
  const now = receiveOne(k, p, r.ep, req.num);
  if (now) return now;
  r.ep.waiters.push(p.pid);
  // a1 > 0: give up after a1 µs of virtual time with result 0, no message (a driver's timeout).
  if (req.a1 > 0) {
    const ep = r.ep;
    const waiting = () => p.alive && p.state === "blocked" && p.blockedOn?.requestId === requestId;
    k.machine.clock.schedule({ delay: req.a1 * 1000, soft: true, live: waiting }, () => {
      if (!waiting()) return;
      const at = ep.waiters.indexOf(p.pid);
      if (at >= 0) ep.waiters.splice(at, 1);
      k.wake(p, 0);
    });
  }
  return k.block(p, { kind: "receive", endpointId: r.ep.id, slot: req.a0, requestId });
};

const call: SyscallHandler = (k, p, req, requestId) => {
  const r = endpointFor(k, p, req.a0, Perm.WRITE);
  if ("outcome" in r) return r.outcome;
  const payload = checkedPayload(k, req);
  if (!payload) return fail(Errno.E_INVAL);
  if (r.ep.owner === Pid.INIT) return k.init.call(p, req.a1, payload, requestId);
  const blocked = k.block(p, { kind: "reply", endpointId: r.ep.id, requestId });
  const status = k.ipc.deliver(r.ep, { sender: p.pid, tag: req.a1, payload, callFrom: p.pid });
  if (status !== 0) {
    p.state = "running"; // never left: undo the block and answer at once
    p.blockedOn = undefined;
    return status === -Errno.E_NOMEM ? refusedQueue(k, p, r.ep, payload.length, req.num) : fail(-status);
  }
  k.countIpcMessage();
  return blocked;
};

const reply: SyscallHandler = (k, p, req) => {
  const callerPid = req.a0;
  if (!p.owedReplies.has(callerPid)) return fail(Errno.E_NOENT);
  const payload = checkedPayload(k, req);
  if (!payload) return fail(Errno.E_INVAL);
  p.owedReplies.delete(callerPid);
  const caller = k.process(callerPid);
  if (caller?.alive && caller.blockedOn?.kind === "reply") {
    k.wake(caller, 1, k.ipc.wire({ sender: p.pid, tag: req.a1, payload }));
    k.countIpcMessage();
  }
  return ok();
};

/** SEND_CAP: a2 = length | ncaps << 16; in = payload, then ncaps × slot u32. The capabilities
 *  move: they leave the sender now and land in the receiver's CSpace when it receives. Each needs
 *  the grant right. */
const sendCap: SyscallHandler = (k, p, req) => {
  const r = endpointFor(k, p, req.a0, Perm.WRITE);
  if ("outcome" in r) return r.outcome;
  const len = req.a2 & 0xffff;
  const ncaps = req.a2 >>> 16;
  if (ncaps > k.limits.caps || len > k.limits.bytes || req.payload.length !== len + 4 * ncaps)
    return fail(Errno.E_INVAL);
  const view = new DataView(req.payload.buffer, req.payload.byteOffset + len, 4 * ncaps);
  const slots = Array.from({ length: ncaps }, (_, i) => view.getUint32(4 * i, true));
  if (new Set(slots).size !== slots.length) return fail(Errno.E_INVAL);
  for (const slot of slots) {
    const check = k.capabilities.check(p, slot, Perm.GRANT, undefined);
    if (!check.ok) return fail(check.errno);
  }
  // Moving the capabilities is destructive, so every refusal comes before it. They count against
  // the endpoint's owner from now on (on their way to it), so its space must take them; what the
  // owner sends to itself only moves within its count.
  const owner = k.process(r.ep.owner);
  if (owner?.alive && k.quota.overCapabilityLimit(owner, ncaps, owner === p ? ncaps : 0))
    return k.quota.refuseCapabilities(p, req.num, ncaps, owner, owner === p ? ncaps : 0);
  const payload = req.payload.slice(0, len);
  if (r.ep.waiters.length === 0) {
    if (r.ep.queue.length >= ENDPOINT_QUEUE_LIMIT) return fail(Errno.E_AGAIN);
    if (k.quota.overQueueLimit(r.ep, { sender: p.pid, tag: req.a1, payload }))
      return refusedQueue(k, p, r.ep, len, req.num);
  }
  const caps: Capability[] = slots.map((slot) => k.capabilities.removeCap(p, slot)!);
  const status = k.ipc.deliver(r.ep, { sender: p.pid, tag: req.a1, payload, caps });
  if (status !== 0) {
    // Every waiter was stale and the queue refused it: the capabilities go back where they were.
    for (const cap of caps) k.capabilities.place(p, cap);
    return status === -Errno.E_NOMEM ? refusedQueue(k, p, r.ep, len, req.num) : fail(-status);
  }
  k.countIpcMessage();
  return ok();
};

const createEndpoint: SyscallHandler = (k, p, req) => {
  const owned = k.quota.endpointCount(p);
  if (owned >= k.resources.endpoints) return k.quota.refuse(p, "endpoints", owned + 1, req.num);
  if (k.quota.overCapabilityLimit(p, 1)) return k.quota.refuseCapabilities(p, req.num, 1);
  const ep = k.createEndpoint(p);
  const slot = k.capabilities.insertCap(p, ObjectType.Endpoint, ep.id, Perm.ALL);
  // slot << 32 | id, kept exact because the mailbox result is 53-bit safe
  return ok(slot * 0x1_0000_0000 + ep.id);
};

export const ipcSyscalls: [number, SyscallHandler][] = [
  [Sys.CREATE_ENDPOINT, createEndpoint],
  [Sys.SEND, send],
  [Sys.RECV, recv],
  [Sys.RECV_WAIT, recvWait],
  [Sys.CALL, call],
  [Sys.REPLY, reply],
  [Sys.SEND_CAP, sendCap],
];
