// A fault in words, as every front end shows it (zds run, the debug console, the Machine and
// Processes views, the timeline): the driver's TypeScript line in the form `zds check` prints —
// `file:line:col: error CODE message` — then what happened to the process, the driver's own frames
// and the fix. The SDK's, the worker's and Node's frames are left out unless asked for (--verbose).

import path from "node:path";
import type { SourcePosition, StackFrame } from "./loader/source-map";
import type { Fault } from "./process";
import type { Violation } from "./kernel-types";

export interface FaultTextOptions {
  /** Paths are shown relative to this folder when inside it (as `zds check` does); default the cwd. */
  cwd?: string;
  /** Keep the SDK's, the worker's and Node's frames. */
  verbose?: boolean;
  /** Absolute paths (a debug console, whose links resolve them wherever the adapter runs). */
  absolute?: boolean;
}

/** `drivers/x/index.ts` under `cwd`, the absolute path elsewhere, with / separators under `cwd`. */
export function shownPath(file: string, cwd = process.cwd()): string {
  const rel = path.relative(cwd, file);
  return rel === "" || rel.startsWith("..") || path.isAbsolute(rel) ? file : rel.split(path.sep).join("/");
}

/** `drivers/x/index.ts:14:5`. */
export function formatPosition(p: SourcePosition, options: FaultTextOptions | string = {}): string {
  const o = typeof options === "string" ? { cwd: options } : options;
  return `${o.absolute ? p.file : shownPath(p.file, o.cwd)}:${p.line}:${p.column}`;
}

/** What the fault says, without the error's class name when the SDK named the mistake by code. */
function said(fault: Pick<Fault, "message" | "code" | "kind">): string {
  const text = fault.kind === "startup" ? fault.message.replace(/^[^:]*?: /, "") : fault.message;
  if (!fault.code) return text;
  return text
    .replace(/^(DriverError|SyscallFailedError|CapabilityViolation): /, "")
    .replace(/^capability violation in SYS_\w+: /, "");
}

/** `file:line:col: error ZDS201 message`, or just the message when the fault has no place. */
export function faultHeadline(fault: Fault, options: FaultTextOptions = {}): string {
  const code = fault.code ? `${fault.code} ` : "";
  const text = said(fault);
  return fault.source ? `${formatPosition(fault.source, options)}: error ${code}${text}` : `${code}${text}`;
}

/** The frames worth showing: the driver's own, or all of them with `verbose`. */
export function shownFrames(frames: readonly StackFrame[] | undefined, verbose = false): StackFrame[] {
  return (frames ?? []).filter((f) => verbose || f.origin === "driver");
}

export function formatFrame(f: StackFrame, options: FaultTextOptions | string = {}): string {
  if (!f.source) return f.text;
  const tag = f.origin === "sdk" ? " [sdk]" : "";
  // V8 calls a method of an object literal "Object.main"; the source calls it main.
  return `at ${f.name.replace(/^Object\./, "")} (${formatPosition(f.source, options)})${tag}`;
}

/** The whole report of one fault: the check-form line(s), then the process, frames and fix. */
export function formatFault(
  proc: { name: string; pid: number },
  fault: Fault,
  options: FaultTextOptions = {},
): string[] {
  const who = `${proc.name} (pid ${proc.pid})`;
  const counted = fault.kind === "capability-violation" ? ", counted as a violation" : "";
  if (!fault.source && !fault.code) {
    // Nothing to place (a watchdog, a worker lost, a WASM trap): the kernel's words as they are.
    const lines = [`zds: ${who} ${fault.kind}: ${fault.message}`];
    for (const f of shownFrames(fault.frames, options.verbose)) lines.push(`    ${formatFrame(f, options)}`);
    return lines;
  }
  const lines: string[] = [];
  if (fault.kind === "startup" && fault.problems && fault.problems.length > 0) {
    for (const p of fault.problems) {
      const where = p.source ? `${formatPosition(p.source, options)}: ` : "";
      lines.push(`${where}error ${p.code ? `${p.code} ` : ""}Init refused the manifest: ${p.message}`);
    }
    lines.push(`  ${who} startup: Init refused the manifest, so the driver never ran`);
  } else {
    lines.push(faultHeadline(fault, options));
    lines.push(`  ${who} ${fault.kind}${counted}`);
  }
  for (const f of shownFrames(fault.frames, options.verbose)) lines.push(`    ${formatFrame(f, options)}`);
  if (fault.fix) lines.push(`  fix: ${fault.fix}`);
  return lines;
}

/** One line for a view or a status: `capability-violation ZDS201 at index.ts:14:5: wait() uses …`. */
export function faultSummary(fault: Fault, options: FaultTextOptions = {}): string {
  const where = fault.source ? ` at ${formatPosition(fault.source, options)}` : "";
  return `${fault.kind}${fault.code ? ` ${fault.code}` : ""}${where}: ${said(fault).split("\n")[0]}`;
}

/** A violation of the run's summary: `rng-pool (pid 2) ZDS101 index.ts:22:5: read32(0x100): …`. */
export function formatViolation(v: Violation, options: FaultTextOptions = {}): string {
  const where = v.source ? ` ${formatPosition(v.source, options)}` : "";
  const grant = v.bySdk ? "" : ` (${v.syscall} at 0x${v.address.toString(16)}, ${v.grant})`;
  return `${v.process} (pid ${v.pid})${v.code ? ` ${v.code}` : ""}${where}: ${v.message}${grant}`;
}
