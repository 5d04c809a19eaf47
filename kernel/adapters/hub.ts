// The kernel side of the platform adapters (docs/adapters.md): request ids, pending limits, and the
// delivery of results as messages from Init, at points of the run that do not depend on the host.
//
// A request made at virtual time t is answered at the first input point (the top of the scheduler's
// loop, kernel/console-input.ts) at or after t + the adapter's latency. A clock event at that
// instant makes an idle machine get there. If the host has not finished the real I/O by then (the
// fsync, the HTTP answer), the scheduler holds: nobody gets the run token, virtual time stands still,
// and the I/O's completion kicks the scheduler on. So where a result goes in is fixed by the run
// itself, whatever the disk or the network did, and a replay that takes the results from the trace
// (kernel/adapters/recorded.ts) delivers them at the same points.

import { ObjectType } from "../abi/caps";
import { Errno } from "../abi/errors";
import { MAX_PENDING_NETWORK, MAX_PENDING_STORAGE } from "../abi/adapters";
import { Pid, Slot } from "../abi/syscalls";
import { Tag } from "../abi/tags";
import { encodeAdapterResult } from "../abi/adapters";
import type { InputPoint } from "../console-input";
import type { Kernel } from "../kernel";
import type { OutsideInputHooks } from "../kernel-types";
import type { Endpoint } from "../objects";
import type { KernelProcess } from "../process";

export type AdapterKind = "storage" | "network";

export type StorageOp =
  | { op: "read" | "delete" | "exists"; key: string }
  | { op: "write"; key: string; value: Uint8Array }
  | { op: "list"; prefix: string };

/** A result before framing: result_type and data. */
export interface ResultBody {
  type: number;
  data: Uint8Array;
}

/** Where results come from: the store and the network (live.ts), or a trace (recorded.ts). */
export interface AdapterBackend {
  storage(id: number, op: StorageOp): ResultBody | Promise<ResultBody>;
  network(id: number, requestJson: string): ResultBody | Promise<ResultBody>;
  /** Finish what is in flight (queued writes become durable) and let go of the store. */
  close(): Promise<void>;
}

/** What the syscall handlers ask of the adapters (SyscallContext.adapters). */
export interface AdapterPort {
  /** Start a request; its request id, or −errno (E_AGAIN: too many pending). `answer` given: the
   *  result is known now (a request the kernel refuses by its content), the backend is not asked. */
  request(proc: KernelProcess, kind: "storage", work: StorageOp | { answer: ResultBody }): number;
  request(proc: KernelProcess, kind: "network", work: string | { answer: ResultBody }): number;
}

/** A result handed to its requester, with the input point it went in at (the trace records it). */
export interface AdapterDelivery {
  kind: AdapterKind;
  id: number;
  pid: number;
  result: ResultBody;
  at: InputPoint;
}

export interface AdapterTiming {
  /** Virtual ns from a storage request to its result. */
  storageLatencyNs: number;
  /** Virtual ns from a fetch to its result. */
  networkLatencyNs: number;
}

export const DEFAULT_ADAPTER_TIMING: AdapterTiming = { storageLatencyNs: 100_000, networkLatencyNs: 1_000_000 };

interface Pending {
  seq: number;
  kind: AdapterKind;
  id: number;
  pid: number;
  due: number;
  result?: ResultBody;
}

export interface AdapterStats {
  requests: { storage: number; network: number };
  delivered: { storage: number; network: number };
  /** Results whose requester had ended. */
  dropped: number;
  /** Times the scheduler held for host I/O, and the wall ms it held in all. */
  holds: number;
  holdMs: number;
}

const LIMITS: Record<AdapterKind, number> = { storage: MAX_PENDING_STORAGE, network: MAX_PENDING_NETWORK };
const TAGS: Record<AdapterKind, number> = { storage: Tag.STORAGE_RESULT, network: Tag.NET_RESULT };

export class AdapterHub implements AdapterPort {
  readonly stats: AdapterStats = {
    requests: { storage: 0, network: 0 },
    delivered: { storage: 0, network: 0 },
    dropped: 0,
    holds: 0,
    holdMs: 0,
  };
  private readonly pending: Pending[] = [];
  private readonly inFlight: Record<AdapterKind, number> = { storage: 0, network: 0 };
  private readonly nextId: Record<AdapterKind, number> = { storage: 1, network: 1 };
  private seq = 0;
  private holdingSince: number | undefined;
  private readonly listeners: ((delivery: AdapterDelivery) => void)[] = [];

  constructor(
    private readonly kernel: Kernel,
    private readonly backend: AdapterBackend,
    private readonly timing: AdapterTiming = DEFAULT_ADAPTER_TIMING,
  ) {
    kernel.adapters = this;
    // Outside input already attached (console keys) keeps its place: applied first at each point.
    const inner: OutsideInputHooks | undefined = kernel.outsideInput;
    kernel.outsideInput = {
      atInputPoint: () => (inner?.atInputPoint() === "hold" ? "hold" : this.atInputPoint()),
      whenIdle: () => inner?.whenIdle() ?? "none",
    };
  }

  /** Hear each delivery (the trace writer records them). */
  onDelivery(listener: (delivery: AdapterDelivery) => void): void {
    this.listeners.push(listener);
  }

  request(proc: KernelProcess, kind: AdapterKind, work: StorageOp | string | { answer: ResultBody }): number {
    if (this.inFlight[kind] >= LIMITS[kind]) return -Errno.E_AGAIN;
    const id = this.nextId[kind];
    this.nextId[kind] = id >= 0xffff_ffff ? 1 : id + 1;
    const latency = kind === "storage" ? this.timing.storageLatencyNs : this.timing.networkLatencyNs;
    const item: Pending = { seq: this.seq++, kind, id, pid: proc.pid, due: this.kernel.now() + latency };
    this.insert(item);
    this.inFlight[kind]++;
    this.stats.requests[kind]++;
    const answer =
      typeof work === "object" && "answer" in work
        ? work.answer
        : kind === "storage"
          ? this.backend.storage(id, work as StorageOp)
          : this.backend.network(id, work as string);
    if (answer instanceof Promise)
      answer.then(
        (result) => this.settle(item, result),
        (error: unknown) => this.settle(item, internalError(kind, error)),
      );
    else item.result = answer;
    // Nothing to do then but be an event: an idle machine's clock jumps to it.
    this.kernel.machine.clock.schedule({ delay: latency }, () => undefined);
    return id;
  }

  /** Requests not yet answered, by kind. */
  get waiting(): Readonly<Record<AdapterKind, number>> {
    return this.inFlight;
  }

  close(): Promise<void> {
    return this.backend.close();
  }

  private insert(item: Pending): void {
    let at = this.pending.length;
    while (at > 0 && this.pending[at - 1].due > item.due) at--;
    this.pending.splice(at, 0, item);
  }

  private settle(item: Pending, result: ResultBody): void {
    item.result = result;
    if (this.holdingSince !== undefined) this.kernel.kick();
  }

  /** Deliver every result that is due; hold the scheduler while one that is due is not ready. */
  private atInputPoint(): "hold" | undefined {
    const now = this.kernel.now();
    const full = new Set<number>();
    for (let i = 0; i < this.pending.length;) {
      const item = this.pending[i];
      if (item.due > now) break;
      if (!item.result) {
        if (this.holdingSince === undefined) {
          this.holdingSince = performance.now();
          this.stats.holds++;
        }
        return "hold";
      }
      if (this.holdingSince !== undefined) {
        this.stats.holdMs += performance.now() - this.holdingSince;
        this.holdingSince = undefined;
      }
      // A requester whose queue is full gets its results later, still in order.
      if (full.has(item.pid)) {
        i++;
        continue;
      }
      const proc = this.kernel.process(item.pid);
      const ep = proc?.alive ? inputEndpoint(this.kernel, proc) : undefined;
      if (!proc || !ep) {
        this.pending.splice(i, 1);
        this.inFlight[item.kind]--;
        this.stats.dropped++;
        continue;
      }
      const at: InputPoint = { event: this.kernel.syslog.eventCount, commit: this.kernel.commits.count, t: now };
      const payload = encodeAdapterResult({ requestId: item.id, type: item.result.type, data: item.result.data });
      if (this.kernel.ipc.deliver(ep, { sender: Pid.INIT, tag: TAGS[item.kind], payload }) !== 0) {
        full.add(item.pid);
        i++;
        continue;
      }
      this.kernel.countIpcMessage();
      this.pending.splice(i, 1);
      this.inFlight[item.kind]--;
      this.stats.delivered[item.kind]++;
      for (const l of this.listeners) l({ kind: item.kind, id: item.id, pid: item.pid, result: item.result, at });
    }
    return undefined;
  }
}

/** The requester's input endpoint: its slot 1, as Init delivers there (zero-os-abi.md §3.5). */
function inputEndpoint(kernel: Kernel, proc: KernelProcess): Endpoint | undefined {
  const cap = proc.cspace.get(Slot.INPUT_ENDPOINT);
  if (cap?.objectType === ObjectType.Endpoint) {
    const ep = kernel.endpoint(cap.objectId);
    if (ep?.owner === proc.pid) return ep;
  }
  // Slot 1 deleted: the endpoint created there at spawn is still the process's (its second one).
  const id = [...proc.endpoints][1];
  return id === undefined ? undefined : kernel.endpoint(id);
}

function internalError(kind: AdapterKind, error: unknown): ResultBody {
  const text = `${kind} adapter error: ${error instanceof Error ? error.message : String(error)}`;
  return kind === "storage"
    ? { type: 3, data: new TextEncoder().encode(text) }
    : { type: 0, data: new TextEncoder().encode(JSON.stringify({ result: { Err: { Other: text } }, message: text })) };
}
