// An NVM Express controller (NVMe Base 2.0, NVM Command Set 1.0) on an MMIO window, with one
// namespace backed by a BlockStore and one pin-based interrupt line.
//
// What a driver sees, as on a real controller:
//   - Registers CAP, VS, INTMS/INTMC, CC, CSTS, AQA, ASQ, ACQ (32-bit accesses; the 64-bit ones as
//     two halves, low first). Writing CC.EN = 1 starts the controller: it checks the configuration
//     and sets CSTS.RDY after a short virtual delay (well inside the CAP.TO it announces), or sets
//     CSTS.CFS if the configuration cannot work. CC.EN = 0 resets it; CSTS.RDY clears after a delay.
//   - Doorbells from 0x1000, 4 << CAP.DSTRD bytes apart: queue y's SQ tail at 0x1000 + 2y·stride,
//     its CQ head at 0x1000 + (2y+1)·stride. A tail doorbell fetches every new command at once;
//     they complete together after a virtual latency (a device working on them in parallel), each
//     completion posted with the phase tag, then the interrupt is decided once.
//   - The interrupt line is high while a completion queue with interrupts enabled holds entries the
//     driver has not consumed (head doorbell) and INTMS does not mask vector 0 (§3.5.1, pin-based).
// Driver mistakes end as the specification says: a bad command completes with its status code; a
// doorbell value beyond the queue, or the doorbell of a queue that does not exist, is reported as an
// asynchronous event (Error status: Invalid Doorbell Write Value / Register) and ignored; what the
// controller cannot report in a completion queue — a configuration it cannot start with, or its
// own queue memory taken out of the driver's DMA grant — sets CSTS.CFS, and the controller stops
// until it is reset. Each is also a device event, so the debugger can stop on it.

import type { AccessWidth, BusDevice } from "../bus-access";
import type { Scheduler, ScheduledEvent } from "../clock";
import type { ResettableDevice } from "../device-interfaces";
import type { BlockStore } from "../disk/block-store";
import { hex } from "../format";
import { IommuView } from "../iommu";
import type { IrqLine } from "../irq";
import type { DeviceEvent } from "../machine-interface";
import { runAdmin, type AdminHost } from "./admin";
import type { ControllerIdentity } from "./identify";
import { runIo, transferBytes, type IoHost, type IoOutcome } from "./io";
import {
  AsyncEvent,
  Cap,
  Cc,
  CQE_BYTES,
  Csts,
  IoOpcode,
  NvmeReg,
  opcodeName,
  PAGE_BYTES,
  SQE_BYTES,
  Status,
  statusName,
  type NvmeStatus,
} from "./nvme-spec";
import { CompletionQueue, SubmissionQueue, type Command } from "./queues";
import { nvmeRegisterName } from "./registers";
import { snapshotController, type NvmeSnapshot } from "./snapshot";

export interface NvmeOptions {
  readonly name: string;
  readonly disk: BlockStore;
  readonly irq: IrqLine;
  readonly clock: Scheduler;
  readonly emit: (event: DeviceEvent) => void;
  /** Entries a queue may have at most (CAP.MQES + 1). */
  readonly maxQueueEntries?: number;
  /** I/O queue pairs the controller has. */
  readonly maxIoQueues?: number;
  /** CAP.DSTRD: doorbells are 4 << dstrd bytes apart. */
  readonly doorbellStride?: number;
  /** CC.EN 0 → 1 until CSTS.RDY, and 1 → 0 until it clears (ns). */
  readonly readyNs?: number;
  /** From a doorbell to the completions of an admin batch (ns). */
  readonly adminLatencyNs?: number;
  /** From a doorbell to the completions of an I/O batch, before transfer time (ns). */
  readonly requestLatencyNs?: number;
  /** Virtual transfer time per KiB of an I/O batch (ns): 250 ≈ 4 GB/s. */
  readonly transferNsPerKiB?: number;
  readonly serial?: string;
}

/** Counters for tests, views and the benchmark. */
export interface NvmeStats {
  commands: number;
  completed: number;
  /** Completion batches: each one ends with one interrupt decision. */
  batches: number;
  inFlight: number;
  maxInFlight: number;
  bytesRead: number;
  bytesWritten: number;
  flushes: number;
  errors: number;
}

/** Commands fetched by one doorbell, completing together. */
interface Batch {
  readonly sqid: number;
  readonly commands: readonly Command[];
  /** Commands fetched while another with their CID was still in flight on the SQ. */
  readonly conflicts: ReadonlySet<Command>;
  readonly event: ScheduledEvent;
}

const VERSION_2_0 = 0x0002_0000;
/** CAP.TO: 1 × 500 ms, far more than the few virtual microseconds the controller takes. */
const TIMEOUT_UNITS = 1;
/** MDTS: 2^8 pages of 4 KiB = 1 MiB per command. */
const MDTS = 8;
const ABORT_LIMIT = 4;
const ASYNC_EVENT_LIMIT = 4;
/** Events kept for the next ASYNC EVENT REQUEST when none is outstanding. */
const RETAINED_EVENTS = 4;

export class NvmeController implements BusDevice, ResettableDevice, AdminHost, IoHost {
  readonly name: string;
  readonly disk: BlockStore;
  readonly identity: ControllerIdentity;
  readonly maxQueueEntries: number;
  readonly maxIoQueues: number;
  readonly doorbellStride: number;
  readonly stats: NvmeStats = {
    commands: 0,
    completed: 0,
    batches: 0,
    inFlight: 0,
    maxInFlight: 0,
    bytesRead: 0,
    bytesWritten: 0,
    flushes: 0,
    errors: 0,
  };
  readonly maxTransferBytes = (1 << MDTS) * PAGE_BYTES;
  readonly sqs = new Map<number, SubmissionQueue>();
  readonly cqs = new Map<number, CompletionQueue>();
  queuesAllowed: { sq: number; cq: number };
  writeCache = true;
  asyncEventConfig = 0;

  private readonly irq: IrqLine;
  private readonly clock: Scheduler;
  private readonly emit: (event: DeviceEvent) => void;
  private readonly readyNs: number;
  private readonly adminLatencyNs: number;
  private readonly requestLatencyNs: number;
  private readonly transferNsPerKiB: number;
  private readonly cap: bigint;

  private view = IommuView.empty;
  private ccValue = 0;
  private csts = 0;
  private aqa = 0;
  private asq: [number, number] = [0, 0];
  private acq: [number, number] = [0, 0];
  private intms = 0;
  /** Why CSTS.CFS is set, for the views. */
  private fatalReason: string | undefined;
  /** The CC.EN transition under way (RDY about to be set or cleared). */
  private transition: ScheduledEvent | undefined;
  private shutdownTimer: ScheduledEvent | undefined;
  private readonly batches = new Set<Batch>();
  private readonly heldAsyncEvents: Command[] = [];
  private readonly retainedEvents: number[] = [];

  constructor(options: NvmeOptions) {
    this.name = options.name;
    this.disk = options.disk;
    this.irq = options.irq;
    this.clock = options.clock;
    this.emit = options.emit;
    this.maxQueueEntries = options.maxQueueEntries ?? 1024;
    this.maxIoQueues = options.maxIoQueues ?? 16;
    this.doorbellStride = 4 << (options.doorbellStride ?? 0);
    this.readyNs = options.readyNs ?? 20_000;
    this.adminLatencyNs = options.adminLatencyNs ?? 2_000;
    this.requestLatencyNs = options.requestLatencyNs ?? 10_000;
    this.transferNsPerKiB = options.transferNsPerKiB ?? 250;
    if (this.maxQueueEntries < 2 || this.maxQueueEntries > 0x10000)
      throw new RangeError(`${this.name}: queues hold 2..65536 entries (asked for ${this.maxQueueEntries})`);
    this.cap =
      Cap.mqes(this.maxQueueEntries) |
      Cap.Cqr |
      Cap.to(TIMEOUT_UNITS) |
      Cap.dstrd(options.doorbellStride ?? 0) |
      Cap.CssNvm |
      Cap.mpsmin(0) |
      Cap.mpsmax(0);
    this.queuesAllowed = { sq: this.maxIoQueues, cq: this.maxIoQueues };
    const serial = (options.serial ?? `ZDS-${this.name}`).slice(0, 20);
    this.identity = {
      serial,
      model: "ZDS NVMe Controller",
      firmware: "1.0",
      version: VERSION_2_0,
      mdts: MDTS,
      abortLimit: ABORT_LIMIT,
      asyncEventLimit: ASYNC_EVENT_LIMIT,
      subnqn: `nqn.2026-12.dev.zero-driver-studio:${serial}`,
    };
  }

  get sectors(): number {
    return this.disk.sectors;
  }

  get readOnly(): boolean {
    return this.disk.readOnly;
  }

  get cc(): number {
    return this.ccValue;
  }

  /** The guest memory the controller may reach; replaced whenever its driver's DMA grants change. */
  setIommuView(view: IommuView): void {
    this.view = view;
  }

  memory(): IommuView {
    return this.view;
  }

  /** Power-on reset: also what the machine does when the driver dies. */
  reset(): void {
    this.controllerReset();
    this.transition?.cancel();
    this.transition = undefined;
    this.ccValue = 0;
    this.csts = 0;
    this.aqa = 0;
    this.asq = [0, 0];
    this.acq = [0, 0];
    this.updateIrq();
  }

  snapshot(): NvmeSnapshot {
    return snapshotController({
      cap: this.cap,
      cc: this.ccValue,
      csts: this.csts,
      aqa: this.aqa,
      asq: address(this.asq),
      acq: address(this.acq),
      intms: this.intms,
      fatalReason: this.fatalReason,
      doorbellStride: this.doorbellStride,
      sqs: this.sqs,
      cqs: this.cqs,
      inFlight: [...this.batches].flatMap((b) => b.commands),
      heldAsyncEvents: this.heldAsyncEvents,
      retainedEvents: this.retainedEvents.length,
      irq: this.irq.level,
    });
  }

  // ---- BusDevice ------------------------------------------------------------------------------

  read(offset: number, width: AccessWidth): number {
    if (!this.aligned(offset, width, "read")) return 0;
    switch (offset) {
      case NvmeReg.Cap:
        return Number(this.cap & 0xffff_ffffn);
      case NvmeReg.Cap + 4:
        return Number(this.cap >> 32n);
      case NvmeReg.Vs:
        return VERSION_2_0;
      case NvmeReg.Intms:
      case NvmeReg.Intmc:
        return this.intms;
      case NvmeReg.Cc:
        return this.ccValue;
      case NvmeReg.Csts:
        return this.csts;
      case NvmeReg.Aqa:
        return this.aqa;
      case NvmeReg.Asq:
      case NvmeReg.Asq + 4:
        return this.asq[(offset - NvmeReg.Asq) / 4];
      case NvmeReg.Acq:
      case NvmeReg.Acq + 4:
        return this.acq[(offset - NvmeReg.Acq) / 4];
    }
    if (offset >= NvmeReg.Doorbells) {
      this.driverError(
        `read of ${nvmeRegisterName(offset, this.doorbellStride)}: doorbells are write-only; reads as 0`,
      );
      return 0;
    }
    // Reserved, and the optional registers this controller does not have (CMB, boot partitions,
    // PMR…): CAP says they are absent, and they read as 0.
    return 0;
  }

  write(offset: number, width: AccessWidth, value: number): void {
    if (!this.aligned(offset, width, "write")) return;
    if (offset >= NvmeReg.Doorbells) return this.doorbell(offset, value >>> 0);
    switch (offset) {
      case NvmeReg.Intms:
        this.intms |= value & 1;
        return this.updateIrq();
      case NvmeReg.Intmc:
        this.intms &= ~(value & 1);
        return this.updateIrq();
      case NvmeReg.Cc:
        return this.writeCc(value >>> 0);
      case NvmeReg.Aqa:
      case NvmeReg.Asq:
      case NvmeReg.Asq + 4:
      case NvmeReg.Acq:
      case NvmeReg.Acq + 4:
        return this.writeAdminQueueRegister(offset, value >>> 0);
      default:
        this.driverError(
          `write of ${hex(value >>> 0)} to ${nvmeRegisterName(offset, this.doorbellStride)}, which is read-only or reserved; ignored`,
        );
    }
  }

  // ---- registers ------------------------------------------------------------------------------

  private aligned(offset: number, width: AccessWidth, direction: "read" | "write"): boolean {
    if (width === 4 && offset % 4 === 0) return true;
    this.driverError(
      `${width}-byte ${direction} at ${hex(offset, 3)} (${nvmeRegisterName(offset - (offset % 4), this.doorbellStride)}): controller registers take aligned 32-bit accesses (64-bit ones as two); ${direction === "read" ? "reads as 0" : "dropped"}`,
    );
    return false;
  }

  private writeAdminQueueRegister(offset: number, value: number): void {
    if ((this.ccValue & Cc.En) !== 0)
      return this.driverError(
        `write of ${hex(value)} to ${nvmeRegisterName(offset, this.doorbellStride)} while CC.EN = 1: the admin queue registers are read when the controller is enabled; ignored`,
      );
    if (offset === NvmeReg.Aqa) {
      if ((value & ~0x0fff_0fff) !== 0) this.driverError(`AQA ← ${hex(value)} sets reserved bits; they are ignored`);
      this.aqa = value & 0x0fff_0fff;
      return;
    }
    const low = offset === NvmeReg.Asq || offset === NvmeReg.Acq;
    if (low && (value & 0xfff) !== 0)
      this.driverError(
        `${offset === NvmeReg.Asq ? "ASQ" : "ACQ"} ← ${hex(value)}: bits 11:0 are reserved (the queue must be page aligned); they are ignored`,
      );
    const register = offset < NvmeReg.Acq ? this.asq : this.acq;
    register[low ? 0 : 1] = low ? (value & ~0xfff) >>> 0 : value;
  }

  private writeCc(value: number): void {
    const old = this.ccValue;
    if ((value & ~Cc.Defined) !== 0) this.driverError(`CC ← ${hex(value)} sets reserved bits; they are ignored`);
    let next = value & Cc.Defined & ~(1 << 24); // CRIME: this controller has no CAP.CRMS, so it stays 0
    const enabled = (old & Cc.En) !== 0 && (next & Cc.En) !== 0;
    if (enabled && ((old ^ next) & Cc.FixedWhileEnabled) !== 0) {
      this.driverError(`CC ← ${hex(value)} changes CSS, MPS or AMS while CC.EN = 1; those fields keep their values`);
      next = (next & ~Cc.FixedWhileEnabled) | (old & Cc.FixedWhileEnabled);
    }
    this.ccValue = next >>> 0;
    if ((old & Cc.En) === 0 && (next & Cc.En) !== 0) this.enable();
    else if ((old & Cc.En) !== 0 && (next & Cc.En) === 0) this.disable();
    else if (enabled && Cc.shn(next) !== 0 && Cc.shn(old) === 0) this.shutdown();
  }

  /** CC.EN 0 → 1: check the configuration, then become ready (or fatal). */
  private enable(): void {
    if (this.transition !== undefined || (this.csts & Csts.Rdy) !== 0) {
      this.driverError("CC.EN set to 1 before CSTS.RDY went back to 0 after the reset; the reset is finished at once");
      this.transition?.cancel();
      this.transition = undefined;
      this.csts &= ~Csts.Rdy;
    }
    const problem = this.configurationProblem();
    if (problem !== undefined) return this.fatal(`CC.EN = 1 with ${problem}`);
    this.transition = this.clock.schedule({ delay: this.readyNs }, () => {
      this.transition = undefined;
      this.sqs.set(0, new SubmissionQueue(0, address(this.asq), (this.aqa & 0xfff) + 1, 0));
      const adminCq = new CompletionQueue(0, address(this.acq), ((this.aqa >>> 16) & 0xfff) + 1, true);
      adminCq.sqs.add(0);
      this.cqs.set(0, adminCq);
      this.csts = (this.csts & ~(Csts.ShstOccurring | Csts.ShstComplete)) | Csts.Rdy;
    });
  }

  private configurationProblem(): string | undefined {
    const cc = this.ccValue;
    if (Cc.css(cc) !== 0) return `CC.CSS = ${Cc.css(cc)}: CAP.CSS offers the NVM command set only (CSS 0)`;
    if (Cc.mps(cc) !== 0)
      return `CC.MPS = ${Cc.mps(cc)} (${PAGE_BYTES << Cc.mps(cc)}-byte pages): CAP.MPSMIN..MPSMAX allow 4 KiB pages only (MPS 0)`;
    if (Cc.ams(cc) !== 0) return `CC.AMS = ${Cc.ams(cc)}: only round robin arbitration (AMS 0) is supported`;
    const asqs = (this.aqa & 0xfff) + 1;
    const acqs = ((this.aqa >>> 16) & 0xfff) + 1;
    if (asqs < 2 || acqs < 2) return `AQA = ${hex(this.aqa)}: admin queues need at least 2 entries (ASQS, ACQS ≥ 1)`;
    const sq = this.view.check(address(this.asq), asqs * SQE_BYTES, false);
    if (sq !== undefined)
      return `the admin submission queue (ASQ ${hex(address(this.asq))}) outside the driver's DMA memory: ${sq.reason}`;
    const cq = this.view.check(address(this.acq), acqs * CQE_BYTES, true);
    if (cq !== undefined)
      return `the admin completion queue (ACQ ${hex(address(this.acq))}) outside the driver's DMA memory: ${cq.reason}`;
    return undefined;
  }

  /** CC.EN 1 → 0: a controller reset; CSTS.RDY clears once it is done. */
  private disable(): void {
    this.controllerReset();
    this.transition?.cancel();
    this.transition = undefined;
    if ((this.csts & Csts.Rdy) === 0) return;
    this.transition = this.clock.schedule({ delay: this.readyNs }, () => {
      this.transition = undefined;
      this.csts &= ~Csts.Rdy;
    });
  }

  /** Every queue and command dropped (never completed), errors forgotten. */
  private controllerReset(): void {
    for (const batch of this.batches) batch.event.cancel();
    this.batches.clear();
    this.stats.inFlight = 0;
    this.shutdownTimer?.cancel();
    this.shutdownTimer = undefined;
    this.sqs.clear();
    this.cqs.clear();
    this.heldAsyncEvents.length = 0;
    this.retainedEvents.length = 0;
    this.queuesAllowed = { sq: this.maxIoQueues, cq: this.maxIoQueues };
    this.writeCache = true;
    this.asyncEventConfig = 0;
    this.intms = 0;
    this.fatalReason = undefined;
    this.csts &= ~(Csts.Cfs | Csts.ShstOccurring | Csts.ShstComplete);
    this.updateIrq();
  }

  /** CC.SHN: make the data durable, then report the shutdown complete. */
  private shutdown(): void {
    this.csts = (this.csts & ~Csts.ShstComplete) | Csts.ShstOccurring;
    this.shutdownTimer = this.clock.schedule({ delay: this.readyNs }, () => {
      this.shutdownTimer = undefined;
      try {
        this.disk.flush();
      } catch (error) {
        this.hostError(
          `flush of ${this.disk.label} at shutdown failed: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
      this.csts = (this.csts & ~Csts.ShstOccurring) | Csts.ShstComplete;
    });
  }

  // ---- doorbells and commands -----------------------------------------------------------------

  private doorbell(offset: number, value: number): void {
    const where = nvmeRegisterName(offset, this.doorbellStride);
    const index = (offset - NvmeReg.Doorbells) / this.doorbellStride;
    if (!Number.isInteger(index))
      return this.driverError(
        `write to ${hex(offset, 4)}, between doorbells (stride ${this.doorbellStride} bytes); ignored`,
      );
    if ((this.csts & Csts.Cfs) !== 0)
      return this.driverError(`${where} ← ${value} after a controller fatal error (CSTS.CFS); ignored until reset`);
    if ((this.csts & Csts.Rdy) === 0 || this.transition !== undefined)
      return this.driverError(`${where} ← ${value} while the controller is not ready (CSTS.RDY = 0); ignored`);
    const qid = Math.floor(index / 2);
    const completion = index % 2 === 1;
    const queue = completion ? this.cqs.get(qid) : this.sqs.get(qid);
    if (queue === undefined) {
      this.driverError(
        `${where} ← ${value}: queue ${qid} does not exist; ignored (asynchronous event: Invalid Doorbell Register)`,
      );
      return this.asyncEvent(AsyncEvent.InvalidDoorbellRegister);
    }
    if (value >= queue.size) {
      this.driverError(
        `${where} ← ${value}: beyond the ${queue.size}-entry queue; ignored (asynchronous event: Invalid Doorbell Write Value)`,
      );
      return this.asyncEvent(AsyncEvent.InvalidDoorbellWriteValue);
    }
    if (queue instanceof CompletionQueue) return this.consume(queue, value, where);
    this.submit(queue as SubmissionQueue, value);
  }

  private consume(cq: CompletionQueue, head: number, where: string): void {
    const result = cq.consume(this.view, head);
    if (typeof result !== "boolean") return this.fatal(`posting a held completion into CQ ${cq.id}: ${result.reason}`);
    if (!result) {
      this.driverError(
        `${where} ← ${head}: moves the head past entries the controller has not posted (head ${cq.head}, tail ${cq.tail}); ignored (asynchronous event: Invalid Doorbell Write Value)`,
      );
      return this.asyncEvent(AsyncEvent.InvalidDoorbellWriteValue);
    }
    // Room again: commands left waiting in the SQs that complete here can be fetched.
    for (const id of cq.sqs) {
      const sq = this.sqs.get(id);
      if (sq !== undefined && sq.head !== sq.tail) this.fetchFrom(sq);
    }
    this.updateIrq();
  }

  private submit(sq: SubmissionQueue, tail: number): void {
    sq.tail = tail;
    this.fetchFrom(sq);
  }

  /** Fetch what the SQ holds, as far as its completion queue has room for the completions: the
   *  controller takes no command it could not complete, so what a full CQ cannot take waits in the
   *  SQ (and costs the host nothing) until the driver consumes completions. */
  private fetchFrom(sq: SubmissionQueue): void {
    const cq = this.cqs.get(sq.cqid);
    if (cq === undefined) return;
    const room = cq.size - 1 - cq.unconsumed - cq.held.length - this.outstanding(cq);
    if (room <= 0) return;
    const commands = sq.fetch(this.view, room, this.clock.now());
    if (!Array.isArray(commands)) return this.fatal(`fetching a command from SQ ${sq.id}: ${commands.reason}`);
    if (commands.length === 0) return;
    this.stats.commands += commands.length;
    this.stats.inFlight += commands.length;
    this.stats.maxInFlight = Math.max(this.stats.maxInFlight, this.stats.inFlight);
    const bytes = commands.reduce(
      (sum, c) => sum + (sq.id === 0 ? 0 : Math.min(transferBytes(c), this.maxTransferBytes)),
      0,
    );
    const delay =
      sq.id === 0 ? this.adminLatencyNs : this.requestLatencyNs + Math.ceil(bytes / 1024) * this.transferNsPerKiB;
    const batch: Batch = {
      sqid: sq.id,
      commands,
      conflicts: this.conflicting(sq.id, commands),
      event: this.clock.schedule({ delay }, () => {
        this.batches.delete(batch);
        this.stats.inFlight -= commands.length;
        this.runBatch(batch);
      }),
    };
    this.batches.add(batch);
  }

  /** Commands fetched for `cq` and not completed yet (ASYNC EVENT REQUESTs waiting included). */
  private outstanding(cq: CompletionQueue): number {
    let n = 0;
    for (const b of this.batches) if (cq.sqs.has(b.sqid)) n += b.commands.length;
    for (const h of this.heldAsyncEvents) if (cq.sqs.has(h.sqid)) n++;
    return n;
  }

  /** The new commands whose CID is already in flight on the SQ (earlier batches, waiting ASYNC
   *  EVENT REQUESTs, or earlier in the same fetch). */
  private conflicting(sqid: number, commands: readonly Command[]): Set<Command> {
    const busy = new Set<number>();
    for (const b of this.batches) if (b.sqid === sqid) for (const c of b.commands) busy.add(c.cid);
    for (const h of this.heldAsyncEvents) if (h.sqid === sqid) busy.add(h.cid);
    const conflicts = new Set<Command>();
    for (const c of commands) {
      if (busy.has(c.cid)) conflicts.add(c);
      busy.add(c.cid);
    }
    return conflicts;
  }

  private runBatch(batch: Batch): void {
    for (const cmd of batch.commands) {
      if ((this.csts & Csts.Cfs) !== 0 || !this.sqs.has(batch.sqid)) return;
      const outcome = batch.conflicts.has(cmd)
        ? { status: Status.CommandIdConflict, why: `command ID ${cmd.cid} is already in use on SQ ${cmd.sqid}` }
        : this.execute(cmd);
      if (outcome === undefined) continue;
      this.complete(cmd, outcome.status, outcome.dw0 ?? 0, outcome.why);
    }
    this.stats.batches++;
    this.updateIrq();
  }

  /** Run one command: its completion, or undefined if it waits (ASYNC EVENT REQUEST). */
  private execute(cmd: Command): { status: NvmeStatus; dw0?: number; why?: string } | undefined {
    if (cmd.fuse !== 0 || cmd.psdt !== 0)
      return {
        status: Status.InvalidField,
        why:
          cmd.fuse !== 0
            ? `FUSE = ${cmd.fuse}: fused operations are not supported`
            : `PSDT = ${cmd.psdt}: only PRPs are supported (no SGLs)`,
      };
    const outcome = cmd.sqid === 0 ? runAdmin(this, cmd) : this.counted(cmd, runIo(this, cmd));
    if (outcome.kind === "held") return undefined;
    if (outcome.fault !== undefined) {
      // The PRP named memory outside the driver's grant: the command fails, and the DMA fault is shown.
      this.emit({
        kind: "dma-fault",
        device: this.name,
        address: outcome.fault.address,
        length: outcome.fault.length,
        write: outcome.fault.write,
        detail: `${opcodeName(cmd.sqid === 0, cmd.opcode)} on SQ ${cmd.sqid}, CID ${cmd.cid}: ${outcome.why ?? outcome.fault.reason}; completed with ${statusName(outcome.status)}`,
        at: this.clock.now(),
      });
      return { status: outcome.status, ...(outcome.dw0 !== undefined && { dw0: outcome.dw0 }) };
    }
    return outcome;
  }

  private counted(cmd: Command, io: IoOutcome): IoOutcome {
    if (io.status === Status.Success) {
      if (cmd.opcode === IoOpcode.Read) this.stats.bytesRead += io.bytes;
      else if (cmd.opcode === IoOpcode.Write) this.stats.bytesWritten += io.bytes;
      else this.stats.flushes++;
    }
    return io;
  }

  /** Post a command's completion into its SQ's completion queue. */
  private complete(cmd: Command, status: NvmeStatus, dw0: number, why?: string): void {
    const sq = this.sqs.get(cmd.sqid);
    const cq = sq && this.cqs.get(sq.cqid);
    if (sq === undefined || cq === undefined) return;
    if (status !== Status.Success) {
      this.stats.errors++;
      if (why !== undefined)
        this.driverError(
          `${opcodeName(cmd.sqid === 0, cmd.opcode)} on SQ ${cmd.sqid}, CID ${cmd.cid}: ${why}; completed with ${statusName(status)}`,
        );
    }
    const fault = cq.post(this.view, { dw0, sqid: cmd.sqid, cid: cmd.cid, status }, sq.head);
    if (fault !== undefined) return this.fatal(`posting a completion into CQ ${cq.id}: ${fault.reason}`);
    this.stats.completed++;
  }

  deleteSq(id: number): void {
    // Its commands in flight are aborted, their completions posted before the deletion's (§5.6).
    for (const batch of [...this.batches]) {
      if (batch.sqid !== id) continue;
      batch.event.cancel();
      this.batches.delete(batch);
      this.stats.inFlight -= batch.commands.length;
      for (const cmd of batch.commands) this.complete(cmd, Status.AbortedSqDeletion, 0);
    }
    const sq = this.sqs.get(id);
    if (sq) this.cqs.get(sq.cqid)?.sqs.delete(id);
    this.sqs.delete(id);
  }

  holdAsyncEvent(command: Command): boolean {
    if (this.heldAsyncEvents.length >= ASYNC_EVENT_LIMIT) return false;
    this.heldAsyncEvents.push(command);
    const retained = this.retainedEvents.shift();
    if (retained !== undefined) this.asyncEvent(retained);
    return true;
  }

  /** An Error status asynchronous event: completes an outstanding ASYNC EVENT REQUEST, or is kept
   *  for the next one (§5.2). DW0: log page 15:8 … type 2:0, information 15:8. */
  private asyncEvent(info: number): void {
    const aer = this.heldAsyncEvents.shift();
    if (aer === undefined) {
      if (this.retainedEvents.length < RETAINED_EVENTS) this.retainedEvents.push(info);
      return;
    }
    const dw0 = (AsyncEvent.ErrorLogPage << 16) | (info << 8) | AsyncEvent.TypeError;
    this.complete(aer, Status.Success, dw0);
    this.updateIrq();
  }

  /** CSTS.CFS: the controller stops; only a reset (CC.EN = 0) brings it back. */
  private fatal(reason: string): void {
    if ((this.csts & Csts.Cfs) !== 0) return;
    for (const batch of this.batches) batch.event.cancel();
    this.batches.clear();
    this.stats.inFlight = 0;
    this.csts |= Csts.Cfs;
    this.fatalReason = reason;
    this.emit({
      kind: "needs-reset",
      device: this.name,
      reason: `controller fatal status (CSTS.CFS): ${reason}; reset the controller (CC.EN = 0)`,
      at: this.clock.now(),
    });
  }

  private updateIrq(): void {
    const pending =
      (this.csts & Csts.Rdy) !== 0 && [...this.cqs.values()].some((cq) => cq.interrupts && cq.unconsumed > 0);
    this.irq.set(pending && (this.intms & 1) === 0);
  }

  hostError(message: string): void {
    this.emit({ kind: "host-error", device: this.name, message, at: this.clock.now() });
  }

  private driverError(message: string): void {
    this.emit({ kind: "driver-error", device: this.name, message, at: this.clock.now() });
  }
}

function address([low, high]: readonly [number, number]): number {
  return high * 2 ** 32 + low;
}
