// The life of one run of the machine under the debugger: built (a machine, a kernel session, the
// debug hooks wired to stop-hooks.ts, the console both ways), started (programs spawned, stop on
// entry), adopted as the run the user debugs, and ended (its end reported once every worker is
// gone). The launch is the first run; every re-run of time travel and every checkpoint run is
// another run of the same prepared programs, machine, seed and disk: the same run, event for event.

import fs from "node:fs";
import path from "node:path";
import { createMachine, DiskImageError, type Machine } from "../../devices";
import type { Kernel } from "../kernel";
import type { KernelOutput } from "../kernel-types";
import { Session } from "../session";
import type { ZlogDiskInput } from "../trace/zlog";
import type { CheckpointRunStarter, Checkpoints } from "./checkpoints";
import type { DebugConsole } from "./debug-console";
import type { DebugState, Prepared, Run } from "./debug-state";
import { LaunchError } from "./launch-error";
import type { SourceDebugger } from "./source";
import type { StopHooks } from "./stop-hooks";
import { formatFault } from "../fault-text";

/** The machine and kernel a run exposes to the extension's views and console terminal. */
export interface LiveRun {
  kernel: Kernel;
  machine: Machine;
}

/** Who is told when a run becomes the one debugged: the first (launched) or a later one (replaced). */
export interface RunEvents {
  launched(live: LiveRun): void;
  replaced(live: LiveRun): void;
}

export class RunLifecycle implements CheckpointRunStarter {
  constructor(
    private readonly state: DebugState,
    private readonly source: SourceDebugger,
    private readonly hooks: StopHooks,
    private readonly checkpoints: Checkpoints,
    private readonly console: DebugConsole,
    private readonly events: RunEvents,
  ) {}

  /** A fresh machine and kernel running the prepared programs from the start: the launch, and every
   *  re-run of time travel (same machine, programs, seed and disk: the same run, event for event). */
  startSession(stopOnEntry: boolean): void {
    const state = this.state;
    const first = state.generation === 0;
    const run = this.createRun(undefined);
    this.adopt(run);
    const kernel = run.session.kernel;
    if (first) this.events.launched({ kernel, machine: run.machine });
    state.booting = true;
    if (first) {
      const { description, bundles } = state.prepared as Prepared;
      state.listener.progress({
        id: "boot",
        kind: "start",
        title: "Zero Driver",
        message: `booting ${description.name} with ${bundles.length} program${bundles.length === 1 ? "" : "s"}`,
      });
    }
    this.startRun(run, () => {
      // Paused before start(): nobody gets the run token until the client continues.
      if (!stopOnEntry) return;
      kernel.pauseScheduling();
      const proc = [...kernel.processes.values()][0];
      const travelled = state.travel?.kind === "start";
      state.travel = undefined;
      this.hooks.carryOut(
        {
          pid: proc?.pid ?? 0,
          reason: "entry",
          description: travelled
            ? "Reverse continue: no breakpoint was hit before; back at the start, before any program has run"
            : "Paused on entry: no program has run yet",
          source: false,
        },
        0,
      );
    });
    state.runs = run.ended;
  }

  /** A machine with the prepared programs, not started. A checkpoint run (`target` set) runs in the
   *  background with no stops and no output and holds at the first syscall at or after `target`; it
   *  answers to the user only once adopted. */
  createRun(target: number | undefined): Run {
    const state = this.state;
    const prepared = state.prepared;
    if (!prepared) throw new Error("a run before launch");
    const { options, description } = prepared;
    let machine: Machine;
    try {
      machine = createMachine(description, {
        seed: options.seed,
        disk: options.disk === undefined ? undefined : { path: options.disk, persist: options.persist ?? false },
      });
    } catch (error) {
      if (error instanceof DiskImageError) throw new LaunchError(`"disk": ${error.message}`);
      throw error;
    }
    const firstRun = state.generation === 0 && target === undefined;
    const run: Run = {
      machine,
      session: undefined as unknown as Session,
      generation: 0,
      deliveries: 0,
      lastSyscall: new Map(),
      target: target ?? 0,
      heldAt: undefined,
      ended: Promise.resolve(),
    };
    const live = () => state.isLive(run);
    this.console.forwardOutput(machine, live);
    machine.onDeviceEvent((event) => live() && this.hooks.onDeviceEvent(event));
    const { source: _source, ...machineData } = description;
    const keys = this.console.keysFor(live);
    const session = new Session({
      machine,
      machineName: description.name,
      machineData,
      seed: options.seed,
      output: this.kernelOutput(run, live),
      watchdogMs: options.watchdogMs,
      supervision: description.supervision,
      // A re-run does not write the trace again: the first run's file is the recording.
      traceFile: firstRun ? options.trace : undefined,
      inputs: options.disk === undefined ? [] : [diskInput(options.disk, options.persist ?? false)],
      consoleInput: keys,
      faults: options.faults,
      recordedFaults: options.recordedFaults,
      // A driver paused in the inspector holds the run token mid-code: pausing scheduling keeps the
      // watchdog off (it ignores a paused kernel) and virtual time still.
      debug: (proc, link, bundle) =>
        this.source.client(proc, link, bundle, () => session.kernel.pauseScheduling(), run.generation === 0),
    });
    run.session = session;
    keys.onInput(() => session.consoleInput?.wake());
    const kernel = session.kernel;
    kernel.debugHooks = {
      beforeSyscall: (proc, request) =>
        live() ? this.hooks.beforeSyscall(proc, request) : this.checkpoints.syscall(run, proc, request),
      onDeliver: (ep, message) => {
        if (live()) this.hooks.onDeliver(kernel, ep, message);
        else run.deliveries++;
      },
      beforeRun: () => live() && this.hooks.beforeRun(kernel),
    };
    kernel.onProcessEnded(() => {
      // A process ended while the user looks at a stopped machine (its worker died): views are stale.
      if (live() && state.stop) state.listener.invalidated(["threads", "variables"]);
    });
    return run;
  }

  /** Spawn the programs and start the machine; `beforeStart` runs between the two. */
  startRun(run: Run, beforeStart: () => void): void {
    const state = this.state;
    const { bundles } = state.prepared as Prepared;
    for (const bundle of bundles) run.session.spawn(bundle);
    beforeStart();
    const live = () => state.isLive(run);
    run.ended = run.session.run().then((summary) => {
      run.machine.close();
      this.checkpoints.runEnded(run);
      if (!live()) return;
      state.ended = true;
      state.travel = undefined;
      state.scanDone?.();
      state.bootDone();
      this.checkpoints.discard();
      // Reported once every machine's workers are gone: a host that exits on it must not exit while
      // workers are still being torn down under the inspector.
      void state.teardown.then(() => state.listener.ended(summary));
    });
  }

  /** Make `run` the machine the user debugs (a new run, or a checkpoint promoted). */
  adopt(run: Run): void {
    const state = this.state;
    run.generation = ++state.generation;
    state.session = run.session;
    state.machine = run.machine;
    state.resetRunState();
    state.deliveries = run.deliveries;
    state.lastSyscall = run.lastSyscall;
    state.runs = run.ended;
    if (run.generation > 1) this.events.replaced({ kernel: run.session.kernel, machine: run.machine });
  }

  private kernelOutput(run: Run, live: () => boolean): KernelOutput {
    const state = this.state;
    return {
      console: (_p, text) => {
        if (live() && !state.travel) state.listener.console("kernel", text);
      },
      debug: (p, text) => {
        if (live() && !state.travel)
          state.listener.output("stderr", `[${p.name}] ${text}${text.endsWith("\n") ? "" : "\n"}`);
      },
      fault: (p, fault) => {
        if (!live()) {
          if (this.checkpoints.isCheckpoint(run)) this.source.forgetStandby(p.pid);
          return;
        }
        this.source.forget(p.pid);
        // As `zds run` reports it: the driver's TypeScript line (a link in the debug console), the code, the fix.
        if (!state.travel) state.listener.output("stderr", `${formatFault(p, fault, { absolute: true }).join("\n")}\n`);
        this.hooks.onFault(p, fault);
      },
    };
  }
}

/** What a trace records of the disk image, so that a replay can find it and tell if it changed. */
function diskInput(file: string, persist: boolean): ZlogDiskInput {
  const stat = fs.statSync(file);
  return { kind: "disk", path: path.resolve(file), persist, bytes: stat.size, mtimeMs: stat.mtimeMs };
}
