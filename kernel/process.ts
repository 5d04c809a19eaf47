// The kernel's record of one process.

import { CSpace } from "./cspace";
import type { DriverManifest } from "./abi/manifest";
import type { DmaRegion } from "../devices/machine-interface";
import type { DiagnosticCode } from "./abi/diagnostics";
import type { BundleSource, SourcePosition, StackFrame } from "./loader/source-map";

export type ProcessState = "starting" | "ready" | "running" | "blocked" | "exited" | "faulted";

export const FaultReason = {
  INVALID_SYSCALL: 1,
  MEMORY_VIOLATION: 2,
  CAPABILITY_VIOLATION: 3,
  PANIC: 4,
  TIMEOUT: 5,
  UNKNOWN: 0xff,
} as const;

/** Where a fault happened in the driver's TypeScript, and what `zds check` calls the same mistake. */
export interface FaultSource {
  /** The rule of docs/diagnostics.md this fault is the run-time verdict of (ZDS101, ZDS201…). */
  code?: DiagnosticCode;
  /** What to change, as that rule's quick fix says it. */
  fix?: string;
  /** The driver's line: its innermost frame of its own code, or the manifest entry Init refused. */
  source?: SourcePosition;
  /** Every frame of the stack, innermost first: the driver's, the SDK's, the worker's and Node's. */
  frames?: StackFrame[];
  /** More problems of the same fault (a manifest Init refuses for several reasons), each placed. */
  problems?: { message: string; code?: DiagnosticCode; source?: SourcePosition }[];
}

export interface Fault extends FaultSource {
  reason: number;
  kind:
    | "invalid-syscall"
    | "memory-violation"
    | "capability-violation"
    | "panic"
    | "watchdog"
    | "startup"
    | "worker"
    | "killed"
    | "injected"
    | "memory-limit"
    | "stack-overflow";
  message: string;
  /** Virtual time of the fault. */
  at: number;
}

/** The result a process will see when it next gets the run token. */
export interface PendingResult {
  result: number;
  payload?: Uint8Array;
  attachment?: SharedArrayBuffer;
  /** SysLog id of the request being answered (undefined for the start token). */
  requestId?: number;
}

/** What a blocked process waits for. */
export type BlockedOn =
  /** `slot` is the read capability it waits through: receiving is a use of it, so losing it
   *  (revoked) or its expiry ends the wait instead of delivering. */
  | { kind: "receive"; endpointId: number; slot: number; requestId: number }
  | { kind: "reply"; endpointId: number; requestId: number; server?: number }
  | { kind: "lookup"; service: string; requestId: number };

export interface ProcessHost {
  resume(result: number, payload?: Uint8Array, attachment?: SharedArrayBuffer): void;
  terminate(): void;
  /** The driver's stack while it waits in a syscall (a script's worker; kernel/host/worker-process.ts). */
  captureStack?(): string | undefined;
  /** Resolves once the process's thread is really gone (hosts without threads may omit it). */
  closed?(): Promise<void>;
}

export class KernelProcess {
  state: ProcessState = "starting";
  readonly cspace = new CSpace();
  exitCode: number | undefined;
  readonly faults: Fault[] = [];
  manifest: DriverManifest | undefined;
  /** Name of the device init bound this process to. */
  device: string | undefined;
  /** DMA bytes the manifest allows; DMA_ALLOC draws from it. */
  dmaBudget = 0;
  readonly dmaRegions: DmaRegion[] = [];
  pending: PendingResult | undefined = { result: 0 };
  blockedOn: BlockedOn | undefined;
  /** PIDs whose CALLs this process received and has not yet answered. */
  readonly owedReplies = new Set<number>();
  /** Syscalls made, for views and summaries. */
  syscalls = 0;
  /** This process's own watchdog limit (from its supervision policy), if any. */
  watchdogMs: number | undefined;
  /** The PID this process restarts, when the supervisor started it again. */
  restartOf: number | undefined;
  /** Reads the driver bundle's stacks back as its TypeScript (script programs; set by the session). */
  symbols: BundleSource | undefined;
  /** Manifest capability names by slot (Init's grants), for messages in the words of `zds check`. */
  readonly capNames = new Map<number, string>();
  /** Endpoint ids created for this process by name: input, output, services, IRQ notifications. */
  readonly endpoints = new Set<number>();

  constructor(
    readonly pid: number,
    public name: string,
    readonly host: ProcessHost,
    /** Where the program came from (a path), for messages. */
    readonly source: string,
  ) {}

  get alive(): boolean {
    return this.state !== "exited" && this.state !== "faulted";
  }
}
