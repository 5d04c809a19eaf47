// Turns the records of a .zlog, one at a time and in file order, into timeline events. It holds only
// what is still open (a burst of register I/O, a REPLY waiting for its result, a CALL whose target
// is not known yet), so a trace of any length streams through it; that open state can be copied at
// any line (`checkpoint`) and a later reader can resume from the copy (`restore`) to re-read one page.

import { isIrqTag, Pid, Slot, Sys } from "../kernel/abi";
import { FaultReason } from "../kernel/process";
import { doorbellName, interruptCauses } from "./doorbells";
import type { MessageVia, TimelineEvent } from "./model";

/** What is known of the whole trace whatever page is being read: names and endpoint owners never
 *  change once recorded (PIDs and endpoint ids are not reused), so one copy serves every page. */
export class Registry {
  readonly names = new Map<number, string>();
  readonly starts = new Map<number, number>();
  readonly endpointOwner = new Map<number, number>();
  /** The trace header's devices by interrupt line. */
  readonly irqDevices = new Map<number, { name: string; type: string }>();
  /** The device a process drives, learnt from the interrupts delivered to it (its IRQ line). */
  readonly deviceOf = new Map<number, { name: string; type: string }>();

  /** The devices of the trace header's machine description. */
  learnMachine(devices: unknown): void {
    if (!Array.isArray(devices)) return;
    for (const d of devices as { name?: unknown; type?: unknown; irq?: unknown }[])
      if (typeof d?.irq === "number" && typeof d.name === "string" && typeof d.type === "string")
        this.irqDevices.set(d.irq, { name: d.name, type: d.type });
  }
}

interface Burst {
  space: "mmio" | "port";
  t: number;
  t2: number;
  s: number;
  s2: number;
  d: number;
  line: number;
  count: number;
  reads: number;
  writes: number;
  /** Doorbell writes in the burst by doorbell name ("SQ 1 tail"), for devices that have doorbells. */
  doorbells?: Record<string, number>;
  /** Interrupt causes read back in the burst (an e1000's ICR), by cause. */
  causes?: Record<string, number>;
  /** The offset of the burst's last MMIO read, until its result comes. */
  readAt?: number;
}

interface PendingMessage {
  pid: number;
  to: number;
  tag: number;
  size: number;
  via: MessageVia;
  t: number;
  s: number;
  d: number;
  line: number;
}

/** A CALL request whose message has not been seen yet. */
interface OpenCall {
  s: number;
  d: number;
  t: number;
  slot: number;
  tag: number;
  size: number;
  line: number;
  delivered: boolean;
}

/** The builder's open state: plain data, copied by structuredClone. */
export interface BuilderState {
  next: number;
  lastS: number;
  /** Syscall requests and message deliveries so far: the debugger's event numbering. */
  requests: number;
  deliveries: number;
  bursts: Map<number, Burst>;
  calls: Map<number, OpenCall>;
  /** Messages that wait for their syscall's result, by request index. */
  awaiting: Map<number, PendingMessage>;
  /** Where the next fault of a process happened (its `pf` line comes just before the commit). */
  faultPlaces: Map<number, FaultPlace>;
}

/** What a `pf` line says of a fault (kernel/trace/zlog.ts ZlogProcessFault), as the details show it. */
interface FaultPlace {
  kind?: string;
  diagnostic?: string;
  where?: string;
  frames?: string[];
  fix?: string;
}

/** Zero OS fault reasons (kernel/process.ts FaultReason) in words. */
const FAULT_REASONS: Readonly<Record<number, string>> = {
  [FaultReason.INVALID_SYSCALL]: "invalid syscall",
  [FaultReason.MEMORY_VIOLATION]: "memory violation",
  [FaultReason.CAPABILITY_VIOLATION]: "capability violation",
  [FaultReason.PANIC]: "panic",
  [FaultReason.TIMEOUT]: "timeout",
  [FaultReason.UNKNOWN]: "unknown",
};

const str = (x: unknown): string | undefined => (typeof x === "string" ? x : undefined);
const position = (x: unknown): string | undefined => {
  const p = x as { file?: unknown; line?: unknown; column?: unknown } | undefined;
  return p && typeof p.file === "string" && typeof p.line === "number"
    ? `${p.file}:${p.line}:${typeof p.column === "number" ? p.column : 1}`
    : undefined;
};

/** A `pf` line's fault place, read defensively (the trace is a file anyone may have edited). */
function faultPlace(r: Record_): FaultPlace {
  const frames = Array.isArray(r.frames)
    ? r.frames.flatMap((f: unknown) => {
        const at = position(f);
        const name = str((f as { name?: unknown }).name) ?? "(anonymous)";
        return at ? [`${name} (${at})`] : [];
      })
    : [];
  return {
    kind: str(r.kind),
    diagnostic: str(r.code),
    where: position(r.source),
    ...(frames.length > 0 && { frames }),
    fix: str(r.fix),
  };
}

export type Record_ = { [key: string]: unknown };

const READS = new Set<number>([Sys.MMIO_READ, Sys.IN8, Sys.IN16, Sys.IN32]);
const WRITES = new Set<number>([Sys.MMIO_WRITE, Sys.OUT8, Sys.OUT16, Sys.OUT32]);
const spaceOf = (n: number): Burst["space"] | undefined =>
  n === Sys.MMIO_READ || n === Sys.MMIO_WRITE ? "mmio" : READS.has(n) || WRITES.has(n) ? "port" : undefined;

const FAULT_CAPABILITY_VIOLATION = 3;

const num = (x: unknown): number => (typeof x === "number" ? x : NaN);

export class TimelineBuilder {
  private st: BuilderState = {
    next: 0,
    lastS: -1,
    requests: 0,
    deliveries: 0,
    bursts: new Map(),
    calls: new Map(),
    awaiting: new Map(),
    faultPlaces: new Map(),
  };

  constructor(
    readonly registry: Registry,
    private readonly emit: (event: TimelineEvent) => void,
    /** Called for every syscall request (the summary counts them per process). */
    private readonly onRequest?: (pid: number) => void,
  ) {}

  get nextIndex(): number {
    return this.st.next;
  }

  checkpoint(): BuilderState {
    return structuredClone(this.st);
  }

  restore(state: BuilderState): void {
    this.st = structuredClone(state);
  }

  /** One parsed record of the file (not the header), with its 1-based line number. */
  feed(r: Record_, line: number): void {
    if (typeof r.s === "number") this.syscall(r, line);
    else if (typeof r.c === "number") this.commit(r, line);
    else if (typeof r.pf === "number") this.st.faultPlaces.set(num(r.pid), faultPlace(r));
  }

  /** The end of the file: what is still open is drawn as it stands. */
  finish(): void {
    for (const pid of [...this.st.bursts.keys()]) this.closeBurst(pid);
    this.settleCalls();
    for (const [s, m] of [...this.st.awaiting]) {
      this.st.awaiting.delete(s);
      this.message(m);
    }
  }

  private syscall(r: Record_, line: number): void {
    const s = num(r.s);
    const pid = num(r.p);
    const t = num(r.t);
    // A CALL's message is committed right after its request; once another SysLog event follows,
    // a CALL without one went to Init (answered by the kernel, no message object) or failed.
    this.settleCalls();
    this.st.lastS = s;
    if (r.k === "req") {
      this.onRequest?.(pid);
      const d = this.st.requests + this.st.deliveries;
      this.st.requests++;
      const n = num(r.n);
      const a = Array.isArray(r.a) ? (r.a as unknown[]).map(num) : [NaN, NaN, NaN];
      const space = spaceOf(n);
      const burst = this.st.bursts.get(pid);
      if (burst && burst.space !== space) this.closeBurst(pid);
      if (space) {
        const open = this.st.bursts.get(pid);
        const write = WRITES.has(n);
        const bell = write && space === "mmio" ? doorbellName(this.registry.deviceOf.get(pid)?.type, a[1]) : undefined;
        if (open) {
          open.t2 = t;
          open.s2 = s;
          open.count++;
          if (write) open.writes++;
          else open.reads++;
          if (bell) (open.doorbells ??= {})[bell] = (open.doorbells[bell] ?? 0) + 1;
          open.readAt = n === Sys.MMIO_READ ? a[1] : undefined;
        } else {
          this.st.bursts.set(pid, {
            space,
            t,
            t2: t,
            s,
            s2: s,
            d,
            line,
            count: 1,
            reads: write ? 0 : 1,
            writes: write ? 1 : 0,
            ...(bell && { doorbells: { [bell]: 1 } }),
            ...(n === Sys.MMIO_READ && { readAt: a[1] }),
          });
        }
      } else if (n === Sys.CALL) {
        this.st.calls.set(pid, { s, d, t, slot: a[0], tag: a[1], size: num(r.l), line, delivered: false });
      } else if (n === Sys.REPLY) {
        this.st.awaiting.set(s, { pid, to: a[0], tag: a[1], size: num(r.l), via: "reply", t, s, d, line });
      }
    } else if (r.k === "res") {
      const req = num(r.r);
      const pending = this.st.awaiting.get(req);
      if (pending) {
        this.st.awaiting.delete(req);
        this.message(pending, num(r.v));
      }
      const burst = this.st.bursts.get(pid);
      if (burst && burst.s2 === req) {
        burst.t2 = Math.max(burst.t2, t);
        if (burst.readAt !== undefined) {
          const causes = interruptCauses(this.registry.deviceOf.get(pid)?.type, burst.readAt, num(r.v)) ?? [];
          for (const cause of causes) (burst.causes ??= {})[cause] = (burst.causes[cause] ?? 0) + 1;
          burst.readAt = undefined;
        }
      }
    }
  }

  private settleCalls(): void {
    for (const [pid, call] of this.st.calls) {
      this.st.calls.delete(pid);
      // Slot 2 is Init's endpoint (zero-os-abi.md §4.3): its service calls make no message object.
      if (!call.delivered && call.slot === Slot.INIT_ENDPOINT) {
        this.st.awaiting.set(call.s, {
          pid,
          to: Pid.INIT,
          tag: call.tag,
          size: call.size,
          via: "call",
          t: call.t,
          s: call.s,
          d: call.d,
          line: call.line,
        });
      }
    }
  }

  private commit(r: Record_, line: number): void {
    const b = r.b as Record_ | null;
    if (typeof b !== "object" || b === null) return;
    const t = num(r.t);
    const reg = this.registry;
    switch (b.type) {
      case "ProcessCreated":
        reg.names.set(num(b.pid), String(b.name));
        reg.starts.set(num(b.pid), t);
        return;
      case "EndpointCreated":
        reg.endpointOwner.set(num(b.id), num(b.owner));
        return;
      case "MessageSent": {
        const from = num(b.fromPid);
        const tag = num(b.tag);
        const to = reg.endpointOwner.get(num(b.toEndpoint)) ?? -1;
        const d = this.st.requests + this.st.deliveries++;
        if (from === Pid.KERNEL && isIrqTag(tag)) {
          const device = reg.irqDevices.get(tag & 0xff);
          if (device && to >= 0) reg.deviceOf.set(to, device);
          this.push({
            kind: "irq",
            t,
            t2: t,
            pid: to,
            tag,
            s: this.st.lastS,
            d,
            line,
            ...(device && { device: device.name }),
          });
          return;
        }
        let via: MessageVia = from === Pid.KERNEL ? "kernel" : "send";
        const call = this.st.calls.get(from);
        if (call && !call.delivered && call.tag === tag) {
          call.delivered = true;
          via = "call";
        }
        this.message({ pid: from, to, tag, size: num(b.size), via, t, s: this.st.lastS, d, line });
        return;
      }
      case "ProcessFaulted": {
        const pid = num(b.pid);
        this.closeBurst(pid);
        const code = num(b.reason);
        const place = this.st.faultPlaces.get(pid);
        this.st.faultPlaces.delete(pid);
        this.push({
          kind: "fault",
          t,
          t2: t,
          pid,
          code,
          reason: FAULT_REASONS[code] ?? `reason ${code}`,
          ...(place?.kind && { faultKind: place.kind }),
          ...(place?.diagnostic && { diagnostic: place.diagnostic }),
          ...(place?.where && { where: place.where }),
          ...(place?.frames && { frames: place.frames }),
          ...(place?.fix && { fix: place.fix }),
          text: String(b.description),
          violation: code === FAULT_CAPABILITY_VIOLATION,
          s: this.st.lastS,
          d: this.position(),
          line,
        });
        return;
      }
      case "ProcessExited": {
        const pid = num(b.pid);
        this.closeBurst(pid);
        this.push({ kind: "exit", t, t2: t, pid, code: num(b.code), s: this.st.lastS, d: this.position(), line });
        return;
      }
    }
  }

  private message(m: PendingMessage, result?: number): void {
    const e: Omit<TimelineEvent, "i"> = {
      kind: "message",
      t: m.t,
      t2: m.t,
      pid: m.pid,
      to: m.to,
      tag: m.tag,
      size: m.size,
      via: m.via,
      s: m.s,
      d: m.d,
      line: m.line,
    };
    if (result !== undefined && !Number.isNaN(result)) e.result = result;
    this.push(e);
  }

  private closeBurst(pid: number): void {
    const b = this.st.bursts.get(pid);
    if (!b) return;
    this.st.bursts.delete(pid);
    this.push({
      kind: b.space,
      t: b.t,
      t2: b.t2,
      pid,
      s: b.s,
      s2: b.s2,
      d: b.d,
      line: b.line,
      count: b.count,
      reads: b.reads,
      writes: b.writes,
      ...(b.doorbells && { doorbells: b.doorbells }),
      ...(b.causes && { causes: b.causes }),
    });
  }

  private position(): number {
    return this.st.requests + this.st.deliveries;
  }

  private push(e: Omit<TimelineEvent, "i">): void {
    this.emit({ i: this.st.next++, ...e });
  }
}
