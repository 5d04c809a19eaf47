// The checkpoint run: a second run of the same programs, held a little behind the stop the user
// looks at, so that going back (travel.ts) re-runs only the events between the two instead of the
// whole past. It runs in the background with no stops and no output, holds at the first syscall at or
// after its target, is moved on as the user goes forward, and is thrown away once it is past the stop.
// Here it is kept, moved and discarded; travel.ts takes it over when going back.

import type { KernelProcess } from "../process";
import type { SyscallRequest } from "../worker/mailbox";
import type { DebugState, Run } from "./debug-state";
import type { SourceDebugger } from "./source";

/** How checkpoints get a run of the prepared programs (run-lifecycle.ts). */
export interface CheckpointRunStarter {
  /** A machine with the prepared programs, not started, that holds at `target`. */
  createRun(target: number): Run;
  /** Spawn its programs and start it. */
  startRun(run: Run, beforeStart: () => void): void;
}

export class Checkpoints {
  /** A run held a little behind the current stop, so that going back does not start from scratch. */
  private checkpoint: Run | undefined;
  private held: (() => void) | undefined;
  private starting = false;
  /** How many events behind a stop the checkpoint run is held (0: no checkpoints; every step back
   *  re-runs from the start). */
  window = 1000;
  /** Below this many events a re-run from the start is quick: no checkpoint run is kept. */
  from = 10_000;

  constructor(
    private readonly state: DebugState,
    private readonly source: SourceDebugger,
    /** Late-bound: run-lifecycle.ts is built after the checkpoints it reports to. */
    private readonly starter: () => CheckpointRunStarter,
  ) {}

  /** The checkpoint run, if one is kept. */
  get current(): Run | undefined {
    return this.checkpoint;
  }

  isCheckpoint(run: Run): boolean {
    return this.checkpoint === run;
  }

  /** The run has ended: if it was the checkpoint, there is none now. */
  runEnded(run: Run): void {
    if (this.checkpoint === run) this.checkpoint = undefined;
  }

  /** Hand the checkpoint run over (travel.ts adopts it as the machine the user debugs). */
  take(): Run | undefined {
    const cp = this.checkpoint;
    this.checkpoint = undefined;
    return cp;
  }

  /** A checkpoint run's syscall: counted, and held once it reaches its target. */
  syscall(run: Run, proc: KernelProcess, request: SyscallRequest): boolean {
    if (this.checkpoint !== run) return false; // a run being torn down
    run.lastSyscall.set(proc.pid, request);
    const index = run.session.kernel.syslog.syscallCount + run.deliveries;
    if (index < run.target) return false;
    run.heldAt = index;
    this.held?.();
    return true;
  }

  /** The event index a checkpoint run is held at, or has reached. */
  position(run: Run): number {
    return run.heldAt ?? run.session.kernel.syslog.syscallCount + run.deliveries;
  }

  /** Keep a checkpoint run held a little behind the stop at `event`, so that going back from here
   *  re-runs only the events between the two. Started (or moved on) while the user looks at the stop. */
  plan(event: number): void {
    const state = this.state;
    if (
      this.window <= 0 ||
      event < this.from ||
      !state.prepared ||
      state.ended ||
      state.terminated ||
      state.travelProblem()
    )
      return;
    const target = Math.max(0, event - this.window);
    const cp = this.checkpoint;
    if (cp) {
      const at = this.position(cp);
      if (at > event) this.discard();
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
    if (this.starting) return;
    this.starting = true;
    // New workers start only once retired machines' workers are gone (see travel.ts).
    void state.teardown.then(() => {
      this.starting = false;
      const stop = state.stop;
      if (this.checkpoint || !stop || state.ended || state.terminated) return;
      try {
        const runs = this.starter();
        const run = runs.createRun(Math.max(0, stop.event - this.window));
        this.checkpoint = run;
        runs.startRun(run, () => undefined);
      } catch {
        // No checkpoint (e.g. the disk image went away): going back re-runs from the start, and says why.
        this.checkpoint = undefined;
      }
    });
  }

  discard(): void {
    const cp = this.checkpoint;
    if (!cp) return;
    this.checkpoint = undefined;
    this.source.dropStandby();
    this.state.retire(cp);
  }

  /** Resolves once the checkpoint run is held at its target (for the benchmark); at once without one. */
  async ready(): Promise<void> {
    // Still waiting for a retired machine's teardown before it starts.
    if (this.starting) await this.state.teardown.then(() => new Promise((r) => setImmediate(r)));
    const cp = this.checkpoint;
    if (!cp || cp.heldAt !== undefined) return Promise.resolve();
    return new Promise((resolve) => {
      this.held = () => {
        this.held = undefined;
        resolve();
      };
      void cp.ended.then(resolve);
    });
  }
}
