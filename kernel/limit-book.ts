// Limits bookkeeping: what each process holds against the machine's per-process limits
// (kernel/limits.ts), and the record of every refusal by name. Apart from kernel.ts because it is
// one question asked from many places (syscall handlers, init's STARTUP, delivery to a waiter) and
// reads only the process and endpoint tables; the kernel owns one and hands it out as `quota`.

import { Errno } from "./abi/errors";
import { syscallName } from "./abi/syscalls";
import {
  carriedCaps,
  chargedBytes,
  queuedBytesOf,
  refusalMessage,
  type LimitName,
  type LimitRefusal,
  type LimitsInForce,
} from "./limits";
import type { Endpoint, Message } from "./objects";
import type { KernelProcess } from "./process";
import { fail, type Outcome } from "./syscalls/outcome";

/** What the book reads of the kernel. */
export interface LimitBookSource {
  readonly resources: LimitsInForce;
  readonly processes: ReadonlyMap<number, KernelProcess>;
  readonly endpoints: ReadonlyMap<number, Endpoint>;
  now(): number;
  debug(proc: KernelProcess, text: string): void;
}

/** The limits questions, as the syscall handlers and init ask them. */
export interface Quota {
  /** Refuse a request that would pass a per-process limit: E_NOMEM, recorded by name. */
  refuse(proc: KernelProcess, limit: LimitName, value: number, syscall: number, holder?: KernelProcess): Outcome;
  /** Refuse, by name, a request that would put `incoming` capabilities into `holder`'s space. */
  refuseCapabilities(
    proc: KernelProcess,
    syscall: number,
    incoming: number,
    holder?: KernelProcess,
    leaving?: number,
  ): Outcome;
  /** Capabilities counted against `proc`'s limits.capabilities (its CSpace and those on their way to it). */
  capabilityCount(proc: KernelProcess): number;
  /** Would `incoming` more capabilities pass `proc`'s limits.capabilities (`leaving` go as they come)? */
  overCapabilityLimit(proc: KernelProcess, incoming: number, leaving?: number): boolean;
  /** Can `proc` take `message` off `ep` (the head of its queue, or handed to it as a waiter)? */
  canTake(proc: KernelProcess, ep: Endpoint, message: Message, queued: boolean): boolean;
  /** Endpoints `proc` owns that still exist. */
  endpointCount(proc: KernelProcess): number;
  /** Charged bytes queued on the endpoints `pid` owns (0 for Init and the kernel). */
  queuedBytesFor(pid: number): number;
  /** Would queueing `message` on `ep` pass its owner's queued-bytes limit? */
  overQueueLimit(ep: Endpoint, message: Message): boolean;
}

export class LimitBook implements Quota {
  /** Each limit reached, by process, limit and syscall (RunSummary.limits). */
  readonly refusals: LimitRefusal[] = [];

  constructor(private readonly source: LimitBookSource) {}

  /** Once per process, limit and syscall, with a count, so a looping driver cannot grow the record. */
  refuse(proc: KernelProcess, limit: LimitName, value: number, syscall: number, holder?: KernelProcess): Outcome {
    const name = syscallName(syscall);
    const maximum = this.source.resources[limit];
    const known = this.refusals.find((r) => r.pid === proc.pid && r.limit === limit && r.syscall === name);
    if (known) {
      known.count++;
      return fail(Errno.E_NOMEM);
    }
    const message = refusalMessage(limit, maximum);
    const other = holder && holder !== proc ? { holder: holder.pid } : {};
    this.refusals.push({
      limit,
      value,
      maximum,
      syscall: name,
      pid: proc.pid,
      process: proc.name,
      at: this.source.now(),
      count: 1,
      message,
      ...other,
    });
    this.source.debug(
      proc,
      `${name}: ${message}${holder && holder !== proc ? ` (the capability space of pid ${holder.pid}, ${holder.name})` : ""}`,
    );
    return fail(Errno.E_NOMEM);
  }

  /** Those in its CSpace, and those on their way to it in messages queued on the endpoints it owns. */
  capabilityCount(proc: KernelProcess): number {
    let n = proc.cspace.size;
    for (const id of proc.endpoints) n += this.source.endpoints.get(id)?.queuedCaps ?? 0;
    return n;
  }

  /** `leaving` are counted now but go as these come (a message taken off its own endpoint,
   *  capabilities it sends itself). */
  overCapabilityLimit(proc: KernelProcess, incoming: number, leaving = 0): boolean {
    return incoming > 0 && this.capabilityCount(proc) - leaving + incoming > this.source.resources.capabilities;
  }

  refuseCapabilities(
    proc: KernelProcess,
    syscall: number,
    incoming: number,
    holder: KernelProcess = proc,
    leaving = 0,
  ): Outcome {
    return this.refuse(proc, "capabilities", this.capabilityCount(holder) - leaving + incoming, syscall, holder);
  }

  /** The capabilities it carries must fit in its space; those of a queued message on its own
   *  endpoint are already counted. */
  canTake(proc: KernelProcess, ep: Endpoint, message: Message, queued: boolean): boolean {
    const caps = carriedCaps(message);
    return !this.overCapabilityLimit(proc, caps, queued && ep.owner === proc.pid ? caps : 0);
  }

  endpointCount(proc: KernelProcess): number {
    let n = 0;
    for (const id of proc.endpoints) if (this.source.endpoints.has(id)) n++;
    return n;
  }

  queuedBytesFor(pid: number): number {
    const owner = this.source.processes.get(pid);
    return owner ? queuedBytesOf(this.source.endpoints, owner.endpoints) : 0;
  }

  overQueueLimit(ep: Endpoint, message: Message): boolean {
    const bytes = chargedBytes(message);
    return bytes > 0 && this.queuedBytesFor(ep.owner) + bytes > this.source.resources.queuedBytes;
  }
}
