// A session: one machine, one kernel, the programs given, run until every program has exited,
// the machine is idle, or the time limit passes. The CLI, the tests and (later) the debug adapter
// all start machines through this.

import type { MachineHandle } from "../devices/machine-interface";
import { Kernel } from "./kernel";
import type { KernelOutput, Violation } from "./kernel-types";
import { bundleDriver, type DriverBundle, type ScriptBundle } from "./loader/bundle-driver";
import { BundleSource } from "./loader/source-map";
import { WorkerProcess, type WorkerDebugClient } from "./host/worker-process";
import type { WorkerLink } from "./host/inspector-hub";
import { EPOCH_MS } from "./syscalls/misc";
import type { Fault, KernelProcess, ProcessState } from "./process";
import type { DeviceEvent } from "../devices/machine-interface";
import type { DriverPolicy, SupervisionDescription } from "../devices";
import { Supervisor, type ProgramRecord } from "./supervisor";
import { ZlogWriter } from "./trace/zlog-writer";
import { ZLOG_VERSION, type ZlogHeader } from "./trace/zlog";
import { ConsoleInputHub, type ConsoleInputSource } from "./console-input";
import type { LimitRefusal } from "./limits";
import { AdapterHub, type AdapterBackend, type AdapterStats, type AdapterTiming } from "./adapters/hub";
import { defaultStorageDir, LiveAdapters } from "./adapters/live";
import type { NetworkPolicy } from "./adapters/network-fetch";
import { FaultInjector, type FiredFault, type RecordedFault } from "./faults/injector";
import type { FaultSpec } from "./faults/spec";

export interface SessionOptions {
  machine: MachineHandle;
  machineName: string;
  seed: number;
  output: KernelOutput;
  /** Wall-clock seconds before the run is stopped. */
  timeoutSeconds?: number;
  watchdogMs?: number;
  /** Compatibility with the running browser kernel's message limits. */
  compat?: boolean;
  /** Heap limit of each driver's isolate, in MiB; overrides the machine's supervision policy. */
  memoryMb?: number;
  /** Restart policies and limits per driver (the machine description's "supervision" section). */
  supervision?: SupervisionDescription;
  /** Save the SysLog and CommitLog, with what is needed to re-run, to this .zlog file. */
  traceFile?: string;
  /** The machine description as data, for the trace header. */
  machineData?: unknown;
  /** Outside input the machine consumes (disk images…), recorded in the trace header. */
  inputs?: unknown[];
  /** Keystrokes from outside (kernel/console-sources.ts, or a replay's recording): applied at
   *  input points and recorded in the trace. With it, an idle machine whose client waits for input
   *  stays up while the source may still type. */
  consoleInput?: ConsoleInputSource;
  /** Storage and network (docs/adapters.md). Default: the store in .zds/storage/<machine> under the
   *  cwd (opened at the first storage request), no host reachable. */
  adapters?: SessionAdapters;
  /** Faults to inject (docs/faults.md), parsed by kernel/faults/spec.ts; recorded in the trace. */
  faults?: readonly FaultSpec[];
  /** Faults a debug session injected in the recorded run, given back at their input points. */
  recordedFaults?: readonly RecordedFault[];
  /** Source-level debugging: called for each script process once its worker's inspector is attached. */
  debug?: (proc: KernelProcess, link: WorkerLink, bundle: ScriptBundle) => WorkerDebugClient;
}

export interface SessionAdapters {
  /** The store's directory. */
  storageDir?: string;
  /** The machine description's "network" section. */
  network?: NetworkPolicy;
  /** Virtual latency of a request (the machine description's storage/network "latencyUs"). */
  timing?: Partial<AdapterTiming>;
  /** Where results come from instead of the store and the network (a replay's trace). */
  backend?: AdapterBackend;
}

export interface ProcessSummary {
  name: string;
  pid: number;
  source: string;
  state: ProcessState;
  exitCode: number | null;
  faults: Fault[];
  syscalls: number;
  device: string | null;
  /** The PID of the process this one restarted, if the supervisor started it. */
  restartOf: number | null;
  /** For a process still blocked at the end: what it waits for, in words
   *  (`waiting for "rng": no program in this run serves it`). */
  waiting?: string;
}

export interface RunSummary {
  machine: string;
  seed: number;
  /** "completed": every program ended; "idle": some wait for something that cannot come; "timeout". */
  outcome: "completed" | "idle" | "timeout" | "stopped";
  processes: ProcessSummary[];
  syscalls: number;
  ipcMessages: number;
  irqs: number;
  violations: Violation[];
  /** Each per-process limit reached (machine description "limits"): which, by whom, in which
   *  syscall; `message` is what to show ("E_NOMEM: endpoint limit 64 reached (limits.endpoints …)"). */
  limits: LimitRefusal[];
  /** Per program: how often the supervisor restarted it, and why it gave up if it did. */
  supervision: ProgramRecord[];
  deviceEvents: DeviceEvent[];
  virtualTimeNs: number;
  syslogHash: string;
  commits: number;
  commitHead: string;
  wallMs: number;
  /** Injected faults that took effect, in order (present when the run had a fault plan). */
  faults?: FiredFault[];
  /** Storage and network requests and results (present when a program made any). */
  adapters?: AdapterStats & { storageDir?: string; fsyncs?: number; fsyncMs?: number };
}

export class Session {
  readonly kernel: Kernel;
  private readonly started = performance.now();
  private readonly bundles: DriverBundle[] = [];
  private trace: ZlogWriter | undefined;
  private stopRequested: (() => void) | undefined;

  readonly supervisor: Supervisor;
  /** Present when the session takes keystrokes (options.consoleInput). */
  readonly consoleInput: ConsoleInputHub | undefined;
  /** Storage and network requests (kernel/adapters/hub.ts). */
  readonly adapters: AdapterHub;
  private readonly live: LiveAdapters | undefined;
  /** Present when the run injects faults (options.faults), or may (a debug session). */
  readonly faults: FaultInjector;

  constructor(private readonly options: SessionOptions) {
    this.kernel = new Kernel({
      machine: options.machine,
      seed: options.seed,
      output: options.output,
      watchdogMs: options.watchdogMs,
      compat: options.compat,
    });
    const overrides: Partial<DriverPolicy> = {
      ...(options.watchdogMs !== undefined && { watchdogMs: options.watchdogMs }),
      ...(options.memoryMb !== undefined && { memoryMb: options.memoryMb }),
    };
    this.supervisor = new Supervisor(this.kernel, options.supervision, overrides, (index, old) =>
      this.start(this.bundles[index], old.pid),
    );
    if (options.consoleInput) {
      this.consoleInput = new ConsoleInputHub(this.kernel, options.consoleInput);
      this.consoleInput.onDelivery((delivery) => this.trace?.input(delivery));
    }
    // After the console hub: the adapters wrap the input hooks already attached.
    const a = options.adapters;
    this.live = a?.backend
      ? undefined
      : new LiveAdapters({
          storageDir: a?.storageDir ?? defaultStorageDir(options.machineName),
          network: a?.network,
          note: (text) => options.output.note?.(text),
        });
    this.adapters = new AdapterHub(this.kernel, a?.backend ?? (this.live as LiveAdapters), {
      storageLatencyNs: a?.timing?.storageLatencyNs ?? 100_000,
      networkLatencyNs: a?.timing?.networkLatencyNs ?? 1_000_000,
    });
    this.adapters.onDelivery((delivery) => this.trace?.adapterResult(delivery));
    // A frame is part of the run: its pixel hash goes into the SysLog (docs/display.md).
    options.machine.onDisplayFrame?.((device, frame) =>
      this.kernel.syslog.frame(this.kernel.now(), device, frame.index, frame.hash),
    );
    // Last: its input point comes after the keys' and the adapters'.
    this.faults = new FaultInjector(this.kernel, options.faults ?? [], options.recordedFaults);
    this.faults.onDelivery((delivery) => this.trace?.faultInput(delivery));
  }

  /** End the run now (a replay that found its divergence, a user pressing stop). */
  stop(): void {
    this.stopRequested?.();
  }

  /** Compile every program first, so a broken one stops the run before anything starts. */
  static async bundle(paths: readonly string[]): Promise<DriverBundle[]> {
    return Promise.all(paths.map((p) => bundleDriver(p)));
  }

  /** Add a program to the machine; the supervisor watches it from now on. */
  spawn(bundle: DriverBundle): KernelProcess {
    const index = this.bundles.push(bundle) - 1;
    const proc = this.start(bundle, undefined);
    this.supervisor.track(index, programName(bundle), proc);
    return proc;
  }

  private start(bundle: DriverBundle, restartOf: number | undefined): KernelProcess {
    const name = programName(bundle);
    const memoryMb = this.supervisor.policy(name).memoryMb;
    const debug = this.options.debug;
    // The inspector attaches asynchronously, after kernel.spawn has returned the process.
    let spawned: KernelProcess | undefined;
    const proc = this.kernel.spawn(name, bundle.entry, (events) => {
      return new WorkerProcess(
        {
          code: bundle.kind === "script" ? bundle.code : "",
          wasm: bundle.kind === "wasm" ? bundle.wasm : undefined,
          filename: bundle.filename,
          seed: (this.options.seed * 0x9e3779b1 + this.kernel.processes.size) >>> 0,
          epochMs: EPOCH_MS,
          memoryMb,
          title: `zds ${name}`,
          debug:
            debug && bundle.kind === "script" ? (link) => debug(spawned as KernelProcess, link, bundle) : undefined,
        },
        events,
      );
    });
    spawned = proc;
    proc.restartOf = restartOf;
    // Faults are reported in the driver's TypeScript, through the bundle's source map.
    if (bundle.kind === "script") proc.symbols = new BundleSource(bundle);
    return proc;
  }

  /** Run until done; always tears the machine down. */
  async run(): Promise<RunSummary> {
    const finished = new Promise<"completed" | "idle">((resolve) => {
      this.kernel.onIdle(() => {
        const allEnded = [...this.kernel.processes.values()].every((p) => !p.alive);
        resolve(allEnded ? "completed" : "idle");
      });
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<"timeout">((resolve) => {
      const seconds = this.options.timeoutSeconds;
      if (seconds !== undefined && seconds > 0) timer = setTimeout(() => resolve("timeout"), seconds * 1000);
    });
    const stopped = new Promise<"stopped">((resolve) => (this.stopRequested = () => resolve("stopped")));
    if (this.options.traceFile) this.trace = new ZlogWriter(this.options.traceFile, this.traceHeader(), this.kernel);
    this.kernel.start();
    const outcome = await Promise.race([finished, timeout, stopped]);
    if (timer) clearTimeout(timer);
    await this.kernel.shutdown();
    // Writes still queued become durable (their results go nowhere now); the store's lock is let go.
    await this.adapters.close();
    const summary = this.summary(outcome);
    this.trace?.close({
      end: true,
      outcome,
      syslogHash: summary.syslogHash,
      commitHead: summary.commitHead,
      syscalls: summary.syscalls,
      events: this.kernel.syslog.eventCount,
      commits: summary.commits,
    });
    return summary;
  }

  private traceHeader(): ZlogHeader {
    return {
      zlog: ZLOG_VERSION,
      tool: "zero-driver-studio",
      machineName: this.options.machineName,
      machine: this.options.machineData ?? null,
      seed: this.options.seed,
      options: { watchdogMs: this.options.watchdogMs ?? 5000, compat: this.options.compat ?? false },
      programs: this.bundles.map((b) => ({ name: programName(b), path: b.path, sha256: b.sha256 })),
      inputs: this.options.inputs ?? [],
      ...(this.options.faults?.length && { faults: this.options.faults.map((f) => f.text) }),
    };
  }

  summary(outcome: RunSummary["outcome"]): RunSummary {
    const k = this.kernel;
    return {
      machine: this.options.machineName,
      seed: this.options.seed,
      outcome,
      processes: [...k.processes.values()].map((p) => ({
        name: p.name,
        pid: p.pid,
        source: p.source,
        state: p.state,
        exitCode: p.exitCode ?? null,
        faults: p.faults,
        syscalls: p.syscalls,
        device: p.device ?? null,
        restartOf: p.restartOf ?? null,
        ...(p.alive && p.blockedOn && { waiting: this.waitingFor(p) }),
      })),
      syscalls: k.syslog.syscallCount,
      ipcMessages: k.ipcMessages,
      irqs: k.irqs,
      violations: k.violations,
      limits: k.limitRefusals,
      supervision: this.supervisor.programs,
      deviceEvents: k.deviceEvents,
      virtualTimeNs: k.now(),
      syslogHash: k.syslog.digest(),
      commits: k.commits.count,
      commitHead: k.commits.digest(),
      wallMs: Math.round(performance.now() - this.started),
      ...(this.faults.plan.length > 0 && { faults: [...this.faults.fired] }),
      ...this.adapterSummary(),
    };
  }

  /** What a process blocked at the end of the run waits for. */
  private waitingFor(p: KernelProcess): string {
    const on = p.blockedOn;
    if (on?.kind === "lookup") return this.kernel.init.lookupWait(on.service);
    if (on?.kind === "reply") {
      const server = on.server !== undefined ? this.kernel.process(on.server) : undefined;
      return server ? `waiting for a reply from ${server.name} (pid ${server.pid})` : "waiting for a reply";
    }
    return "waiting for a message";
  }

  private adapterSummary(): Pick<RunSummary, "adapters"> {
    const stats = this.adapters.stats;
    if (stats.requests.storage + stats.requests.network === 0) return {};
    const store = this.live?.opened;
    return {
      adapters: {
        ...stats,
        holdMs: Math.round(stats.holdMs * 1000) / 1000,
        ...(store && {
          storageDir: store.dir,
          fsyncs: store.stats.syncs,
          fsyncMs: Math.round(store.stats.syncMs * 1000) / 1000,
        }),
      },
    };
  }
}

/** A program's name before it runs: its folder (for index.ts) or file name. */
export function programName(bundle: DriverBundle): string {
  return bundle.filename.replace(/^zds-driver:\/\/\//, "").replace(/\.(js|wasm)$/, "");
}
