// The Zero OS microkernel model: processes, capability spaces, endpoints, the run token and the
// scheduler, interrupt delivery, faults. Syscall semantics live in kernel/syscalls/*; init (PID 1:
// binding, grants, service registry) in kernel/init.ts. Runs on the host thread and never blocks it.

import type { DeviceEvent, DmaRegion, IommuMapping, MachineHandle } from "../devices/machine-interface";
import { ObjectType, Perm } from "./abi/caps";
import { placeFault, type FaultDetails } from "./fault-source";
import { MAX_MESSAGE_BYTES, MAX_MESSAGE_CAPS, Pid, syscallName } from "./abi/syscalls";
import { Tag } from "./abi/tags";
import { SysLog } from "./axiom/syslog";
import { CommitLog, type CommitBody } from "./axiom/commitlog";
import { CapabilityRegistry } from "./capabilities";
import { CapabilityKeeper } from "./capability-keeper";
import { IpcDelivery } from "./ipc-delivery";
import { InterruptRouter, type IrqObject } from "./interrupts";
import { destroyEndpoint, freeDma, releaseProcess } from "./teardown";
import { sharedDma } from "./dma-sharing";
import { KernelRandom } from "./random";
import { Init } from "./init";
import type { Endpoint, HardwareObject } from "./objects";
import { FaultReason, KernelProcess, type Fault, type ProcessHost } from "./process";
import { dispatchSyscall } from "./syscalls";
import type { Outcome } from "./syscalls/outcome";
import { LimitBook } from "./limit-book";
import { limitsOf, servicesFrontedBy, type LimitRefusal, type LimitsInForce } from "./limits";
import type { SyscallContext } from "./syscalls/context";
import type { SyscallRequest } from "./worker/mailbox";
import type { AdapterPort } from "./adapters/hub";
import type {
  HeldSyscall,
  IommuViewRecord,
  KernelDebugHooks,
  KernelInternals,
  KernelOptions,
  KernelOutput,
  MessageLimits,
  OutsideInputHooks,
  Violation,
  WorkerEvents,
} from "./kernel-types";

/** Added to the watchdog's limit until a process's first syscall (docs/abi.md, "Watchdog"). */
export const WATCHDOG_START_ALLOWANCE_MS = 10_000;

export class Kernel implements SyscallContext {
  readonly machine: MachineHandle;
  readonly seed: number;
  readonly syslog = new SysLog();
  readonly commits = new CommitLog();
  readonly caps = new CapabilityRegistry();
  /** Capabilities across CSpaces: place, remove, revoke, expire (kernel/capability-keeper.ts). */
  readonly capabilities: CapabilityKeeper;
  /** Messages onto endpoints and into processes (kernel/ipc-delivery.ts). */
  readonly ipc: IpcDelivery;
  /** Interrupt lines to IRQ endpoints (kernel/interrupts.ts). */
  readonly interrupts: InterruptRouter;
  readonly limits: MessageLimits;
  readonly processes = new Map<number, KernelProcess>();
  readonly endpoints = new Map<number, Endpoint>();
  readonly hardware = new Map<number, HardwareObject>();
  readonly violations: Violation[] = [];
  /** Per-process limits in force (machine description "limits"). */
  readonly resources: LimitsInForce;
  /** What each process holds against its limits, and each limit reached (kernel/limit-book.ts). */
  readonly quota: LimitBook;
  /** Service name → devices fronting it: only a driver bound to one may serve the name. */
  readonly frontedBy: ReadonlyMap<string, readonly string[]>;
  /** The view last given to each device (read-only for kernel/invariants.ts). */
  readonly iommuViews = new Map<string, IommuViewRecord>();
  readonly deviceEvents: DeviceEvent[] = [];
  readonly init: Init;
  readonly output: KernelOutput;
  /** Set by a debugger; empty otherwise (no cost beyond two optional calls). */
  debugHooks: KernelDebugHooks = {};
  /** Set when the run takes keystrokes from outside (kernel/console-input.ts). */
  outsideInput: OutsideInputHooks | undefined;
  /** Storage and network (kernel/adapters/hub.ts), attached by the session; absent: E_NOSYS. */
  adapters: AdapterPort | undefined;

  private ipcMessageCount = 0;
  private readonly syscallCostNs: number;
  private readonly watchdogMs: number;
  private readonly ready = new Set<KernelProcess>();
  private running: KernelProcess | undefined;
  private runningSince = 0;
  private lastRunPid = 0;
  private nextPid = 2;
  private nextEndpointId = 1;
  private nextObjectId = 1;
  private watchdog: NodeJS.Timeout | undefined;
  private idleListeners: (() => void)[] = [];
  private shutdownSent = false;
  private readonly endedListeners: ((proc: KernelProcess) => void)[] = [];
  private readonly faultListeners: ((proc: KernelProcess, fault: Fault) => void)[] = [];
  private readonly rng: KernelRandom;
  private started = false;
  private stopped = false;
  private kickQueued = false;
  /** While true nobody gets the run token, so virtual time stands still and the watchdog is off. */
  private schedulingPaused = false;
  private held: HeldSyscall | undefined;

  constructor(options: KernelOptions) {
    this.machine = options.machine;
    this.seed = options.seed;
    this.output = options.output;
    this.syscallCostNs = options.syscallCostNs ?? 1000;
    this.watchdogMs = options.watchdogMs ?? 5000;
    this.rng = new KernelRandom(options.seed);
    this.limits = options.compat ? { bytes: 16_384, caps: 8 } : { bytes: MAX_MESSAGE_BYTES, caps: MAX_MESSAGE_CAPS };
    this.resources = { ...limitsOf(options.machine), ...options.resources };
    this.frontedBy = servicesFrontedBy(options.machine);
    this.quota = new LimitBook({
      resources: this.resources,
      processes: this.processes,
      endpoints: this.endpoints,
      now: () => this.now(),
      debug: (proc, text) => this.output.debug(proc, text),
    });
    this.capabilities = new CapabilityKeeper({
      registry: this.caps,
      processes: this.processes,
      endpoints: this.endpoints,
      now: () => this.now(),
      commit: (body) => this.commit(body),
      schedule: (delay, callback) => this.machine.clock.schedule({ delay }, callback),
      refreshIommu: (proc) => this.refreshIommu(proc),
      wake: (proc, result) => this.wake(proc, result),
      deliver: (ep, message) => this.ipc.deliver(ep, message),
    });
    this.ipc = new IpcDelivery({
      processes: this.processes,
      quota: this.quota,
      debugHooks: () => this.debugHooks,
      now: () => this.now(),
      commit: (body) => this.commit(body),
      wake: (proc, result, payload) => this.wake(proc, result, payload),
      place: (proc, cap) => this.capabilities.place(proc, cap),
      isRevoked: (capId) => this.capabilities.isRevoked(capId),
    });
    this.interrupts = new InterruptRouter({
      hardware: this.hardware,
      endpoints: this.endpoints,
      irqLevel: (line) => this.machine.irqLevel(line),
      deliver: (ep, message) => this.ipc.deliver(ep, message),
    });
    this.init = new Init(this);
    this.machine.onIrqChange((line, level) => {
      if (level) this.raiseIrq(line);
    });
    this.machine.onDeviceEvent((event) => this.deviceEvents.push(event));
  }

  /** Deterministic random bytes for SYS_RANDOM (kernel/random.ts, seeded by the machine seed). */
  randomBytes(n: number): Uint8Array {
    return this.rng.bytes(n);
  }

  now(): number {
    return this.machine.clock.now();
  }

  /** Each limit reached, by process, limit and syscall (RunSummary.limits). */
  get limitRefusals(): LimitRefusal[] {
    return this.quota.refusals;
  }

  /** IPC messages exchanged (RunSummary.ipcMessages). */
  get ipcMessages(): number {
    return this.ipcMessageCount;
  }

  countIpcMessage(): void {
    this.ipcMessageCount++;
  }

  /** Interrupts delivered (RunSummary.irqs). */
  get irqs(): number {
    return this.interrupts.delivered;
  }

  process(pid: number): KernelProcess | undefined {
    return this.processes.get(pid);
  }

  liveProcesses(): KernelProcess[] {
    return [...this.processes.values()].filter((p) => p.alive);
  }

  endpoint(id: number): Endpoint | undefined {
    return this.endpoints.get(id);
  }

  hardwareObject(id: number): HardwareObject | undefined {
    return this.hardware.get(id);
  }

  // ── processes ────────────────────────────────────────────────────────────────────────────────

  /** Create a process; `makeHost` starts its worker, wired to the events the kernel hands it. */
  spawn(name: string, source: string, makeHost: (events: WorkerEvents) => ProcessHost): KernelProcess {
    const pid = this.nextPid++;
    let proc: KernelProcess | undefined;
    const events: WorkerEvents = {
      onSyscall: (request) => proc && this.submit(proc, request),
      onWorkerGone: (reason, kind) => proc && this.onWorkerGone(proc, reason, kind),
    };
    proc = new KernelProcess(pid, name, makeHost(events), source);
    this.processes.set(pid, proc);
    this.commit({ type: "ProcessCreated", pid, parent: Pid.INIT, name });
    // Conventional slots 0–2: own output and input endpoints, a send right to Init.
    this.capabilities.insertCap(proc, ObjectType.Endpoint, this.createEndpoint(proc).id, Perm.ALL);
    this.capabilities.insertCap(proc, ObjectType.Endpoint, this.createEndpoint(proc).id, Perm.ALL);
    this.capabilities.insertCap(proc, ObjectType.Endpoint, this.init.endpointId, Perm.WRITE);
    proc.state = "ready";
    this.ready.add(proc);
    return proc;
  }

  /** Start scheduling; call once every initial process is spawned. */
  start(): void {
    this.started = true;
    this.watchdog ??= setInterval(() => this.checkWatchdog(), Math.max(20, Math.min(500, this.watchdogMs / 4)));
    this.watchdog.unref();
    this.schedule();
  }

  /** Stop the machine: end every process (used at the end of a run or on timeout). Resolves when
   *  their threads are gone, or after a few seconds at most. */
  shutdown(): Promise<void> {
    this.stopped = true;
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = undefined;
    for (const p of this.processes.values()) p.host.terminate();
    const closed = Promise.all([...this.processes.values()].map((p) => p.host.closed?.() ?? Promise.resolve()));
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<void>((resolve) => (timer = setTimeout(resolve, 5000)));
    return Promise.race([closed.then(() => undefined), limit]).finally(() => clearTimeout(timer));
  }

  /** Outside input arrived while the machine may be waiting for it: if nobody holds the run token,
   *  run the scheduler (which applies the input at its input point). */
  kick(): void {
    // Deferred to a task of its own: a key pushed from inside the machine's work (a test's clock
    // event, a listener) must not re-enter the scheduler; where the key goes in stays the input point.
    if (this.kickQueued) return;
    this.kickQueued = true;
    setImmediate(() => {
      this.kickQueued = false;
      if (this.started && !this.stopped && !this.running && !this.schedulingPaused) this.schedule();
    });
  }

  /** True when nothing can run and no device event is due: the machine is idle or finished. */
  get idle(): boolean {
    return !this.running && this.ready.size === 0 && this.machine.clock.nextEventAt() === undefined;
  }

  onIdle(listener: () => void): void {
    this.idleListeners.push(listener);
  }

  /** Called after a process is torn down (exited or faulted). */
  onProcessEnded(listener: (proc: KernelProcess) => void): void {
    this.endedListeners.push(listener);
  }

  /** Called with each fault as it is recorded, before its ProcessFaulted commit (a trace writes
   *  where it happened just before the commit). */
  onFault(listener: (proc: KernelProcess, fault: Fault) => void): void {
    this.faultListeners.push(listener);
  }

  /** True once the idle machine has asked its servers to stop. */
  get shuttingDown(): boolean {
    return this.shutdownSent;
  }

  allocEndpointId(): number {
    return this.nextEndpointId++;
  }

  createEndpoint(owner: KernelProcess | number): Endpoint {
    const ownerPid = typeof owner === "number" ? owner : owner.pid;
    const ep: Endpoint = {
      id: this.nextEndpointId++,
      owner: ownerPid,
      queue: [],
      waiters: [],
      delivered: 0,
      highWater: 0,
      queuedBytes: 0,
      queuedCaps: 0,
    };
    this.endpoints.set(ep.id, ep);
    if (typeof owner !== "number") owner.endpoints.add(ep.id);
    this.commit({ type: "EndpointCreated", id: ep.id, owner: ownerPid });
    return ep;
  }

  commit(body: CommitBody): void {
    this.commits.append(this.now(), body);
  }

  /** Give `proc`'s device the view its DMA memory and its Dma capabilities allow (dma-sharing.ts). */
  refreshIommu(proc: KernelProcess): void {
    if (proc.device === undefined || !proc.alive) return;
    this.setIommuView(proc.device, proc.pid, proc.dmaRegions, sharedDma(proc, this.hardware, this.now()));
  }

  /** Every view change goes through here, so the kernel knows what each device can reach. A
   *  machine that refuses a view (memory no longer live) gets the empty one: a device that cannot
   *  be given its view must reach nothing, and the host must not crash. */
  setIommuView(device: string, pid: number, own: readonly DmaRegion[], shared: readonly IommuMapping[] = []): void {
    try {
      this.machine.setIommuView(device, own, shared);
      this.iommuViews.set(device, { pid, own: [...own], shared: [...shared] });
    } catch {
      this.machine.setIommuView(device, []);
      this.iommuViews.set(device, { pid, own: [], shared: [] });
    }
  }

  /** A read-only view of scheduler state and id counters, for kernel/invariants.ts. Returns copies
   *  or read-only views; nothing in the kernel depends on it. */
  internals(): KernelInternals {
    return {
      running: this.running,
      ready: this.ready,
      nextPid: this.nextPid,
      nextEndpointId: this.nextEndpointId,
      nextObjectId: this.nextObjectId,
    };
  }

  addHardware(object: HardwareObject): number {
    const id = this.nextObjectId++;
    this.hardware.set(id, object);
    return id;
  }

  removeHardware(object: HardwareObject): void {
    for (const [id, o] of this.hardware) if (o === object) this.hardware.delete(id);
  }

  // ── debugger control ─────────────────────────────────────────────────────────────────────────

  /** Stop handing out the run token. A process running driver code keeps running until its next
   *  syscall, which is then held (heldSyscall) rather than carried out. */
  pauseScheduling(): void {
    this.schedulingPaused = true;
  }

  /** Carry out the held syscall, if any, and schedule again. */
  resumeScheduling(): void {
    if (!this.schedulingPaused) return;
    this.schedulingPaused = false;
    // Time spent stopped in the debugger is not time the process ran without a syscall.
    this.runningSince = performance.now();
    const held = this.held;
    this.held = undefined;
    if (held?.checked) this.dispatch(held.proc, held.request);
    else if (held) this.submit(held.proc, held.request);
    else if (this.started && !this.running) this.schedule();
  }

  get paused(): boolean {
    return this.schedulingPaused;
  }

  /** The syscall the token holder waits in while scheduling is paused. */
  get heldSyscall(): HeldSyscall | undefined {
    return this.held;
  }

  // ── the run token ────────────────────────────────────────────────────────────────────────────

  /** A syscall from the process holding the run token (its worker host calls this). */
  submit(proc: KernelProcess, request: SyscallRequest): void {
    if (this.running !== proc || !proc.alive) return; // a stale wake-up; only the token holder may call
    // The hook may pause scheduling itself: what matters is whether it was asked.
    const wasPaused = this.schedulingPaused;
    if (wasPaused || this.debugHooks.beforeSyscall?.(proc, request)) {
      this.held = { proc, request, checked: !wasPaused };
      this.schedulingPaused = true;
      return;
    }
    this.dispatch(proc, request);
  }

  private dispatch(proc: KernelProcess, request: SyscallRequest): void {
    if (this.running !== proc || !proc.alive) {
      // It died while held (terminated from the debugger): whoever is ready runs.
      if (!this.running) this.schedule();
      return;
    }
    this.running = undefined;
    proc.syscalls++;
    const args: [number, number, number] = [request.a0, request.a1, request.a2];
    const requestId = this.syslog.request(proc.pid, this.now(), request.num, args, request.payload);
    let outcome: Outcome;
    try {
      outcome = dispatchSyscall(this, proc, request, requestId);
    } catch (error) {
      // A kernel bug must not take the machine down: the caller faults, the rest runs on.
      this.fault(
        proc,
        "panic",
        FaultReason.UNKNOWN,
        `kernel error in ${syscallName(request.num)}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      );
      outcome = { kind: "ended" };
    }
    if (outcome.kind === "return")
      this.makeReady(proc, {
        result: outcome.result,
        payload: outcome.payload,
        attachment: outcome.attachment,
        requestId,
      });
    this.machine.clock.advance(this.syscallCostNs);
    this.schedule();
  }

  /** Give a blocked process its result; it runs when the scheduler picks it. */
  wake(proc: KernelProcess, result: number, payload?: Uint8Array): void {
    if (!proc.alive || proc.state !== "blocked") return;
    const requestId = proc.blockedOn?.requestId;
    proc.blockedOn = undefined;
    this.makeReady(proc, { result, payload, requestId });
  }

  block(proc: KernelProcess, on: NonNullable<KernelProcess["blockedOn"]>): Outcome {
    proc.state = "blocked";
    proc.blockedOn = on;
    return { kind: "block" };
  }

  private makeReady(proc: KernelProcess, pending: NonNullable<KernelProcess["pending"]>): void {
    if (pending.requestId !== undefined)
      this.syslog.response(proc.pid, this.now(), pending.requestId, pending.result, pending.payload);
    proc.pending = pending;
    proc.state = "ready";
    this.ready.add(proc);
  }

  private schedule(): void {
    while (!this.running && !this.schedulingPaused) {
      if (this.outsideInput?.atInputPoint() === "hold") return;
      const next = this.pickReady();
      if (next) {
        if (this.debugHooks.beforeRun?.(next)) {
          this.schedulingPaused = true;
          return;
        }
        this.run(next);
        return;
      }
      const due = this.machine.clock.nextEventAt();
      if (due === undefined) {
        const input = this.outsideInput?.whenIdle() ?? "none";
        if (input === "more") continue;
        if (input === "wait") return;
        if (this.requestShutdown()) continue;
        const listeners = this.idleListeners;
        this.idleListeners = [];
        for (const l of listeners) l();
        return;
      }
      // Everyone waits: jump virtual time to the next device event.
      this.machine.clock.advance(Math.max(0, due - this.now()));
    }
  }

  /** Round robin in PID order: deterministic, and fair to a process that polls. */
  private pickReady(): KernelProcess | undefined {
    let best: KernelProcess | undefined;
    let wrap: KernelProcess | undefined;
    for (const p of this.ready) {
      if (p.pid > this.lastRunPid && (!best || p.pid < best.pid)) best = p;
      if (!wrap || p.pid < wrap.pid) wrap = p;
    }
    return best ?? wrap;
  }

  private run(proc: KernelProcess): void {
    this.ready.delete(proc);
    const pending = proc.pending ?? { result: 0 };
    proc.pending = undefined;
    proc.state = "running";
    this.running = proc;
    this.runningSince = performance.now();
    this.lastRunPid = proc.pid;
    proc.host.resume(pending.result, pending.payload, pending.attachment);
  }

  /** Idle with servers waiting for requests that cannot come: ask each, once, to stop. */
  private requestShutdown(): boolean {
    if (this.shutdownSent) return false;
    this.shutdownSent = true;
    this.init.explainWaitingLookups();
    let asked = false;
    for (const p of this.processes.values()) {
      if (p.state !== "blocked" || p.blockedOn?.kind !== "receive") continue;
      const ep = this.endpoints.get(p.blockedOn.endpointId);
      if (!ep) continue;
      this.ipc.deliver(ep, { sender: Pid.KERNEL, tag: Tag.SHUTDOWN, payload: new Uint8Array(0) });
      asked = true;
    }
    return asked;
  }

  private checkWatchdog(): void {
    const proc = this.running;
    if (!proc || this.schedulingPaused) return;
    const ms = performance.now() - this.runningSince;
    // Before its first syscall a process is still being started by the host (a thread, a V8 isolate,
    // its bundle compiled), which on a loaded machine alone took over 300 ms: that is not the driver's time.
    const limit = (proc.watchdogMs ?? this.watchdogMs) + (proc.syscalls === 0 ? WATCHDOG_START_ALLOWANCE_MS : 0);
    if (ms > limit) {
      this.running = undefined;
      this.fault(
        proc,
        "watchdog",
        FaultReason.TIMEOUT,
        `watchdog: ran ${Math.round(ms)} ms without a syscall (limit ${limit} ms)`,
      );
      this.schedule();
    }
  }

  private onWorkerGone(proc: KernelProcess, reason: string, kind: "memory-limit" | "worker"): void {
    if (!proc.alive) return;
    if (this.running === proc) this.running = undefined;
    if (kind === "memory-limit") this.fault(proc, "memory-limit", FaultReason.MEMORY_VIOLATION, reason);
    else this.fault(proc, "worker", FaultReason.UNKNOWN, reason);
    this.schedule();
  }

  // ── interrupts ───────────────────────────────────────────────────────────────────────────────

  /** A line went high (kernel/interrupts.ts). */
  raiseIrq(line: number): void {
    this.interrupts.raise(line);
  }

  /** IRQ_ACK / unmask: a line still high is delivered again. */
  reArmIrq(irq: IrqObject): void {
    this.interrupts.reArm(irq);
  }

  // ── faults and teardown ──────────────────────────────────────────────────────────────────────

  /** End `proc` with a fault; `details` are placed in the driver's source (kernel/fault-source.ts),
   *  the CommitLog keeps `message` only (no host path). Undefined: the process had already ended. */
  fault(
    proc: KernelProcess,
    kind: Fault["kind"],
    reason: number,
    message: string,
    details: FaultDetails = {},
  ): Fault | undefined {
    if (!proc.alive) return undefined;
    const fault: Fault = { kind, reason, message, at: this.now(), ...placeFault(proc, details) };
    proc.faults.push(fault);
    for (const l of this.faultListeners) l(proc, fault);
    this.commit({ type: "ProcessFaulted", pid: proc.pid, reason, description: message });
    this.output.fault?.(proc, fault);
    this.teardown(proc, "faulted");
    return fault;
  }

  exit(proc: KernelProcess, code: number): void {
    if (!proc.alive) return;
    proc.exitCode = code;
    this.teardown(proc, "exited");
  }

  /** Tear a process down: no caller hangs, no line stays bound, the device is reset. */
  private teardown(proc: KernelProcess, state: "exited" | "faulted"): void {
    proc.state = state;
    this.commit({ type: "ProcessExited", pid: proc.pid, code: proc.exitCode ?? -1 });
    this.ready.delete(proc);
    if (this.running === proc) this.running = undefined;
    proc.host.terminate();
    releaseProcess(this, proc);
    for (const l of this.endedListeners) l(proc);
  }

  /** Give a buffer back to the machine (kernel/teardown.ts). */
  freeDma(proc: KernelProcess, region: DmaRegion): void {
    freeDma(this, proc, region);
  }

  /** Remove an endpoint; its queued CALLs and waiters end with E_NOENT (kernel/teardown.ts). */
  destroyEndpoint(id: number): void {
    destroyEndpoint(this, id);
  }
}
