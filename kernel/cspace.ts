// Capability spaces: per process, slot → capability, with the Axiom check that every capability
// use goes through (zero-os-abi.md §4.4): fail closed on empty slot, wrong type, missing right,
// expiry.

import { Errno } from "./abi/errors";

export interface Capability {
  /** Global id, from 1, never reused. */
  id: number;
  objectType: number;
  /** Endpoint id, PID, or the id of a hardware object in the kernel's resource table. */
  objectId: number;
  perms: number;
  generation: number;
  /** Virtual ns after which the capability is void; 0 = never. */
  expiresAt: number;
  /** Id of the capability this one was granted, derived or transferred from; undefined for roots. */
  parent?: number;
}

export type CheckResult = { ok: true; cap: Capability } | { ok: false; errno: number; reason: string };

export class CSpace {
  private readonly slots = new Map<number, Capability>();
  /** Slots are never reused: deletion leaves a hole (zero-os-abi.md §4.3). */
  private nextSlot = 0;

  insert(cap: Capability): number {
    const slot = this.nextSlot++;
    this.slots.set(slot, cap);
    return slot;
  }

  get(slot: number): Capability | undefined {
    return this.slots.get(slot);
  }

  remove(slot: number): boolean {
    return this.slots.delete(slot);
  }

  /** Slots in ascending order. */
  entries(): [number, Capability][] {
    return [...this.slots.entries()].sort((a, b) => a[0] - b[0]);
  }

  get size(): number {
    return this.slots.size;
  }

  /** The Axiom check. `required` is a permission mask; `type` the expected object type. */
  check(slot: number, required: number, type: number | undefined, now: number): CheckResult {
    const cap = this.slots.get(slot);
    if (!cap) return { ok: false, errno: Errno.E_BADF, reason: `slot ${slot} is empty` };
    if (type !== undefined && cap.objectType !== type)
      return { ok: false, errno: Errno.E_BADF, reason: `slot ${slot} holds the wrong type of capability` };
    if ((cap.perms & required) !== required)
      return { ok: false, errno: Errno.E_PERM, reason: `slot ${slot} lacks the right` };
    if (cap.expiresAt !== 0 && now > cap.expiresAt)
      return { ok: false, errno: Errno.E_PERM, reason: `slot ${slot} has expired` };
    return { ok: true, cap };
  }
}
