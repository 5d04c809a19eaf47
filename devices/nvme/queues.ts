// Submission and completion queues as the controller keeps them (NVMe Base 2.0 §3.3): circular
// arrays in the driver's memory, a head and a tail, and for a completion queue the phase tag the
// controller writes into each entry and inverts on every wrap, so the driver can tell a new entry
// from an old one without reading a register.

import { isDmaFault, type DmaFault, type IommuView } from "../iommu";
import { completionDw3, CQE_BYTES, Sqe, SQE_BYTES, type NvmeStatus } from "./nvme-spec";

/** A command as fetched from a submission queue: the 64 bytes, decoded. */
export interface Command {
  readonly sqid: number;
  readonly cid: number;
  readonly opcode: number;
  /** FUSE bits 9:8 and PSDT bits 15:14 of CDW0 (this controller supports neither: both must be 0). */
  readonly fuse: number;
  readonly psdt: number;
  readonly nsid: number;
  readonly prp1: bigint;
  readonly prp2: bigint;
  /** CDW10 … CDW15. */
  readonly cdw: readonly [number, number, number, number, number, number];
  /** Virtual time the controller fetched it. */
  readonly fetchedAt: number;
}

/** A completion on its way into a completion queue. */
export interface Completion {
  readonly dw0: number;
  readonly sqid: number;
  readonly cid: number;
  readonly status: NvmeStatus;
}

export class SubmissionQueue {
  /** The next entry the controller fetches; the driver learns it from SQHD in each completion. */
  head = 0;
  /** As the driver last rang the doorbell. */
  tail = 0;

  constructor(
    readonly id: number,
    readonly base: number,
    readonly size: number,
    readonly cqid: number,
  ) {}

  /** Fetch the entries from head towards the tail, in order, at most `max` of them. */
  fetch(memory: IommuView, max: number, now: number): Command[] | DmaFault {
    const commands: Command[] = [];
    while (this.head !== this.tail && commands.length < max) {
      const entry = memory.dataView(this.base + this.head * SQE_BYTES, SQE_BYTES);
      if (isDmaFault(entry)) return entry;
      commands.push(decode(this.id, entry.view, entry.offset, now));
      this.head = (this.head + 1) % this.size;
    }
    return commands;
  }
}

function decode(sqid: number, v: DataView, at: number, now: number): Command {
  const cdw0 = v.getUint32(at + Sqe.Cdw0, true);
  const dword = (offset: number) => v.getUint32(at + offset, true);
  return {
    sqid,
    cid: cdw0 >>> 16,
    opcode: cdw0 & 0xff,
    fuse: (cdw0 >>> 8) & 0x3,
    psdt: (cdw0 >>> 14) & 0x3,
    nsid: dword(Sqe.Nsid),
    prp1: v.getBigUint64(at + Sqe.Prp1, true),
    prp2: v.getBigUint64(at + Sqe.Prp2, true),
    cdw: [dword(Sqe.Cdw10), dword(Sqe.Cdw11), dword(Sqe.Cdw12), dword(Sqe.Cdw13), dword(Sqe.Cdw14), dword(Sqe.Cdw15)],
    fetchedAt: now,
  };
}

export class CompletionQueue {
  /** As the driver last rang the head doorbell: entries before it are consumed. */
  head = 0;
  /** Where the controller writes the next entry. */
  tail = 0;
  /** The phase tag the next entry gets: 1 on the first pass, inverted on each wrap. */
  phase = 1;
  /** Completions waiting for room: a full queue (tail + 1 = head) takes no more. */
  readonly held: (Completion & { readonly sqhd: number })[] = [];
  /** The submission queues that complete into this one. */
  readonly sqs = new Set<number>();

  constructor(
    readonly id: number,
    readonly base: number,
    readonly size: number,
    /** Whether posting raises the interrupt (CDW11.IEN). */
    readonly interrupts: boolean,
  ) {}

  /** Entries posted and not yet consumed by the driver. */
  get unconsumed(): number {
    return (this.tail - this.head + this.size) % this.size;
  }

  /** Post `c` (with `sqhd`, the head of its submission queue), or hold it while the queue is full. */
  post(memory: IommuView, c: Completion, sqhd: number): DmaFault | undefined {
    if (this.held.length > 0 || this.full()) {
      this.held.push({ ...c, sqhd });
      return undefined;
    }
    return this.write(memory, c, sqhd);
  }

  /** The driver consumed entries up to `head`. False if that is not a position it could reach:
   *  beyond the queue, or past entries the controller has not posted. */
  consume(memory: IommuView, head: number): boolean | DmaFault {
    if (head >= this.size) return false;
    if ((head - this.head + this.size) % this.size > this.unconsumed) return false;
    this.head = head;
    // Room again: what was held goes in, in order.
    while (this.held.length > 0 && !this.full()) {
      const [next] = this.held.splice(0, 1);
      const fault = this.write(memory, next, next.sqhd);
      if (fault !== undefined) return fault;
    }
    return true;
  }

  private full(): boolean {
    return (this.tail + 1) % this.size === this.head;
  }

  private write(memory: IommuView, c: Completion, sqhd: number): DmaFault | undefined {
    const entry = new Uint8Array(CQE_BYTES);
    const v = new DataView(entry.buffer);
    v.setUint32(0, c.dw0 >>> 0, true);
    v.setUint16(8, sqhd, true);
    v.setUint16(10, c.sqid, true);
    v.setUint32(12, completionDw3(c.cid, this.phase, c.status), true);
    const fault = memory.write(this.base + this.tail * CQE_BYTES, entry);
    if (fault !== undefined) return fault;
    this.tail = (this.tail + 1) % this.size;
    if (this.tail === 0) this.phase ^= 1;
    return undefined;
  }
}
