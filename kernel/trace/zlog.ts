// The .zlog trace format (docs/zlog.md): JSON Lines. Line 1 is the header (everything needed to
// re-run: machine, programs with content hashes, seed, options, recorded outside input); then one
// line per SysLog event and per commit, in the order they happened; the last line closes the trace.

import type { Commit, CommitBody } from "../axiom/commitlog";
import type { SysLogEvent } from "../axiom/syslog";
import type { ConsoleDelivery } from "../console-input";
import type { AdapterDelivery } from "../adapters/hub";

export const ZLOG_VERSION = 1;

export interface ZlogProgram {
  name: string;
  /** The path given on the command line, made absolute. */
  path: string;
  /** SHA-256 of the bundled program (driver + SDK): any change to what runs changes it. */
  sha256: string;
}

export interface ZlogHeader {
  zlog: typeof ZLOG_VERSION;
  tool: string;
  machineName: string;
  /** The machine description as data (re-parsed on replay). */
  machine: unknown;
  seed: number;
  options: { watchdogMs: number; compat: boolean };
  programs: ZlogProgram[];
  /** Disk images and other inputs from outside the machine, in the order they were consumed. */
  inputs: unknown[];
  /** The fault plan (docs/faults.md), as given: a replay injects the same faults. Absent: none. */
  faults?: string[];
}

/** A fault injected from outside the plan (a debug session's "inject now"), with the input point it
 *  went in at; a replay injects it at the same point. Its index in the plan is `f`. */
export interface ZlogFaultInput {
  fi: number;
  spec: string;
  f: number;
  event: number;
  commit: number;
  t: number;
}

/** Written after the end line by `zds test` when a test failed on this run: what failed, where in the
 *  test file, and the SysLog event it comes after (a debug session on the trace stops there). */
export interface ZlogAssertion {
  assert: string;
  test: string;
  event: number;
  expected?: string;
  actual?: string;
  file?: string;
  line?: number;
  column?: number;
}

export function isAssertionLine(x: ZlogLine): x is ZlogAssertion {
  return "assert" in x;
}

export function isFaultInputLine(x: ZlogLine): x is ZlogFaultInput {
  return "fi" in x;
}

/** A disk image the machine read, as it was when the session started. */
export interface ZlogDiskInput {
  kind: "disk";
  path: string;
  persist: boolean;
  bytes: number;
  mtimeMs: number;
}

export function isDiskInput(x: unknown): x is ZlogDiskInput {
  return (
    typeof x === "object" &&
    x !== null &&
    (x as { kind?: unknown }).kind === "disk" &&
    typeof (x as { path?: unknown }).path === "string"
  );
}

/** The header's note that the session took console keystrokes (recorded as ZlogInput lines). */
export interface ZlogConsoleInputs {
  kind: "console";
  /** "live": typed at a terminal; "paced": a script or pipe, a line each time the machine waited. */
  mode: "live" | "paced";
}

/** Keystrokes applied to a console device, with the input point they were applied at
 *  (kernel/console-input.ts): after `event` SysLog events and `commit` commits, at virtual time `t`. */
export interface ZlogInput {
  in: number;
  kind: "console";
  device: string;
  event: number;
  commit: number;
  t: number;
  /** The bytes as text when they are valid UTF-8, else `base64`. */
  text?: string;
  base64?: string;
}

export function inputLine(index: number, delivery: ConsoleDelivery): ZlogInput {
  const { device, bytes, at } = delivery;
  const base = { in: index, kind: "console" as const, device, event: at.event, commit: at.commit, t: at.t };
  let text: string | undefined;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    text = undefined;
  }
  return text !== undefined ? { ...base, text } : { ...base, base64: Buffer.from(bytes).toString("base64") };
}

export function inputBytes(line: ZlogInput): Uint8Array {
  return line.text !== undefined
    ? new TextEncoder().encode(line.text)
    : new Uint8Array(Buffer.from(line.base64 ?? "", "base64"));
}

/** A storage or network result handed to its requester (kernel/adapters/hub.ts), with the input
 *  point it went in at. A replay gives these back instead of asking the store or the network. */
export interface ZlogAdapterResult {
  ad: number;
  kind: "storage" | "network";
  /** The request id the syscall returned. */
  id: number;
  pid: number;
  /** result_type. */
  type: number;
  event: number;
  commit: number;
  t: number;
  /** The data as text when it is valid UTF-8, else `base64`. */
  text?: string;
  base64?: string;
}

export function adapterLine(index: number, delivery: AdapterDelivery): ZlogAdapterResult {
  const { kind, id, pid, result, at } = delivery;
  const base = { ad: index, kind, id, pid, type: result.type, event: at.event, commit: at.commit, t: at.t };
  const text = utf8OrUndefined(result.data);
  return text !== undefined ? { ...base, text } : { ...base, base64: Buffer.from(result.data).toString("base64") };
}

export function adapterBytes(line: ZlogAdapterResult): Uint8Array {
  return line.text !== undefined
    ? new TextEncoder().encode(line.text)
    : new Uint8Array(Buffer.from(line.base64 ?? "", "base64"));
}

function utf8OrUndefined(bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

export function isAdapterLine(x: ZlogLine): x is ZlogAdapterResult {
  return "ad" in x;
}

export type ZlogSyscall =
  | { s: number; k: "req"; p: number; t: number; n: number; a: [number, number, number]; l: number; h: string }
  | { s: number; k: "res"; p: number; t: number; r: number; v: number; l: number; h: string }
  /** An injected fault taking effect: its index in the header's `faults`, what it did. */
  | { s: number; k: "flt"; p: number; t: number; f: number; d: string; h: string }
  /** A frame the display showed: the device, its frame counter, the frame's SHA-256. */
  | { s: number; k: "frm"; p: 0; t: number; dev: string; f: number; fh: string; h: string };

export type ZlogCommit = { c: number; t: number; id: string; b: CommitBody };

export interface ZlogEnd {
  end: true;
  outcome: string;
  syslogHash: string;
  commitHead: string;
  syscalls: number;
  events: number;
  commits: number;
}

/** Where a process's fault happened in its driver's TypeScript (kernel/fault-source.ts), written just
 *  before the fault's ProcessFaulted commit. Not part of the SysLog or the CommitLog (it names host
 *  paths): a replay passes over it; the timeline shows it in the fault's details. */
export interface ZlogProcessFault {
  pf: number;
  pid: number;
  t: number;
  kind: string;
  code?: string;
  message: string;
  source?: { file: string; line: number; column: number };
  /** The driver's own frames, innermost first. */
  frames?: { name: string; file: string; line: number; column: number }[];
  fix?: string;
}

export function isProcessFaultLine(x: ZlogLine): x is ZlogProcessFault {
  return "pf" in x;
}

export type ZlogLine =
  | ZlogSyscall
  | ZlogCommit
  | ZlogInput
  | ZlogAdapterResult
  | ZlogFaultInput
  | ZlogAssertion
  | ZlogProcessFault
  | ZlogEnd;

export function syscallLine(event: SysLogEvent, hash: string): ZlogSyscall {
  if (event.kind === "fault")
    return { s: event.id, k: "flt", p: event.pid, t: event.time, f: event.fault, d: event.detail, h: hash };
  if (event.kind === "frame")
    return { s: event.id, k: "frm", p: 0, t: event.time, dev: event.device, f: event.frame, fh: event.hash, h: hash };
  return event.kind === "request"
    ? {
        s: event.id,
        k: "req",
        p: event.pid,
        t: event.time,
        n: event.num,
        a: event.args,
        l: event.payloadBytes,
        h: hash,
      }
    : {
        s: event.id,
        k: "res",
        p: event.pid,
        t: event.time,
        r: event.requestId,
        v: event.result,
        l: event.payloadBytes,
        h: hash,
      };
}

export function commitLine(commit: Commit): ZlogCommit {
  return { c: commit.seq, t: commit.timestamp, id: commit.id, b: commit.body };
}

export function isSyscallLine(x: ZlogLine): x is ZlogSyscall {
  return "s" in x;
}

export function isCommitLine(x: ZlogLine): x is ZlogCommit {
  return "c" in x;
}

export function isInputLine(x: ZlogLine): x is ZlogInput {
  return "in" in x && (x as { kind?: unknown }).kind === "console";
}

export function isConsoleInputs(x: unknown): x is ZlogConsoleInputs {
  return typeof x === "object" && x !== null && (x as { kind?: unknown }).kind === "console";
}

export function isEndLine(x: ZlogLine): x is ZlogEnd {
  return "end" in x;
}
