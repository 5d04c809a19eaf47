// Reads a .zlog file back: header, syscall events, commits, end. Every problem names the file and line.

import fs from "node:fs";
import {
  isAdapterLine,
  isCommitLine,
  isEndLine,
  isFaultInputLine,
  isAssertionLine,
  isInputLine,
  isProcessFaultLine,
  isSyscallLine,
  ZLOG_VERSION,
  type ZlogAdapterResult,
  type ZlogCommit,
  type ZlogEnd,
  type ZlogFaultInput,
  type ZlogAssertion,
  type ZlogHeader,
  type ZlogInput,
  type ZlogLine,
  type ZlogSyscall,
} from "./zlog";

export class ZlogError extends Error {}

export interface Zlog {
  header: ZlogHeader;
  syscalls: ZlogSyscall[];
  commits: ZlogCommit[];
  /** Console keystrokes, in the order they were applied. */
  inputs: ZlogInput[];
  /** Storage and network results, in the order they were delivered. */
  adapterResults: ZlogAdapterResult[];
  /** Faults injected from outside the plan (a debug session), in the order they went in. */
  faultInputs: ZlogFaultInput[];
  /** The failed assertion of the test that ran this (zds test), if any. */
  assertion?: ZlogAssertion;
  /** Undefined when the trace was cut short (the host died mid-run). */
  end?: ZlogEnd;
}

export function readZlog(file: string): Zlog {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (error) {
    throw new ZlogError(`${file}: cannot read the trace (${error instanceof Error ? error.message : String(error)})`);
  }
  const lines = text.split("\n");
  let header: ZlogHeader;
  try {
    header = JSON.parse(lines[0]) as ZlogHeader;
  } catch {
    throw new ZlogError(`${file}:1: not a .zlog trace (the first line is not a JSON header)`);
  }
  if (typeof header !== "object" || header === null || header.zlog === undefined)
    throw new ZlogError(`${file}:1: not a .zlog trace (no "zlog" version in the header)`);
  if (header.zlog !== ZLOG_VERSION)
    throw new ZlogError(
      `${file}: .zlog version ${String(header.zlog)} is not supported (this zds reads version ${ZLOG_VERSION})`,
    );
  const out: Zlog = { header, syscalls: [], commits: [], inputs: [], adapterResults: [], faultInputs: [] };
  for (let i = 1; i < lines.length; i++) {
    if (lines[i] === "") continue;
    let line: ZlogLine;
    try {
      line = JSON.parse(lines[i]) as ZlogLine;
    } catch {
      throw new ZlogError(`${file}:${i + 1}: not valid JSON`);
    }
    if (isProcessFaultLine(line)) continue; // presentation only (the timeline reads it)
    if (isAdapterLine(line)) out.adapterResults.push(line);
    else if (isFaultInputLine(line)) out.faultInputs.push(line);
    else if (isAssertionLine(line)) out.assertion = line;
    else if (isInputLine(line)) out.inputs.push(line);
    else if (isSyscallLine(line)) out.syscalls.push(line);
    else if (isCommitLine(line)) out.commits.push(line);
    else if (isEndLine(line)) out.end = line;
    else throw new ZlogError(`${file}:${i + 1}: unknown record`);
  }
  return out;
}
