// Where the machine stops, decided at the kernel's hook points: function breakpoints (syscall, IPC
// tag, IRQ), exception filters (capability violation, driver fault, device error, DMA fault, IRQ
// misuse) with their conditions, data breakpoints, and stepping by syscall or by event. Each rule
// returns a decision; stop-hooks.ts carries it out (pauses the machine, the worker, reports the stop).
// Knows nothing of DAP.

import type { DeviceEvent } from "../../devices";
import { checkMmioAccess, checkPortAccess, ObjectType, permString } from "../abi/caps";
import { Sys, syscallName } from "../abi/syscalls";
import { isIrqTag } from "../abi/tags";
import type { Kernel } from "../kernel";
import type { Endpoint, Message } from "../objects";
import type { Fault, KernelProcess } from "../process";
import type { SyscallRequest } from "../worker/mailbox";
import {
  ExceptionFilter,
  isExceptionFilter,
  parseBreakpoint,
  parseStopCondition,
  type BreakCondition,
  type ExceptionFilterId,
  type StopCondition,
} from "./conditions";
import { DataWatch } from "./data-watch";
import { describeMessage, describeSyscall, hex } from "./describe";
import { accessMessage, decodeFaultReport, FaultFormat, rightsText, type DiagnosticCode } from "../abi/diagnostics";
import { faultSummary } from "../fault-text";

export type StopReason =
  "entry" | "pause" | "function breakpoint" | "exception" | "breakpoint" | "step" | "data breakpoint";

export interface StopDecision {
  pid: number;
  reason: StopReason;
  /** One line for the UI: what stopped the machine. */
  description: string;
  /** The exception filter that matched, for exception stops. */
  exceptionId?: ExceptionFilterId;
  /** Pause the process's worker so the stop shows its driver line (false: nothing to show). */
  source: boolean;
  /** The stop comes before a fault the kernel will carry out on continue: do not stop on it twice. */
  expectFault?: boolean;
  /** An uncaught exception's stack text (SYS_FAULT): the frames are mapped from it. */
  stack?: string;
}

export interface FunctionBreakpointResult {
  name: string;
  verified: boolean;
  message?: string;
}

export interface ExceptionFilterSetting {
  filterId: string;
  condition?: string;
}

export class StopRules {
  private conditions: BreakCondition[] = [];
  private filters = new Map<ExceptionFilterId, StopCondition>();
  /** The pid whose next syscall ends an instruction step. */
  stepSyscall: number | undefined;
  /** True while stepping to the next IPC message or interrupt. */
  stepEvent = false;

  constructor(readonly data: DataWatch) {}

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

  /** Filters with optional conditions; the strings returned explain the ones refused. */
  setExceptionFilters(settings: readonly ExceptionFilterSetting[]): (string | undefined)[] {
    this.filters = new Map();
    return settings.map((s) => {
      if (!isExceptionFilter(s.filterId)) return `unknown exception filter "${s.filterId}"`;
      const condition = parseStopCondition(s.condition);
      if (typeof condition === "string") return condition;
      this.filters.set(s.filterId, condition);
      return undefined;
    });
  }

  private wants(
    filter: ExceptionFilterId,
    proc: KernelProcess | undefined,
    description: string,
    device?: string,
  ): boolean {
    const condition = this.filters.get(filter);
    if (!condition) return false;
    return condition({ pid: proc?.pid ?? 0, process: proc?.name ?? "", device: device ?? proc?.device, description });
  }

  /** Before `proc`'s syscall is carried out; a decision holds the syscall until continue. */
  beforeSyscall(kernel: Kernel, proc: KernelProcess, req: SyscallRequest): StopDecision | undefined {
    const doing = () => describeSyscall(kernel, proc, req);
    const stop = (reason: StopReason, description: string, extra: Partial<StopDecision> = {}): StopDecision => ({
      pid: proc.pid,
      reason,
      description,
      source: true,
      ...extra,
    });

    if (this.stepSyscall === proc.pid) {
      this.stepSyscall = undefined;
      return stop("step", `Stepped to the next syscall: ${doing()}`);
    }
    if (this.conditions.some((c) => c.kind === "syscall" && c.num === req.num))
      return stop("function breakpoint", `Breakpoint on ${syscallName(req.num)}: ${doing()}`);
    const violation = predictViolation(kernel, proc, req);
    if (violation) {
      const description = `Capability violation: ${syscallName(req.num)} at ${hex(violation.address)} is outside the grant ${violation.grant}: ${violation.code} ${violation.message}`;
      if (this.wants(ExceptionFilter.capabilityViolation, proc, description))
        return stop("exception", description, { exceptionId: ExceptionFilter.capabilityViolation, expectFault: true });
    }
    const misuse = irqMisuse(kernel, proc, req);
    if (misuse && this.wants(ExceptionFilter.irqMisuse, proc, misuse))
      return stop("exception", misuse, { exceptionId: ExceptionFilter.irqMisuse });
    if (req.num === Sys.FAULT) {
      // The SDK's report (a1 = 1: JSON with a code) or the fault path's stack text.
      const text = new TextDecoder().decode(req.payload);
      const report = req.a1 === FaultFormat.REPORT ? decodeFaultReport(text) : undefined;
      const stack = report?.stack ?? text;
      const headline = stack.split("\n")[0].replace(/^(CapabilityViolation|DriverError): /, "");
      // A violation the SDK found (ZDS103, ZDS201) is a capability violation, as one the kernel finds.
      const filter = report?.violation ? ExceptionFilter.capabilityViolation : ExceptionFilter.driverFault;
      const description = report?.violation
        ? `Capability violation: ${report.code ? `${report.code} ` : ""}${headline}`
        : `Driver fault (panic${report?.code ? ` ${report.code}` : ""}): ${headline}`;
      if (this.wants(filter, proc, description))
        return stop("exception", description, {
          exceptionId: filter,
          expectFault: true,
          stack,
          source: false,
        });
    }
    const access = this.data.checkSyscall(kernel, proc, req, doing);
    if (access) return stop("data breakpoint", access.description);
    if (this.data.watchesDma) {
      const hit = this.data.checkDma(proc, (addr) => dmaOwner(kernel, addr));
      if (hit)
        return {
          pid: hit.pid,
          reason: "data breakpoint",
          description: `${hit.description}; now: ${doing()}`,
          source: true,
        };
    }
    return undefined;
  }

  /** Before the run token goes to `proc`: only devices ran since the last syscall. */
  beforeRun(kernel: Kernel): StopDecision | undefined {
    if (!this.data.watchesDma) return undefined;
    const hit = this.data.checkDma(undefined, (addr) => dmaOwner(kernel, addr));
    return hit && { pid: hit.pid, reason: "data breakpoint", description: hit.description, source: true };
  }

  /** A message (IPC or an interrupt) is about to reach `ep`; a decision stops on its receiver. */
  onDeliver(kernel: Kernel, ep: Endpoint, message: Message): StopDecision | undefined {
    const what = isIrqTag(message.tag) ? `IRQ ${message.tag & 0xff}` : `IPC tag ${hex(message.tag)}`;
    const detail = `${describeMessage(message)} to endpoint ${ep.id} (pid ${ep.owner})`;
    if (this.stepEvent && kernel.processes.get(ep.owner)?.alive) {
      this.stepEvent = false;
      return { pid: ep.owner, reason: "step", description: `Next event: ${what}: ${detail}`, source: true };
    }
    if (this.conditions.some((c) => c.kind === "tag" && c.tag === message.tag))
      return {
        pid: ep.owner,
        reason: "function breakpoint",
        description: `Breakpoint on ${what}: ${detail}`,
        source: true,
      };
    return undefined;
  }

  /** A device noticed a driver error, entered NEEDS_RESET, or a DMA access was refused. */
  onDeviceEvent(kernel: Kernel, event: DeviceEvent): StopDecision | undefined {
    const proc = [...kernel.processes.values()].find((p) => p.alive && p.device === event.device);
    if (!proc) return undefined;
    if (event.kind === "dma-fault") {
      const description = `DMA fault on ${event.device}: ${event.write ? "write" : "read"} of ${hex(event.address)}+${event.length}: ${event.detail}`;
      if (this.wants(ExceptionFilter.dmaFault, proc, description, event.device))
        return { pid: proc.pid, reason: "exception", description, exceptionId: ExceptionFilter.dmaFault, source: true };
      return undefined;
    }
    if (event.kind === "needs-reset" || event.kind === "driver-error") {
      const description =
        event.kind === "needs-reset"
          ? `Device error on ${event.device} (NEEDS_RESET): ${event.reason}`
          : `Device error on ${event.device}: ${event.message}`;
      if (this.wants(ExceptionFilter.deviceError, proc, description, event.device))
        return {
          pid: proc.pid,
          reason: "exception",
          description,
          exceptionId: ExceptionFilter.deviceError,
          source: true,
        };
    }
    return undefined;
  }

  /** A fault the kernel is carrying out now (the process is torn down right after). */
  onFault(proc: KernelProcess, fault: Fault, violation: string | undefined): StopDecision | undefined {
    const isViolation = fault.kind === "capability-violation";
    const filter = isViolation ? ExceptionFilter.capabilityViolation : ExceptionFilter.driverFault;
    const description =
      isViolation && violation ? violation : `Driver fault: ${faultSummary(fault, { absolute: true })}`;
    if (!this.wants(filter, proc, description)) return undefined;
    return { pid: proc.pid, reason: "exception", description, exceptionId: filter, source: false };
  }
}

/** The violation a register or port access would be, checked with the kernel's own rules (the
 *  same module the kernel uses) before the kernel carries it out. */
export function predictViolation(
  kernel: Kernel,
  proc: KernelProcess,
  req: SyscallRequest,
): { address: number; grant: string; message: string; code: DiagnosticCode } | undefined {
  const mmio = req.num === Sys.MMIO_READ || req.num === Sys.MMIO_WRITE;
  const portWidth = (
    { [Sys.IN8]: 1, [Sys.OUT8]: 1, [Sys.IN16]: 2, [Sys.OUT16]: 2, [Sys.IN32]: 4, [Sys.OUT32]: 4 } as Record<
      number,
      number
    >
  )[req.num];
  if (!mmio && portWidth === undefined) return undefined;
  const check = proc.cspace.check(req.a0, 0, mmio ? ObjectType.Memory : ObjectType.IoPort, kernel.now());
  if (!check.ok) return undefined;
  const obj = kernel.hardware.get(check.cap.objectId);
  const perms = check.cap.perms;
  if (mmio && obj?.type === "memory") {
    const write = req.num === Sys.MMIO_WRITE;
    const problem = checkMmioAccess({ base: obj.base, size: obj.size, perms }, req.a1, req.a2, write);
    if (problem?.severity !== "violation") return undefined;
    // In the words of `zds check` and of the fault the kernel will record (kernel/syscalls/hardware.ts).
    const { code, message } = accessMessage(problem, {
      call: `${write ? "write" : "read"}${8 * req.a2}(${hex(req.a1)}${write ? ", …" : ""})`,
      grant: {
        kind: "mmio",
        name: proc.capNames.get(req.a0) ?? `slot ${req.a0}`,
        size: obj.size,
        rights: rightsText(perms),
      },
      space: "mmio",
      effect: write ? "write" : "read",
      offset: req.a1,
      width: req.a2,
      end: obj.size,
    });
    return {
      address: obj.base + req.a1,
      grant: `MMIO ${hex(obj.base)}+${hex(obj.size)} ${permString(perms)} (${obj.device})`,
      message,
      code,
    };
  }
  if (!mmio && obj?.type === "ports" && portWidth !== undefined) {
    const write = req.num === Sys.OUT8 || req.num === Sys.OUT16 || req.num === Sys.OUT32;
    const problem = checkPortAccess({ first: obj.first, last: obj.last, perms }, req.a1, portWidth, write);
    if (problem?.severity !== "violation") return undefined;
    const { code, message } = accessMessage(problem, {
      call: `${write ? "out" : "in"}${8 * portWidth}(${hex(req.a1)}${write ? ", …" : ""})`,
      grant: {
        kind: "ports",
        name: proc.capNames.get(req.a0) ?? `slot ${req.a0}`,
        first: obj.first,
        last: obj.last,
        rights: rightsText(perms),
      },
      space: "ports",
      effect: write ? "write" : "read",
      offset: req.a1,
      width: portWidth,
      end: obj.last,
    });
    return {
      address: req.a1,
      grant: `ports ${hex(obj.first)}–${hex(obj.last)} ${permString(perms)}`,
      message,
      code,
    };
  }
  return undefined;
}

/** IRQ_ACK with no interrupt pending: a double acknowledge, or one before any interrupt came. */
function irqMisuse(kernel: Kernel, proc: KernelProcess, req: SyscallRequest): string | undefined {
  if (req.num !== Sys.IRQ_ACK) return undefined;
  const cap = proc.cspace.get(req.a0);
  const obj = cap?.objectType === ObjectType.Irq ? kernel.hardware.get(cap.objectId) : undefined;
  if (obj?.type !== "irq" || obj.pending) return undefined;
  const why =
    obj.delivered > 0
      ? `a double acknowledge: its last interrupt (of ${obj.delivered} delivered) was already acknowledged`
      : "an acknowledge before any interrupt was delivered";
  return `IRQ misuse: SYS_IRQ_ACK of line ${obj.line} with no interrupt pending (${why})`;
}

/** The live process whose DMA memory holds `addr`. */
export function dmaOwner(kernel: Kernel, addr: number): KernelProcess | undefined {
  for (const p of kernel.processes.values()) {
    if (p.alive && p.dmaRegions.some((r) => addr >= r.phys && addr < r.phys + r.size)) return p;
  }
  return undefined;
}
