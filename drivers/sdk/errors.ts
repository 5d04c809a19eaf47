// The errors the SDK throws. Each names what failed in the driver author's terms (the call, the
// capability, the rule of the kernel it broke) and, where `zds check` has a rule for the same
// mistake, carries its code (docs/diagnostics.md), so that a fault report reads as the editor does.

import {
  describeError,
  encodeFaultReport,
  FaultFormat,
  Sys,
  syscallName,
  syscallRule,
  utf8Encode,
  type DiagnosticCode,
  type FaultReport,
  type SyscallGate,
} from "../../kernel/abi";

/** What a failed syscall was, in the caller's terms, when the SDK can say more than the errno. */
export interface FailureContext {
  /** Replaces the generic text: the call and the rule (`read32(0x71): MMIO read of 4 bytes … not aligned`). */
  message?: string;
  /** The static rule that predicts this failure. */
  code?: DiagnosticCode;
  /** Said before the syscall's name: `ack() on IRQ "irq" (line 3)`. */
  call?: string;
}

/** A syscall made through the SDK returned -E_*. `errno` is the positive code (Errno.E_BADF = 7, …).
 *  The message says which rule of the kernel the call broke, when the errno tells it. */
export class SyscallFailedError extends Error {
  readonly syscall: string;
  readonly errno: number;
  /** The rule of docs/diagnostics.md that predicts this failure, if one does (ZDS104, ZDS105). */
  readonly code: DiagnosticCode | undefined;

  constructor(num: number, result: number, context: FailureContext = {}) {
    const syscall = syscallName(num);
    const rule = syscallRule(num, result);
    const base = `${syscall} failed: ${describeError(result)}`;
    super(
      context.message !== undefined
        ? `${context.message} (${base})`
        : `${context.call ? `${context.call}: ` : ""}${base}${rule ? `: ${rule}` : ""}`,
    );
    this.name = "SyscallFailedError";
    this.syscall = syscall;
    this.errno = Math.abs(result);
    this.code = context.code;
  }
}

/** A mistake the SDK recognises before the kernel sees it (a method the handle does not have, an
 *  access width no grant allows), with the code and fix `zds check` gives the same mistake. */
export class DriverError extends Error {
  constructor(
    message: string,
    readonly code: DiagnosticCode | undefined,
    readonly fix?: string,
  ) {
    super(message);
    this.name = "DriverError";
  }
}

/** A capability violation the SDK finds in the driver's own process (a DMA access outside its
 *  buffer, a capability the manifest does not declare). It is never thrown to driver code: like a
 *  violation the kernel finds, it ends the driver on the spot (reportViolation). */
export class CapabilityViolation extends Error {
  constructor(
    message: string,
    readonly code: DiagnosticCode,
    readonly violation: { operation: string; address: number; grant: string },
    readonly fix?: string,
  ) {
    super(message);
    this.name = "CapabilityViolation";
  }
}

/** A service could not be registered, found or called (e.g. its driver died mid-call). */
export class ServiceError extends Error {
  readonly service: string;
  readonly errno: number;

  constructor(service: string, what: string, errno: number) {
    super(`${what} service "${service}" failed: ${describeError(errno)}`);
    this.name = "ServiceError";
    this.service = service;
    this.errno = errno;
  }
}

/** The kernel or Init answered with something the protocol does not allow: a kernel bug, not yours. */
export class ProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ProtocolError";
  }
}

/** The kernel asked this process to stop (Tag.SHUTDOWN): the machine is otherwise idle. Thrown out
 *  of whatever receive the driver is blocked in; defineDriver turns it into exit code 0, so a
 *  driver's serve loop needs no shutdown case of its own — just don't swallow this error. */
export class MachineShutdown extends Error {
  constructor() {
    super("the machine is shutting down");
    this.name = "MachineShutdown";
  }
}

/** The largest stack text a report carries (the mailbox holds 16 356 bytes). */
const REPORT_STACK_CHARS = 12_000;

/** End the driver with a report of `error` (SYS_FAULT with a FaultReport, docs/abi.md): its code,
 *  fix and, for a CapabilityViolation, what was violated, which the run counts. Never returns. */
export function reportFault(gate: SyscallGate, error: Error & { code?: unknown; fix?: unknown }): never {
  const report: FaultReport = {
    stack: String(error.stack ?? `${error.name}: ${error.message}`).slice(0, REPORT_STACK_CHARS),
  };
  if (typeof error.code === "string") report.code = error.code as DiagnosticCode;
  if (typeof error.fix === "string") report.fix = error.fix;
  if (error instanceof CapabilityViolation) report.violation = error.violation;
  const bytes = utf8Encode(encodeFaultReport(report));
  gate.syscall(Sys.FAULT, bytes.length, FaultFormat.REPORT, 0, bytes);
  // The kernel never answers FAULT.
  throw error;
}

/** Whether the run should hear of `error` as a report (it carries a code) rather than as a stack. */
export function isReportable(error: unknown): error is Error & { code?: unknown; fix?: unknown } {
  return (
    error instanceof CapabilityViolation ||
    error instanceof DriverError ||
    (error instanceof SyscallFailedError && error.code !== undefined)
  );
}
