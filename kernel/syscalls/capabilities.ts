// Capability and system queries: CAP_INSPECT, CAP_LIST, PS. (Grant, revoke, derive, delete and
// SEND_CAP arrive with the full capability model.)

import { ObjectType } from "../abi/caps";
import { Errno } from "../abi/errors";
import { Sys } from "../abi/syscalls";
import { encodeCapInfo, encodeCapList, encodePsList } from "../abi/wire";
import type { Kernel } from "../kernel";
import type { Capability } from "../cspace";
import { fail, ok, type SyscallHandler } from "./index";

/** The two ZDS resource fields of CAP_INSPECT for a capability (see wire.ts CapInfo). */
export function resourceFields(k: Kernel, cap: Capability): [number, number] {
  if (cap.objectType === ObjectType.Endpoint) return [k.endpoints.get(cap.objectId)?.owner ?? 0, 0];
  const obj = k.hardware.get(cap.objectId);
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
  const check = p.cspace.check(req.a0, 0, undefined, k.now());
  if (!check.ok) return fail(check.errno);
  const [resourceA, resourceB] = resourceFields(k, check.cap);
  const { objectType, perms, objectId, generation } = check.cap;
  return ok(1, encodeCapInfo({ objectType, perms, slot: req.a0, objectId, generation, resourceA, resourceB }));
};

const list: SyscallHandler = (_k, p) =>
  ok(0, encodeCapList(p.cspace.entries().map(([slot, cap]) => ({ slot, objectType: cap.objectType, objectId: cap.objectId }))));

const ps: SyscallHandler = (k) =>
  ok(
    0,
    encodePsList(
      [{ pid: 1, name: "init" }, ...[...k.processes.values()].filter((p) => p.alive).map((p) => ({ pid: p.pid, name: p.name }))],
    ),
  );

export const capabilitySyscalls: [number, SyscallHandler][] = [
  [Sys.CAP_INSPECT, inspect],
  [Sys.CAP_LIST, list],
  [Sys.PS, ps],
];
