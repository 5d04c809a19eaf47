// Capability violations: an access outside its grant the kernel finds in a syscall, or one the SDK
// finds in the driver's own process (a DMA access outside its buffer, a capability the manifest does
// not declare) and reports with SYS_FAULT. Either ends the driver and is counted in the run's
// summary, with its code (docs/diagnostics.md) and the driver's TypeScript line.

import { stackHeadline, type DiagnosticCode, type FaultReport } from "./abi/diagnostics";
import type { FaultDetails } from "./fault-source";
import type { Violation } from "./kernel-types";
import { FaultReason, type Fault, type KernelProcess } from "./process";
import type { Outcome } from "./syscalls/outcome";

/** What recording a violation needs of the kernel. */
export interface ViolationBook {
  readonly violations: Violation[];
  now(): number;
  fault(
    proc: KernelProcess,
    kind: Fault["kind"],
    reason: number,
    message: string,
    details?: FaultDetails,
  ): Fault | undefined;
}

/** A violation found in a syscall. Before the driver ends, its worker is asked where it was (the
 *  stack of the syscall, kernel/worker/mailbox.ts requestStack), so the report names its line. */
export function recordViolation(
  k: ViolationBook,
  proc: KernelProcess,
  found: { syscall: string; address: number; grant: string; message: string; code?: DiagnosticCode },
): Outcome {
  const { code, ...rest } = found;
  const v: Violation = { pid: proc.pid, process: proc.name, ...rest, at: k.now(), ...(code && { code }) };
  k.violations.push(v);
  const stack = proc.alive ? proc.host.captureStack?.() : undefined;
  const fault = k.fault(
    proc,
    "capability-violation",
    FaultReason.CAPABILITY_VIOLATION,
    `capability violation in ${v.syscall}: ${v.message}`,
    { code, stack },
  );
  if (fault?.source) v.source = fault.source;
  return { kind: "ended" };
}

/** A violation the SDK reported: counted like one the kernel finds. What the report says only
 *  concerns the reporting process itself (a driver can only put itself in the wrong). */
export function recordReportedViolation(k: ViolationBook, proc: KernelProcess, report: FaultReport): void {
  const violation = report.violation;
  if (!violation) return;
  const message = stackHeadline(report.stack).replace(/^CapabilityViolation: /, "");
  const v: Violation = {
    pid: proc.pid,
    process: proc.name,
    syscall: violation.operation,
    address: violation.address,
    grant: violation.grant,
    message,
    at: k.now(),
    bySdk: true,
    ...(report.code && { code: report.code }),
  };
  k.violations.push(v);
  const fault = k.fault(proc, "capability-violation", FaultReason.CAPABILITY_VIOLATION, message, report);
  if (fault?.source) v.source = fault.source;
}
