// Re-execute a recorded session and check it against its .zlog: every SysLog event (fields and
// chained hash) and every commit id, in order. The first difference is the divergence.

import { createMachine, parseMachineDescription } from "../../devices";
import { syscallName } from "../abi/syscalls";
import type { KernelOutput } from "../kernel-types";
import { Session, type RunSummary } from "../session";
import fs from "node:fs";
import { readZlog, ZlogError, type Zlog } from "./zlog-reader";
import { commitLine, isConsoleInputs, isDiskInput, syscallLine, type ZlogCommit, type ZlogSyscall } from "./zlog";
import { RecordedKeys } from "./replay-input";
import { RecordedAdapters } from "../adapters/recorded";
import { adaptersFor } from "../adapters/live";
import { adapterBytes } from "./zlog";
import { parseFaultSpec, parseFaultSpecs } from "../faults/spec";

export interface Divergence {
  /** "syscall": a SysLog event differs; "commit": a commit differs; "length": one run ended early. */
  kind: "syscall" | "commit" | "length";
  /** Index of the SysLog event or commit sequence number. */
  index: number;
  expected?: string;
  actual?: string;
  message: string;
}

export interface ReplayReport {
  file: string;
  verified: boolean;
  match: boolean;
  syscallEvents: number;
  commits: number;
  divergence?: Divergence;
  /** Programs whose bundled code differs from what was recorded. */
  changedPrograms: string[];
  /** Why the replay may not be faithful (a disk image that changed since recording…). */
  notes: string[];
  summary: RunSummary;
}

export function describeTracedSyscall(e: ZlogSyscall): string {
  if (e.k === "flt") return `#${e.s} pid ${e.p} t=${e.t}ns injected fault ${e.f}: ${e.d} hash ${e.h}`;
  if (e.k === "frm") return `#${e.s} t=${e.t}ns ${e.dev} frame ${e.f} sha256 ${e.fh} hash ${e.h}`;
  if (e.k === "req") {
    const args = e.a.map((a) => `0x${a.toString(16)}`).join(", ");
    return `#${e.s} pid ${e.p} t=${e.t}ns ${syscallName(e.n)}(${args}) in=${e.l}B hash ${e.h}`;
  }
  return `#${e.s} pid ${e.p} t=${e.t}ns result of #${e.r} = ${e.v} out=${e.l}B hash ${e.h}`;
}

function describeCommit(c: ZlogCommit): string {
  return `commit ${c.c} t=${c.t}ns ${JSON.stringify(c.b)} id ${c.id.slice(0, 16)}…`;
}

function sameSyscall(a: ZlogSyscall, b: ZlogSyscall): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export async function replayTrace(
  file: string,
  options: { verify: boolean; output: KernelOutput; timeoutSeconds?: number },
): Promise<ReplayReport> {
  const trace: Zlog = readZlog(file);
  const { header } = trace;
  const description = parseMachineDescription(header.machine, `${file} (recorded machine "${header.machineName}")`);
  const bundles = await Session.bundle(header.programs.map((p) => p.path));
  const changedPrograms = header.programs.filter((p, i) => bundles[i].sha256 !== p.sha256).map((p) => p.name);
  const notes: string[] = [];
  const disk = header.inputs.find(isDiskInput);
  if (disk) {
    const stat = fs.existsSync(disk.path) ? fs.statSync(disk.path) : undefined;
    if (!stat) throw new ZlogError(`${file}: the recorded disk image ${disk.path} is gone`);
    if (disk.persist)
      notes.push(
        `the session wrote through to ${disk.path} (--persist): the image is no longer what the recording started from`,
      );
    else if (stat.size !== disk.bytes || stat.mtimeMs !== disk.mtimeMs)
      notes.push(`${disk.path} changed since the recording (size or modification time)`);
  }
  // Typed keystrokes go back in at the input points where they were first applied.
  const keys =
    trace.inputs.length > 0 || header.inputs.some(isConsoleInputs) ? new RecordedKeys(trace.inputs) : undefined;
  // Storage and network results come from the trace: the store and the network are not touched.
  const adapters = new RecordedAdapters(
    trace.adapterResults.map((r) => ({ kind: r.kind, id: r.id, type: r.type, data: adapterBytes(r) })),
  );
  if (trace.adapterResults.length > 0)
    notes.push(
      `${trace.adapterResults.length} storage/network results were given back from the trace (the store and the network were not used)`,
    );
  const session = new Session({
    adapters: { backend: adapters, timing: adaptersFor(description).timing },
    consoleInput: keys,
    machine: createMachine(description, { seed: header.seed, disk: disk ? { path: disk.path } : undefined }),
    inputs: header.inputs,
    machineName: header.machineName,
    machineData: header.machine,
    seed: header.seed,
    output: options.output,
    watchdogMs: header.options.watchdogMs,
    compat: header.options.compat,
    supervision: description.supervision,
    timeoutSeconds: options.timeoutSeconds ?? 120,
    // The same fault plan, and a debug session's injections at the points they went in.
    faults: parseFaultSpecs(header.faults ?? []),
    recordedFaults: trace.faultInputs.map((r) => ({
      spec: parseFaultSpec(r.spec),
      index: r.f,
      at: { event: r.event, commit: r.commit, t: r.t },
    })),
  });
  let divergence: Divergence | undefined;
  let syscallIndex = 0;
  const diverge = (d: Divergence) => {
    if (divergence) return;
    divergence = d;
    session.stop();
  };
  if (options.verify) {
    session.kernel.syslog.onEvent((event, hash) => {
      const actual = syscallLine(event, hash);
      const expected = trace.syscalls[syscallIndex];
      const index = syscallIndex++;
      if (!expected) {
        diverge({
          kind: "length",
          index,
          actual: describeTracedSyscall(actual),
          message: `the replay went on past the ${trace.syscalls.length} recorded SysLog events`,
        });
      } else if (!sameSyscall(expected, actual)) {
        const sameFields = JSON.stringify({ ...expected, h: "" }) === JSON.stringify({ ...actual, h: "" });
        const what = sameFields ? "same call, different payload bytes" : "a different call or result";
        diverge({
          kind: "syscall",
          index,
          expected: describeTracedSyscall(expected),
          actual: describeTracedSyscall(actual),
          message: `SysLog event ${index} differs: ${what}`,
        });
      }
    });
    session.kernel.commits.onCommit((commit) => {
      const expected = trace.commits[commit.seq];
      const actual = commitLine(commit);
      if (!expected)
        diverge({
          kind: "length",
          index: commit.seq,
          actual: describeCommit(actual),
          message: `the replay went on past the ${trace.commits.length} recorded commits`,
        });
      else if (expected.id !== actual.id)
        diverge({
          kind: "commit",
          index: commit.seq,
          expected: describeCommit(expected),
          actual: describeCommit(actual),
          message: `commit ${commit.seq} differs`,
        });
    });
  }
  for (const b of bundles) session.spawn(b);
  const summary = await session.run();
  if (options.verify && !divergence) {
    if (syscallIndex < trace.syscalls.length) {
      divergence = {
        kind: "length",
        index: syscallIndex,
        expected: describeTracedSyscall(trace.syscalls[syscallIndex]),
        message: `the replay ended after ${syscallIndex} of ${trace.syscalls.length} recorded SysLog events`,
      };
    } else if (trace.end && trace.end.syslogHash !== summary.syslogHash) {
      divergence = {
        kind: "length",
        index: syscallIndex,
        expected: trace.end.syslogHash,
        actual: summary.syslogHash,
        message: "the final SysLog hash differs",
      };
    }
  }
  if (keys && keys.remaining > 0) {
    const message = `${keys.remaining} of ${trace.inputs.length} recorded keystroke deliveries never met their input point`;
    notes.push(message);
    if (options.verify && !divergence) divergence = { kind: "length", index: syscallIndex, message };
  }
  if (adapters.missing.length > 0)
    notes.push(`the trace held no result for ${adapters.missing.join(", ")} (the replay went another way)`);
  return {
    file,
    verified: options.verify,
    match: options.verify && !divergence,
    syscallEvents: syscallIndex,
    commits: summary.commits,
    divergence,
    changedPrograms,
    notes,
    summary,
  };
}
