// Runs a hostile driver beside drivers/virtio-rng + drivers/rng-cat on a machine with a second
// virtio-rng device (for hostile drivers that program a device of their own), and collects what
// the hostile suite asserts: the summary (the host stayed alive), host errors that escaped the
// kernel, kernel invariants checked whenever a process ended and at the end, what rng-cat got, and
// the host files an escaped driver would have written.

import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createMachine, loadMachineDescription, type Machine } from "../../devices";
import { checkInvariants } from "../../kernel/invariants";
import { Session, type ProcessSummary, type RunSummary } from "../../kernel/session";
import type { Kernel } from "../../kernel/kernel";
import { repoRoot } from "./zds-child";

export const hostileFixture = (name: string): string => path.join(__dirname, "..", "fixtures", "hostile", name);
export const sample = (name: string): string => path.join(repoRoot, "drivers", name);

export interface HostileMachineOptions {
  /** The machine description's "supervision" section. */
  supervision?: unknown;
}

/** virt (as this tree describes it) plus virtio-rng1 at 0x1000_7000, IRQ 7 (free slots of virt), fronting no service. */
export function hostileMachine(options: HostileMachineOptions = {}): string {
  const virt = JSON.parse(fs.readFileSync(path.join(repoRoot, "devices", "machines", "virt.json"), "utf8")) as {
    name: string;
    devices: Record<string, unknown>[];
    supervision?: unknown;
  };
  const rng0 = virt.devices.find((d) => d.type === "virtio-rng");
  const rng1: Record<string, unknown> = {
    name: "virtio-rng1",
    type: "virtio-rng",
    base: "0x1000_7000",
    size: "0x1000",
    irq: 7,
  };
  // Only where descriptions know "services" (a tree before that would refuse the field).
  if (rng0 && "services" in rng0) rng1.services = [];
  const description = {
    ...virt,
    name: "virt-hostile",
    devices: [...virt.devices, rng1],
    ...(options.supervision !== undefined && { supervision: options.supervision }),
  };
  const file = path.join(
    os.tmpdir(),
    `zds-hostile-machine-${process.pid}-${Object.keys(options).length ? "s" + hash(JSON.stringify(options)) : "plain"}.json`,
  );
  fs.writeFileSync(file, JSON.stringify(description, null, 2));
  return file;
}

function hash(text: string): string {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619) >>> 0;
  return h.toString(16);
}

export interface HostileRunOptions {
  machine?: string;
  seed?: number;
  watchdogMs?: number;
  memoryMb?: number;
  timeoutSeconds?: number;
  /** Spawn the hostile programs before virtio-rng and rng-cat (default: after). */
  hostileFirst?: boolean;
  /** Leave virtio-rng and rng-cat out. */
  alone?: boolean;
}

export interface HostileRun {
  summary: RunSummary;
  console: string;
  faults: string[];
  debug: string[];
  /** Errors that reached the host's top level while the run was going (a host crash). */
  hostErrors: string[];
  /** Invariant violations seen at any process end or at the end of the run. */
  invariantProblems: string[];
  kernel: Kernel;
  machine: Machine;
}

export async function runHostile(hostile: string[], options: HostileRunOptions = {}): Promise<HostileRun> {
  const seed = options.seed ?? 1;
  const description = loadMachineDescription(options.machine ?? hostileMachine());
  const others = options.alone ? [] : [sample("virtio-rng"), sample("rng-cat")];
  const paths = options.hostileFirst ? [...hostile, ...others] : [...others, ...hostile];
  const bundles = await Session.bundle(paths);
  const machine = createMachine(description, { seed });
  let consoleText = "";
  const faults: string[] = [];
  const debug: string[] = [];
  const hostErrors: string[] = [];
  const invariantProblems: string[] = [];
  const onError = (e: unknown): void => void hostErrors.push(e instanceof Error ? (e.stack ?? e.message) : String(e));
  process.on("uncaughtException", onError);
  process.on("unhandledRejection", onError);
  try {
    const session = new Session({
      machine,
      machineName: description.name,
      seed,
      timeoutSeconds: options.timeoutSeconds ?? 25,
      watchdogMs: options.watchdogMs ?? 1000,
      memoryMb: options.memoryMb,
      supervision: description.supervision,
      output: {
        console: (_p, text) => (consoleText += text),
        debug: (p, text) => debug.push(`${p.name}: ${text}`),
        fault: (p, f) => faults.push(`${p.name}: ${f.kind}: ${f.message}`),
      },
    });
    const check = (when: string): void => {
      try {
        for (const problem of checkInvariants(session.kernel)) invariantProblems.push(`${when}: ${problem}`);
      } catch (e) {
        invariantProblems.push(`${when}: checkInvariants threw ${e instanceof Error ? e.message : String(e)}`);
      }
    };
    session.kernel.onProcessEnded((p) => check(`after ${p.name} (pid ${p.pid}) ended`));
    for (const b of bundles) session.spawn(b);
    const summary = await session.run();
    check("at the end of the run");
    machine.close();
    return {
      summary,
      console: consoleText,
      faults,
      debug,
      hostErrors,
      invariantProblems,
      kernel: session.kernel,
      machine,
    };
  } finally {
    process.off("uncaughtException", onError);
    process.off("unhandledRejection", onError);
  }
}

/** Console lines of the form `name=value` → record. */
export function reported(consoleText: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of consoleText.split("\n")) {
    const m = /^([\w.-]+)=(.*)$/.exec(line);
    if (m) out[m[1]] = m[2];
  }
  return out;
}

export function proc(run: HostileRun, name: string): ProcessSummary {
  const found = run.summary.processes.filter((p) => p.name === name || p.source.includes(name));
  assert.ok(found.length > 0, `no process ${name} in ${JSON.stringify(run.summary.processes.map((p) => p.name))}`);
  return found[found.length - 1];
}

/** What the run's report says, for assertion messages. */
export function explain(run: HostileRun): string {
  return JSON.stringify(
    {
      outcome: run.summary.outcome,
      processes: run.summary.processes.map((p) => ({
        name: p.name,
        state: p.state,
        exit: p.exitCode,
        faults: p.faults.map((f) => `${f.kind}: ${f.message.slice(0, 300)}`),
      })),
      hostErrors: run.hostErrors.map((e) => e.slice(0, 400)),
      invariants: run.invariantProblems.slice(0, 5),
      console: run.console.slice(0, 3000),
    },
    null,
    1,
  );
}

/** The host lived through the run: a summary, no error at the host's top level, a normal end. */
export function assertHostAlive(run: HostileRun): void {
  assert.deepEqual(run.hostErrors, [], `errors reached the host:\n${explain(run)}`);
  assert.notEqual(run.summary.outcome, "timeout", `the run did not end (the kernel wedged):\n${explain(run)}`);
}

export function assertInvariants(run: HostileRun): void {
  assert.deepEqual(run.invariantProblems, [], `kernel invariants broken:\n${explain(run)}`);
}

/** The 32 bytes rng-cat printed, as hex, or undefined. */
export function rngCatBytes(consoleText: string): string | undefined {
  return /rng-cat: 32 random bytes: ([0-9a-f]{64})/.exec(consoleText)?.[1];
}

const references = new Map<string, string>();

/** What rng-cat prints beside drivers/virtio-rng alone on the same machine and seed. */
export async function referenceRngBytes(machine = hostileMachine(), seed = 1): Promise<string> {
  const key = `${machine}#${seed}`;
  const known = references.get(key);
  if (known) return known;
  const run = await runHostile([], { machine, seed });
  const bytes = rngCatBytes(run.console);
  assert.ok(bytes && !/^0+$/.test(bytes), `the clean reference run served no bytes:\n${explain(run)}`);
  references.set(key, bytes);
  return bytes;
}

/** rng-cat got real bytes from drivers/virtio-rng (the same as a clean run's) and exited 0. */
export async function assertRngCatServed(run: HostileRun, machine?: string, seed?: number): Promise<void> {
  const cat = proc(run, "rng-cat");
  assert.equal(cat.exitCode, 0, `rng-cat was not served:\n${explain(run)}`);
  const bytes = rngCatBytes(run.console);
  assert.ok(bytes, `rng-cat printed no bytes:\n${explain(run)}`);
  assert.equal(
    bytes,
    await referenceRngBytes(machine, seed),
    `rng-cat's bytes are not drivers/virtio-rng's:\n${explain(run)}`,
  );
  const rng = proc(run, "virtio-rng");
  assert.equal(rng.faults.length, 0, `drivers/virtio-rng faulted:\n${explain(run)}`);
}

/** Files an escaped driver wrote (lib.ts, prove()): zds-hostile-<pid>-<tag>*.pwned in the temp folder. */
export function markerFiles(tag: string, pid = process.pid): string[] {
  const prefix = `zds-hostile-${pid}-${tag}`;
  return fs.readdirSync(os.tmpdir()).filter((f) => f.startsWith(prefix) && f.endsWith(".pwned"));
}

export function clearMarkers(tag: string, pid = process.pid): void {
  for (const f of markerFiles(tag, pid)) fs.rmSync(path.join(os.tmpdir(), f), { force: true });
}

/** The hostile process ended with a named reason: faulted with a kind and a message, or exited. */
export function assertEndedNamed(run: HostileRun, name: string): ProcessSummary {
  const p = proc(run, name);
  assert.ok(p.state === "faulted" || p.state === "exited", `${name} did not end (state ${p.state}):\n${explain(run)}`);
  if (p.state === "faulted") {
    const f = p.faults[p.faults.length - 1];
    assert.ok(f && f.kind && f.message.length > 0, `${name} faulted without a named reason:\n${explain(run)}`);
  } else assert.equal(typeof p.exitCode, "number");
  return p;
}

/** Every reported value under the given names; none may say a driver reached `process`. */
export function escapes(values: Record<string, string>, prefix: string): string[] {
  return Object.entries(values)
    .filter(([k, v]) => k.startsWith(prefix) && /process(\+| \(fs)|\brequire$/.test(v))
    .map(([k, v]) => `${k}=${v}`);
}
