// Capability block: GRANT, REVOKE, DELETE, INSPECT, DERIVE, LIST; and PS. Semantics of the spec and
// the CapabilityTransfer TLA+ model: a grant needs the grant right and can only narrow rights; a
// derivation can only narrow; revocation reaches everything granted or derived from the capability.

import { ObjectType, Perm } from "../abi/caps";
import { RevokeReason } from "../abi/tags";
import { Errno } from "../abi/errors";
import { Sys } from "../abi/syscalls";
import { encodeCapInfo, encodeCapList, encodePsList } from "../abi/wire";
import type { Capability } from "../cspace";
import { fail, ok, type SyscallHandler } from "./outcome";
import type { SyscallContext } from "./context";

/** The two ZDS resource fields of CAP_INSPECT for a capability (see wire.ts CapInfo). */
export function resourceFields(k: SyscallContext, cap: Capability): [number, number] {
  if (cap.objectType === ObjectType.Endpoint) return [k.endpoint(cap.objectId)?.owner ?? 0, 0];
  const obj = k.hardwareObject(cap.objectId);
  if (!obj) return [0, 0];
  switch (obj.type) {
    case "memory":
      return [obj.base, obj.size];
    case "ports":
      return [obj.first, obj.last];
    case "irq":
      return [obj.line, obj.endpointId];
    case "dma":
      return [obj.region.phys, obj.region.size];
  }
}

const inspect: SyscallHandler = (k, p, req) => {
  const check = k.capabilities.check(p, req.a0, 0, undefined);
  if (!check.ok) return fail(check.errno);
  const [resourceA, resourceB] = resourceFields(k, check.cap);
  const { objectType, perms, objectId, generation } = check.cap;
  return ok(1, encodeCapInfo({ objectType, perms, slot: req.a0, objectId, generation, resourceA, resourceB }));
};

const list: SyscallHandler = (_k, p) =>
  ok(
    0,
    encodeCapList(
      p.cspace.entries().map(([slot, cap]) => ({ slot, objectType: cap.objectType, objectId: cap.objectId })),
    ),
  );

const ps: SyscallHandler = (k) =>
  ok(0, encodePsList([{ pid: 1, name: "init" }, ...k.liveProcesses().map((p) => ({ pid: p.pid, name: p.name }))]));

/** Permission byte: bits above grant are ignored (zero-os-abi.md §3.5). */
const permsOf = (byte: number): number => byte & Perm.ALL;

const grant: SyscallHandler = (k, p, req) => {
  const check = k.capabilities.check(p, req.a0, Perm.GRANT, undefined);
  if (!check.ok) return fail(check.errno);
  const wanted = permsOf(req.a2);
  if ((wanted & ~check.cap.perms) !== 0) return fail(Errno.E_PERM); // no rights escalation
  const target = k.process(req.a1);
  if (!target?.alive) return fail(Errno.E_NOENT);
  // The target's space must take it; the granter is refused, before any record is made.
  if (k.quota.overCapabilityLimit(target, 1)) return k.quota.refuseCapabilities(p, req.num, 1, target);
  const child = k.capabilities.newCapability(check.cap.objectType, check.cap.objectId, wanted, check.cap);
  const toSlot = k.capabilities.place(target, child);
  k.commit({
    type: "CapGranted",
    fromPid: p.pid,
    toPid: target.pid,
    fromSlot: req.a0,
    toSlot,
    newCapId: child.id,
    perms: wanted,
  });
  return ok(toSlot);
};

/** a0 = slot, a1 = perm byte (⊆ the source's), a2 = ZDS: lifetime in virtual µs (0 = the parent's). */
const derive: SyscallHandler = (k, p, req) => {
  const check = k.capabilities.check(p, req.a0, 0, undefined);
  if (!check.ok) return fail(check.errno);
  const wanted = permsOf(req.a1);
  if ((wanted & ~check.cap.perms) !== 0) return fail(Errno.E_PERM);
  if (k.quota.overCapabilityLimit(p, 1)) return k.quota.refuseCapabilities(p, req.num, 1);
  const expiresAt = req.a2 === 0 ? 0 : k.now() + req.a2 * 1000;
  const child = k.capabilities.newCapability(check.cap.objectType, check.cap.objectId, wanted, check.cap, expiresAt);
  return ok(k.capabilities.place(p, child));
};

const revoke: SyscallHandler = (k, p, req) => {
  const check = k.capabilities.check(p, req.a0, Perm.GRANT, undefined);
  if (!check.ok) return fail(check.errno);
  k.capabilities.revoke(check.cap, p, RevokeReason.EXPLICIT);
  return ok();
};

const remove: SyscallHandler = (k, p, req) => {
  if (!k.capabilities.removeCap(p, req.a0)) return fail(Errno.E_BADF);
  return ok();
};

export const capabilitySyscalls: [number, SyscallHandler][] = [
  [Sys.CAP_GRANT, grant],
  [Sys.CAP_DERIVE, derive],
  [Sys.CAP_REVOKE, revoke],
  [Sys.CAP_DELETE, remove],
  [Sys.CAP_INSPECT, inspect],
  [Sys.CAP_LIST, list],
  [Sys.PS, ps],
];
