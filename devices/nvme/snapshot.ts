// The controller at one moment, as plain data for the debugger's NVMe scope and the machine views:
// registers, every queue with its head, tail and phase, the commands in flight. Taking it has no
// side effect on the controller.

import { opcodeName } from "./nvme-spec";
import type { Command, CompletionQueue, SubmissionQueue } from "./queues";

export interface NvmeQueueView {
  readonly id: number;
  readonly base: number;
  readonly size: number;
  readonly head: number;
  readonly tail: number;
}

export interface NvmeSnapshot {
  readonly cap: bigint;
  readonly vs: number;
  readonly cc: number;
  readonly csts: number;
  readonly aqa: number;
  readonly asq: number;
  readonly acq: number;
  readonly intms: number;
  readonly irq: boolean;
  readonly doorbellStride: number;
  /** Why CSTS.CFS is set. */
  readonly fatalReason: string | undefined;
  readonly submissionQueues: readonly (NvmeQueueView & { readonly cqid: number })[];
  readonly completionQueues: readonly (NvmeQueueView & {
    readonly phase: number;
    readonly interrupts: boolean;
    readonly unconsumed: number;
    readonly held: number;
  })[];
  /** Fetched, not yet completed, oldest first; ASYNC EVENT REQUESTs waiting for an event last. */
  readonly inFlight: readonly {
    readonly sqid: number;
    readonly cid: number;
    readonly command: string;
    readonly detail: string;
    readonly fetchedAt: number;
  }[];
  /** Asynchronous events kept for the next ASYNC EVENT REQUEST. */
  readonly retainedEvents: number;
}

export interface ControllerState {
  readonly cap: bigint;
  readonly cc: number;
  readonly csts: number;
  readonly aqa: number;
  readonly asq: number;
  readonly acq: number;
  readonly intms: number;
  readonly irq: boolean;
  readonly doorbellStride: number;
  readonly fatalReason: string | undefined;
  readonly sqs: ReadonlyMap<number, SubmissionQueue>;
  readonly cqs: ReadonlyMap<number, CompletionQueue>;
  readonly inFlight: readonly Command[];
  readonly heldAsyncEvents: readonly Command[];
  readonly retainedEvents: number;
}

export function snapshotController(s: ControllerState): NvmeSnapshot {
  const sorted = <T extends { id: number }>(m: ReadonlyMap<number, T>): T[] =>
    [...m.values()].sort((a, b) => a.id - b.id);
  return {
    cap: s.cap,
    vs: 0x0002_0000,
    cc: s.cc,
    csts: s.csts,
    aqa: s.aqa,
    asq: s.asq,
    acq: s.acq,
    intms: s.intms,
    irq: s.irq,
    doorbellStride: s.doorbellStride,
    fatalReason: s.fatalReason,
    submissionQueues: sorted(s.sqs).map((q) => ({
      id: q.id,
      base: q.base,
      size: q.size,
      head: q.head,
      tail: q.tail,
      cqid: q.cqid,
    })),
    completionQueues: sorted(s.cqs).map((q) => ({
      id: q.id,
      base: q.base,
      size: q.size,
      head: q.head,
      tail: q.tail,
      phase: q.phase,
      interrupts: q.interrupts,
      unconsumed: q.unconsumed,
      held: q.held.length,
    })),
    inFlight: [...s.inFlight, ...s.heldAsyncEvents].map((c) => ({
      sqid: c.sqid,
      cid: c.cid,
      command: opcodeName(c.sqid === 0, c.opcode),
      detail: describeCommand(c),
      fetchedAt: c.fetchedAt,
    })),
    retainedEvents: s.retainedEvents,
  };
}

function describeCommand(c: Command): string {
  if (c.sqid !== 0 && (c.opcode === 0x01 || c.opcode === 0x02)) {
    const slba = BigInt(c.cdw[0]) | (BigInt(c.cdw[1]) << 32n);
    return `NSID ${c.nsid}, LBA ${slba}+${(c.cdw[2] & 0xffff) + 1}, PRP1 0x${c.prp1.toString(16)}, PRP2 0x${c.prp2.toString(16)}`;
  }
  if (c.sqid !== 0) return `NSID 0x${c.nsid.toString(16)}`;
  return `CDW10 0x${c.cdw[0].toString(16)}, CDW11 0x${c.cdw[1].toString(16)}`;
}
