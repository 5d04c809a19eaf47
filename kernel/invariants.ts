// The kernel's own invariants, checked from its state alone: the runtime checks of Zero OS's
// kernel-core (`check_all_invariants`), the TLA+ KernelIPC and CapabilityTransfer theorems that
// can be read off a single state, and the bookkeeping our kernel adds (run token, call/reply,
// hardware objects). Pure and read-only: tests call it after every step of a random run
// (test/kernel/invariants.property.test.ts); an empty list means the state is sound.
//
// Dangling references that are allowed, because Zero OS allows them (zero-os-abi.md §4.6):
//  - an Endpoint capability may name an endpoint that was destroyed (its owner ended, or the owner
//    called DELETE_ENDPOINT); using it fails with E_NOENT. Its id must still be one the kernel
//    handed out (below the endpoint counter).
//  - a Memory/IoPort/Irq/Dma capability may name a hardware entry that is gone (DMA_FREE through a
//    derived capability leaves the root's entry deleted); using it fails with E_NOENT.
//  - a queued CALL message may name a caller that has since died; receiving it creates no reply
//    obligation.
//  - a process blocked in LOOKUP_SERVICE may wait for a service whose server is gone: a restarted
//    server registers the same name and answers it.

import { ObjectType, Perm } from "./abi/caps";
import { Pid } from "./abi/syscalls";
import type { Capability } from "./cspace";
import type { Kernel } from "./kernel";
import { carriedCaps, chargedBytes } from "./limits";
import { ENDPOINT_QUEUE_LIMIT } from "./objects";
import type { KernelProcess } from "./process";

const HARDWARE_KIND: Record<number, string> = {
  [ObjectType.Memory]: "memory",
  [ObjectType.IoPort]: "ports",
  [ObjectType.Irq]: "irq",
  [ObjectType.Dma]: "dma",
};

/** What every group of checks reads: the kernel, its counters, and what one group learns for the
 *  next (capability ids already seen, replies already owed). */
interface Scan {
  k: Kernel;
  bad: (msg: string) => void;
  running: KernelProcess | undefined;
  ready: ReadonlySet<KernelProcess>;
  counters: Counters;
  alive: (pid: number) => KernelProcess | undefined;
  /** Capability id → where it was seen (a CSpace slot, or a queue for one in flight). */
  capIdsSeen: Map<number, string>;
  /** Caller pid → the pid that owes it a reply. */
  owedBy: Map<number, number>;
}

export function checkInvariants(k: Kernel): string[] {
  const out: string[] = [];
  const bad = (msg: string): void => void out.push(msg);
  const { running, ready, nextPid, nextEndpointId, nextObjectId } = k.internals();
  const scan: Scan = {
    k,
    bad,
    running,
    ready,
    counters: {
      capsCreated: k.caps.capsCreated,
      generations: k.caps.generationsIssued,
      nextPid,
      nextEndpointId,
      nextObjectId,
    },
    alive: (pid) => {
      const p = k.processes.get(pid);
      return p?.alive ? p : undefined;
    },
    capIdsSeen: new Map(),
    owedBy: new Map(),
  };
  checkRunToken(scan);
  checkProcesses(scan);
  checkRegistryHomes(scan);
  checkEndpoints(scan);
  checkHardwareObjects(scan);
  checkDmaOwnership(k, bad);
  checkIommuViews(k, bad);
  checkLimits(k, bad);
  checkServiceNames(k, bad);
  return out;
}

/** The run token and the ready set: only a live process in the matching state holds either. */
function checkRunToken({ running, ready, bad }: Scan): void {
  if (running && (!running.alive || running.state !== "running"))
    bad(`token holder pid ${running.pid} is ${running.state}`);
  for (const p of ready) {
    if (!p.alive || p.state !== "ready") bad(`pid ${p.pid} is in the ready set but ${p.state}`);
  }
}

/** Every process: filed right, a dead one wired into nothing, a live one in its scheduler state,
 *  waiting on something real, owing replies to real callers, holding sound capabilities. */
function checkProcesses(s: Scan): void {
  const { k } = s;
  const waiting = new Set<number>();
  for (const ep of k.endpoints.values()) for (const pid of ep.waiters) waiting.add(pid);
  const lookups = k.init.waitingLookups();
  for (const [pid, p] of k.processes) {
    const who = `pid ${pid} (${p.name})`;
    if (p.pid !== pid) s.bad(`${who} is filed under the wrong pid ${p.pid}`);
    if (pid <= Pid.INIT || pid >= s.counters.nextPid) s.bad(`${who}: pid outside 2..${s.counters.nextPid - 1}`);
    if (!p.cspace) s.bad(`${who} has no CSpace`);
    if (!p.alive) {
      checkDeadProcess(s, p, who, waiting, lookups);
      continue;
    }
    checkLiveProcessState(s, p, who, lookups);
    checkOwedReplies(s, p, who);
    for (const id of p.endpoints) {
      const ep = k.endpoints.get(id);
      if (ep && ep.owner !== pid) s.bad(`${who} lists endpoint ${id}, owned by pid ${ep.owner}`);
    }
    checkHeldCapabilities(s, p, who);
  }
}

type Lookups = ReturnType<Kernel["init"]["waitingLookups"]>;

/** TLA KernelIPC ZombieNoCaps, and nothing of a dead process stays wired into the kernel. */
function checkDeadProcess(
  { bad, ready, running }: Scan,
  p: KernelProcess,
  who: string,
  waiting: ReadonlySet<number>,
  lookups: Lookups,
): void {
  if (p.cspace.size !== 0) bad(`dead ${who} still holds ${p.cspace.size} capabilities`);
  if (waiting.has(p.pid)) bad(`dead ${who} is an endpoint waiter`);
  if (p.owedReplies.size !== 0) bad(`dead ${who} still owes replies`);
  if (p.blockedOn) bad(`dead ${who} is still blocked on ${p.blockedOn.kind}`);
  if (ready.has(p) || running === p) bad(`dead ${who} is scheduled`);
  if (p.dmaRegions.length !== 0) bad(`dead ${who} keeps DMA regions`);
  for (const queue of lookups.values()) if (queue.includes(p)) bad(`dead ${who} waits in a service lookup`);
}

/** Live: its state matches the scheduler, and a blocked process waits on something real. */
function checkLiveProcessState(
  { k, bad, ready, running, alive }: Scan,
  p: KernelProcess,
  who: string,
  lookups: Lookups,
): void {
  const pid = p.pid;
  if (p.state === "running" && running !== p) bad(`${who} is "running" without the token`);
  if (p.state === "ready" && !ready.has(p)) bad(`${who} is "ready" but not in the ready set (it would never run)`);
  if (p.state === "blocked" && !p.blockedOn) bad(`${who} is blocked on nothing`);
  if (p.state !== "blocked" && p.blockedOn) bad(`${who} is ${p.state} but still marked blocked on ${p.blockedOn.kind}`);
  const on = p.blockedOn;
  if (p.state !== "blocked" || !on) return;
  if (on.kind === "receive") {
    const ep = k.endpoints.get(on.endpointId);
    if (!ep) bad(`${who} waits to receive on destroyed endpoint ${on.endpointId}`);
    else if (ep.waiters.filter((w) => w === pid).length !== 1)
      bad(`${who} waits on endpoint ${ep.id} but is not listed once as its waiter`);
    // Only a holder of a read capability receives: it still holds the one it waits through
    // (expiry is lazy: checked when a message is handed over).
    const cap = p.cspace.get(on.slot);
    if (!cap || cap.objectType !== ObjectType.Endpoint || cap.objectId !== on.endpointId || !(cap.perms & Perm.READ)) {
      bad(`${who} waits on endpoint ${on.endpointId} through slot ${on.slot}, which holds no read capability to it`);
    }
  } else if (on.kind === "reply") {
    if (on.server !== undefined) {
      const server = alive(on.server);
      if (!server) bad(`${who} waits for a reply from dead pid ${on.server}`);
      else if (!server.owedReplies.has(pid)) bad(`${who} waits for a reply pid ${on.server} does not owe`);
    } else {
      // Not yet received: the CALL message is still queued, so destroying the endpoint fails it.
      const ep = k.endpoints.get(on.endpointId);
      if (!ep?.queue.some((m) => m.callFrom === pid))
        bad(`${who} waits for a reply to a CALL that is in no queue and with no server`);
    }
  } else if (!lookups.get(on.service)?.includes(p)) {
    bad(`${who} waits for service "${on.service}" but init does not know`);
  }
}

/** Each reply `p` owes goes to a caller waiting for it from `p`, and no caller is owed twice. */
function checkOwedReplies({ bad, alive, owedBy }: Scan, p: KernelProcess, who: string): void {
  const pid = p.pid;
  for (const caller of p.owedReplies) {
    const c = alive(caller);
    if (!c || c.blockedOn?.kind !== "reply" || c.blockedOn.server !== pid)
      bad(`${who} owes a reply to pid ${caller}, which is not waiting for it`);
    const other = owedBy.get(caller);
    if (other !== undefined) bad(`pids ${other} and ${pid} both owe pid ${caller} a reply`);
    owedBy.set(caller, pid);
  }
}

/** Its capabilities: each in one place, where the registry says, sound, and hardware its own. */
function checkHeldCapabilities(s: Scan, p: KernelProcess, who: string): void {
  const { k, bad, capIdsSeen } = s;
  const pid = p.pid;
  for (const [slot, cap] of p.cspace.entries()) {
    const where = `${who} slot ${slot} (cap ${cap.id})`;
    const seen = capIdsSeen.get(cap.id);
    if (seen) bad(`${where}: the same capability is also at ${seen}`);
    capIdsSeen.set(cap.id, where);
    const home = k.caps.home(cap.id);
    if (!home || home.pid !== pid || home.slot !== slot)
      bad(`${where}: registry places it at ${home ? `pid ${home.pid} slot ${home.slot}` : "nowhere"}`);
    checkCapability(k, cap, where, s.counters, bad);
    const hw = HARDWARE_KIND[cap.objectType] !== undefined ? k.hardware.get(cap.objectId) : undefined;
    // An Irq capability never leaves its owner. A Dma one may be lent (granted or moved, with the
    // grant right DMA_ALLOC gives): then it descends from the owner's, never a root of its own.
    const foreign = hw && (hw.type === "irq" || hw.type === "dma") && hw.owner !== pid;
    if (foreign && (hw.type === "irq" || cap.parent === undefined))
      bad(`${where}: ${hw.type} object ${cap.objectId} belongs to pid ${hw.owner}`);
  }
}

/** Every registry home is a real slot holding that capability (no phantom capabilities). */
function checkRegistryHomes({ k, bad }: Scan): void {
  for (const [id, home] of k.caps.allHomes()) {
    const held = k.processes.get(home.pid)?.cspace.get(home.slot);
    if (held?.id !== id)
      bad(
        `registry places cap ${id} at pid ${home.pid} slot ${home.slot}, which holds ${held ? `cap ${held.id}` : "nothing"}`,
      );
  }
}

/** Endpoints and their queues: filed right, owned by a live process that lists them, within the
 *  queue bound, waiters really waiting, queued messages within the limits and their capabilities sound. */
function checkEndpoints(s: Scan): void {
  const { k, bad, alive } = s;
  const { nextEndpointId, nextPid } = s.counters;
  if (!k.endpoints.has(k.init.endpointId)) bad(`init's endpoint ${k.init.endpointId} is gone`);
  for (const [id, ep] of k.endpoints) {
    const what = `endpoint ${id}`;
    if (ep.id !== id) bad(`${what} is filed under the wrong id ${ep.id}`);
    if (id < 1 || id >= nextEndpointId) bad(`${what}: id outside 1..${nextEndpointId - 1}`);
    if (ep.owner !== Pid.INIT) {
      const owner = alive(ep.owner);
      if (!owner) bad(`${what}: owner pid ${ep.owner} does not exist or is dead`);
      else if (!owner.endpoints.has(id)) bad(`${what}: owner pid ${ep.owner} does not list it`);
    }
    // TLA KernelIPC QueueBoundRespected.
    if (ep.queue.length > ENDPOINT_QUEUE_LIMIT)
      bad(`${what}: ${ep.queue.length} queued messages exceed the bound ${ENDPOINT_QUEUE_LIMIT}`);
    if (ep.waiters.length > 0 && ep.queue.length > 0) bad(`${what}: has waiters and queued messages at once`);
    if (new Set(ep.waiters).size !== ep.waiters.length) bad(`${what}: a waiter is listed twice`);
    for (const pid of ep.waiters) {
      const w = alive(pid);
      if (!w || w.blockedOn?.kind !== "receive" || w.blockedOn.endpointId !== id)
        bad(`${what}: waiter pid ${pid} is not blocked receiving on it`);
    }
    for (const m of ep.queue) {
      if (m.sender !== Pid.KERNEL && m.sender !== Pid.INIT && (m.sender < 2 || m.sender >= nextPid))
        bad(`${what}: message from unknown pid ${m.sender}`);
      if (m.payload.length > k.limits.bytes)
        bad(`${what}: queued message of ${m.payload.length} bytes exceeds ${k.limits.bytes}`);
      if ((m.caps?.length ?? 0) > k.limits.caps) bad(`${what}: queued message carries ${m.caps?.length} capabilities`);
      if (m.callFrom !== undefined) {
        const c = alive(m.callFrom);
        // Allowed dangling: a caller that died after sending. Otherwise it must be waiting for this one.
        if (c && (c.blockedOn?.kind !== "reply" || c.blockedOn.endpointId !== id || c.blockedOn.server !== undefined))
          bad(`${what}: queued CALL from pid ${m.callFrom}, which is not waiting for it`);
      }
      for (const cap of m.caps ?? []) checkInFlightCapability(s, cap, what);
    }
  }
}

/** In flight: in no CSpace (it moved), and its ancestry is checked like any capability's, except
 *  that it may have been revoked since (the receiver drops it). */
function checkInFlightCapability({ k, bad, capIdsSeen, counters }: Scan, cap: Capability, what: string): void {
  if (k.caps.home(cap.id)) bad(`${what}: in-flight cap ${cap.id} is also placed in a CSpace`);
  const dup = capIdsSeen.get(cap.id);
  if (dup) bad(`${what}: in-flight cap ${cap.id} is also at ${dup}`);
  capIdsSeen.set(cap.id, `${what} (in flight)`);
  if (!k.capabilities.isRevoked(cap.id)) checkCapability(k, cap, `${what}: in-flight cap ${cap.id}`, counters, bad);
}

/** Hardware objects: ids in range; an IRQ or DMA object belongs to a live process, an IRQ's
 *  notification endpoint is its owner's, a DMA object's region is in its owner's list. */
function checkHardwareObjects({ k, bad, alive, counters }: Scan): void {
  const { nextObjectId } = counters;
  for (const [id, obj] of k.hardware) {
    if (id < 1 || id >= nextObjectId) bad(`hardware object ${id}: id outside 1..${nextObjectId - 1}`);
    if (obj.type === "irq" || obj.type === "dma") {
      const owner = alive(obj.owner);
      if (!owner) bad(`${obj.type} object ${id} belongs to dead or unknown pid ${obj.owner}`);
      if (obj.type === "irq" && owner) {
        const ep = k.endpoints.get(obj.endpointId);
        if (!ep || ep.owner !== obj.owner)
          bad(`irq object ${id}: its notification endpoint ${obj.endpointId} is gone or not its owner's`);
      }
      if (obj.type === "dma" && owner && !owner.dmaRegions.includes(obj.region))
        bad(`dma object ${id}: region not in pid ${obj.owner}'s DMA regions`);
    }
  }
}

/** Every DMA page has exactly one live owner: a region in a live process's list has one DMA object,
 *  owned by that process, and no page is in two regions. */
function checkDmaOwnership(k: Kernel, bad: (msg: string) => void): void {
  const objects = [...k.hardware.values()].filter((o) => o.type === "dma");
  const pages: { start: number; end: number; pid: number }[] = [];
  for (const p of k.processes.values()) {
    if (!p.alive) continue;
    for (const r of p.dmaRegions) {
      const owners = objects.filter((o) => o.region === r);
      if (owners.length !== 1 || owners[0].owner !== p.pid)
        bad(
          `pid ${p.pid}'s DMA region 0x${r.phys.toString(16)} has ${owners.length} DMA objects${owners.length ? ` (owner ${owners[0].owner})` : ""}`,
        );
      for (const other of pages) {
        if (r.phys < other.end && other.start < r.phys + r.size)
          bad(`DMA page 0x${r.phys.toString(16)} is held by pid ${p.pid} and by pid ${other.pid}`);
      }
      pages.push({ start: r.phys, end: r.phys + r.size, pid: p.pid });
    }
  }
}

/** What each device can reach: its bound driver's own buffers, and buffers of live, unrevoked,
 *  unexpired Dma capabilities the driver holds, in no more directions than their rights. */
function checkIommuViews(k: Kernel, bad: (msg: string) => void): void {
  const now = k.now();
  for (const [device, view] of k.iommuViews) {
    const p = k.processes.get(view.pid);
    const bound = p?.alive && p.device === device ? p : undefined;
    if (!bound) {
      if (view.own.length || view.shared.length)
        bad(`device ${device} still reaches DMA memory of pid ${view.pid}, which is not its live driver`);
      continue;
    }
    for (const r of view.own)
      if (!bound.dmaRegions.includes(r))
        bad(`device ${device} reaches 0x${r.phys.toString(16)}, not a buffer of its driver pid ${bound.pid}`);
    for (const m of view.shared) {
      const allowing = bound.cspace.entries().filter(([, cap]) => {
        const obj = cap.objectType === ObjectType.Dma ? k.hardware.get(cap.objectId) : undefined;
        return (
          obj?.type === "dma" &&
          obj.region === m.region &&
          !k.capabilities.isRevoked(cap.id) &&
          (cap.expiresAt === 0 || now <= cap.expiresAt)
        );
      });
      const perms = allowing.reduce((n, [, cap]) => n | cap.perms, 0);
      if (!allowing.length)
        bad(
          `device ${device} reaches lent buffer 0x${m.region.phys.toString(16)} with no live, unexpired Dma capability of pid ${bound.pid}`,
        );
      else if ((m.read && !(perms & Perm.READ)) || (m.write && !(perms & Perm.WRITE)))
        bad(
          `device ${device} may ${m.write ? "write" : "read"} lent buffer 0x${m.region.phys.toString(16)} beyond pid ${bound.pid}'s rights`,
        );
    }
  }
}

/** Per-process endpoints, queued bytes, DMA bytes and capabilities within the machine's limits,
 *  and each endpoint's queued-bytes and queued-capabilities counters true to its queue. */
function checkLimits(k: Kernel, bad: (msg: string) => void): void {
  const limits = k.resources;
  for (const ep of k.endpoints.values()) {
    const actual = ep.queue.reduce((n, m) => n + chargedBytes(m), 0);
    if (actual !== ep.queuedBytes) bad(`endpoint ${ep.id}: counts ${ep.queuedBytes} queued bytes, holds ${actual}`);
    const caps = ep.queue.reduce((n, m) => n + carriedCaps(m), 0);
    if (caps !== ep.queuedCaps) bad(`endpoint ${ep.id}: counts ${ep.queuedCaps} queued capabilities, holds ${caps}`);
  }
  for (const p of k.processes.values()) {
    if (!p.alive) continue;
    const endpoints = k.quota.endpointCount(p);
    if (endpoints > limits.endpoints)
      bad(`pid ${p.pid} owns ${endpoints} endpoints, above limits.endpoints ${limits.endpoints}`);
    const queued = k.quota.queuedBytesFor(p.pid);
    if (queued > limits.queuedBytes)
      bad(`pid ${p.pid}'s endpoints hold ${queued} queued bytes, above limits.queuedBytes ${limits.queuedBytes}`);
    const dma = p.dmaRegions.reduce((n, r) => n + r.size, 0);
    if (dma > limits.dmaBytes) bad(`pid ${p.pid} holds ${dma} DMA bytes, above limits.dmaBytes ${limits.dmaBytes}`);
    // The CSpace itself, then with what is on its way to it (queued on its endpoints).
    const held = p.cspace.size;
    const counted = k.quota.capabilityCount(p);
    if (held > limits.capabilities)
      bad(`pid ${p.pid} holds ${held} capabilities, above limits.capabilities ${limits.capabilities}`);
    else if (counted > limits.capabilities)
      bad(
        `pid ${p.pid} holds ${held} capabilities and ${counted - held} more are on their way to it, above limits.capabilities ${limits.capabilities}`,
      );
  }
}

/** A service name a device fronts is held only by a live driver bound to such a device. */
function checkServiceNames(k: Kernel, bad: (msg: string) => void): void {
  for (const { name, pid } of k.init.serviceList()) {
    const p = k.processes.get(pid);
    if (!p?.alive) bad(`service "${name}" is held by dead or unknown pid ${pid}`);
    const fronts = k.frontedBy.get(name);
    if (fronts && !(p?.device && fronts.includes(p.device)))
      bad(`service "${name}" is held by pid ${pid}, not bound to ${fronts.join(" or ")}`);
  }
}

interface Counters {
  capsCreated: number;
  generations: number;
  nextPid: number;
  nextEndpointId: number;
  nextObjectId: number;
}

/** One capability record: ids in range, its object plausible, and its ancestry sound
 *  (CapabilityTransfer: NoRightsEscalation, GenerationMonotonic, RevocationEffective). */
function checkCapability(k: Kernel, cap: Capability, where: string, c: Counters, bad: (msg: string) => void): void {
  if (k.capabilities.isRevoked(cap.id)) bad(`${where}: a revoked capability is still usable`);
  if (cap.id < 1 || cap.id > c.capsCreated) bad(`${where}: id outside 1..${c.capsCreated}`);
  if ((cap.perms & ~Perm.ALL) !== 0) bad(`${where}: permission bits ${cap.perms} beyond rwg`);
  if (cap.generation < 1 || cap.generation > c.generations) bad(`${where}: generation ${cap.generation} never issued`);
  if (cap.objectType === ObjectType.Endpoint) {
    if (cap.objectId < 1 || cap.objectId >= c.nextEndpointId)
      bad(`${where}: names endpoint ${cap.objectId}, never created`);
  } else if (cap.objectType === ObjectType.Process) {
    if (cap.objectId < 2 || cap.objectId >= c.nextPid) bad(`${where}: names pid ${cap.objectId}, never created`);
  } else if (HARDWARE_KIND[cap.objectType] !== undefined) {
    if (cap.objectId < 1 || cap.objectId >= c.nextObjectId)
      bad(`${where}: names hardware object ${cap.objectId}, never created`);
    const obj = k.hardware.get(cap.objectId);
    if (obj && obj.type !== HARDWARE_KIND[cap.objectType])
      bad(`${where}: a ${HARDWARE_KIND[cap.objectType]} capability names a ${obj.type} object`);
  } else {
    bad(`${where}: object type ${cap.objectType} is not a kernel object`);
  }
  // Walk up the derivation tree: every ancestor is unrevoked, and each step only narrows.
  let child = cap;
  for (let depth = 0; child.parent !== undefined; depth++) {
    if (depth > c.capsCreated) {
      bad(`${where}: the derivation chain loops`);
      return;
    }
    const parentId = child.parent;
    if (parentId >= child.id) bad(`${where}: cap ${child.id} has a younger parent ${parentId}`);
    if (k.capabilities.isRevoked(parentId)) {
      bad(`${where}: ancestor cap ${parentId} was revoked but this descendant survives`);
      return;
    }
    const parent = k.caps.parentRecord(parentId);
    if (!parent) {
      bad(`${where}: the registry lost the record of parent cap ${parentId}`);
      return;
    }
    if ((child.perms & ~parent.perms) !== 0)
      bad(`${where}: cap ${child.id} has rights ${child.perms} beyond its parent ${parentId}'s ${parent.perms}`);
    if (child.generation !== parent.generation)
      bad(`${where}: cap ${child.id} has generation ${child.generation}, its parent ${parentId} ${parent.generation}`);
    if (child.objectType !== parent.objectType || child.objectId !== parent.objectId)
      bad(`${where}: cap ${child.id} names another object than its parent ${parentId}`);
    if (parent.expiresAt !== 0 && (child.expiresAt === 0 || child.expiresAt > parent.expiresAt))
      bad(`${where}: cap ${child.id} outlives its parent ${parentId}`);
    child = parent;
  }
}
