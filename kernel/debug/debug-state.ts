// What every part of the debug runtime shares about the run the user debugs: its session and
// machine, the stop being shown, where a re-run is going, the event count, and the machines being
// torn down. One object, owned by the facade (runtime.ts) and handed to the modules that act on it
// (run-lifecycle.ts starts runs, stop-hooks.ts decides and carries out stops, travel.ts and
// checkpoints.ts go back, process-views.ts reads). It holds state and the few rules about it that
// several of them need; it starts and stops nothing but a retired machine.

import type { Machine, MachineDescription } from "../../devices";
import type { Kernel } from "../kernel";
import type { DriverBundle } from "../loader/bundle-driver";
import type { Session } from "../session";
import type { SyscallRequest } from "../worker/mailbox";
import type { InspectItem } from "./describe";
import type { LaunchOptions, RuntimeListener, StopInfo } from "./runtime-api";
import type { StopRules } from "./stop-rules";
import { EventTimeline, HitCounter, type LineRecipe, type TravelTarget } from "./time-travel";

/** What launch checked and bundled: every run of the session (a re-run, a checkpoint) starts from it. */
export interface Prepared {
  options: LaunchOptions;
  description: MachineDescription;
  bundles: DriverBundle[];
}

/** One run of the machine: the one the user debugs, or a checkpoint run held behind it. */
export interface Run {
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

/** What a process looked like when it faulted: kept so the views still show it after teardown. */
export interface FaultSnapshot {
  pid: number;
  caps: InspectItem[];
  frame: string;
}

export class DebugState {
  session: Session | undefined;
  machine: Machine | undefined;
  /** What launch prepared; undefined before launch. */
  prepared: Prepared | undefined;
  /** Bumped for every run of the machine; callbacks of an older run are ignored. */
  generation = 0;
  /** Last syscall each process made: what a faulting process was doing. */
  lastSyscall = new Map<number, SyscallRequest>();
  stop: StopInfo | undefined;
  /** A stop decided and being carried out (its worker pausing); reported once it lands. */
  stopping = false;
  faultSnapshot: FaultSnapshot | undefined;
  /** A process stopped before a fault the kernel carries out on continue (not stopped on twice). */
  expectedFault: number | undefined;
  ended = false;
  booting = false;
  terminated = false;
  /** Messages delivered in this run: with the syscalls carried out, the event index. */
  deliveries = 0;
  readonly timeline = new EventTimeline();
  readonly hits = new HitCounter();
  /** Where the current re-run goes; undefined when the machine runs forward for the user. */
  travel: TravelTarget | undefined;
  /** Resolves a reverse continue's first pass once it has collected the hits. */
  scanDone: (() => void) | undefined;
  /** The recipe the line step under way will have reached (line steps from a recipe stop). */
  pendingRecipe: LineRecipe | undefined;
  /** The current run's end (its machine torn down). */
  runs: Promise<void> = Promise.resolve();
  /** Retired machines' teardown (their workers ending). */
  teardown: Promise<void> = Promise.resolve();

  constructor(
    readonly listener: RuntimeListener,
    private readonly rules: StopRules,
  ) {}

  get kernel(): Kernel | undefined {
    return this.session?.kernel;
  }

  /** Index of the next event: syscalls carried out plus messages delivered so far in this run. */
  position(): number {
    return (this.session?.kernel.syslog.syscallCount ?? 0) + this.deliveries;
  }

  /** The run the user sees now (a checkpoint run is not live until adopted; a replaced one never again). */
  isLive(run: Run): boolean {
    return run.generation !== 0 && run.generation === this.generation;
  }

  /** What belongs to one run of the machine, cleared for a re-run. */
  resetRunState(): void {
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

  /** The boot progress ends at the first syscall or stop. */
  bootDone(): void {
    if (!this.booting) return;
    this.booting = false;
    this.listener.progress({ id: "boot", kind: "end" });
  }

  /** End a machine that is no longer wanted; new workers wait for its workers to be gone. */
  retire(run: { session: Session; ended: Promise<void> } | undefined): void {
    if (!run) return;
    run.session.stop();
    this.teardown = Promise.all([this.teardown, run.ended]).then(() => undefined);
  }

  /** Why the machine cannot go back (or to another event) now; undefined when it can. */
  travelProblem(): string | undefined {
    if (!this.stop || this.stopping || this.ended || !this.prepared)
      return "Going back needs a stopped machine: pause it first.";
    const { options } = this.prepared;
    if (options.persist && options.disk)
      return `Going back re-runs the machine from the start, but "persist" has written this run's changes through to ${options.disk}, so a re-run would not see the same disk. Launch without "persist" to go back.`;
    return undefined;
  }
}
