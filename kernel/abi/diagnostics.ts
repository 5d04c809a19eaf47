// The diagnostic codes and the words that go with them: one table for `zds check` and the language
// server (which judge source before it runs) and for the kernel and the SDK (which judge it while it
// runs). A mistake reads the same, with the same code, in the editor and in a run's fault report.
// Codes are stable: tools, suppressions and docs/diagnostics.md refer to them, so a code is never
// reused for a different rule. Hundreds group the rules: 0xx manifest, 1xx an access against its
// grant, 2xx capabilities not declared, 3xx least privilege, 4xx device binding, 9xx opt-in hints.
// Pure, no imports but the ABI's own: bundled into every driver with the SDK.

import type { AccessProblem } from "./caps";
import { hex } from "./format";
import type { CapSpec } from "./manifest";
import { Errno } from "./errors";
import { Sys } from "./syscalls";

export type Severity = "error" | "warning" | "information" | "hint";

export const Codes = {
  /** A manifest whose every value is known, and that Init would refuse (validateManifest). */
  MANIFEST_INVALID: "ZDS001",
  MMIO_OUTSIDE_WINDOW: "ZDS101",
  PORT_OUTSIDE_RANGE: "ZDS102",
  DMA_OUTSIDE_BUFFER: "ZDS103",
  BAD_WIDTH: "ZDS104",
  MISALIGNED: "ZDS105",
  WRITE_WITHOUT_RIGHT: "ZDS106",
  READ_WITHOUT_RIGHT: "ZDS107",
  /** An access of a width the bound device's register does not take (register maps of `{ type }` devices). */
  REGISTER_WIDTH: "ZDS108",
  /** A write to a register the device defines as read-only. */
  READ_ONLY_REGISTER: "ZDS109",
  /** A read of a register the device defines as write-only (a doorbell). */
  WRITE_ONLY_REGISTER: "ZDS110",
  UNDECLARED_CAPABILITY: "ZDS201",
  WRONG_CAPABILITY_KIND: "ZDS202",
  UNUSED_CAPABILITY: "ZDS301",
  WINDOW_WIDER_THAN_USED: "ZDS302",
  UNUSED_RIGHT: "ZDS303",
  UNKNOWN_VIRTIO_DEVICE: "ZDS401",
  UNDECODED_PORTS: "ZDS402",
  UNKNOWN_DEVICE_TYPE: "ZDS403",
  UNPROVEN_ACCESS: "ZDS901",
  MANIFEST_NOT_CONSTANT: "ZDS902",
} as const;

export type DiagnosticCode = (typeof Codes)[keyof typeof Codes];

/** Severity per code: errors for what certainly faults or fails at run time (or cannot start);
 *  warnings for least privilege (the driver works, but asks for more than it uses); hints for the
 *  opt-in "could not prove" notes. */
export const severityOf: Readonly<Record<DiagnosticCode, Severity>> = {
  ZDS001: "error",
  ZDS101: "error",
  ZDS102: "error",
  ZDS103: "error",
  ZDS104: "error",
  ZDS105: "error",
  ZDS106: "error",
  ZDS107: "error",
  ZDS108: "error",
  ZDS109: "error",
  ZDS110: "warning",
  ZDS201: "error",
  ZDS202: "error",
  ZDS301: "warning",
  ZDS302: "warning",
  ZDS303: "warning",
  ZDS401: "error",
  ZDS402: "error",
  ZDS403: "error",
  ZDS901: "hint",
  ZDS902: "hint",
};

/** Codes only reported when the caller asks for hints. */
export const OPT_IN_CODES: ReadonlySet<DiagnosticCode> = new Set([Codes.UNPROVEN_ACCESS, Codes.MANIFEST_NOT_CONSTANT]);

export function isDiagnosticCode(x: unknown): x is DiagnosticCode {
  return typeof x === "string" && Object.prototype.hasOwnProperty.call(severityOf, x);
}

/** What a run reports when the driver does what a code describes: the fault kind the process ends
 *  with (KernelProcess faults), whether the run counts it as a capability violation, and who finds
 *  it. `undefined`: the code has no run-time counterpart (the driver works, or it is only a note).
 *  docs/diagnostics.md lists these; test/language-server/runtime-agreement.test.ts runs the corpus to hold them. */
export interface RuntimeCounterpart {
  fault: "startup" | "capability-violation" | "panic";
  counted: boolean;
  /** Where the run-time check is made. */
  by: "init" | "kernel" | "sdk";
}

export const RUNTIME_COUNTERPART: Readonly<Record<DiagnosticCode, RuntimeCounterpart | undefined>> = {
  ZDS001: { fault: "startup", counted: false, by: "init" },
  ZDS101: { fault: "capability-violation", counted: true, by: "kernel" },
  ZDS102: { fault: "capability-violation", counted: true, by: "kernel" },
  ZDS103: { fault: "capability-violation", counted: true, by: "sdk" },
  ZDS104: { fault: "panic", counted: false, by: "kernel" },
  ZDS105: { fault: "panic", counted: false, by: "kernel" },
  ZDS106: { fault: "capability-violation", counted: true, by: "kernel" },
  ZDS107: { fault: "capability-violation", counted: true, by: "kernel" },
  // The device, not the kernel, sees these: the access is carried out, the device reports a
  // driver-error event and ignores it (docs/nvme.md).
  ZDS108: undefined,
  ZDS109: undefined,
  ZDS110: undefined,
  ZDS201: { fault: "capability-violation", counted: true, by: "sdk" },
  ZDS202: { fault: "panic", counted: false, by: "sdk" },
  ZDS301: undefined,
  ZDS302: undefined,
  ZDS303: undefined,
  ZDS401: { fault: "startup", counted: false, by: "init" },
  ZDS402: { fault: "startup", counted: false, by: "init" },
  ZDS403: { fault: "startup", counted: false, by: "init" },
  ZDS901: undefined,
  ZDS902: undefined,
};

// ── the kinds of handle and what each offers ──────────────────────────────────────────────────

export type HandleKind = CapSpec["kind"];

/** The methods each kind of handle has in the SDK (drivers/sdk): what a wrong-kind message lists,
 *  and what the SDK answers, on every other kind of handle, with that message instead of
 *  "x is not a function". A test checks these against the SDK's classes. */
export const HANDLE_METHODS: Readonly<Record<HandleKind, readonly string[]>> = {
  mmio: ["read8", "read16", "read32", "read64", "write8", "write16", "write32", "write64"],
  ports: ["in8", "in16", "in32", "out8", "out16", "out32"],
  irq: ["wait", "poll", "ack", "isMine"],
  dma: ["getU8", "getU16", "getU32", "getU64", "setU8", "setU16", "setU32", "setU64", "read", "write", "physAt"],
  serve: ["ready", "receive", "poll"],
  client: ["connect"],
};

/** `read8/16/32/64(offset), write8/16/32/64(offset, value)`: what a handle of `kind` offers. */
export function offeredMethods(kind: HandleKind): string {
  switch (kind) {
    case "mmio":
      return "read8/16/32/64(offset), write8/16/32/64(offset, value)";
    case "ports":
      return "in8/16/32(port), out8/16/32(port, value)";
    case "irq":
      return "wait(), poll(), ack(), isMine(message)";
    case "dma":
      return "getU8/16/32/64(offset), setU8/16/32/64(offset, value), read(offset, length), write(offset, data), physAt(offset), bytes, view";
    case "serve":
      return "ready(), receive(), poll()";
    case "client":
      return "connect()";
  }
}

/** The kinds of handle that have a method of this name (to say what a call was meant for). */
export function handleKindsWithMethod(method: string): HandleKind[] {
  return (Object.keys(HANDLE_METHODS) as HandleKind[]).filter((k) => HANDLE_METHODS[k].includes(method));
}

// ── the words of the messages ─────────────────────────────────────────────────────────────────

/** A capability as messages name it; any field may be unknown (the language server folds what it can). */
export interface GrantWords {
  kind?: HandleKind;
  name: string;
  size?: number;
  first?: number;
  last?: number;
  rights?: string;
  service?: string;
}

/** `MMIO window "regs" (0x200 bytes, rw)`, `DMA buffer "ring" (8192 bytes)`. `size` of a DMA buffer
 *  is what it really has (whole pages). */
export function grantText(g: GrantWords): string {
  const rights = g.rights ?? "?";
  // A handle the SDK made outside a manifest (a test's bare buffer) has no name: "" leaves it out.
  const named = (what: string): string => (g.name === "" ? what : `${what} "${g.name}"`);
  switch (g.kind) {
    case "mmio":
      return `${named("MMIO window")} (${g.size !== undefined ? `${hex(g.size)} bytes` : "size unknown"}, ${rights})`;
    case "ports":
      return `${named("port range")} (${g.first !== undefined ? hex(g.first) : "?"}–${g.last !== undefined ? hex(g.last) : "?"}, ${rights})`;
    case "dma":
      return `${named("DMA buffer")} (${g.size !== undefined ? `${g.size} bytes` : "size unknown"})`;
    case "irq":
      return `IRQ "${g.name}"`;
    case "serve":
      return `service "${g.name}" (serve ${JSON.stringify(g.service ?? "?")})`;
    case "client":
      return `client "${g.name}" (of ${JSON.stringify(g.service ?? "?")})`;
    default:
      return `capability "${g.name}"`;
  }
}

/** The constructor call as written in a manifest, for messages and fixes. */
export function constructorText(
  kind: string,
  name: string,
  opts: { size?: number; first?: number; last?: number } = {},
): string {
  switch (kind) {
    case "mmio":
      return `mmio({ size: ${hex(opts.size ?? 0x1000)} })`;
    case "ports":
      return `ports({ first: ${hex(opts.first ?? 0)}, last: ${hex(opts.last ?? opts.first ?? 0)} })`;
    case "dma":
      return `dma({ size: ${opts.size ?? 4096} })`;
    case "irq":
      return `irq()`;
    case "serve":
      return `serve(${JSON.stringify(name)})`;
    default:
      return `client(${JSON.stringify(name)})`;
  }
}

/** ZDS201's message. `ctor` is the constructor that would declare it (constructorText). */
export function undeclaredMessage(method: string, cap: string, kind: HandleKind, ctor: string): string {
  return `${method}() uses capability "${cap}", which the manifest does not declare: the kernel grants this driver no ${kind} capability by that name (declare ${cap}: ${ctor})`;
}

/** ZDS201's fix, as the quick fix is titled. */
export function undeclaredFix(cap: string, ctor: string): string {
  return `Declare "${cap}: ${ctor}" in the manifest`;
}

function article(word: string): string {
  return /^([aeiou]|mmio)/.test(word) ? "an" : "a";
}

/** ZDS202's message: `"regs" is an mmio capability (…), which has no wait(); wait() needs an irq()
 *  capability, which the manifest does not declare`, and what the handle does offer. */
export function wrongKindMessage(g: GrantWords & { kind: HandleKind }, method: string, other: string): string {
  return (
    `"${g.name}" is ${article(g.kind)} ${g.kind} capability (${grantText(g)}), which has no ${method}(); ` +
    `${method}() needs ${article(other)} ${other}() capability, which the manifest does not declare; ` +
    `${article(g.kind)} ${g.kind} handle offers ${offeredMethods(g.kind)}`
  );
}

const bytes = (n: number): string => `${n} byte${n === 1 ? "" : "s"}`;

/** One access as a message names it: the call (`read32(0x200)`, with the source's own arguments in
 *  the editor and the values at run time), the grant, and what the access was. */
export interface AccessWords {
  call: string;
  grant: GrantWords;
  space: "mmio" | "ports" | "dma";
  /** "none" for physAt (an address, not an access). */
  effect: "read" | "write" | "none";
  offset: number;
  width: number;
  /** The grant's end: the window's size, the range's last port, the buffer's bytes. */
  end: number;
}

/** The code and message of an access the shared rules (caps.ts) refuse, in the words of `zds check`. */
export function accessMessage(problem: AccessProblem, a: AccessWords): { code: DiagnosticCode; message: string } {
  const grant = grantText(a.grant);
  const dir = a.effect === "write" ? "write" : "read";
  const w = a.width;
  if (problem.code === "no-read-right" || problem.code === "no-write-right") {
    const write = problem.code === "no-write-right";
    return {
      code: write ? Codes.WRITE_WITHOUT_RIGHT : Codes.READ_WITHOUT_RIGHT,
      message: `${a.call}: ${write ? "write" : "read"} through ${grant}, which grants no ${write ? "write" : "read"} right`,
    };
  }
  if (a.space === "dma") {
    const what = a.effect === "none" ? "address" : `${dir} of ${bytes(w)}`;
    return {
      code: Codes.DMA_OUTSIDE_BUFFER,
      message: `${a.call}: DMA ${what} at offset ${a.offset} (${hex(a.offset)}) is outside the ${grant}; it ends at ${a.end}`,
    };
  }
  if (problem.code === "bad-width")
    return {
      code: Codes.BAD_WIDTH,
      message:
        a.space === "ports"
          ? `${a.call}: ${problem.message}; use in8/16/32 or out8/16/32 (${grant})`
          : `${a.call}: ${problem.message} (${grant})`,
    };
  if (problem.code === "misaligned")
    return {
      code: Codes.MISALIGNED,
      message:
        a.space === "mmio"
          ? `${a.call}: MMIO ${dir} of ${bytes(w)} at offset ${hex(a.offset)} is not ${w}-byte aligned (${grant})`
          : `${a.call}: ${problem.message}`,
    };
  return a.space === "mmio"
    ? {
        code: Codes.MMIO_OUTSIDE_WINDOW,
        message: `${a.call}: MMIO ${dir} of ${bytes(w)} at offset ${hex(a.offset)} is outside the ${grant}; it ends at ${hex(a.end)}`,
      }
    : {
        code: Codes.PORT_OUTSIDE_RANGE,
        message: `${a.call}: port ${dir} of ${bytes(w)} at ${hex(a.offset)} is outside the ${grant}`,
      };
}

/** `r`, `w` or `rw` for permission bits (what a manifest writes). */
export function rightsText(perms: number): string {
  return `${perms & 1 ? "r" : ""}${perms & 2 ? "w" : ""}` || "none";
}

// ── kernel rules behind an errno ──────────────────────────────────────────────────────────────

/** Which rule of the kernel a failed syscall broke, when the number and errno say it alone (the
 *  SDK adds it to SyscallFailedError; hardware accesses are explained by the access rules instead). */
export function syscallRule(num: number, errno: number): string | undefined {
  const e = Math.abs(errno);
  switch (num) {
    case Sys.IRQ_ACK:
      if (e === Errno.E_INVAL)
        return "the IRQ was acknowledged with no interrupt pending: ack() once for each interrupt wait() or poll() returned, after clearing the device's interrupt status (a second ack(), or one before the first interrupt, is this)";
      break;
    case Sys.DMA_ALLOC:
      if (e === Errno.E_NOMEM)
        return "the manifest's dma() capabilities do not leave that many bytes, or the machine's DMA window is full";
      break;
    case Sys.SEND:
    case Sys.CALL:
    case Sys.SEND_CAP:
      if (e === Errno.E_INVAL)
        return "the message is too large, carries too many capabilities, or names a slot that holds none";
      if (e === Errno.E_AGAIN) return "the receiver's queue is full";
      break;
    case Sys.REPLY:
      if (e === Errno.E_NOENT) return "there is no CALL from that process waiting for a reply";
      break;
  }
  if (e === Errno.E_BADF) return "the capability slot is empty, or holds a capability of another type";
  if (e === Errno.E_PERM) return "the capability in that slot lacks the right this syscall needs";
  return undefined;
}

// ── the fault report a driver sends (SYS_FAULT) ───────────────────────────────────────────────

/** SYS_FAULT's a1: how its payload is written. */
export const FaultFormat = {
  /** The uncaught exception's stack as text (the bootstrap's fault path). */
  TEXT: 0,
  /** A FaultReport as JSON (the SDK: a violation it found, an error it can name). */
  REPORT: 1,
} as const;

export interface FaultReport {
  /** The error's stack as V8 wrote it ("Name: message\n    at …"). */
  stack: string;
  code?: DiagnosticCode;
  /** What to change, as the quick fix of the same code would. */
  fix?: string;
  /** Present when the SDK found a capability violation in the driver's own process (a DMA access
   *  outside its buffer, a capability the manifest does not declare): the run counts it. */
  violation?: { operation: string; address: number; grant: string };
}

export function encodeFaultReport(report: FaultReport): string {
  return JSON.stringify(report);
}

const MAX_FIELD = 16_000;

/** A FaultReport from its JSON, checked field by field (the driver wrote it); undefined if none. */
export function decodeFaultReport(text: string): FaultReport | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof raw !== "object" || raw === null) return undefined;
  const r = raw as Record<string, unknown>;
  if (typeof r.stack !== "string") return undefined;
  const out: FaultReport = { stack: r.stack.slice(0, MAX_FIELD) };
  if (isDiagnosticCode(r.code)) out.code = r.code;
  if (typeof r.fix === "string") out.fix = r.fix.slice(0, 1000);
  const v = r.violation as Record<string, unknown> | undefined;
  if (
    typeof v === "object" &&
    v !== null &&
    typeof v.operation === "string" &&
    typeof v.grant === "string" &&
    typeof v.address === "number" &&
    Number.isFinite(v.address)
  )
    out.violation = { operation: v.operation.slice(0, 200), address: v.address, grant: v.grant.slice(0, 500) };
  return out;
}

/** The first line(s) of a stack: the error's name and message, without the frames. */
export function stackHeadline(stack: string): string {
  const at = stack.search(/\n\s+at /);
  return (at < 0 ? stack : stack.slice(0, at)).trimEnd();
}
