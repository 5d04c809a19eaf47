// The Kernel's public shapes: its options, what it reports (violations, IOMMU views), the hooks a
// debugger and outside input attach, and what a worker host hands it. Apart from kernel.ts so that
// the modules split out of the kernel (syscall context, scheduling, limits) and its users name them
// without importing the Kernel class; kernel.ts re-exports them.

import type { DmaRegion, IommuMapping, MachineHandle } from "../devices/machine-interface";
import type { DiagnosticCode } from "./abi/diagnostics";
import type { SourcePosition } from "./loader/source-map";
import type { ResourceLimits } from "./limits";
import type { Endpoint, Message } from "./objects";
import type { Fault, KernelProcess } from "./process";
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
  /** The rule of docs/diagnostics.md it breaks (ZDS101 MMIO outside the window, ZDS103 DMA…). */
  code?: DiagnosticCode;
  /** The driver's line that made the access (through the bundle's source map). */
  source?: SourcePosition;
  /** Found by the SDK in the driver's own process (a DMA access, an undeclared capability), not by a syscall. */
  bySdk?: boolean;
}

export interface KernelOutput {
  console(process: KernelProcess, text: string): void;
  debug(process: KernelProcess, text: string): void;
  fault?(process: KernelProcess, fault: Fault): void;
  /** A line about the run itself rather than a process (the store was opened, recovered…). */
  note?(text: string): void;
}

export interface KernelOptions {
  machine: MachineHandle;
  seed: number;
  output: KernelOutput;
  /** Virtual time one syscall costs. */
  syscallCostNs?: number;
  /** Wall-clock ms a process may run without a syscall before the watchdog faults it. */
  watchdogMs?: number;
  /** Compatibility with the running browser kernel's larger message limits (16 384 bytes, 8 caps). */
  compat?: boolean;
  /** Per-process limits; default: the machine description's "limits" (kernel/limits.ts). */
  resources?: Partial<ResourceLimits>;
}

/** The IOMMU view the kernel last gave a device, for kernel/invariants.ts. */
export interface IommuViewRecord {
  pid: number;
  own: readonly DmaRegion[];
  shared: readonly IommuMapping[];
}

/** Message limits in force: the spec's by default, the running kernel's in compatibility mode. */
export interface MessageLimits {
  bytes: number;
  caps: number;
}

/** What a debugger (kernel/debug) attaches to the kernel. Both hooks run synchronously inside the
 *  scheduler; a hook that wants the machine to stop calls pauseScheduling() or returns true. */
export interface KernelDebugHooks {
  /** A syscall from the token holder, before it is carried out. Returning true holds it: scheduling
   *  pauses and the syscall is carried out (without asking again) on resumeScheduling(). */
  beforeSyscall?(proc: KernelProcess, request: SyscallRequest): boolean;
  /** A message (IPC or an interrupt notification) is about to reach an endpoint. */
  onDeliver?(ep: Endpoint, message: Message): void;
  /** The run token is about to go to `proc` (no driver code ran since the last syscall). Returning
   *  true pauses scheduling instead; `proc` stays ready and is asked about again on resume. */
  beforeRun?(proc: KernelProcess): boolean;
}

/** Outside input (kernel/console-input.ts) hooks into the scheduler: it is applied only at input
 *  points, so that a replay can apply it at the same ones. */
export interface OutsideInputHooks {
  /** The top of the scheduler's loop (nobody holds the run token): apply what is due. "hold":
   *  something due is not ready yet (host I/O, kernel/adapters/hub.ts): run nobody, kick() resumes. */
  atInputPoint(): void | "hold";
  /** Idle with no device event due. "more": input is ready, loop again; "wait": more may come,
   *  stay up (kick() resumes); "none": nothing will come, go on to shutdown. */
  whenIdle(): "more" | "wait" | "none";
}

/** A syscall the kernel holds while scheduling is paused. */
export interface HeldSyscall {
  proc: KernelProcess;
  request: SyscallRequest;
  /** True when the debug hook already saw it (it asked for the hold). */
  checked: boolean;
}

export interface WorkerEvents {
  onSyscall(request: SyscallRequest): void;
  onWorkerGone(reason: string, kind: "memory-limit" | "worker"): void;
}

/** Scheduler state and id counters, read-only, for kernel/invariants.ts (Kernel.internals()). */
export interface KernelInternals {
  running: KernelProcess | undefined;
  ready: ReadonlySet<KernelProcess>;
  nextPid: number;
  nextEndpointId: number;
  nextObjectId: number;
}
