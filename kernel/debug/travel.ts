// Going back, and to any event: the machine is run again (deterministic re-execution) with every
// stop passed over until the re-run reaches its target (time-travel.ts says where that is: an event
// index, a breakpoint hit, a driver line). A re-run starts from the checkpoint run when one is held
// early enough (checkpoints.ts), else from the start. Step back by event or by line, go to an event,
// and reverse continue (one re-run collects the hits, a second stops at the last) are carried out here.

import type { Checkpoints } from "./checkpoints";
import type { DebugState } from "./debug-state";
import { describeSyscall } from "./describe";
import type { StopInfo } from "./runtime-api";
import type { RunLifecycle } from "./run-lifecycle";
import type { SourceDebugger } from "./source";
import type { StopHooks } from "./stop-hooks";
import type { HitKey, LineRecipe, TravelTarget } from "./time-travel";

export class Traveller {
  constructor(
    private readonly state: DebugState,
    private readonly source: SourceDebugger,
    private readonly lifecycle: RunLifecycle,
    private readonly checkpoints: Checkpoints,
    private readonly hooks: StopHooks,
  ) {}

  /** Go back to the previous event (syscall, IPC message, interrupt) of `pid`: the machine is run
   *  again from the start with every breakpoint passed over, and stops at that event's index. A string
   *  says why it cannot; otherwise a stop follows. */
  stepBack(pid: number, byLine: boolean): string | undefined {
    const state = this.state;
    const problem = state.travelProblem();
    if (problem) return problem;
    const stop = state.stop as StopInfo;
    // On a driver line reached by stepping: the previous line (the same hit, one line step fewer).
    const recipe = stop.recipe;
    if (byLine && recipe && recipe.pid === pid && recipe.steps.length > 0) {
      const back: LineRecipe = { ...recipe, steps: recipe.steps.slice(0, -1) };
      void this.travelTo({ kind: "line", recipe: back, reached: false, remaining: [...back.steps] });
      return undefined;
    }
    const target = state.timeline.previous(pid, stop.event);
    if (target === undefined) {
      const name = state.kernel?.processes.get(pid)?.name ?? `pid ${pid}`;
      return `${name} (pid ${pid}) has no earlier event to step back to: this stop is before its first syscall or message.`;
    }
    void this.travelTo({ kind: "event", index: target });
    return undefined;
  }

  /** Go to event `index` of the run (earlier or later than this stop), by re-running the machine with
   *  breakpoints passed over: for a timeline's click-to-jump. */
  goToEvent(index: number): string | undefined {
    const state = this.state;
    const problem = state.travelProblem();
    if (problem) return problem;
    if (!Number.isInteger(index) || index < 0)
      return `"event" must be a whole number ≥ 0 (got ${JSON.stringify(index)}).`;
    if (index >= state.timeline.size)
      return `Event #${index} has not happened yet: this run has reached event #${state.timeline.size - 1}. Continue or step to get further.`;
    void this.travelTo({ kind: "event", index, label: "Went to" });
    return undefined;
  }

  /** Go back to the last breakpoint hit (line, function, exception or data breakpoint) before this
   *  stop: one re-run collects the hits up to here, a second one stops at the last. With none, the
   *  machine goes back to the start. */
  reverseContinue(): string | undefined {
    const problem = this.state.travelProblem();
    if (problem) return problem;
    void this.reverseSearch((this.state.stop as StopInfo).key);
    return undefined;
  }

  private async reverseSearch(until: HitKey): Promise<void> {
    const state = this.state;
    const hits: HitKey[] = [];
    const scanned = new Promise<void>((resolve) => (state.scanDone = resolve));
    if (!(await this.travelTo({ kind: "scan", until, hits }))) return;
    await scanned;
    state.scanDone = undefined;
    const last = hits[hits.length - 1];
    await this.travelTo(last ? { kind: "hit", key: last } : { kind: "start" });
  }

  /** Replace the machine with a fresh run of the same programs that goes to `target`. */
  private async travelTo(target: TravelTarget): Promise<boolean> {
    if (await this.travelFromCheckpoint(target)) return true;
    const state = this.state;
    const old = state.session;
    const runs = state.runs;
    state.generation++; // the old run's stops, output and end are ignored from now on
    state.stop = undefined;
    this.source.detachAll();
    state.retire(old && { session: old, ended: runs });
    // The old machines' workers are gone before new ones start: tearing workers down under the
    // inspector while others attach has crashed the host (SIGSEGV) in tests.
    await state.teardown;
    if (state.terminated) return false;
    state.travel = target;
    try {
      this.lifecycle.startSession(target.kind === "start");
    } catch (error) {
      state.travel = undefined;
      state.listener.output(
        "stderr",
        `Cannot run the machine again: ${error instanceof Error ? error.message : String(error)}\n`,
      );
      return false;
    }
    return true;
  }

  /** Go back from the checkpoint run, if it has not passed the target: the old machine goes, the
   *  checkpoint becomes the machine, and runs on from where it is held to the target. */
  private async travelFromCheckpoint(target: TravelTarget): Promise<boolean> {
    const state = this.state;
    const cp = this.checkpoints.current;
    // A line target needs the origin's breakpoint set before the worker gets there: a held checkpoint.
    const limit =
      target.kind === "event"
        ? target.index
        : target.kind === "line" && cp?.heldAt !== undefined
          ? target.recipe.origin.event - 1
          : undefined;
    if (!cp || limit === undefined) return false;
    if (this.checkpoints.position(cp) > limit) {
      this.checkpoints.discard();
      return false;
    }
    this.checkpoints.take();
    const old = state.session;
    state.generation++; // the old run's stops, output and end are ignored from now on
    state.stop = undefined;
    const breakpoints = this.source.promoteStandby();
    state.retire(old && { session: old, ended: state.runs });
    this.lifecycle.adopt(cp);
    const kernel = cp.session.kernel;
    state.travel = target;
    if (cp.heldAt === undefined) return true; // still on its way: the hooks now stop it at the event
    const held = kernel.heldSyscall;
    if (target.kind === "event" && cp.heldAt === target.index && held) {
      state.travel = undefined;
      this.hooks.carryOut(
        {
          pid: held.proc.pid,
          reason: "step",
          description: `${target.label ?? "Stepped back to"} event #${target.index}: ${describeSyscall(kernel, held.proc, held.request)}`,
          source: true,
        },
        target.index,
      );
      return true;
    }
    if (target.kind === "line") await breakpoints;
    kernel.resumeScheduling();
    return true;
  }
}
