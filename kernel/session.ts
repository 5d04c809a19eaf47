// A session: one machine, one kernel, the programs given, run until every program has exited,
// the machine is idle, or the time limit passes. The CLI, the tests and (later) the debug adapter
// all start machines through this.

import type { MachineHandle } from "../devices/machine-interface";
import { Kernel, type KernelOutput, type Violation } from "./kernel";
import { bundleDriver, type DriverBundle } from "./loader/bundle-driver";
import { WorkerProcess } from "./host/worker-process";
import { EPOCH_MS } from "./syscalls/misc";
import type { Fault, KernelProcess, ProcessState } from "./process";
import type { DeviceEvent } from "../devices/machine-interface";

export interface SessionOptions {
  machine: MachineHandle;
  machineName: string;
  seed: number;
  output: KernelOutput;
  /** Wall-clock seconds before the run is stopped. */
  timeoutSeconds?: number;
  watchdogMs?: number;
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
}

export interface RunSummary {
  machine: string;
  seed: number;
  /** "completed": every program ended; "idle": some wait for something that cannot come; "timeout". */
  outcome: "completed" | "idle" | "timeout";
  processes: ProcessSummary[];
  syscalls: number;
  ipcMessages: number;
  irqs: number;
  violations: Violation[];
  deviceEvents: DeviceEvent[];
  virtualTimeNs: number;
  syslogHash: string;
  wallMs: number;
}

export class Session {
  readonly kernel: Kernel;
  private readonly started = performance.now();

  constructor(private readonly options: SessionOptions) {
    this.kernel = new Kernel({ machine: options.machine, seed: options.seed, output: options.output, watchdogMs: options.watchdogMs });
  }

  /** Compile every program first, so a broken one stops the run before anything starts. */
  static async bundle(paths: readonly string[]): Promise<DriverBundle[]> {
    return Promise.all(paths.map((p) => bundleDriver(p)));
  }

  spawn(bundle: DriverBundle): KernelProcess {
    const name = bundle.filename.replace(/^zds-driver:\/\/\//, "").replace(/\.js$/, "");
    return this.kernel.spawn(name, bundle.entry, (events) => {
      return new WorkerProcess(
        { code: bundle.code, filename: bundle.filename, seed: (this.options.seed * 0x9e3779b1 + this.kernel.processes.size) >>> 0, epochMs: EPOCH_MS },
        events,
      );
    });
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
    this.kernel.start();
    const outcome = await Promise.race([finished, timeout]);
    if (timer) clearTimeout(timer);
    this.kernel.shutdown();
    return this.summary(outcome);
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
      })),
      syscalls: k.syslog.syscallCount,
      ipcMessages: k.ipcMessages,
      irqs: k.irqs,
      violations: k.violations,
      deviceEvents: k.deviceEvents,
      virtualTimeNs: k.now(),
      syslogHash: k.syslog.digest(),
      wallMs: Math.round(performance.now() - this.started),
    };
  }
}
