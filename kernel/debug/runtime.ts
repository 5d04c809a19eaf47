// The debuggee side of the debug adapter: one Session under control. It knows nothing of DAP
// (debug-adapter/session.ts translates). This is the facade the adapter calls; the work is
// done by modules with one job each, sharing the state of the run the user debugs (debug-state.ts):
//   launch-prepare.ts  checks and bundles what a launch names
//   run-lifecycle.ts   builds, starts, adopts and ends runs of the machine
//   stop-hooks.ts      the kernel's debug hooks: stops decided (stop-rules.ts) and carried out,
//                      pausing the stopped process's worker so every stop shows the driver's line
//   travel.ts          going back and to any event by re-running (time-travel.ts, checkpoints.ts)
//   process-views.ts   processes, frames, capabilities, IPC queues, devices for the views
//   debug-console.ts   the machine console: device output out, terminal keys in

import type { Kernel } from "../kernel";
import type { Machine } from "../../devices";
import { Checkpoints } from "./checkpoints";
import { DataWatch, type DataBreakpointResult, type DataBreakpointSpec } from "./data-watch";
import { DebugConsole } from "./debug-console";
import { DebugState } from "./debug-state";
import type { InspectItem } from "./describe";
import { GuestMemoryView } from "./guest-memory";
import { injectFault } from "./inject-fault";
import { prepareLaunch } from "./launch-prepare";
import { ProcessViews } from "./process-views";
import { RunLifecycle } from "./run-lifecycle";
import type { LaunchOptions, RuntimeListener, StopInfo, ThreadInfo } from "./runtime-api";
import { SourceDebugger } from "./source";
import type { SourceBreakpointResult, SourceBreakpointSpec, SourceFrame, StepKind } from "./source-types";
import { StopHooks } from "./stop-hooks";
import { StopRules, type ExceptionFilterSetting, type FunctionBreakpointResult } from "./stop-rules";
import { Traveller } from "./travel";

export type { InspectItem } from "./describe";
export type { StopReason } from "./stop-rules";
export { ExceptionFilter, EXCEPTION_FILTERS, type ExceptionFilterId } from "./conditions";
export type { LaunchOptions, ProgressReport, RuntimeListener, StopInfo, ThreadInfo } from "./runtime-api";
export { LaunchError } from "./launch-error";
export { resolvePrograms } from "./launch-prepare";

export class DebugRuntime {
  private readonly data: DataWatch;
  readonly rules: StopRules;
  readonly memory: GuestMemoryView;
  /** Breakpoints, stepping and values in driver TypeScript (worker inspectors). */
  readonly source: SourceDebugger;

  private readonly state: DebugState;
  private readonly checkpoints: Checkpoints;
  private readonly hooks: StopHooks;
  private readonly lifecycle: RunLifecycle;
  private readonly traveller: Traveller;
  private readonly views: ProcessViews;
  private readonly console: DebugConsole;

  /** Told when launch has created the machine, before any program runs (the extension's views and
   *  console terminal attach here). */
  onLaunched: ((live: { kernel: Kernel; machine: Machine }) => void) | undefined;

  /** Told when time travel has replaced the machine (a re-run or a checkpoint run is now the one
   *  debugged): views and the console terminal follow the new kernel and machine. */
  onReplaced: ((live: { kernel: Kernel; machine: Machine }) => void) | undefined;

  constructor(private readonly listener: RuntimeListener) {
    this.data = new DataWatch(() => this.state.machine);
    this.rules = new StopRules(this.data);
    this.memory = new GuestMemoryView(() => this.state.machine);
    this.source = new SourceDebugger(
      (pause) => this.hooks.onSourcePause(pause),
      (_pid, text, file, line) => this.hooks.logpoint(text, file, line),
    );
    this.state = new DebugState(listener, this.rules);
    this.checkpoints = new Checkpoints(this.state, this.source, () => this.lifecycle);
    this.hooks = new StopHooks(this.state, this.rules, this.source, this.memory, (event) =>
      this.checkpoints.plan(event),
    );
    this.console = new DebugConsole(this.state);
    this.lifecycle = new RunLifecycle(this.state, this.source, this.hooks, this.checkpoints, this.console, {
      launched: (live) => this.onLaunched?.(live),
      replaced: (live) => this.onReplaced?.(live),
    });
    this.traveller = new Traveller(this.state, this.source, this.lifecycle, this.checkpoints, this.hooks);
    this.views = new ProcessViews(this.state, this.source);
    this.source.gate = (_pid, reason) => this.hooks.sourceGate(reason);
  }

  /** How many events behind a stop the checkpoint run is held (0: no checkpoints; every step back
   *  re-runs from the start). */
  get checkpointWindow(): number {
    return this.checkpoints.window;
  }
  set checkpointWindow(events: number) {
    this.checkpoints.window = events;
  }

  /** Below this many events a re-run from the start is quick: no checkpoint run is kept. */
  get checkpointFrom(): number {
    return this.checkpoints.from;
  }
  set checkpointFrom(events: number) {
    this.checkpoints.from = events;
  }

  /** The running machine and its kernel, once launched (for views). */
  get live(): { kernel: Kernel; machine: Machine } | undefined {
    const { session, machine } = this.state;
    return session && machine ? { kernel: session.kernel, machine } : undefined;
  }

  /** Check the programs and machine, build them, and start; stops on entry if asked. */
  async launch(options: LaunchOptions): Promise<void> {
    this.state.prepared = await prepareLaunch(options, this.source, this.listener);
    // A failed test's trace: run to the failure and stop there, as a step back would stop.
    if (options.stopAt !== undefined && !options.stopOnEntry)
      this.state.travel = { kind: "event", index: options.stopAt.event, label: options.stopAt.description };
    this.lifecycle.startSession(options.stopOnEntry);
  }

  /** Resolves once the checkpoint run is held at its target (for the benchmark); at once without one. */
  async checkpointReady(): Promise<void> {
    return this.checkpoints.ready();
  }

  setFunctionBreakpoints(names: readonly string[]): FunctionBreakpointResult[] {
    return this.rules.setFunctionBreakpoints(names);
  }

  setExceptionFilters(filters: readonly ExceptionFilterSetting[]): (string | undefined)[] {
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
    this.state.stop = undefined;
    this.state.faultSnapshot = undefined;
    this.source.resume();
    this.state.kernel?.resumeScheduling();
  }

  /** Step in driver code. The machine runs during the step: a stepped-over syscall must be carried
   *  out (and may wait for other processes) before the next line is reached. Without a source pause
   *  there is no line to step from, so it steps one syscall instead. */
  step(kind: StepKind, pid: number): void {
    if (!this.source.pause || this.source.pause.reason === "requested") {
      this.stepSyscall(pid);
      return;
    }
    const recipe = this.state.stop?.recipe;
    this.state.pendingRecipe =
      recipe && recipe.pid === pid && this.source.pause.pid === pid
        ? { ...recipe, steps: [...recipe.steps, kind] }
        : undefined;
    this.state.stop = undefined;
    this.source.resume(kind);
    this.state.kernel?.resumeScheduling();
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

  /** Go back to the previous event (syscall, IPC message, interrupt) of `pid`, or by line to the
   *  previous driver line; a string says why it cannot, otherwise a stop follows (travel.ts). */
  stepBack(pid: number, byLine = true): string | undefined {
    return this.traveller.stepBack(pid, byLine);
  }

  /** Go to event `index` of the run, earlier or later than this stop (a timeline's click-to-jump). */
  goToEvent(index: number): string | undefined {
    return this.traveller.goToEvent(index);
  }

  /** Go back to the last breakpoint hit before this stop, or to the start with none. */
  reverseContinue(): string | undefined {
    return this.traveller.reverseContinue();
  }

  /** Stop the whole machine: nobody gets the run token (stop-hooks.ts). */
  pause(): void {
    this.hooks.pause();
  }

  /** End the run and tear the machine down (workers paused in the inspector are resumed by WorkerProcess). */
  terminate(): void {
    const state = this.state;
    state.terminated = true;
    state.travel = undefined;
    this.checkpoints.discard();
    if (!state.session || state.ended) return;
    // Not resumed first: a held syscall must not run. Shutdown ends every worker, held or not.
    state.session.stop();
  }

  get isEnded(): boolean {
    return this.state.ended;
  }

  get currentStop(): StopInfo | undefined {
    return this.state.stop;
  }

  /** Live processes, plus the one the machine stopped on even if it has just faulted. */
  threads(): ThreadInfo[] {
    return this.views.threads();
  }

  /** The driver frames of a stopped process: mapped from an exception's stack, or live from its worker. */
  sourceFrames(pid: number): SourceFrame[] {
    return this.views.sourceFrames(pid);
  }

  /** The kernel frame's text for a process: the syscall it is in, decoded, or what it waits for. */
  frameFor(pid: number): string {
    return this.views.frameFor(pid);
  }

  capabilities(pid: number): InspectItem[] {
    return this.views.capabilities(pid);
  }

  ipcQueues(pid: number): InspectItem[] {
    return this.views.ipcQueues(pid);
  }

  /** The bound device's registers (virtio or e1000), decoded; empty for a process without one (or PIO devices). */
  deviceRegisters(pid: number): InspectItem[] {
    return this.views.deviceRegisters(pid);
  }

  /** "Device registers", or the device's own name for a scope that holds more (NVMe). */
  deviceScopeName(pid: number): string {
    return this.views.deviceScopeName(pid);
  }

  /** The bound virtio-gpu's resources, scanout and frames (the Display scope). */
  display(pid: number): InspectItem[] {
    return this.views.display(pid);
  }

  /** The bound e1000's descriptor rings. */
  descriptorRings(pid: number): InspectItem[] {
    return this.views.descriptorRings(pid);
  }

  /** The bound virtio device's queues as laid out in DMA memory. */
  virtqueues(pid: number): InspectItem[] {
    return this.views.virtqueues(pid);
  }

  /** The machine, for data breakpoint lookups by address (data-watch.ts). */
  get currentMachine(): Machine | undefined {
    return this.state.machine;
  }

  /** Outside input for a console device (the terminal's keystrokes); a string says why not. */
  consoleInput(device: string, bytes: Uint8Array): string | undefined {
    return this.console.input(device, bytes);
  }

  /** A fault into the running machine, now or at the next event (inject-fault.ts, docs/faults.md). */
  injectFault(spec: unknown, when?: unknown): { problem?: string; note?: string } {
    return injectFault(this.state, spec, when);
  }

  /** Console devices of the machine (where terminal input can go). */
  consoleDevices(): string[] {
    return this.console.devices();
  }

  /** Syscalls carried out in this run so far. */
  get syscallCount(): number {
    return this.state.kernel?.syslog.syscallCount ?? 0;
  }

  /** Commits so far: a cheap "did kernel state change" probe for the views. */
  get stateVersion(): number {
    return this.state.kernel?.commits.count ?? 0;
  }
}
