// Where every capability lives, and how they descend from one another. Roots (made by the kernel:
// a new endpoint, a grant from init, a DMA buffer) get a fresh generation; grants, derivations and
// transfers inherit it and remember their parent, so revocation can reach everything that came from
// a capability (CapabilityTransfer.tla: RevocationEffective, GenerationMonotonic).

import type { Capability } from "./cspace";
import type { KernelProcess } from "./process";

export interface CapabilityHome {
  pid: number;
  slot: number;
}

export class CapabilityRegistry {
  private readonly homes = new Map<number, CapabilityHome>();
  private readonly children = new Map<number, Set<number>>();
  /** The record of every capability that has children, kept exactly as long as its `children`
   *  entry, so the derivation tree can be audited (kernel/invariants.ts) even after the parent
   *  left every CSpace. Capability records are never mutated, so holding them is safe. */
  private readonly parentRecords = new Map<number, Capability>();
  private nextCapId = 1;
  private nextGeneration = 1;

  /** A new capability record: a root, or a child of `parent` with its generation. */
  create(objectType: number, objectId: number, perms: number, parent?: Capability, expiresAt = 0): Capability {
    const cap: Capability = {
      id: this.nextCapId++,
      objectType,
      objectId,
      perms,
      generation: parent ? parent.generation : this.nextGeneration++,
      expiresAt:
        parent && parent.expiresAt !== 0
          ? expiresAt === 0
            ? parent.expiresAt
            : Math.min(expiresAt, parent.expiresAt)
          : expiresAt,
      parent: parent?.id,
    };
    if (parent) {
      const set = this.children.get(parent.id) ?? new Set<number>();
      set.add(cap.id);
      this.children.set(parent.id, set);
      this.parentRecords.set(parent.id, parent);
    }
    return cap;
  }

  placed(cap: Capability, proc: KernelProcess, slot: number): void {
    this.homes.set(cap.id, { pid: proc.pid, slot });
  }

  /** The capability left every CSpace (deleted, revoked, or in flight inside a message). */
  unplaced(capId: number): void {
    this.homes.delete(capId);
  }

  home(capId: number): CapabilityHome | undefined {
    return this.homes.get(capId);
  }

  /** Every capability descended from `capId` (not itself), depth first. */
  descendants(capId: number): number[] {
    const out: number[] = [];
    const stack = [...(this.children.get(capId) ?? [])];
    while (stack.length) {
      const id = stack.pop()!;
      out.push(id);
      stack.push(...(this.children.get(id) ?? []));
    }
    return out;
  }

  /** Forget a revoked capability's family links. */
  forget(capId: number): void {
    this.children.delete(capId);
    this.parentRecords.delete(capId);
    this.homes.delete(capId);
  }

  // ── read-only views for kernel/invariants.ts (no behaviour depends on them) ──────────────────

  /** Every placed capability's home, by capability id. */
  allHomes(): ReadonlyMap<number, CapabilityHome> {
    return this.homes;
  }

  /** The record of a capability that has (or had, until revoked) children; undefined otherwise. */
  parentRecord(capId: number): Capability | undefined {
    return this.parentRecords.get(capId);
  }

  /** Generations handed out so far (roots get 1, 2, …). */
  get generationsIssued(): number {
    return this.nextGeneration - 1;
  }

  get capsCreated(): number {
    return this.nextCapId - 1;
  }
}
