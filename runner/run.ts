// `zds run <driver or client paths...> [--machine FILE] [--seed N] [--timeout S] [--json]`, the command
// itself (options, machine, session, console, summary). In runner/ because two front ends run it:
// cli/zds.ts for `zds run`, and the extension in its own host for its terminals and views.

import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import type { ZlogDiskInput } from "../kernel/trace/zlog";
import {
  createMachine,
  DiskImageError,
  loadMachineDescription,
  type Machine,
  type MachineDescription,
  type RestartMode,
  type SupervisionDescription,
} from "../devices";
import { DriverLoadError } from "../kernel/loader/bundle-driver";
import { formatFault, formatViolation, shownFrames } from "../kernel/fault-text";
import { FaultSpecError, parseFaultSpecs, type FaultSpec } from "../kernel/faults/spec";
import { Session, type RunSummary } from "../kernel/session";
import { adaptersFor } from "../kernel/adapters/live";
import type { KernelOutput } from "../kernel/kernel-types";
import { CliError, type Io } from "./io";
import { finishDisplay, formatDisplaySummary, type DisplaySummary } from "./display";
import { formatNetworkSummary, networkSummary, startCapture } from "./network";
import { keyboardKeys, scriptedKeys, type KeyInput } from "./console-keys";
import { ConsoleView } from "./console-view";
import { consoleDevices, formatConsoleReport, worthShowing, type ConsoleReport } from "./console-report";

/** --interactive: the keyboard; --input: scripted keys; neither: no keys (the run as before). */
function consoleKeys(interactive: boolean, input: string | undefined, io: Io): KeyInput | undefined {
  if (interactive && input !== undefined)
    throw new CliError(
      "--interactive reads keys from standard input and --input gives them on the command line: use one",
    );
  if (input !== undefined) return scriptedKeys(input);
  return interactive ? keyboardKeys(io.keyboard) : undefined;
}

export const RUN_USAGE = `usage: zds run <driver or client path>... [--machine virt|FILE] [--seed N] [--timeout S] [--watchdog-ms MS] [--trace FILE.zlog] [--restart MODE] [--restart-limit N] [--compat] [--disk IMG [--persist]] [--storage DIR] [--pcap FILE] [--screenshot FILE.png] [--fault SPEC]... [--interactive | --input TEXT] [--json] [--json-out FILE] [--verbose]

Boots the machine, runs the programs (each a driver folder with index.ts, a .ts/.js file, or a
Zero OS .wasm module) and
streams the machine console to stdout. Ends when every program has exited or the machine is idle.
  --machine   machine description: "virt" (default) or a JSON file
  --seed      seed for devices and programs (default 1); same seed, same run
  --timeout   wall-clock seconds before the run is stopped (default 60)
  --watchdog-ms  wall-clock ms a program may run without a syscall (default 5000)
  --trace     save the SysLog and CommitLog, with what is needed to re-run, to FILE.zlog
  --restart   restart policy for every driver the machine description gives none: never,
              on-failure or always (default: the description's supervision section)
  --restart-limit  restarts allowed per driver in the run (with --restart)
  --compat    the running browser kernel's message limits (16 384 bytes, 8 capabilities)
  --disk      raw disk image (whole 512-byte sectors) for the disk controllers; default: a blank
              8 MiB disk in memory. Writes go to a copy-on-write overlay: the file is untouched
  --persist   with --disk: write through to the image; FLUSH is fsync
  --storage   the directory of the machine's durable store (SYS_STORAGE_*); default: the
              description's "storage.path", else .zds/storage/<machine> here (docs/adapters.md)
  --pcap      write every frame on the network devices' wires (both directions, virtual-time
              stamps) to FILE, a pcap capture that Wireshark and tshark open
  --screenshot  write the display's last frame (virtio-gpu scanout 0) to FILE.png when the run
              ends (docs/display.md)
  --fault     inject a fault (repeatable), e.g. io-error@virtio-blk0,sector=16370 or
              kill@virtio-blk0,request=2; every fault is a SysLog event (docs/faults.md)
  --interactive  type into the machine console: keys from stdin (raw, key by key, on a terminal;
              a line at a time, each when the machine waits for input, from a pipe); Ctrl-]
              leaves. The console is rendered by a terminal emulator (docs/console-protocol.md)
  --input     scripted keys, typed a line at a time whenever a program waits for input;
              escapes \\n \\r \\t \\b \\e \\\\ \\xHH (e.g. "echo hi\\nexit\\n")
  --json      print one JSON summary object as the last line
  --json-out  write the JSON summary to FILE instead (stdout stays the machine console)
  --verbose   with each fault, the SDK's, the worker's and Node's stack frames too
A fault names the driver's TypeScript line as \`zds check\` does (file:line:col: error CODE …).`;

function parseNumber(name: string, text: string | undefined, fallback: number, min: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value < min) throw new CliError(`--${name} must be a number ≥ ${min} (got "${text}")`);
  return value;
}

/** The options `zds run` takes, checked. */
interface RunOptions {
  programs: string[];
  machine: string;
  seed: number;
  timeoutSeconds: number;
  watchdogMs: number;
  json: boolean;
  trace?: string;
  compat: boolean;
  restart?: string;
  restartLimit?: string;
  disk?: string;
  persist: boolean;
  storage?: string;
  pcap?: string;
  screenshot?: string;
  interactive: boolean;
  input?: string;
  faults: FaultSpec[];
  jsonOut?: string;
  verbose: boolean;
}

function parseRunOptions(argv: string[]): RunOptions | "help" {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      machine: { type: "string", default: "virt" },
      seed: { type: "string" },
      timeout: { type: "string" },
      "watchdog-ms": { type: "string" },
      json: { type: "boolean", default: false },
      trace: { type: "string" },
      compat: { type: "boolean", default: false },
      restart: { type: "string" },
      "restart-limit": { type: "string" },
      disk: { type: "string" },
      persist: { type: "boolean", default: false },
      storage: { type: "string" },
      pcap: { type: "string" },
      screenshot: { type: "string" },
      interactive: { type: "boolean", default: false },
      input: { type: "string" },
      fault: { type: "string", multiple: true },
      "json-out": { type: "string" },
      verbose: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) return "help";
  if (positionals.length === 0) throw new CliError(`no programs given\n${RUN_USAGE}`);
  return {
    programs: positionals,
    machine: values.machine ?? "virt",
    seed: Math.trunc(parseNumber("seed", values.seed, 1, 0)),
    timeoutSeconds: parseNumber("timeout", values.timeout, 60, 0),
    watchdogMs: parseNumber("watchdog-ms", values["watchdog-ms"], 5000, 10),
    json: values.json ?? false,
    trace: values.trace,
    compat: values.compat ?? false,
    restart: values.restart,
    restartLimit: values["restart-limit"],
    disk: values.disk,
    persist: values.persist ?? false,
    storage: values.storage,
    pcap: values.pcap,
    screenshot: values.screenshot,
    interactive: values.interactive ?? false,
    input: values.input,
    faults: faultSpecs(values.fault ?? []),
    jsonOut: values["json-out"],
    verbose: values.verbose ?? false,
  };
}

/** --fault specs, checked; a bad one is a usage error naming it. */
export function faultSpecs(texts: readonly string[]): FaultSpec[] {
  try {
    return parseFaultSpecs(texts);
  } catch (error) {
    if (error instanceof FaultSpecError) throw new CliError(error.message);
    throw error;
  }
}

export async function runCommand(argv: string[], io: Io): Promise<number> {
  const options = parseRunOptions(argv);
  if (options === "help") {
    io.out(RUN_USAGE + "\n");
    return 0;
  }
  const description = loadMachineDescription(options.machine);
  let bundles;
  try {
    bundles = await Session.bundle(options.programs);
  } catch (error) {
    if (error instanceof DriverLoadError) throw new CliError(error.message);
    throw error;
  }
  const keys = consoleKeys(options.interactive, options.input, io);
  const machine = openMachine(description, options.seed, options.disk, options.persist);
  let closeCapture: (() => void) | undefined;
  try {
    closeCapture = options.pcap === undefined ? undefined : startCapture(machine, options.pcap);
  } catch (error) {
    machine.close();
    throw error;
  }
  const { output, view } = machineConsole(machine, io, keys, options.verbose);
  const { source: _source, ...machineData } = description;
  const adapters = adaptersFor(description, options.storage);
  const session = newSession(machine, {
    machine,
    machineName: description.name,
    machineData,
    faults: options.faults,
    seed: options.seed,
    output,
    timeoutSeconds: options.timeoutSeconds,
    watchdogMs: options.watchdogMs,
    compat: options.compat,
    traceFile: options.trace,
    inputs: [
      ...(options.disk === undefined ? [] : [diskInput(options.disk, options.persist)]),
      ...(keys ? [keys.header] : []),
    ],
    adapters,
    consoleInput: keys?.source,
    supervision: withDefaultRestart(description.supervision, options.restart, options.restartLimit),
  });
  for (const bundle of bundles) session.spawn(bundle);
  view?.attach(session);
  io.machineStarted?.({ machineName: description.name, session, machine });
  const summary = await session.run();
  closeCapture?.();
  const network = networkSummary(machine);
  const display = finishDisplay(machine, options.screenshot);
  const consoleReport: ConsoleReport = { devices: consoleDevices(machine, summary.deviceEvents) };
  if (view) {
    consoleReport.keys = await view.finish(session);
    consoleReport.outputDropped = view.screen.dropped;
    consoleReport.screen = view.screen.text().lines;
    view.screen.dispose();
  }
  machine.close();
  reportRun(
    io,
    options,
    summary,
    network,
    view !== undefined || worthShowing(consoleReport) ? consoleReport : undefined,
    display,
  );
  if (options.trace !== undefined)
    io.err(
      `zds: trace written to ${path.resolve(options.trace)} (${summary.syscalls} syscalls, ${summary.commits} commits); re-run it with zds replay ${options.trace} --verify\n`,
    );
  return exitStatus(summary);
}

/** A session; a fault the machine cannot have is a usage error (the machine is closed then). */
function newSession(machine: Machine, options: ConstructorParameters<typeof Session>[0]): Session {
  try {
    return new Session(options);
  } catch (error) {
    machine.close();
    if (error instanceof FaultSpecError) throw new CliError(error.message);
    throw error;
  }
}

/** Where the machine's console goes: with keys, a rendered terminal that also shows the kernel's
 *  console text; without, what console devices transmit is printed as it comes. */
function machineConsole(
  machine: Machine,
  io: Io,
  keys: KeyInput | undefined,
  verbose: boolean,
): { output: KernelOutput; view: ConsoleView | undefined } {
  const output = consoleOutput(io, verbose);
  const view = keys && new ConsoleView(io, keys);
  if (view) {
    view.watch(machine);
    output.console = (_p, text) => view.writeText(text);
  } else {
    const decoder = new TextDecoder();
    machine.onConsoleOutput((_device, bytes) => io.out(decoder.decode(bytes, { stream: true })));
  }
  return { output, view };
}

/** The run's summary: one JSON line on stdout with --json (or into the --json-out file), else the
 *  text summary on stderr. */
function reportRun(
  io: Io,
  options: Pick<RunOptions, "json" | "jsonOut" | "verbose">,
  summary: RunSummary,
  network: ReturnType<typeof networkSummary>,
  consoleReport: ConsoleReport | undefined,
  display: DisplaySummary[] = [],
): void {
  const text = () =>
    `${JSON.stringify({ ...jsonSummary(summary, options.verbose), ...(network.length > 0 && { network }), ...(display.length > 0 && { display }), ...(consoleReport && { console: consoleReport }) })}\n`;
  if (options.jsonOut !== undefined) {
    try {
      fs.writeFileSync(options.jsonOut, text());
    } catch (error) {
      throw new CliError(`--json-out ${options.jsonOut}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  if (options.json) io.out(text());
  else
    io.err(
      formatSummary(summary, [
        ...formatNetworkSummary(network),
        ...formatDisplaySummary(display),
        ...(consoleReport ? formatConsoleReport(consoleReport) : []),
      ]),
    );
}

/** The description's supervision with --restart / --restart-limit as the default policy. */
function withDefaultRestart(
  supervision: SupervisionDescription | undefined,
  restart: string | undefined,
  limitText: string | undefined,
): SupervisionDescription | undefined {
  if (restart === undefined && limitText === undefined) return supervision;
  if (restart !== undefined && !RESTART_MODES.includes(restart as RestartMode))
    throw new CliError(`--restart must be one of ${RESTART_MODES.join(", ")} (got "${restart}")`);
  const limit = limitText === undefined ? undefined : Math.trunc(parseNumber("restart-limit", limitText, 0, 0));
  const policy = {
    ...supervision?.default,
    ...(restart !== undefined && { restart: restart as RestartMode }),
    ...(limit !== undefined && { limit }),
  };
  return { ...supervision, default: policy };
}

const RESTART_MODES: readonly RestartMode[] = ["never", "on-failure", "always"];

/** What a trace records of the disk image, so that a replay can find it and tell if it changed. */
function diskInput(file: string, persist: boolean): ZlogDiskInput {
  const stat = fs.statSync(file);
  return { kind: "disk", path: path.resolve(file), persist, bytes: stat.size, mtimeMs: stat.mtimeMs };
}

/** The machine with its disk; an unusable image is a usage error naming the file. */
function openMachine(
  description: MachineDescription,
  seed: number,
  disk: string | undefined,
  persist: boolean | undefined,
): Machine {
  if (persist && disk === undefined)
    throw new CliError("--persist needs --disk IMG: there is no image to write through to");
  try {
    return createMachine(description, { seed, disk: disk === undefined ? undefined : { path: disk, persist } });
  } catch (error) {
    if (error instanceof DiskImageError) throw new CliError(error.message);
    throw error;
  }
}

/** The machine console to stdout; debug lines and faults to stderr, each fault at the driver's
 *  TypeScript line in the form of \`zds check\` (kernel/fault-text.ts). */
export function consoleOutput(io: Io, verbose = false): KernelOutput {
  return {
    console: (_p, text) => io.out(text),
    debug: (p, text) => io.err(`[${p.name}] ${text}${text.endsWith("\n") ? "" : "\n"}`),
    fault: (p, fault) => io.err(`${formatFault(p, fault, { verbose }).join("\n")}\n`),
    note: (text) => io.err(`zds: ${text}\n`),
  };
}

/** The summary as --json prints it: each fault's frames the driver's own unless --verbose. */
export function jsonSummary(summary: RunSummary, verbose: boolean): RunSummary {
  if (verbose) return summary;
  return {
    ...summary,
    processes: summary.processes.map((p) => ({
      ...p,
      faults: p.faults.map((f) => (f.frames ? { ...f, frames: shownFrames(f.frames) } : f)),
    })),
  };
}

/** "1 interrupt", "2 interrupts". */
export function count(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** 0 only when every program exited 0 and nothing was violated. */
export function exitStatus(summary: RunSummary): number {
  const clean =
    summary.outcome === "completed" &&
    summary.violations.length === 0 &&
    summary.processes.every((p) => p.state === "exited" && p.exitCode === 0);
  return clean ? 0 : 1;
}

/** Device events the text summary spells out; --json has them all. */
const SHOWN_DEVICE_EVENTS = 5;

export function formatSummary(s: RunSummary, deviceLines: readonly string[] = []): string {
  const lines = [
    ``,
    `── ${s.machine} machine, seed ${s.seed}: ${s.outcome} after ${(s.virtualTimeNs / 1e6).toFixed(3)} ms virtual (${s.wallMs} ms wall)`,
    ...s.processes.flatMap((p) => {
      const status = p.state === "exited" ? `exited ${p.exitCode}` : p.state;
      const last = p.faults[p.faults.length - 1];
      const fault = last ? ` — ${last.kind}${last.code ? ` ${last.code}` : ""}` : "";
      const line = `   pid ${String(p.pid).padEnd(3)} ${p.name.padEnd(16)} ${status}${fault}${p.device ? `  [${p.device}]` : ""}  ${count(p.syscalls, "syscall")}`;
      return p.waiting ? [line, `           ${p.waiting}`] : [line];
    }),
    `   ${count(s.syscalls, "syscall")}, ${count(s.ipcMessages, "IPC message")}, ${count(s.irqs, "interrupt")}, ${count(s.violations.length, "violation")}, ${count(s.deviceEvents.length, "device event")}`,
    ...s.violations.map((v) => `   violation: ${formatViolation(v)}`),
    ...s.limits.map(
      (l) =>
        `   limit: ${l.process} (pid ${l.pid}) ${l.syscall}: ${l.message}${l.count > 1 ? ` (${l.count} times)` : ""}`,
    ),
    ...s.deviceEvents
      .slice(0, SHOWN_DEVICE_EVENTS)
      .map(
        (e) =>
          `   device event: ${e.device} ${e.kind}: ${"message" in e ? e.message : "reason" in e ? e.reason : e.detail}`,
      ),
    ...(s.deviceEvents.length > SHOWN_DEVICE_EVENTS
      ? [`   … ${s.deviceEvents.length - SHOWN_DEVICE_EVENTS} more device events (--json lists them all)`]
      : []),
    ...(s.faults ?? []).map((f) => `   injected fault ${f.fault}: ${f.detail} at ${(f.at / 1e6).toFixed(3)} ms`),
    ...deviceLines,
    `   syslog hash ${s.syslogHash}`,
    ``,
  ];
  return lines.join("\n");
}
