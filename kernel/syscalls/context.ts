// The kernel as the syscall handlers see it: what they may ask and change, by name, instead of the
// Kernel's tables and counters. Kernel implements it; a handler never imports the Kernel class.

import type { DmaRegion, MachineHandle } from "../../devices/machine-interface";
import type { AdapterPort } from "../adapters/hub";
import type { CommitBody } from "../axiom/commitlog";
import type { CapabilityKeeper } from "../capability-keeper";
import type { IpcDelivery } from "../ipc-delivery";
import type { Init } from "../init";
import type { KernelOutput, MessageLimits, Violation } from "../kernel-types";
import type { Quota } from "../limit-book";
import type { LimitsInForce } from "../limits";
import type { Endpoint, HardwareObject } from "../objects";
import type { Fault, KernelProcess } from "../process";
import type { Outcome } from "./outcome";
import type { FaultDetails } from "../fault-source";

export interface SyscallContext {
  // ── time, randomness, output, limits in force ──
  now(): number;
  randomBytes(n: number): Uint8Array;
  readonly output: KernelOutput;
  /** Message size and capability limits. */
  readonly limits: MessageLimits;
  /** Per-process limits (machine description "limits"). */
  readonly resources: LimitsInForce;
  /** Counting what a process holds against its limits, and refusing by name. */
  readonly quota: Quota;
  /** The machine as the driver syscalls reach it. */
  readonly machine: Pick<MachineHandle, "mmioRead" | "mmioWrite" | "portRead" | "portWrite" | "allocateDma" | "clock">;
  /** Init's side of STARTUP and of a CALL to its endpoint. */
  readonly init: Pick<Init, "startup" | "call">;

  // ── looking things up ──
  process(pid: number): KernelProcess | undefined;
  liveProcesses(): KernelProcess[];
  endpoint(id: number): Endpoint | undefined;
  hardwareObject(id: number): HardwareObject | undefined;

  // ── capabilities ──
  /** Place, remove, revoke and check capabilities (kernel/capability-keeper.ts). */
  readonly capabilities: Pick<
    CapabilityKeeper,
    "check" | "newCapability" | "insertCap" | "place" | "removeCap" | "revoke" | "revokeTree"
  >;
  commit(body: CommitBody): void;

  // ── IPC ──
  createEndpoint(owner: KernelProcess): Endpoint;
  destroyEndpoint(id: number): void;
  /** Queue and hand over messages (kernel/ipc-delivery.ts). */
  readonly ipc: Pick<IpcDelivery, "deliver" | "dequeue" | "receive" | "wire">;
  /** One IPC message exchanged (RunSummary.ipcMessages). */
  countIpcMessage(): void;

  // ── blocking ──
  block(proc: KernelProcess, on: NonNullable<KernelProcess["blockedOn"]>): Outcome;
  wake(proc: KernelProcess, result: number, payload?: Uint8Array): void;

  // ── hardware ──
  addHardware(object: HardwareObject): number;
  removeHardware(object: HardwareObject): void;
  reArmIrq(irq: HardwareObject & { type: "irq" }): void;
  refreshIommu(proc: KernelProcess): void;
  freeDma(proc: KernelProcess, region: DmaRegion): void;

  // ── platform adapters ──
  /** Storage and network requests (kernel/adapters/hub.ts); absent in a kernel with none attached. */
  readonly adapters: AdapterPort | undefined;

  // ── ending a process ──
  /** Capability violations so far (kernel/violations.ts records them). */
  readonly violations: Violation[];
  fault(
    proc: KernelProcess,
    kind: Fault["kind"],
    reason: number,
    message: string,
    details?: FaultDetails,
  ): Fault | undefined;
  exit(proc: KernelProcess, code: number): void;
}
