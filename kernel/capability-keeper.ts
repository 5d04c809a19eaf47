// Capabilities across CSpaces: placing and removing them (with their commit-log records and the
// IOMMU views that follow Dma capabilities), revoking a capability with everything that descends
// from it, and expiry — lazy at the next check, eager for lent DMA buffers, which a device uses
// without ever making a syscall. The records and the derivation tree are kernel/capabilities.ts.

import type { CommitBody } from "./axiom/commitlog";
import { ObjectType } from "./abi/caps";
import { Errno } from "./abi/errors";
import { Pid } from "./abi/syscalls";
import { RevokeReason, Tag } from "./abi/tags";
import type { CapabilityRegistry } from "./capabilities";
import type { Capability, CheckResult } from "./cspace";
import type { Endpoint, Message } from "./objects";
import type { KernelProcess } from "./process";

/** What the keeper needs from the rest of the kernel. */
export interface CapabilityKeeperDeps {
  readonly registry: CapabilityRegistry;
  readonly processes: ReadonlyMap<number, KernelProcess>;
  readonly endpoints: ReadonlyMap<number, Endpoint>;
  now(): number;
  commit(body: CommitBody): void;
  /** Virtual-time timer (the machine clock). */
  schedule(delay: number, callback: () => void): { cancel(): boolean };
  refreshIommu(proc: KernelProcess): void;
  wake(proc: KernelProcess, result: number): void;
  deliver(ep: Endpoint, message: Message): number;
}

export class CapabilityKeeper {
  private readonly revoked = new Set<number>();
  /** Eager expiry of Dma capabilities with a lifetime, by capability id (only while placed). */
  private readonly expiryTimers = new Map<number, { cancel(): boolean }>();

  constructor(private readonly deps: CapabilityKeeperDeps) {}

  /** A new capability record (not yet in any CSpace), derived from `parent` if given. */
  newCapability(objectType: number, objectId: number, perms: number, parent?: Capability, expiresAt = 0): Capability {
    return this.deps.registry.create(objectType, objectId, perms, parent, expiresAt);
  }

  /** A new root capability (fresh generation) in `proc`'s CSpace; returns the slot. */
  insertCap(proc: KernelProcess, objectType: number, objectId: number, perms: number): number {
    return this.place(proc, this.deps.registry.create(objectType, objectId, perms));
  }

  /** Put an existing capability record into a CSpace (grant, derive, transfer); returns the slot. */
  place(proc: KernelProcess, cap: Capability): number {
    const slot = proc.cspace.insert(cap);
    this.deps.registry.placed(cap, proc, slot);
    this.deps.commit({
      type: "CapInserted",
      pid: proc.pid,
      slot,
      capId: cap.id,
      objectType: cap.objectType,
      objectId: cap.objectId,
      perms: cap.perms,
    });
    if (cap.objectType === ObjectType.Dma) {
      this.scheduleExpiry(cap);
      this.deps.refreshIommu(proc);
    }
    return slot;
  }

  /** Take a capability out of a CSpace. */
  removeCap(proc: KernelProcess, slot: number): Capability | undefined {
    const cap = proc.cspace.get(slot);
    if (!cap) return undefined;
    proc.cspace.remove(slot);
    this.deps.registry.unplaced(cap.id);
    this.cancelExpiry(cap.id);
    this.deps.commit({ type: "CapRemoved", pid: proc.pid, slot });
    if (cap.objectType === ObjectType.Dma) this.deps.refreshIommu(proc);
    // Revoked while its holder waits in RECV_WAIT through it: the wait ends as a RECV_WAIT on the
    // empty slot would (E_BADF), rather than leaving a waiter without the right to receive.
    const on = proc.blockedOn;
    if (proc.state === "blocked" && on?.kind === "receive" && on.slot === slot) {
      const ep = this.deps.endpoints.get(on.endpointId);
      if (ep) ep.waiters = ep.waiters.filter((pid) => pid !== proc.pid);
      this.deps.wake(proc, -Errno.E_BADF);
    }
    return cap;
  }

  /** Revoke a capability and everything granted, derived or transferred from it. Each holder other
   *  than `by` is told with a CAP_REVOKED message on its input endpoint. */
  revoke(cap: Capability, by: KernelProcess | undefined, reason: number): number {
    return this.revokeTree(cap.id, by, reason);
  }

  /** revoke() by capability id: the record may have left every CSpace (a DMA buffer's root). */
  revokeTree(capId: number, by: KernelProcess | undefined, reason: number): number {
    if (this.isRevoked(capId)) return 0;
    let count = 0;
    for (const id of [capId, ...this.deps.registry.descendants(capId)]) {
      const home = this.deps.registry.home(id);
      if (home) {
        const holder = this.deps.processes.get(home.pid);
        const held = holder?.cspace.get(home.slot);
        if (holder && held) {
          this.removeCap(holder, home.slot);
          count++;
          if (holder !== by && holder.alive) this.notifyRevoked(holder, home.slot, held, reason);
        }
      }
      this.revoked.add(id);
      this.deps.registry.forget(id);
      this.cancelExpiry(id);
    }
    return count;
  }

  /** The Axiom check, plus lazy expiry: an expired capability is revoked (with everything derived
   *  from it) and its holders told, reason EXPIRED. */
  check(proc: KernelProcess, slot: number, required: number, type: number | undefined): CheckResult {
    const now = this.deps.now();
    const result = proc.cspace.check(slot, required, type, now);
    if (!result.ok) {
      const cap = proc.cspace.get(slot);
      if (cap && cap.expiresAt !== 0 && now > cap.expiresAt) this.revoke(cap, undefined, RevokeReason.EXPIRED);
    }
    return result;
  }

  /** True when a capability (e.g. one in flight inside a message) has been revoked. */
  isRevoked(capId: number): boolean {
    return this.revoked.has(capId);
  }

  /** A lent buffer must leave the device's view when its lifetime ends, not at the next syscall
   *  that happens to check the capability: the device never makes one. So a Dma capability with a
   *  lifetime is revoked (reason EXPIRED) at the first instant it is void, in virtual time. */
  private scheduleExpiry(cap: Capability): void {
    if (cap.expiresAt === 0 || this.expiryTimers.has(cap.id)) return;
    const delay = Math.max(0, cap.expiresAt + 1 - this.deps.now());
    this.expiryTimers.set(
      cap.id,
      this.deps.schedule(delay, () => {
        this.expiryTimers.delete(cap.id);
        this.revokeTree(cap.id, undefined, RevokeReason.EXPIRED);
      }),
    );
  }

  private cancelExpiry(capId: number): void {
    this.expiryTimers.get(capId)?.cancel();
    this.expiryTimers.delete(capId);
  }

  private notifyRevoked(holder: KernelProcess, slot: number, cap: Capability, reason: number): void {
    const input = holder.cspace.get(1);
    const ep = input && input.objectType === ObjectType.Endpoint ? this.deps.endpoints.get(input.objectId) : undefined;
    if (!ep) return;
    const payload = new Uint8Array(14);
    const v = new DataView(payload.buffer);
    v.setUint32(0, slot, true);
    v.setUint8(4, cap.objectType);
    v.setBigUint64(5, BigInt(cap.objectId), true);
    v.setUint8(13, reason);
    this.deps.deliver(ep, { sender: Pid.KERNEL, tag: Tag.CAP_REVOKED, payload });
  }
}
