// The debuggee side of the debug adapter: one Session under control. It knows nothing of DAP
// (extension/debug-adapter/session.ts translates); it launches programs, pauses and resumes the whole
// machine through the kernel's run token, decides where to stop (entry, syscall / IPC tag / IRQ
// breakpoints, capability violations and faults) and describes processes for the views.

import fs from "node:fs";
import path from "node:path";
import { createMachine, loadMachineDescription, MachineDescriptionError, Reg, statusNames, type Machine, type VirtioTransportSnapshot } from "../../devices";
import { ObjectType, objectTypeName, permString } from "../abi/caps";
import { Sys, syscallName } from "../abi/syscalls";
import { irqTag, isIrqTag } from "../abi/tags";
import type { Capability } from "../cspace";
import type { Kernel, KernelOutput } from "../kernel";
import { DriverLoadError } from "../loader/bundle-driver";
import type { Endpoint, Message } from "../objects";
import type { Fault, KernelProcess } from "../process";
import { Session, type RunSummary } from "../session";
import type { SyscallRequest } from "../worker/mailbox";
import { SourceDebugger, type SourceBreakpointResult, type StepKind } from "./source";

export interface LaunchOptions {
  /** Driver or client paths (folders with index.ts, or files), already resolved to absolute. */
  programs: string[];
  /** "virt" or a machine description file. */
  machine: string;
  seed: number;
  stopOnEntry: boolean;
  watchdogMs?: number;
}

/** A launch that cannot start; the message names the attribute and how to fix it. */
export class LaunchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "LaunchError";
  }
}

export type StopReason = "entry" | "pause" | "function breakpoint" | "exception" | "breakpoint" | "step";

export interface StopInfo {
  reason: StopReason;
  pid: number;
  /** One line for the UI: what stopped the machine. */
  description: string;
  /** The exception filter that matched, for exception stops. */
  exceptionId?: string;
}

/** Exception breakpoint filters the runtime understands. */
export const ExceptionFilter = {
  capabilityViolation: "capability-violation",
  driverFault: "driver-fault",
} as const;
export type ExceptionFilterId = (typeof ExceptionFilter)[keyof typeof ExceptionFilter];

export interface FunctionBreakpointResult {
  name: string;
  verified: boolean;
  message?: string;
}

export interface RuntimeListener {
  stopped(stop: StopInfo): void;
  output(category: "stdout" | "stderr", text: string): void;
  /** The run ended (every program ended, the machine went idle, or stop() was called). */
  ended(summary: RunSummary): void;
  /** Source breakpoints resolved again once launch has bundled the programs. */
  breakpointsChanged(results: SourceBreakpointResult[]): void;
}

/** A labelled value for the variables views; `children` make it expandable. */
export interface InspectItem {
  name: string;
  value: string;
  children?: InspectItem[];
}

export interface ThreadInfo {
  pid: number;
  name: string;
  state: string;
}

type BreakCondition = { kind: "syscall"; num: number } | { kind: "tag"; tag: number };

/** What a process looked like when it faulted: kept so the views still show it after teardown. */
interface FaultSnapshot {
  pid: number;
  caps: InspectItem[];
  frame: string;
}

export class DebugRuntime {
  private session: Session | undefined;
  private machine: Machine | undefined;
  private conditions: BreakCondition[] = [];
  private filters = new Set<ExceptionFilterId>();
  /** Last syscall each process made: what a faulting process was doing. */
  private readonly lastSyscall = new Map<number, SyscallRequest>();
  private stop: StopInfo | undefined;
  private faultSnapshot: FaultSnapshot | undefined;
  private ended = false;
  /** Breakpoints, stepping and values in driver TypeScript (worker inspectors). */
  readonly source = new SourceDebugger((pause) =>
    this.stopped({ reason: pause.reason, pid: pause.pid, description: pause.reason === "step" ? "Paused after a step" : "Paused on a breakpoint in driver code" }),
  );

  constructor(private readonly listener: RuntimeListener) {}

  /** Check the programs and machine, build them, and start; stops on entry if asked. */
  async launch(options: LaunchOptions): Promise<void> {
    let description;
    try {
      description = loadMachineDescription(options.machine);
    } catch (error) {
      if (error instanceof MachineDescriptionError || isNodeError(error)) throw new LaunchError(`"machine": ${error.message}. Use "virt" or the path of a machine description (.json).`);
      throw error;
    }
    let bundles;
    try {
      bundles = await Session.bundle(options.programs);
    } catch (error) {
      if (error instanceof DriverLoadError) throw new LaunchError(`"program": ${error.message}`);
      throw error;
    }
    // esbuild writes the map's sources relative to the cwd of the bundling process: this one.
    for (const bundle of bundles) if (bundle.kind === "script") this.source.addProgram(bundle, process.cwd());
    this.listener.breakpointsChanged(this.source.resolveAll());
    const machine = createMachine(description, { seed: options.seed });
    this.machine = machine;
    const session = new Session({
      machine,
      machineName: description.name,
      seed: options.seed,
      output: this.kernelOutput(),
      watchdogMs: options.watchdogMs,
      // A driver paused in the inspector holds the run token mid-code: pausing scheduling keeps the
      // watchdog off (it ignores a paused kernel) and virtual time still.
      debug: (proc, link, bundle) => this.source.client(proc, link, bundle, () => session.kernel.pauseScheduling()),
    });
    this.session = session;
    const kernel = session.kernel;
    kernel.debugHooks = {
      beforeSyscall: (proc, request) => this.beforeSyscall(proc, request),
      onDeliver: (ep, message) => this.onDeliver(ep, message),
    };
    for (const bundle of bundles) session.spawn(bundle);
    // Paused before start(): nobody gets the run token until the client continues.
    if (options.stopOnEntry) {
      kernel.pauseScheduling();
      const first = [...kernel.processes.values()][0];
      this.stopped({ reason: "entry", pid: first?.pid ?? 0, description: "Paused on entry: no program has run yet" });
    }
    void session.run().then((summary) => {
      this.ended = true;
      machine.close();
      this.listener.ended(summary);
    });
  }

  setFunctionBreakpoints(names: readonly string[]): FunctionBreakpointResult[] {
    const conditions: BreakCondition[] = [];
    const results = names.map((name) => {
      const parsed = parseBreakpoint(name);
      if (typeof parsed === "string") return { name, verified: false, message: parsed };
      conditions.push(parsed);
      return { name, verified: true };
    });
    this.conditions = conditions;
    return results;
  }

  setExceptionFilters(filters: readonly string[]): void {
    this.filters = new Set(filters.filter((f): f is ExceptionFilterId => f === ExceptionFilter.capabilityViolation || f === ExceptionFilter.driverFault));
  }

  /** Let the machine run again. */
  continue(): void {
    this.stop = undefined;
    this.faultSnapshot = undefined;
    this.session?.kernel.resumeScheduling();
    this.source.resume();
  }

  /** Step in driver code. The machine runs during the step: a stepped-over syscall must be carried
   *  out (and may wait for other processes) before the next line is reached. Without a source pause
   *  there is no line to step from, so it continues. */
  step(kind: StepKind): void {
    if (!this.source.pause) {
      this.continue();
      return;
    }
    this.stop = undefined;
    this.session?.kernel.resumeScheduling();
    this.source.resume(kind);
  }

  setSourceBreakpoints(file: string, lines: readonly number[]): SourceBreakpointResult[] {
    return this.source.setBreakpoints(file, lines);
  }

  /** Stop the whole machine: nobody gets the run token; a process in driver code stops at its next syscall. */
  pause(): void {
    const kernel = this.session?.kernel;
    if (!kernel || this.ended || kernel.paused) return;
    kernel.pauseScheduling();
    const pid = kernel.internals().running?.pid ?? kernel.heldSyscall?.proc.pid ?? firstAlive(kernel)?.pid ?? 0;
    this.stopped({ reason: "pause", pid, description: "Paused: the machine stopped handing out the run token" });
  }

  /** End the run and tear the machine down (workers paused in the inspector are resumed by WorkerProcess). */
  terminate(): void {
    if (!this.session || this.ended) return;
    // Not resumed first: a held syscall must not run. Shutdown ends every worker, held or not.
    this.session.stop();
  }

  get isEnded(): boolean {
    return this.ended;
  }

  get currentStop(): StopInfo | undefined {
    return this.stop;
  }

  /** Live processes, plus the one the machine stopped on even if it has just faulted. */
  threads(): ThreadInfo[] {
    const kernel = this.session?.kernel;
    if (!kernel) return [];
    return [...kernel.processes.values()].filter((p) => p.alive || p.pid === this.stop?.pid).map((p) => ({ pid: p.pid, name: p.name, state: p.state }));
  }

  /** The top frame's text for a process: the syscall it is in, decoded, or what it waits for. */
  frameFor(pid: number): string {
    if (this.faultSnapshot?.pid === pid) return this.faultSnapshot.frame;
    const kernel = this.session?.kernel;
    const proc = kernel?.processes.get(pid);
    if (!kernel || !proc) return `pid ${pid}: gone`;
    const held = kernel.heldSyscall;
    if (held?.proc === proc) return describeSyscall(kernel, proc, held.request);
    const on = proc.blockedOn;
    if (proc.state === "blocked" && on) {
      if (on.kind === "receive") return `SYS_RECV_WAIT on endpoint ${on.endpointId} (slot ${on.slot}): waiting for a message`;
      if (on.kind === "reply") return `SYS_CALL to endpoint ${on.endpointId}: waiting for the reply${on.server !== undefined ? ` from pid ${on.server}` : ""}`;
      return `looking up service "${on.service}": waiting for it to register`;
    }
    if (proc.state === "running") return this.source.pause?.pid === pid ? "running driver code: paused in the inspector" : "running driver code (stops at its next syscall)";
    if (proc.state === "ready") return proc.syscalls === 0 ? "ready: not started yet" : "ready: its last syscall has returned";
    return `${proc.state}`;
  }

  capabilities(pid: number): InspectItem[] {
    if (this.faultSnapshot?.pid === pid) return this.faultSnapshot.caps;
    const kernel = this.session?.kernel;
    const proc = kernel?.processes.get(pid);
    return kernel && proc ? describeCaps(kernel, proc) : [];
  }

  ipcQueues(pid: number): InspectItem[] {
    const kernel = this.session?.kernel;
    const proc = kernel?.processes.get(pid);
    if (!kernel || !proc) return [];
    return [...proc.endpoints].flatMap((id) => {
      const ep = kernel.endpoints.get(id);
      if (!ep) return [];
      const children = ep.queue.map((m, i) => ({ name: `[${i}]`, value: describeMessage(m) }));
      const waiters = ep.waiters.length ? `, waiters: ${ep.waiters.map((w) => `pid ${w}`).join(", ")}` : "";
      return [{ name: `endpoint ${ep.id}`, value: `${ep.queue.length} queued, ${ep.delivered} delivered, high water ${ep.highWater}${waiters}`, children }];
    });
  }

  /** The bound virtio device's registers, decoded; empty for a process without one (or PIO devices). */
  deviceRegisters(pid: number): InspectItem[] {
    const proc = this.session?.kernel.processes.get(pid);
    const machine = this.machine;
    const device = proc?.device;
    if (!machine || !device || machine.devices.find((d) => d.name === device)?.kind !== "virtio-mmio") return [];
    return describeVirtio(device, machine.inspect(device));
  }

  // ── where to stop ────────────────────────────────────────────────────────────────────────────

  private beforeSyscall(proc: KernelProcess, request: SyscallRequest): boolean {
    this.lastSyscall.set(proc.pid, request);
    if (!this.conditions.some((c) => c.kind === "syscall" && c.num === request.num)) return false;
    this.stopped({ reason: "function breakpoint", pid: proc.pid, description: `Breakpoint on ${syscallName(request.num)}` });
    return true;
  }

  private onDeliver(ep: Endpoint, message: Message): void {
    const kernel = this.session?.kernel;
    if (!kernel || kernel.paused || !this.conditions.some((c) => c.kind === "tag" && c.tag === message.tag)) return;
    // The message is already on its way: the machine stops right after this step, on the receiver.
    kernel.pauseScheduling();
    const what = isIrqTag(message.tag) ? `IRQ ${message.tag & 0xff}` : `IPC tag ${hex(message.tag)}`;
    this.stopped({ reason: "function breakpoint", pid: ep.owner, description: `Breakpoint on ${what}: ${describeMessage(message)} to endpoint ${ep.id} (pid ${ep.owner})` });
  }

  private kernelOutput(): KernelOutput {
    return {
      console: (_p, text) => this.listener.output("stdout", text),
      debug: (p, text) => this.listener.output("stderr", `[${p.name}] ${text}${text.endsWith("\n") ? "" : "\n"}`),
      fault: (p, fault) => {
        this.source.forget(p.pid);
        this.listener.output("stderr", `${p.name} (pid ${p.pid}) ${fault.kind}: ${fault.message}\n`);
        this.onFault(p, fault);
      },
    };
  }

  /** Called before the kernel tears the process down: the views keep a picture of it. */
  private onFault(proc: KernelProcess, fault: Fault): void {
    const kernel = this.session?.kernel;
    if (!kernel || kernel.paused) return;
    const violation = fault.kind === "capability-violation";
    const filter = violation ? ExceptionFilter.capabilityViolation : ExceptionFilter.driverFault;
    if (!this.filters.has(filter)) return;
    const last = this.lastSyscall.get(proc.pid);
    const v = violation ? [...kernel.violations].reverse().find((x) => x.pid === proc.pid) : undefined;
    const description = v
      ? `Capability violation: ${v.syscall} at ${hex(v.address)} is outside the grant ${v.grant}: ${v.message}`
      : `Driver fault (${fault.kind}): ${fault.message}`;
    this.faultSnapshot = { pid: proc.pid, caps: describeCaps(kernel, proc), frame: last ? describeSyscall(kernel, proc, last) : fault.message };
    kernel.pauseScheduling();
    this.stopped({ reason: "exception", pid: proc.pid, description, exceptionId: filter });
  }

  /** Report a stop after the kernel's current step finishes (hooks run inside the scheduler). */
  private stopped(stop: StopInfo): void {
    this.stop = stop;
    setImmediate(() => this.listener.stopped(stop));
  }
}

// ── parsing and describing ─────────────────────────────────────────────────────────────────────

/** "SYS_SEND" / "send", "tag:0x6000", "irq:3"; a string is the reason a name is not understood. */
export function parseBreakpoint(name: string): BreakCondition | string {
  const text = name.trim();
  const tag = /^tag:\s*(0x[0-9a-f]+|\d+)$/i.exec(text);
  if (tag) return { kind: "tag", tag: Number(tag[1]) };
  const irq = /^irq:\s*(\d+)$/i.exec(text);
  if (irq) return { kind: "tag", tag: irqTag(Number(irq[1])) };
  const key = text.toUpperCase().replace(/^SYS_/, "");
  if (Object.prototype.hasOwnProperty.call(Sys, key)) return { kind: "syscall", num: Sys[key as keyof typeof Sys] };
  return `"${name}" is not a syscall (e.g. SYS_SEND, SYS_MMIO_WRITE), an IPC tag (tag:0x6000) or an IRQ (irq:3)`;
}

/** "SYS_MMIO_WRITE 0x70 (Status) ← 0xf on virtio-rng0" and the like. */
export function describeSyscall(kernel: Kernel, proc: KernelProcess, req: SyscallRequest): string {
  const name = syscallName(req.num);
  const hw = (slot: number) => {
    const cap = proc.cspace.get(slot);
    return cap ? kernel.hardware.get(cap.objectId) : undefined;
  };
  switch (req.num) {
    case Sys.MMIO_WRITE:
    case Sys.MMIO_READ: {
      const obj = hw(req.a0);
      const where = obj?.type === "memory" ? ` on ${obj.device}` : ` through slot ${req.a0}`;
      const reg = obj?.type === "memory" ? registerName(req.a1) : "";
      if (req.num === Sys.MMIO_READ) return `${name} ${hex(req.a1)}${reg} (${req.a2} bytes)${where}`;
      return `${name} ${hex(req.a1)}${reg} ← ${hex(Number(littleEndian(req.payload)))}${req.a1 === Reg.Status ? ` (${statusNames(Number(littleEndian(req.payload)))})` : ""}${where}`;
    }
    case Sys.OUT8:
    case Sys.OUT16:
    case Sys.OUT32:
      return `${name} port ${hex(req.a1)} ← ${hex(req.a2 >>> 0)}`;
    case Sys.IN8:
    case Sys.IN16:
    case Sys.IN32:
      return `${name} port ${hex(req.a1)}`;
    case Sys.SEND:
    case Sys.CALL:
    case Sys.SEND_CAP:
      return `${name} tag ${hex(req.a1)} (${req.payload.length} bytes) through slot ${req.a0}${endpointOf(kernel, proc, req.a0)}`;
    case Sys.RECV:
    case Sys.RECV_WAIT:
      return `${name} through slot ${req.a0}${endpointOf(kernel, proc, req.a0)}`;
    case Sys.REPLY:
      return `${name} to pid ${req.a0} tag ${hex(req.a1)} (${req.payload.length} bytes)`;
    case Sys.CONSOLE_WRITE:
    case Sys.DEBUG:
      return `${name} ${JSON.stringify(new TextDecoder().decode(req.payload).slice(0, 160))}`;
    case Sys.IRQ_ACK:
    case Sys.IRQ_MASK:
    case Sys.IRQ_UNMASK: {
      const obj = hw(req.a0);
      return `${name} ${obj?.type === "irq" ? `line ${obj.line}` : `slot ${req.a0}`}`;
    }
    case Sys.EXIT:
      return `${name} code ${req.a0 | 0}`;
    default:
      return `${name}(${hex(req.a0)}, ${hex(req.a1)}, ${hex(req.a2)})`;
  }
}

function describeCaps(kernel: Kernel, proc: KernelProcess): InspectItem[] {
  return proc.cspace.entries().map(([slot, cap]) => ({
    name: `slot ${slot}`,
    value: `${objectTypeName(cap.objectType)} ${permString(cap.perms)}: ${grantOf(kernel, cap)}`,
    children: [
      { name: "type", value: objectTypeName(cap.objectType) },
      { name: "object", value: String(cap.objectId) },
      { name: "rights", value: permString(cap.perms) },
      { name: "grant", value: grantOf(kernel, cap) },
      { name: "id", value: String(cap.id) },
      { name: "generation", value: String(cap.generation) },
      { name: "expires", value: cap.expiresAt === 0 ? "never" : `${cap.expiresAt} ns` },
      { name: "parent", value: cap.parent === undefined ? "root" : `cap ${cap.parent}` },
    ],
  }));
}

/** What the capability's object is, in words. */
function grantOf(kernel: Kernel, cap: Capability): string {
  if (cap.objectType === ObjectType.Endpoint) {
    const ep = kernel.endpoints.get(cap.objectId);
    return ep ? `endpoint ${ep.id} (owner pid ${ep.owner})` : `endpoint ${cap.objectId} (gone)`;
  }
  if (cap.objectType === ObjectType.Process) return `process pid ${cap.objectId}`;
  const obj = kernel.hardware.get(cap.objectId);
  if (!obj) return `object ${cap.objectId}`;
  switch (obj.type) {
    case "memory":
      return `MMIO ${hex(obj.base)}+${hex(obj.size)} (${obj.device})`;
    case "ports":
      return `ports ${hex(obj.first)}–${hex(obj.last)}${obj.device ? ` (${obj.device})` : ""}`;
    case "irq":
      return `IRQ ${obj.line} → endpoint ${obj.endpointId}${obj.masked ? ", masked" : ""}${obj.pending ? ", pending" : ""}`;
    case "dma":
      return `DMA ${hex(obj.region.phys)}+${hex(obj.region.size)}`;
  }
}

function describeVirtio(device: string, s: VirtioTransportSnapshot): InspectItem[] {
  return [
    { name: "device", value: device },
    { name: "Status", value: `${hex(s.status)} (${statusNames(s.status)})` },
    { name: "InterruptStatus", value: hex(s.interruptStatus) },
    { name: "needsReset", value: String(s.needsReset) },
    { name: "DeviceFeatures", value: `0x${s.offeredFeatures.toString(16)}` },
    { name: "DriverFeatures", value: `0x${s.driverFeatures.toString(16)}` },
    { name: "ConfigGeneration", value: String(s.configGeneration) },
    {
      name: "queues",
      value: `${s.queues.length}`,
      children: s.queues.map((q, i) => ({
        name: `[${i}] ${q.name}`,
        value: `size ${q.size}/${q.maxSize}, ${q.ready ? "ready" : "not ready"}, desc ${hex(q.descAddr)}, avail ${hex(q.driverAddr)}, used ${hex(q.deviceAddr)}`,
      })),
    },
  ];
}

function describeMessage(m: Message): string {
  const from = m.sender === 0 ? "kernel" : `pid ${m.sender}`;
  return `tag ${hex(m.tag)} from ${from}, ${m.payload.length} bytes${m.callFrom !== undefined ? " (CALL)" : ""}${m.caps?.length ? `, ${m.caps.length} caps` : ""}`;
}

function endpointOf(kernel: Kernel, proc: KernelProcess, slot: number): string {
  const cap = proc.cspace.get(slot);
  if (!cap || cap.objectType !== ObjectType.Endpoint) return "";
  const ep = kernel.endpoints.get(cap.objectId);
  return ep ? ` (endpoint ${ep.id}, owner pid ${ep.owner})` : "";
}

const regNames = new Map<number, string>(Object.entries(Reg).map(([k, v]) => [v, k]));
function registerName(offset: number): string {
  const name = regNames.get(offset);
  return name ? ` (${name})` : "";
}

function littleEndian(bytes: Uint8Array): bigint {
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]);
  return v;
}

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

function firstAlive(kernel: Kernel): KernelProcess | undefined {
  return [...kernel.processes.values()].find((p) => p.alive);
}

function isNodeError(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && "code" in error;
}

/** Resolve launch.json's program attributes to absolute paths that exist, or say which is wrong. */
export function resolvePrograms(cwd: string, program: unknown, programs: unknown): string[] {
  const list: unknown[] = [];
  if (program !== undefined) list.push(program);
  if (programs !== undefined) {
    if (!Array.isArray(programs)) throw new LaunchError(`"programs" must be an array of paths (got ${JSON.stringify(programs)}).`);
    list.push(...(programs as unknown[]));
  }
  if (list.length === 0) throw new LaunchError(`Set "program" to a driver folder (with index.ts) or a .ts/.js file, or "programs" to several of them.`);
  return list.map((p, i) => {
    const attr = program !== undefined && i === 0 ? "program" : "programs";
    if (typeof p !== "string" || p.length === 0) throw new LaunchError(`"${attr}" must be a path string (got ${JSON.stringify(p)}).`);
    const abs = path.resolve(cwd, p);
    if (!fs.existsSync(abs)) throw new LaunchError(`"${attr}": ${abs} does not exist. Point it at a driver folder (with index.ts) or a .ts/.js file, e.g. "\${workspaceFolder}/drivers/virtio-rng".`);
    return abs;
  });
}
