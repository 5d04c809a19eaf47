// The Zero OS microkernel model: processes, capability spaces, endpoints, the run token and the
// scheduler, interrupt delivery, faults. Syscall semantics live in kernel/syscalls/*; init (PID 1:
// binding, grants, service registry) in kernel/init.ts. Runs on the host thread and never blocks it.

import type { DeviceEvent, MachineHandle } from "../devices/machine-interface";
import { Errno } from "./abi/errors";
import { ObjectType, Perm } from "./abi/caps";
import { Pid, syscallName } from "./abi/syscalls";
import { irqTag, Tag } from "./abi/tags";
import { encodeWireMessage } from "./abi/wire";
import { SysLog } from "./axiom/syslog";
import type { Capability } from "./cspace";
import { Init } from "./init";
import { ENDPOINT_QUEUE_LIMIT, type Endpoint, type HardwareObject, type Message } from "./objects";
import { FaultReason, KernelProcess, type Fault, type ProcessHost } from "./process";
import { dispatchSyscall, type Outcome } from "./syscalls";
import type { SyscallRequest } from "./worker/mailbox";

export interface Violation {
  pid: number;
  process: string;
  syscall: string;
  /** Guest-physical address or port that was touched. */
  address: number;
  /** The grant it fell outside, e.g. "MMIO 0x10003000+0x200 rw-". */
  grant: string;
  message: string;
  at: number;
}

export interface KernelOutput {
  console(process: KernelProcess, text: string): void;
  debug(process: KernelProcess, text: string): void;
  fault?(process: KernelProcess, fault: Fault): void;
}

export interface KernelOptions {
  machine: MachineHandle;
  seed: number;
  output: KernelOutput;
  /** Virtual time one syscall costs. */
  syscallCostNs?: number;
  /** Wall-clock ms a process may run without a syscall before the watchdog faults it. */
  watchdogMs?: number;
}

export interface WorkerEvents {
  onSyscall(request: SyscallRequest): void;
  onWorkerGone(reason: string): void;
}

export class Kernel {
  readonly machine: MachineHandle;
  readonly seed: number;
  readonly syslog = new SysLog();
  readonly processes = new Map<number, KernelProcess>();
  readonly endpoints = new Map<number, Endpoint>();
  readonly hardware = new Map<number, HardwareObject>();
  readonly violations: Violation[] = [];
  readonly deviceEvents: DeviceEvent[] = [];
  readonly init: Init;
  readonly output: KernelOutput;
  ipcMessages = 0;
  irqs = 0;

  private readonly syscallCostNs: number;
  private readonly watchdogMs: number;
  private readonly ready = new Set<KernelProcess>();
  private running: KernelProcess | undefined;
  private runningSince = 0;
  private lastRunPid = 0;
  private nextPid = 2;
  private nextEndpointId = 1;
  private nextCapId = 1;
  private nextObjectId = 1;
  private watchdog: NodeJS.Timeout | undefined;
  private idleListeners: (() => void)[] = [];
  private shutdownSent = false;

  constructor(options: KernelOptions) {
    this.machine = options.machine;
    this.seed = options.seed;
    this.output = options.output;
    this.syscallCostNs = options.syscallCostNs ?? 1000;
    this.watchdogMs = options.watchdogMs ?? 5000;
    this.init = new Init(this);
    this.machine.onIrqChange((line, level) => {
      if (level) this.raiseIrq(line);
    });
    this.machine.onDeviceEvent((event) => this.deviceEvents.push(event));
  }

  now(): number {
    return this.machine.clock.now();
  }

  // ── processes ────────────────────────────────────────────────────────────────────────────────

  /** Create a process; `makeHost` starts its worker, wired to the events the kernel hands it. */
  spawn(name: string, source: string, makeHost: (events: WorkerEvents) => ProcessHost): KernelProcess {
    const pid = this.nextPid++;
    let proc: KernelProcess | undefined;
    const events: WorkerEvents = {
      onSyscall: (request) => proc && this.onSyscall(proc, request),
      onWorkerGone: (reason) => proc && this.onWorkerGone(proc, reason),
    };
    proc = new KernelProcess(pid, name, makeHost(events), source);
    this.processes.set(pid, proc);
    // Conventional slots 0–2: own output and input endpoints, a send right to Init.
    this.insertCap(proc, ObjectType.Endpoint, this.createEndpoint(proc).id, Perm.ALL);
    this.insertCap(proc, ObjectType.Endpoint, this.createEndpoint(proc).id, Perm.ALL);
    this.insertCap(proc, ObjectType.Endpoint, this.init.endpointId, Perm.WRITE);
    proc.state = "ready";
    this.ready.add(proc);
    return proc;
  }

  /** Start scheduling; call once every initial process is spawned. */
  start(): void {
    this.watchdog ??= setInterval(() => this.checkWatchdog(), Math.max(50, Math.min(500, this.watchdogMs / 4)));
    this.watchdog.unref();
    this.schedule();
  }

  /** Stop the machine: end every process (used at the end of a run or on timeout). */
  shutdown(): void {
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = undefined;
    for (const p of this.processes.values()) p.host.terminate();
  }

  /** True when nothing can run and no device event is due: the machine is idle or finished. */
  get idle(): boolean {
    return !this.running && this.ready.size === 0 && this.machine.clock.nextEventAt() === undefined;
  }

  onIdle(listener: () => void): void {
    this.idleListeners.push(listener);
  }

  allocEndpointId(): number {
    return this.nextEndpointId++;
  }

  createEndpoint(owner: KernelProcess | number): Endpoint {
    const ownerPid = typeof owner === "number" ? owner : owner.pid;
    const ep: Endpoint = { id: this.nextEndpointId++, owner: ownerPid, queue: [], waiters: [], delivered: 0, highWater: 0 };
    this.endpoints.set(ep.id, ep);
    if (typeof owner !== "number") owner.endpoints.add(ep.id);
    return ep;
  }

  insertCap(proc: KernelProcess, objectType: number, objectId: number, perms: number): number {
    const cap: Capability = { id: this.nextCapId++, objectType, objectId, perms, generation: 0, expiresAt: 0 };
    return proc.cspace.insert(cap);
  }

  addHardware(object: HardwareObject): number {
    const id = this.nextObjectId++;
    this.hardware.set(id, object);
    return id;
  }

  // ── the run token ────────────────────────────────────────────────────────────────────────────

  private onSyscall(proc: KernelProcess, request: SyscallRequest): void {
    if (this.running !== proc || !proc.alive) return; // a stale wake-up; only the token holder may call
    this.running = undefined;
    proc.syscalls++;
    const args: [number, number, number] = [request.a0, request.a1, request.a2];
    const requestId = this.syslog.request(proc.pid, this.now(), request.num, args, request.payload);
    let outcome: Outcome;
    try {
      outcome = dispatchSyscall(this, proc, request, requestId);
    } catch (error) {
      // A kernel bug must not take the machine down: the caller faults, the rest runs on.
      this.fault(proc, "panic", FaultReason.UNKNOWN, `kernel error in ${syscallName(request.num)}: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
      outcome = { kind: "ended" };
    }
    if (outcome.kind === "return") this.makeReady(proc, { result: outcome.result, payload: outcome.payload, attachment: outcome.attachment, requestId });
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
    if (pending.requestId !== undefined) this.syslog.response(proc.pid, this.now(), pending.requestId, pending.result, pending.payload);
    proc.pending = pending;
    proc.state = "ready";
    this.ready.add(proc);
  }

  private schedule(): void {
    while (!this.running) {
      const next = this.pickReady();
      if (next) {
        this.run(next);
        return;
      }
      const due = this.machine.clock.nextEventAt();
      if (due === undefined) {
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
    let asked = false;
    for (const p of this.processes.values()) {
      if (p.state !== "blocked" || p.blockedOn?.kind !== "receive") continue;
      const ep = this.endpoints.get(p.blockedOn.endpointId);
      if (!ep) continue;
      this.deliver(ep, { sender: Pid.KERNEL, tag: Tag.SHUTDOWN, payload: new Uint8Array(0) });
      asked = true;
    }
    return asked;
  }

  private checkWatchdog(): void {
    const proc = this.running;
    if (!proc) return;
    const ms = performance.now() - this.runningSince;
    if (ms > this.watchdogMs) {
      this.running = undefined;
      this.fault(proc, "watchdog", FaultReason.TIMEOUT, `watchdog: ran ${Math.round(ms)} ms without a syscall (limit ${this.watchdogMs} ms)`);
      this.schedule();
    }
  }

  private onWorkerGone(proc: KernelProcess, reason: string): void {
    if (!proc.alive) return;
    if (this.running === proc) this.running = undefined;
    this.fault(proc, "worker", FaultReason.UNKNOWN, reason);
    this.schedule();
  }

  // ── IPC delivery (used by syscalls, init and interrupts) ─────────────────────────────────────

  /** Put a message on an endpoint, or hand it straight to a waiting receiver. */
  deliver(ep: Endpoint, message: Message): number {
    const waiterPid = ep.waiters.shift();
    if (waiterPid !== undefined) {
      const waiter = this.processes.get(waiterPid);
      if (waiter?.alive) {
        this.receive(waiter, ep, message);
        this.wake(waiter, 1, this.wire(message));
        ep.delivered++;
        return 0;
      }
    }
    if (ep.queue.length >= ENDPOINT_QUEUE_LIMIT) return -Errno.E_AGAIN;
    ep.queue.push(message);
    ep.delivered++;
    ep.highWater = Math.max(ep.highWater, ep.queue.length);
    return 0;
  }

  /** Bookkeeping when `proc` takes a message: a CALL makes it owe the caller a reply. */
  receive(proc: KernelProcess, _ep: Endpoint, message: Message): void {
    if (message.callFrom === undefined) return;
    proc.owedReplies.add(message.callFrom);
    const caller = this.processes.get(message.callFrom);
    if (caller?.blockedOn?.kind === "reply") caller.blockedOn.server = proc.pid;
  }

  wire(message: Message): Uint8Array {
    return encodeWireMessage({ sender: message.sender, tag: message.tag, caps: [], payload: message.payload });
  }

  /** End a pending CALL with an error reply from the kernel (the server is gone). */
  failCall(callerPid: number, errno: number): void {
    const caller = this.processes.get(callerPid);
    if (!caller?.alive || caller.blockedOn?.kind !== "reply") return;
    const payload = new Uint8Array(4);
    new DataView(payload.buffer).setUint32(0, errno, true);
    this.wake(caller, 1, encodeWireMessage({ sender: Pid.KERNEL, tag: Tag.CALL_FAILED, caps: [], payload }));
  }

  // ── interrupts ───────────────────────────────────────────────────────────────────────────────

  private irqObject(line: number): HardwareObject & { type: "irq" } | undefined {
    for (const obj of this.hardware.values()) if (obj.type === "irq" && obj.line === line) return obj;
    return undefined;
  }

  /** A line went high: notify its endpoint once, then keep it masked until IRQ_ACK. */
  raiseIrq(line: number): void {
    const irq = this.irqObject(line);
    if (!irq || irq.masked || irq.pending) return;
    const ep = this.endpoints.get(irq.endpointId);
    if (!ep) return;
    irq.pending = true;
    irq.delivered++;
    this.irqs++;
    this.deliver(ep, { sender: Pid.KERNEL, tag: irqTag(line), payload: Uint8Array.of(line & 0xff) });
  }

  /** IRQ_ACK / unmask: if the line is still high (level-triggered), it is delivered again. */
  reArmIrq(irq: HardwareObject & { type: "irq" }): void {
    irq.pending = false;
    if (!irq.masked && this.machine.irqLevel(irq.line)) this.raiseIrq(irq.line);
  }

  // ── faults and teardown ──────────────────────────────────────────────────────────────────────

  recordViolation(proc: KernelProcess, syscall: number, address: number, grant: string, message: string): Outcome {
    const v: Violation = { pid: proc.pid, process: proc.name, syscall: syscallName(syscall), address, grant, message, at: this.now() };
    this.violations.push(v);
    this.fault(proc, "capability-violation", FaultReason.CAPABILITY_VIOLATION, `capability violation in ${v.syscall}: ${message}`);
    return { kind: "ended" };
  }

  fault(proc: KernelProcess, kind: Fault["kind"], reason: number, message: string): void {
    if (!proc.alive) return;
    const fault: Fault = { kind, reason, message, at: this.now() };
    proc.faults.push(fault);
    this.output.fault?.(proc, fault);
    this.teardown(proc, "faulted");
  }

  exit(proc: KernelProcess, code: number): void {
    if (!proc.alive) return;
    proc.exitCode = code;
    this.teardown(proc, "exited");
  }

  /** Tear a process down: no caller hangs, no line stays bound, the device is reset. */
  private teardown(proc: KernelProcess, state: "exited" | "faulted"): void {
    proc.state = state;
    this.ready.delete(proc);
    if (this.running === proc) this.running = undefined;
    proc.host.terminate();
    for (const ep of this.endpoints.values()) ep.waiters = ep.waiters.filter((pid) => pid !== proc.pid);
    if (proc.blockedOn?.kind === "reply" && proc.blockedOn.server !== undefined) {
      this.processes.get(proc.blockedOn.server)?.owedReplies.delete(proc.pid);
    }
    proc.blockedOn = undefined;
    for (const caller of proc.owedReplies) this.failCall(caller, Errno.E_NOENT);
    proc.owedReplies.clear();
    for (const id of proc.endpoints) this.destroyEndpoint(id);
    for (const [id, obj] of this.hardware) {
      if ((obj.type === "irq" || obj.type === "dma") && obj.owner === proc.pid) this.hardware.delete(id);
    }
    if (proc.device) {
      this.machine.setIommuView(proc.device, []);
      this.machine.resetDevice(proc.device);
    }
    for (const region of proc.dmaRegions) this.machine.freeDma(region.phys);
    proc.dmaRegions.length = 0;
    this.init.processGone(proc);
  }

  private destroyEndpoint(id: number): void {
    const ep = this.endpoints.get(id);
    if (!ep) return;
    this.endpoints.delete(id);
    for (const msg of ep.queue) if (msg.callFrom !== undefined) this.failCall(msg.callFrom, Errno.E_NOENT);
    for (const pid of ep.waiters) {
      const waiter = this.processes.get(pid);
      if (waiter) this.wake(waiter, -Errno.E_NOENT);
    }
    ep.queue.length = 0;
    ep.waiters.length = 0;
  }
}
