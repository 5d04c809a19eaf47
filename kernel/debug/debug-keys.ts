// Keystrokes typed into a debug session's console terminal, made part of the run so that time
// travel re-runs it the same way. Keys go in at kernel input points (kernel/console-input.ts), as in
// `zds run --interactive`; each one taken is kept with its point. A re-run (step back, reverse
// continue, a checkpoint machine) gives the kept keys back at the same points, then takes new ones.
// Going back and typing something else forks history: the keys kept beyond that point are dropped.

import { compareInputPoints as compare, type ConsoleInputSource, type InputPoint } from "../console-input";
import { LiveKeys } from "../console-sources";

interface KeptKeys {
  bytes: Uint8Array;
  at: InputPoint;
}

/** The session's keys: what was typed so far (with where it went in) and what waits to go in. */
export class DebugKeyLog {
  readonly kept: KeptKeys[] = [];
  readonly live = new LiveKeys();

  /** Keys from the terminal (each run's source wakes its machine for them). */
  type(bytes: Uint8Array): void {
    this.live.push(bytes);
  }

  /** The source for one run; `isLive` says whether that run is the one the user sees now. */
  sourceFor(isLive: () => boolean): ConsoleInputSource & { onInput(wake: () => void): void } {
    return new RunKeys(this, isLive);
  }
}

class RunKeys implements ConsoleInputSource {
  private next = 0;

  constructor(
    private readonly log: DebugKeyLog,
    private readonly isLive: () => boolean,
  ) {}

  onInput(wake: () => void): void {
    this.log.live.onInput(() => {
      if (this.isLive()) wake();
    });
  }

  take(at: InputPoint): Uint8Array[] {
    const out: Uint8Array[] = [];
    const kept = this.log.kept;
    for (let order: number; this.next < kept.length && (order = compare(kept[this.next].at, at)) <= 0; this.next++) {
      // A kept key whose point this run passed without meeting is dropped: the run went elsewhere.
      if (order === 0) out.push(kept[this.next].bytes);
    }
    if (!this.isLive()) return out;
    const typed = this.log.live.take();
    if (typed.length === 0) return out;
    kept.splice(this.next);
    for (const bytes of typed) kept.push({ bytes, at });
    this.next = kept.length;
    return [...out, ...typed];
  }

  idle(waiting: boolean): "more" | "wait" | "none" {
    // The run the user sees stays up while a program waits for keys at a console; a background
    // re-run waits too (it is torn down when no longer needed).
    if (!this.isLive()) return waiting ? "wait" : "none";
    return this.log.live.idle(waiting);
  }
}
