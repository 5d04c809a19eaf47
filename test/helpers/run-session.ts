// Run programs on a fresh machine through the same Session the CLI uses; capture what they print.

import path from "node:path";
import { createMachine, loadMachineDescription, type DiskSpec, type Machine } from "../../devices";
import { Session, type RunSummary, type SessionAdapters } from "../../kernel/session";
import type { Commit } from "../../kernel/axiom/commitlog";

export interface SessionResult {
  summary: RunSummary;
  machine: Machine;
  /** The CommitLog from genesis (runs in tests are short enough to keep it all). */
  commits: readonly Commit[];
  console: string;
  /** What console devices (the UART) transmitted, by device name. */
  deviceConsole: Record<string, string>;
  debug: string[];
  faults: string[];
}

export const fixture = (...parts: string[]): string => path.join(__dirname, "..", "fixtures", ...parts);
export const sample = (name: string): string => path.join(__dirname, "..", "..", "drivers", name);

export interface RunOptions {
  seed?: number;
  machine?: string;
  watchdogMs?: number;
  timeoutSeconds?: number;
  /** Heap limit of each driver, MiB. */
  memoryMb?: number;
  /** The disk in slot disk0 (default: a blank 8 MiB disk in memory). Its files are closed after the run. */
  disk?: DiskSpec;
  /** Outside input (keystrokes) given to a console device at a virtual time (ns). */
  consoleInput?: { at: number; device: string; text: string }[];
  /** Storage and network (default: the session's, the store in .zds/storage/<machine>). */
  adapters?: SessionAdapters;
  /** Save the trace to this .zlog file. */
  traceFile?: string;
}

export async function runPrograms(paths: string[], options: RunOptions = {}): Promise<SessionResult> {
  const seed = options.seed ?? 1;
  const description = loadMachineDescription(options.machine ?? "virt");
  const bundles = await Session.bundle(paths);
  let consoleText = "";
  const debug: string[] = [];
  const faults: string[] = [];
  const machine = createMachine(description, { seed, disk: options.disk });
  const deviceConsole: Record<string, string> = {};
  const decoder = new TextDecoder();
  machine.onConsoleOutput(
    (device, bytes) => (deviceConsole[device] = (deviceConsole[device] ?? "") + decoder.decode(bytes)),
  );
  for (const input of options.consoleInput ?? []) {
    machine.clock.schedule({ at: input.at }, () =>
      machine.consoleInput(input.device, new TextEncoder().encode(input.text)),
    );
  }
  const session = new Session({
    machine,
    machineName: description.name,
    seed,
    timeoutSeconds: options.timeoutSeconds ?? 30,
    watchdogMs: options.watchdogMs,
    memoryMb: options.memoryMb,
    supervision: description.supervision,
    adapters: options.adapters,
    traceFile: options.traceFile,
    machineData: options.traceFile ? (({ source: _s, ...data }) => data)(description) : undefined,
    output: {
      console: (_p, text) => (consoleText += text),
      debug: (p, text) => debug.push(`${p.name}: ${text}`),
      fault: (p, f) => faults.push(`${p.name}: ${f.kind}: ${f.message}`),
    },
  });
  for (const b of bundles) session.spawn(b);
  const summary = await session.run();
  machine.close();
  return {
    summary,
    machine,
    commits: session.kernel.commits.recent(),
    console: consoleText,
    deviceConsole,
    debug,
    faults,
  };
}

/** Console lines of the form `name=value` → record (raw fixtures report results this way). */
export function reported(consoleText: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of consoleText.split("\n")) {
    const m = /^([\w.-]+)=(.*)$/.exec(line);
    if (m) out[m[1]] = m[2];
  }
  return out;
}
