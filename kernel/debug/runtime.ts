// The debuggee side of the debug adapter: one Session under control. It knows nothing of DAP
// (extension/debug-adapter/session.ts translates). It launches programs; pauses and resumes the whole
// machine through the kernel's run token; carries out the stops that stop-rules.ts decides, pausing
// the stopped process's worker in its inspector so that every stop shows the driver's own line; and
// describes processes, devices and DMA memory for the views.

import fs from "node:fs";
import path from "node:path";
import { createMachine, DiskImageError, loadMachineDescription, MachineDescriptionError, type DeviceEvent, type Machine, type MachineDescription } from "../../devices";
import type { Kernel, KernelOutput } from "../kernel";
import { DriverLoadError, type DriverBundle } from "../loader/bundle-driver";
import type { Endpoint, Message } from "../objects";
import type { Fault, KernelProcess } from "../process";
import { Session, type RunSummary } from "../session";
import { TextDecoder } from "node:util";
import type { ZlogDiskInput } from "../trace/zlog";
import type { SyscallRequest } from "../worker/mailbox";
import { describeCaps, describeMessage, describeSyscall, describeVirtio, describeVirtqueues, dmaReader, hex, type InspectItem } from "./describe";
import { isIrqTag } from "../abi/tags";
import { DataWatch, type DataBreakpointResult, type DataBreakpointSpec } from "./data-watch";
import { consoleDeviceNames } from "../console-input";
import { DebugKeyLog } from "./debug-keys";
import { GuestMemoryView, type MemoryChange } from "./guest-memory";
import { SourceDebugger, type SourceBreakpointResult, type SourceBreakpointSpec, type SourceFrame, type SourcePause, type StepKind } from "./source";
import { StopRules, type StopDecision, type StopReason } from "./stop-rules";
import { compareKeys, EventTimeline, HitCounter, type HitKey, type LineRecipe, type TravelTarget } from "./time-travel";

export type { InspectItem } from "./describe";
export type { StopReason } from "./stop-rules";
export { ExceptionFilter, EXCEPTION_FILTERS, type ExceptionFilterId } from "./conditions";

export interface LaunchOptions {
  /** Driver or client paths (folders with index.ts, or files), already resolved to absolute. */
  programs: string[];
  /** "virt" or a machine description file, or a description already parsed (a trace's). */
  machine: string | MachineDescription;
  seed: number;
  stopOnEntry: boolean;
  watchdogMs?: number;
  /** Raw disk image for the disk controllers (absolute); writes go to an overlay unless `persist`. */
  disk?: string;
  persist?: boolean;
  /** Save the run as a .zlog trace here (absolute). */
  trace?: string;
  /** Content hashes the bundled programs must have (a replayed trace's): a change is refused. */
  expectSha256?: string[];
}

import { LaunchError } from "./launch-error";
export { LaunchError } from "./launch-error";

export interface StopInfo {
  reason: StopReason;
  pid: number;
  /** One line for the UI: what stopped the machine. */
  description: string;
  /** The exception filter that matched, for exception stops. */
  exceptionId?: string;
  /** Driver frames mapped from an exception's stack text (the worker's own stack is gone). */
  frames?: SourceFrame[];
  /** Event index of the stop: the syscall or message it is at, or the next one (a driver line). */
  event: number;
  /** Where the stop sits among breakpoint hits (reverse continue goes to the last one before). */
  key: HitKey;
  /** For a stop on a driver line reached by a line breakpoint and line steps: how to come back. */
  recipe?: LineRecipe;
}

export interface ProgressReport {
  id: string;
  kind: "start" | "update" | "end";
  title?: string;
  message?: string;
}

export interface RuntimeListener {
  stopped(stop: StopInfo): void;
  output(category: "stdout" | "stderr" | "console", text: string): void;
  /** What the machine console shows: console devices' output and programs' SYS_CONSOLE_WRITE ("kernel"). */
  console(device: string, text: string): void;
  /** The run ended (every program ended, the machine went idle, or stop() was called). */
  ended(summary: RunSummary): void;
  /** Source breakpoints resolved again once launch has bundled the programs. */
  breakpointsChanged(results: SourceBreakpointResult[]): void;
  progress(report: ProgressReport): void;
  /** Views showing these areas are stale (state changed while the machine is stopped). */
  invalidated(areas: ("threads" | "variables" | "stacks")[]): void;
  /** DMA memory a client has viewed changed. */
  memory(changes: MemoryChange[]): void;
}

export interface ThreadInfo {
  pid: number;
  name: string;
  state: string;
}

/** What a process looked like when it faulted: kept so the views still show it after teardown. */
interface FaultSnapshot {
  pid: number;
  caps: InspectItem[];
  frame: string;
}

export class DebugRuntime {
  private session: Session | undefined;
  private machine: Machine | undefined;
  private readonly data = new DataWatch(() => this.machine);
  readonly rules = new StopRules(this.data);
  readonly memory = new GuestMemoryView(() => this.machine);
  /** Last syscall each process made: what a faulting process was doing. */
  private lastSyscall = new Map<number, SyscallRequest>();
  private stop: StopInfo | undefined;
  /** A stop decided and being carried out (its worker pausing); reported once it lands. */
  private stopping = false;
  private faultSnapshot: FaultSnapshot | undefined;
  /** A process stopped before a fault the kernel carries out on continue (not stopped on twice). */
  private expectedFault: number | undefined;
  private ended = false;
  private booting = false;
  /** Breakpoints, stepping and values in driver TypeScript (worker inspectors). */
  readonly source = new SourceDebugger(
    (pause) => this.onSourcePause(pause),
    // A logpoint's message goes to the debug console; the worker has already run on.
    (_pid, text, file, line) => this.listener.output("console", `${text}  (${path.basename(file)}:${line})\n`),
  );

  // ── time travel (deterministic re-execution; kernel/debug/time-travel.ts) ──
  private prepared: Prepared | undefined;
  /** A run held a little behind the current stop, so that going back does not start from scratch. */
  private checkpoint: Run | undefined;
  private checkpointHeld: (() => void) | undefined;
  /** How many events behind a stop the checkpoint run is held (0: no checkpoints; every step back
   *  re-runs from the start). */
  checkpointWindow = 1000;
  private checkpointStarting = false;
  /** Retired machines' teardown (their workers ending). */
  private teardown: Promise<void> = Promise.resolve();
  /** Below this many events a re-run from the start is quick: no checkpoint run is kept. */
  checkpointFrom = 10_000;
  /** Bumped for every run of the machine; callbacks of an older run are ignored. */
  private generation = 0;
  /** Keys typed into the console terminal, kept for re-runs. */
  private readonly keys = new DebugKeyLog();
  /** The current run's end (its machine torn down). */
  private runs: Promise<void> = Promise.resolve();
  /** Messages delivered in this run: with the syscalls carried out, the event index. */
  private deliveries = 0;
  private readonly timeline = new EventTimeline();
  private readonly hits = new HitCounter();
  /** Where the current re-run goes; undefined when the machine runs forward for the user. */
  private travel: TravelTarget | undefined;
  /** Resolves a reverse continue's first pass once it has collected the hits. */
  private scanDone: (() => void) | undefined;
  /** Hit key of the source pause being reported, and whether reverse continue brought us there. */
  private sourceKey: HitKey | undefined;
  private sourceTravelled = false;
  /** The recipe the line step under way will have reached (line steps from a recipe stop). */
  private pendingRecipe: LineRecipe | undefined;
  private terminated = false;

  constructor(private readonly listener: RuntimeListener) {
    this.source.gate = (_pid, reason) => this.sourceGate(reason);
  }

  /** Told when launch has created the machine, before any program runs (the extension's views and
   *  console terminal attach here). */
  onLaunched: ((live: { kernel: Kernel; machine: Machine }) => void) | undefined;

  /** Told when time travel has replaced the machine (a re-run or a checkpoint run is now the one
   *  debugged): views and the console terminal follow the new kernel and machine. */
  onReplaced: ((live: { kernel: Kernel; machine: Machine }) => void) | undefined;

  /** The running machine and its kernel, once launched (for views). */
  get live(): { kernel: Kernel; machine: Machine } | undefined {
    return this.session && this.machine ? { kernel: this.session.kernel, machine: this.machine } : undefined;
  }

  /** Check the programs and machine, build them, and start; stops on entry if asked. */
  async launch(options: LaunchOptions): Promise<void> {
    let description: MachineDescription;
    try {
      description = typeof options.machine === "string" ? loadMachineDescription(options.machine) : options.machine;
    } catch (error) {
      if (error instanceof MachineDescriptionError || isNodeError(error)) throw new LaunchError(`"machine": ${error.message}. Use "virt" or the path of a machine description (.json).`);
      throw error;
    }
    if (options.trace !== undefined) checkTracePath(options.trace);
    this.listener.progress({ id: "bundle", kind: "start", title: "Zero Driver", message: `bundling ${options.programs.map((p) => path.basename(p)).join(", ")}` });
    let bundles: DriverBundle[];
    try {
      bundles = await Session.bundle(options.programs);
    } catch (error) {
      if (error instanceof DriverLoadError) throw new LaunchError(`"program": ${error.message}`);
      throw error;
    } finally {
      this.listener.progress({ id: "bundle", kind: "end" });
    }
    if (options.expectSha256) {
      const changed = bundles.flatMap((b, i) => (b.sha256 !== options.expectSha256?.[i] ? [options.programs[i]] : []));
      if (changed.length) throw new LaunchError(`"replay": ${changed.join(", ")} changed since the trace was recorded (its content hash differs), so the replay would not reproduce the run. Restore the recorded version (e.g. git checkout), or record a new trace.`);
    }
    // esbuild writes the map's sources relative to the cwd of the bundling process: this one.
    for (const bundle of bundles) if (bundle.kind === "script") this.source.addProgram(bundle, process.cwd());
    this.listener.breakpointsChanged(this.source.resolveAll());
    this.prepared = { options, description, bundles };
    this.startSession(options.stopOnEntry);
  }

  /** A fresh machine and kernel running the prepared programs from the start: the launch, and every
   *  re-run of time travel (same machine, programs, seed and disk: the same run, event for event). */
  private startSession(stopOnEntry: boolean): void {
    const first = this.generation === 0;
    const run = this.createRun(undefined);
    this.adopt(run);
    const kernel = run.session.kernel;
    if (first) this.onLaunched?.({ kernel, machine: run.machine });
    this.booting = true;
    if (first) {
      const { description, bundles } = this.prepared as Prepared;
      this.listener.progress({ id: "boot", kind: "start", title: "Zero Driver", message: `booting ${description.name} with ${bundles.length} program${bundles.length === 1 ? "" : "s"}` });
    }
    this.startRun(run, () => {
      // Paused before start(): nobody gets the run token until the client continues.
      if (!stopOnEntry) return;
      kernel.pauseScheduling();
      const proc = [...kernel.processes.values()][0];
      const travelled = this.travel?.kind === "start";
      this.travel = undefined;
      this.carryOut({ pid: proc?.pid ?? 0, reason: "entry", description: travelled ? "Reverse continue: no breakpoint was hit before; back at the start, before any program has run" : "Paused on entry: no program has run yet", source: false }, 0);
    });
    this.runs = run.ended;
  }

  /** A machine with the prepared programs, not started. A checkpoint run (`target` set) runs in the
   *  background with no stops and no output and holds at the first syscall at or after `target`; it
   *  answers to the user only once adopted. */
  private createRun(target: number | undefined): Run {
    const prepared = this.prepared;
    if (!prepared) throw new Error("a run before launch");
    const { options, description } = prepared;
    let machine: Machine;
    try {
      machine = createMachine(description, { seed: options.seed, disk: options.disk === undefined ? undefined : { path: options.disk, persist: options.persist ?? false } });
    } catch (error) {
      if (error instanceof DiskImageError) throw new LaunchError(`"disk": ${error.message}`);
      throw error;
    }
    const firstRun = this.generation === 0 && target === undefined;
    const run: Run = { machine, session: undefined as unknown as Session, generation: 0, deliveries: 0, lastSyscall: new Map(), target: target ?? 0, heldAt: undefined, ended: Promise.resolve() };
    const live = () => this.isLive(run);
    const decoders = new Map<string, TextDecoder>();
    machine.onConsoleOutput((device, bytes) => {
      if (!live()) return;
      let decoder = decoders.get(device);
      if (!decoder) decoders.set(device, (decoder = new TextDecoder()));
      const text = decoder.decode(bytes, { stream: true });
      // A re-run repeats output the client has already seen, up to the point it travels to.
      if (!this.travel) this.listener.console(device, text);
    });
    machine.onDeviceEvent((event) => live() && this.onDeviceEvent(event));
    const { source: _source, ...machineData } = description;
    const keys = this.keys.sourceFor(live);
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
      // A driver paused in the inspector holds the run token mid-code: pausing scheduling keeps the
      // watchdog off (it ignores a paused kernel) and virtual time still.
      debug: (proc, link, bundle) => this.source.client(proc, link, bundle, () => session.kernel.pauseScheduling(), run.generation === 0),
    });
    run.session = session;
    keys.onInput(() => session.consoleInput?.wake());
    const kernel = session.kernel;
    kernel.debugHooks = {
      beforeSyscall: (proc, request) => (live() ? this.beforeSyscall(proc, request) : this.checkpointSyscall(run, proc, request)),
      onDeliver: (ep, message) => {
        if (live()) this.onDeliver(kernel, ep, message);
        else run.deliveries++;
      },
      beforeRun: () => live() && this.beforeRun(kernel),
    };
    kernel.onProcessEnded(() => {
      // A process ended while the user looks at a stopped machine (its worker died): views are stale.
      if (live() && this.stop) this.listener.invalidated(["threads", "variables"]);
    });
    return run;
  }

  /** The run the user sees now (a checkpoint run is not live until adopted; a replaced one never again). */
  private isLive(run: Run): boolean {
    return run.generation !== 0 && run.generation === this.generation;
  }

  /** Spawn the programs and start the machine; `beforeStart` runs between the two. */
  private startRun(run: Run, beforeStart: () => void): void {
    const { bundles } = this.prepared as Prepared;
    for (const bundle of bundles) run.session.spawn(bundle);
    beforeStart();
    const live = () => this.isLive(run);
    run.ended = run.session.run().then((summary) => {
      run.machine.close();
      if (this.checkpoint === run) this.checkpoint = undefined;
      if (!live()) return;
      this.ended = true;
      this.travel = undefined;
      this.scanDone?.();
      this.bootDone();
      this.discardCheckpoint();
      // Reported once every machine's workers are gone: a host that exits on it must not exit while
      // workers are still being torn down under the inspector.
      void this.teardown.then(() => this.listener.ended(summary));
    });
  }

  /** Make `run` the machine the user debugs (a new run, or a checkpoint promoted). */
  private adopt(run: Run): void {
    run.generation = ++this.generation;
    this.session = run.session;
    this.machine = run.machine;
    this.resetRunState();
    this.deliveries = run.deliveries;
    this.lastSyscall = run.lastSyscall;
    this.runs = run.ended;
    if (run.generation > 1) this.onReplaced?.({ kernel: run.session.kernel, machine: run.machine });
  }

  /** A checkpoint run's syscall: counted, and held once it reaches its target. */
  private checkpointSyscall(run: Run, proc: KernelProcess, request: SyscallRequest): boolean {
    if (this.checkpoint !== run) return false; // a run being torn down
    run.lastSyscall.set(proc.pid, request);
    const index = run.session.kernel.syslog.syscallCount + run.deliveries;
    if (index < run.target) return false;
    run.heldAt = index;
    this.checkpointHeld?.();
    return true;
  }

  private checkpointPosition(run: Run): number {
    return run.heldAt ?? run.session.kernel.syslog.syscallCount + run.deliveries;
  }

  /** Keep a checkpoint run held a little behind the stop at `event`, so that going back from here
   *  re-runs only the events between the two. Started (or moved on) while the user looks at the stop. */
  private planCheckpoint(event: number): void {
    if (this.checkpointWindow <= 0 || event < this.checkpointFrom || !this.prepared || this.ended || this.terminated || this.travelProblem()) return;
    const target = Math.max(0, event - this.checkpointWindow);
    const cp = this.checkpoint;
    if (cp) {
      const at = this.checkpointPosition(cp);
      if (at > event) this.discardCheckpoint();
      else {
        if (at < target) {
          cp.target = target;
          if (cp.heldAt !== undefined) {
            cp.heldAt = undefined;
            cp.session.kernel.resumeScheduling();
          }
        }
        return;
      }
    }
    if (this.checkpointStarting) return;
    this.checkpointStarting = true;
    // New workers start only once retired machines' workers are gone (see travelTo).
    void this.teardown.then(() => {
      this.checkpointStarting = false;
      const stop = this.stop;
      if (this.checkpoint || !stop || this.ended || this.terminated) return;
      try {
        const run = this.createRun(Math.max(0, stop.event - this.checkpointWindow));
        this.checkpoint = run;
        this.startRun(run, () => undefined);
      } catch {
        // No checkpoint (e.g. the disk image went away): going back re-runs from the start, and says why.
        this.checkpoint = undefined;
      }
    });
  }

  /** End a machine that is no longer wanted; new workers wait for its workers to be gone. */
  private retire(run: { session: Session; ended: Promise<void> } | undefined): void {
    if (!run) return;
    run.session.stop();
    this.teardown = Promise.all([this.teardown, run.ended]).then(() => undefined);
  }

  private discardCheckpoint(): void {
    const cp = this.checkpoint;
    if (!cp) return;
    this.checkpoint = undefined;
    this.source.dropStandby();
    this.retire(cp);
  }

  /** Resolves once the checkpoint run is held at its target (for the benchmark); at once without one. */
  async checkpointReady(): Promise<void> {
    // Still waiting for a retired machine's teardown before it starts.
    if (this.checkpointStarting) await this.teardown.then(() => new Promise((r) => setImmediate(r)));
    const cp = this.checkpoint;
    if (!cp || cp.heldAt !== undefined) return Promise.resolve();
    return new Promise((resolve) => {
      this.checkpointHeld = () => {
        this.checkpointHeld = undefined;
        resolve();
      };
      void cp.ended.then(resolve);
    });
  }

  /** Go back from the checkpoint run, if it has not passed the target: the old machine goes, the
   *  checkpoint becomes the machine, and runs on from where it is held to the target. */
  private async travelFromCheckpoint(target: TravelTarget): Promise<boolean> {
    const cp = this.checkpoint;
    // A line target needs the origin's breakpoint set before the worker gets there: a held checkpoint.
    const limit = target.kind === "event" ? target.index : target.kind === "line" && cp?.heldAt !== undefined ? target.recipe.origin.event - 1 : undefined;
    if (!cp || limit === undefined) return false;
    if (this.checkpointPosition(cp) > limit) {
      this.discardCheckpoint();
      return false;
    }
    this.checkpoint = undefined;
    const old = this.session;
    this.generation++; // the old run's stops, output and end are ignored from now on
    this.stop = undefined;
    const breakpoints = this.source.promoteStandby();
    this.retire(old && { session: old, ended: this.runs });
    this.adopt(cp);
    const kernel = cp.session.kernel;
    this.travel = target;
    if (cp.heldAt === undefined) return true; // still on its way: the hooks now stop it at the event
    const held = kernel.heldSyscall;
    if (target.kind === "event" && cp.heldAt === target.index && held) {
      this.travel = undefined;
      this.carryOut({ pid: held.proc.pid, reason: "step", description: `${target.label ?? "Stepped back to"} event #${target.index}: ${describeSyscall(kernel, held.proc, held.request)}`, source: true }, target.index);
      return true;
    }
    if (target.kind === "line") await breakpoints;
    kernel.resumeScheduling();
    return true;
  }

  /** What belongs to one run of the machine, cleared for a re-run. */
  private resetRunState(): void {
    this.lastSyscall = new Map();
    this.stop = undefined;
    this.stopping = false;
    this.faultSnapshot = undefined;
    this.expectedFault = undefined;
    this.ended = false;
    this.deliveries = 0;
    this.hits.reset();
    this.rules.stepSyscall = undefined;
    this.rules.stepEvent = false;
  }

  setFunctionBreakpoints(names: readonly string[]) {
    return this.rules.setFunctionBreakpoints(names);
  }

  setExceptionFilters(filters: readonly { filterId: string; condition?: string }[]): (string | undefined)[] {
    return this.rules.setExceptionFilters(filters);
  }

  setDataBreakpoints(specs: readonly DataBreakpointSpec[]): DataBreakpointResult[] {
    return this.data.set(specs);
  }

  setSourceBreakpoints(file: string, specs: readonly SourceBreakpointSpec[]): SourceBreakpointResult[] {
    return this.source.setBreakpoints(file, specs);
  }

  /** Let the machine run again. The paused worker is resumed first: a stop decided while the held
   *  syscall is carried out may pause the same worker again, and must come after the resume. */
  continue(): void {
    this.stop = undefined;
    this.faultSnapshot = undefined;
    this.source.resume();
    this.session?.kernel.resumeScheduling();
  }

  /** Step in driver code. The machine runs during the step: a stepped-over syscall must be carried
   *  out (and may wait for other processes) before the next line is reached. Without a source pause
   *  there is no line to step from, so it steps one syscall instead. */
  step(kind: StepKind, pid: number): void {
    if (!this.source.pause || this.source.pause.reason === "requested") {
      this.stepSyscall(pid);
      return;
    }
    const recipe = this.stop?.recipe;
    this.pendingRecipe = recipe && recipe.pid === pid && this.source.pause.pid === pid ? { ...recipe, steps: [...recipe.steps, kind] } : undefined;
    this.stop = undefined;
    this.source.resume(kind);
    this.session?.kernel.resumeScheduling();
  }

  /** Run until `pid` makes its next syscall (instruction granularity: a syscall is our instruction). */
  stepSyscall(pid: number): void {
    this.rules.stepSyscall = pid;
    this.continue();
  }

  /** Run until the next IPC message or interrupt is delivered; stop on its receiver. */
  stepToNextEvent(): void {
    this.rules.stepEvent = true;
    this.continue();
  }

  /** Go back to the previous event (syscall, IPC message, interrupt) of `pid`: the machine is run
   *  again from the start with every breakpoint passed over, and stops at that event's index. A string
   *  says why it cannot; otherwise a stop follows. */
  stepBack(pid: number, byLine = true): string | undefined {
    const problem = this.travelProblem();
    if (problem) return problem;
    const stop = this.stop as StopInfo;
    // On a driver line reached by stepping: the previous line (the same hit, one line step fewer).
    const recipe = stop.recipe;
    if (byLine && recipe && recipe.pid === pid && recipe.steps.length > 0) {
      const back: LineRecipe = { ...recipe, steps: recipe.steps.slice(0, -1) };
      void this.travelTo({ kind: "line", recipe: back, reached: false, remaining: [...back.steps] });
      return undefined;
    }
    const target = this.timeline.previous(pid, stop.event);
    if (target === undefined) {
      const name = this.session?.kernel.processes.get(pid)?.name ?? `pid ${pid}`;
      return `${name} (pid ${pid}) has no earlier event to step back to: this stop is before its first syscall or message.`;
    }
    void this.travelTo({ kind: "event", index: target });
    return undefined;
  }

  /** Go to event `index` of the run (earlier or later than this stop), by re-running the machine with
   *  breakpoints passed over: for a timeline's click-to-jump. */
  goToEvent(index: number): string | undefined {
    const problem = this.travelProblem();
    if (problem) return problem;
    if (!Number.isInteger(index) || index < 0) return `"event" must be a whole number ≥ 0 (got ${JSON.stringify(index)}).`;
    if (index >= this.timeline.size) return `Event #${index} has not happened yet: this run has reached event #${this.timeline.size - 1}. Continue or step to get further.`;
    void this.travelTo({ kind: "event", index, label: "Went to" });
    return undefined;
  }

  /** Go back to the last breakpoint hit (line, function, exception or data breakpoint) before this
   *  stop: one re-run collects the hits up to here, a second one stops at the last. With none, the
   *  machine goes back to the start. */
  reverseContinue(): string | undefined {
    const problem = this.travelProblem();
    if (problem) return problem;
    void this.reverseSearch((this.stop as StopInfo).key);
    return undefined;
  }

  private travelProblem(): string | undefined {
    if (!this.stop || this.stopping || this.ended || !this.prepared) return "Going back needs a stopped machine: pause it first.";
    const { options } = this.prepared;
    if (options.persist && options.disk) return `Going back re-runs the machine from the start, but "persist" has written this run's changes through to ${options.disk}, so a re-run would not see the same disk. Launch without "persist" to go back.`;
    return undefined;
  }

  private async reverseSearch(until: HitKey): Promise<void> {
    const hits: HitKey[] = [];
    const scanned = new Promise<void>((resolve) => (this.scanDone = resolve));
    if (!(await this.travelTo({ kind: "scan", until, hits }))) return;
    await scanned;
    this.scanDone = undefined;
    const last = hits[hits.length - 1];
    await this.travelTo(last ? { kind: "hit", key: last } : { kind: "start" });
  }

  /** Replace the machine with a fresh run of the same programs that goes to `target`. */
  private async travelTo(target: TravelTarget): Promise<boolean> {
    if (await this.travelFromCheckpoint(target)) return true;
    const old = this.session;
    const runs = this.runs;
    this.generation++; // the old run's stops, output and end are ignored from now on
    this.stop = undefined;
    this.source.detachAll();
    this.retire(old && { session: old, ended: runs });
    // The old machines' workers are gone before new ones start: tearing workers down under the
    // inspector while others attach has crashed the host (SIGSEGV) in tests.
    await this.teardown;
    if (this.terminated) return false;
    this.travel = target;
    try {
      this.startSession(target.kind === "start");
    } catch (error) {
      this.travel = undefined;
      this.listener.output("stderr", `Cannot run the machine again: ${error instanceof Error ? error.message : String(error)}\n`);
      return false;
    }
    return true;
  }

  /** Stop the whole machine: nobody gets the run token. A process running driver code is paused
   *  where it is (Debugger.pause); one held in a syscall shows the driver line that made it. */
  pause(): void {
    const kernel = this.session?.kernel;
    if (!kernel || this.ended || kernel.paused || this.stopping || this.travel) return;
    kernel.pauseScheduling();
    const running = kernel.internals().running;
    const proc = kernel.heldSyscall?.proc ?? running ?? firstAlive(kernel);
    if (!proc) return;
    const where = kernel.heldSyscall ? `in ${describeSyscall(kernel, proc, kernel.heldSyscall.request)}` : running ? "in driver code" : "with every process waiting";
    this.carryOut({ pid: proc.pid, reason: "pause", description: `Paused ${where}`, source: proc.syscalls > 0 || running === proc }, this.position());
  }

  /** End the run and tear the machine down (workers paused in the inspector are resumed by WorkerProcess). */
  terminate(): void {
    this.terminated = true;
    this.travel = undefined;
    this.discardCheckpoint();
    if (!this.session || this.ended) return;
    // Not resumed first: a held syscall must not run. Shutdown ends every worker, held or not.
    this.session.stop();
  }

  get isEnded(): boolean {
    return this.ended;
  }

  get currentStop(): StopInfo | undefined {
    return this.stop;
  }

  /** Live processes, plus the one the machine stopped on even if it has just faulted. */
  threads(): ThreadInfo[] {
    const kernel = this.session?.kernel;
    if (!kernel) return [];
    return [...kernel.processes.values()].filter((p) => p.alive || p.pid === this.stop?.pid).map((p) => ({ pid: p.pid, name: p.name, state: p.state }));
  }

  /** The driver frames of a stopped process: mapped from an exception's stack, or live from its worker. */
  sourceFrames(pid: number): SourceFrame[] {
    if (this.stop?.frames && this.stop.pid === pid) return this.stop.frames;
    return this.source.frames(pid);
  }

  /** The kernel frame's text for a process: the syscall it is in, decoded, or what it waits for. */
  frameFor(pid: number): string {
    if (this.faultSnapshot?.pid === pid) return this.faultSnapshot.frame;
    const kernel = this.session?.kernel;
    const proc = kernel?.processes.get(pid);
    if (!kernel || !proc) return `pid ${pid}: gone`;
    const held = kernel.heldSyscall;
    if (held?.proc === proc) return describeSyscall(kernel, proc, held.request);
    const on = proc.blockedOn;
    if (proc.state === "blocked" && on) {
      if (on.kind === "receive") return `SYS_RECV_WAIT on endpoint ${on.endpointId} (slot ${on.slot}): waiting for a message`;
      if (on.kind === "reply") return `SYS_CALL to endpoint ${on.endpointId}: waiting for the reply${on.server !== undefined ? ` from pid ${on.server}` : ""}`;
      return `looking up service "${on.service}": waiting for it to register`;
    }
    if (proc.state === "running") return this.source.pause?.pid === pid ? "running driver code: paused in the inspector" : "running driver code (stops at its next syscall)";
    const last = this.lastSyscall.get(pid);
    if (proc.state === "ready") return proc.syscalls === 0 ? "ready: not started yet" : `ready: returning from ${last ? describeSyscall(kernel, proc, last) : "its last syscall"}`;
    return `${proc.state}`;
  }

  capabilities(pid: number): InspectItem[] {
    if (this.faultSnapshot?.pid === pid) return this.faultSnapshot.caps;
    const kernel = this.session?.kernel;
    const proc = kernel?.processes.get(pid);
    return kernel && proc ? describeCaps(kernel, proc) : [];
  }

  ipcQueues(pid: number): InspectItem[] {
    const kernel = this.session?.kernel;
    const proc = kernel?.processes.get(pid);
    if (!kernel || !proc) return [];
    return [...proc.endpoints].flatMap((id) => {
      const ep = kernel.endpoints.get(id);
      if (!ep) return [];
      const children = ep.queue.map((m, i) => ({ name: `[${i}]`, value: describeMessage(m) }));
      const waiters = ep.waiters.length ? `, waiters: ${ep.waiters.map((w) => `pid ${w}`).join(", ")}` : "";
      return [{ name: `endpoint ${ep.id}`, value: `${ep.queue.length} queued, ${ep.delivered} delivered, high water ${ep.highWater}${waiters}`, children }];
    });
  }

  /** The bound virtio device's registers, decoded; empty for a process without one (or PIO devices). */
  deviceRegisters(pid: number): InspectItem[] {
    const found = this.virtioOf(pid);
    return found ? describeVirtio(found.device, found.base, found.machine.inspect(found.device)) : [];
  }

  /** The bound virtio device's queues as laid out in DMA memory. */
  virtqueues(pid: number): InspectItem[] {
    const found = this.virtioOf(pid);
    return found ? describeVirtqueues(found.machine.inspect(found.device), dmaReader(found.machine)) : [];
  }

  /** The machine, for data breakpoint lookups by address (data-watch.ts). */
  get currentMachine(): Machine | undefined {
    return this.machine;
  }

  /** Outside input for a console device (the terminal's keystrokes); a string says why not. */
  consoleInput(device: string, bytes: Uint8Array): string | undefined {
    const machine = this.machine;
    if (!machine || this.ended) return "the machine is not running";
    const consoles = this.consoleDevices();
    if (!consoles.includes(device)) return `${device} is not a console device of this machine (${consoles.join(", ") || "none"})`;
    // Not straight to the device: at the kernel's next input point, kept for re-runs (debug-keys.ts).
    this.keys.type(bytes);
    return undefined;
  }

  /** Console devices of the machine (where terminal input can go). */
  consoleDevices(): string[] {
    return this.machine ? consoleDeviceNames(this.machine) : [];
  }

  /** Syscalls carried out in this run so far. */
  get syscallCount(): number {
    return this.session?.kernel.syslog.syscallCount ?? 0;
  }

  /** Commits so far: a cheap "did kernel state change" probe for the views. */
  get stateVersion(): number {
    return this.session?.kernel.commits.count ?? 0;
  }

  private virtioOf(pid: number): { machine: Machine; device: string; base: number } | undefined {
    const proc = this.session?.kernel.processes.get(pid);
    const machine = this.machine;
    const device = proc?.device;
    const info = device ? machine?.devices.find((d) => d.name === device) : undefined;
    if (!machine || !device || info?.kind !== "virtio-mmio" || !info.mmio) return undefined;
    return { machine, device, base: info.mmio.base };
  }

  // ── carrying out stops ───────────────────────────────────────────────────────────────────────

  /** Index of the next event: syscalls carried out plus messages delivered so far in this run. */
  private position(): number {
    return (this.session?.kernel.syslog.syscallCount ?? 0) + this.deliveries;
  }

  private beforeSyscall(proc: KernelProcess, request: SyscallRequest): boolean {
    this.lastSyscall.set(proc.pid, request);
    this.bootDone();
    const kernel = this.session?.kernel;
    if (!kernel) return false;
    // Asked again for a syscall held while paused: the same index, as nothing was carried out since.
    const index = this.position();
    this.timeline.note(index, proc.pid);
    const travel = this.travel;
    if (travel?.kind === "event") {
      if (index < travel.index) return false;
      this.travel = undefined;
      const missed = index > travel.index ? ` (event #${travel.index} did not come again: the re-run went another way)` : "";
      return this.carryOut({ pid: proc.pid, reason: "step", description: `${travel.label ?? "Stepped back to"} event #${index}: ${describeSyscall(kernel, proc, request)}${missed}`, source: true }, index);
    }
    if (travel?.kind === "scan" && index > travel.until.event) return this.finishScan();
    if (travel?.kind === "line" && !travel.reached && index > travel.recipe.origin.event) {
      // The line breakpoint the steps started from did not come again (it was removed since).
      this.travel = undefined;
      return this.carryOut({ pid: proc.pid, reason: "step", description: `Stepped back to event #${index}: ${describeSyscall(kernel, proc, request)} (the line breakpoint the steps started from is no longer set, so the previous line cannot be found)`, source: true }, index);
    }
    if (this.stopping) return false;
    return this.decide(this.rules.beforeSyscall(kernel, proc, request), index);
  }

  private onDeliver(kernel: Kernel, ep: Endpoint, message: Message): void {
    const index = this.position();
    this.deliveries++;
    this.timeline.note(index, ep.owner);
    const travel = this.travel;
    if (travel?.kind === "event") {
      if (index < travel.index) return;
      this.travel = undefined;
      const what = isIrqTag(message.tag) ? `IRQ ${message.tag & 0xff}` : `IPC tag ${hex(message.tag)}`;
      this.carryOut({ pid: ep.owner, reason: "step", description: `${travel.label ?? "Stepped back to"} event #${index}: ${what}: ${describeMessage(message)} to endpoint ${ep.id} (pid ${ep.owner})`, source: true }, index);
      return;
    }
    if (travel?.kind === "scan" && index > travel.until.event) {
      this.finishScan();
      return;
    }
    if (!kernel.paused && !this.stopping) this.decide(this.rules.onDeliver(kernel, ep, message), index);
  }

  private beforeRun(kernel: Kernel): boolean {
    if (this.stopping || this.travel?.kind === "event") return false;
    return this.decide(this.rules.beforeRun(kernel), this.position());
  }

  private onDeviceEvent(event: DeviceEvent): void {
    const kernel = this.session?.kernel;
    if (!kernel || kernel.paused || this.stopping || this.travel?.kind === "event") return;
    this.decide(this.rules.onDeviceEvent(kernel, event), this.position());
  }

  /** A worker paused in driver code as a stop (the gate let it through). On the way back by lines,
   *  the recipe's next step is taken instead, until none is left. */
  private onSourcePause(pause: SourcePause): void {
    const event = this.position();
    const key = this.sourceKey ?? this.hits.peek(event);
    const travel = this.travel;
    if (travel?.kind === "line") {
      const next = travel.remaining.shift();
      if (next) {
        this.source.resume(next);
        this.session?.kernel.resumeScheduling();
        return;
      }
      this.travel = undefined;
      const description = travel.recipe.steps.length ? "Stepped back to the previous line" : "Stepped back to the previous line (the breakpoint hit the steps started from)";
      this.report({ reason: "step", pid: pause.pid, description, event, key, recipe: travel.recipe }, this.generation);
      return;
    }
    const prefix = this.sourceTravelled ? "Reverse continue: " : "";
    this.sourceTravelled = false;
    const recipe: LineRecipe | undefined =
      pause.reason === "breakpoint" ? { origin: key, pid: pause.pid, steps: [] } : pause.reason === "step" && this.pendingRecipe?.pid === pause.pid ? this.pendingRecipe : undefined;
    this.pendingRecipe = undefined;
    this.report({ reason: pause.reason === "requested" ? "pause" : pause.reason, pid: pause.pid, description: pause.reason === "step" ? "Paused after a step" : `${prefix}Paused on a breakpoint in driver code`, event, key, recipe }, this.generation);
  }

  /** A breakpoint or step pause in driver code: a stop, or (re-running the past) passed over. */
  private sourceGate(reason: "breakpoint" | "step"): boolean {
    const travel = this.travel;
    this.sourceKey = undefined;
    if (reason === "step") return !travel || (travel.kind === "line" && travel.reached);
    const key = this.hits.note(this.position());
    if (!travel) {
      this.sourceKey = key;
      return true;
    }
    if (travel.kind === "line") {
      if (travel.reached || compareKeys(key, travel.recipe.origin) !== 0) return false;
      travel.reached = true;
      this.sourceKey = key;
      return true;
    }
    if (travel.kind === "scan") this.scanHit(travel, key);
    if (travel.kind !== "hit" || compareKeys(key, travel.key) !== 0) return false;
    this.travel = undefined;
    this.sourceKey = key;
    this.sourceTravelled = true;
    return true;
  }

  /** A rule's decision: carried out, or counted and passed over while re-running the past. */
  private decide(decision: StopDecision | undefined, event: number): boolean {
    if (!decision) return false;
    const travel = this.travel;
    const key = isHit(decision.reason) ? this.hits.note(event) : undefined;
    if (travel?.kind === "event") return false;
    if (travel?.kind === "line") {
      if (decision.expectFault) this.expectedFault = decision.pid;
      return false;
    }
    if (travel?.kind === "scan" || (travel?.kind === "hit" && (!key || compareKeys(key, travel.key) !== 0))) {
      if (travel.kind === "scan" && key && this.scanHit(travel, key)) return true;
      // As when stopped and continued: the fault that follows is not a second hit.
      if (decision.expectFault) this.expectedFault = decision.pid;
      return false;
    }
    if (travel?.kind === "hit") {
      this.travel = undefined;
      return this.carryOut({ ...decision, description: `Reverse continue: ${decision.description}` }, event, key);
    }
    return this.carryOut(decision, event, key);
  }

  /** Collect a hit before the stop reverse continue started from; true once the scan has reached it. */
  private scanHit(travel: TravelTarget & { kind: "scan" }, key: HitKey): boolean {
    if (compareKeys(key, travel.until) >= 0) return this.finishScan();
    travel.hits.push(key);
    return false;
  }

  private finishScan(): boolean {
    this.session?.kernel.pauseScheduling();
    this.travel = undefined;
    this.stopping = true; // nothing else is decided in this run; it is thrown away
    this.scanDone?.();
    return true;
  }

  /** Stop the machine as decided: scheduling pauses now (the hooks run inside the scheduler); the
   *  stop is reported once the process's worker is paused in its driver code, or at once when there
   *  is no worker to pause. Returns true when a decision was carried out. */
  private carryOut(decision: StopDecision, event: number, key?: HitKey): boolean {
    const kernel = this.session?.kernel;
    if (!kernel) return false;
    kernel.pauseScheduling();
    this.stopping = true;
    if (decision.expectFault) this.expectedFault = decision.pid;
    const stop: StopInfo = { reason: decision.reason, pid: decision.pid, description: decision.description, exceptionId: decision.exceptionId, event, key: key ?? this.hits.peek(event) };
    if (decision.stack !== undefined) stop.frames = this.source.framesFromStack(decision.pid, decision.stack);
    const generation = this.generation;
    if (decision.source && this.source.canPause(decision.pid)) {
      void this.source.requestPause(decision.pid, decision.reason !== "pause").then(() => {
        // A pause can land before the driver's code is on the stack (its worker still loading it).
        if (stop.reason === "pause" && this.source.frames(stop.pid).length === 0 && !this.session?.kernel.heldSyscall) stop.description = "Paused while the program starts (none of its code is on the stack yet)";
        this.report(stop, generation);
      });
    } else setImmediate(() => this.report(stop, generation));
    return true;
  }

  private report(stop: StopInfo, generation: number): void {
    if (generation !== this.generation) return; // a stop of a run that time travel has replaced
    this.stopping = false;
    if (this.ended) return;
    this.stop = stop;
    this.bootDone();
    this.listener.stopped(stop);
    this.planCheckpoint(stop.event);
    const changes = this.memory.changes();
    if (changes.length) this.listener.memory(changes);
  }

  private bootDone(): void {
    if (!this.booting) return;
    this.booting = false;
    this.listener.progress({ id: "boot", kind: "end" });
  }

  private kernelOutput(run: Run, live: () => boolean): KernelOutput {
    return {
      console: (_p, text) => {
        if (live() && !this.travel) this.listener.console("kernel", text);
      },
      debug: (p, text) => {
        if (live() && !this.travel) this.listener.output("stderr", `[${p.name}] ${text}${text.endsWith("\n") ? "" : "\n"}`);
      },
      fault: (p, fault) => {
        if (!live()) {
          if (this.checkpoint === run) this.source.forgetStandby(p.pid);
          return;
        }
        this.source.forget(p.pid);
        if (!this.travel) this.listener.output("stderr", `${p.name} (pid ${p.pid}) ${fault.kind}: ${fault.message}\n`);
        this.onFault(p, fault);
      },
    };
  }

  /** Called before the kernel tears the process down: the views keep a picture of it. */
  private onFault(proc: KernelProcess, fault: Fault): void {
    const kernel = this.session?.kernel;
    if (this.expectedFault === proc.pid) {
      this.expectedFault = undefined;
      return;
    }
    if (!kernel || kernel.paused || this.stopping || this.travel?.kind === "event") return;
    const v = fault.kind === "capability-violation" ? [...kernel.violations].reverse().find((x) => x.pid === proc.pid) : undefined;
    const violation = v && `Capability violation: ${v.syscall} at 0x${v.address.toString(16)} is outside the grant ${v.grant}: ${v.message}`;
    const decision = this.rules.onFault(proc, fault, violation);
    if (!decision) return;
    const last = this.lastSyscall.get(proc.pid);
    this.faultSnapshot = { pid: proc.pid, caps: describeCaps(kernel, proc), frame: last ? describeSyscall(kernel, proc, last) : fault.message };
    if (!this.decide(decision, this.position())) this.faultSnapshot = undefined;
  }
}

interface Prepared {
  options: LaunchOptions;
  description: MachineDescription;
  bundles: DriverBundle[];
}

/** One run of the machine: the one the user debugs, or a checkpoint run held behind it. */
interface Run {
  session: Session;
  machine: Machine;
  /** The runtime's generation once adopted; 0 while a checkpoint. */
  generation: number;
  /** Messages delivered while a checkpoint (then the runtime counts). */
  deliveries: number;
  lastSyscall: Map<number, SyscallRequest>;
  /** A checkpoint holds at the first syscall at or after this event index… */
  target: number;
  /** …and this is the index it holds at. */
  heldAt: number | undefined;
  ended: Promise<void>;
}

/** What a trace records of the disk image, so that a replay can find it and tell if it changed. */
function diskInput(file: string, persist: boolean): ZlogDiskInput {
  const stat = fs.statSync(file);
  return { kind: "disk", path: path.resolve(file), persist, bytes: stat.size, mtimeMs: stat.mtimeMs };
}

function checkTracePath(file: string): void {
  const dir = path.dirname(file);
  if (!fs.existsSync(dir)) throw new LaunchError(`"trace": the folder ${dir} does not exist. Create it, or set "trace": true to save in .zds/traces of the workspace.`);
  if (fs.existsSync(file) && fs.statSync(file).isDirectory()) throw new LaunchError(`"trace": ${file} is a folder. Give a file name ending in .zlog.`);
}

/** Stops that are breakpoint hits (what reverse continue goes back to), as opposed to steps and pauses. */
function isHit(reason: StopReason): boolean {
  return reason === "breakpoint" || reason === "function breakpoint" || reason === "exception" || reason === "data breakpoint";
}

function firstAlive(kernel: Kernel): KernelProcess | undefined {
  return [...kernel.processes.values()].find((p) => p.alive);
}

function isNodeError(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && "code" in error;
}

/** Resolve launch.json's program attributes to absolute paths that exist, or say which is wrong. */
export function resolvePrograms(cwd: string, program: unknown, programs: unknown): string[] {
  const list: unknown[] = [];
  if (program !== undefined) list.push(program);
  if (programs !== undefined) {
    if (!Array.isArray(programs)) throw new LaunchError(`"programs" must be an array of paths (got ${JSON.stringify(programs)}).`);
    list.push(...(programs as unknown[]));
  }
  if (list.length === 0) throw new LaunchError(`Set "program" to a driver folder (with index.ts) or a .ts/.js file, or "programs" to several of them.`);
  return list.map((p, i) => {
    const attr = program !== undefined && i === 0 ? "program" : "programs";
    if (typeof p !== "string" || p.length === 0) throw new LaunchError(`"${attr}" must be a path string (got ${JSON.stringify(p)}).`);
    const abs = path.resolve(cwd, p);
    if (!fs.existsSync(abs)) throw new LaunchError(`"${attr}": ${abs} does not exist. Point it at a driver folder (with index.ts) or a .ts/.js file, e.g. "\${workspaceFolder}/drivers/virtio-rng".`);
    return abs;
  });
}
