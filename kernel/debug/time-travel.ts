// Bookkeeping for reverse debugging (travel.ts carries it out by deterministic re-execution).
//
// Events are numbered in the order the kernel sees them: each syscall about to be carried out and each
// message (IPC or interrupt) delivered takes the next index, so "event index" = syscalls carried out +
// messages delivered. A re-run of the same programs, machine and seed numbers them the same way, which
// is what lets a re-run stop at "event 1234". The timeline remembers which process each event belongs
// to (the caller of a syscall, the receiver of a message) for "previous event of this process".
//
// Breakpoint hits are ordered by a key: the event index they happened at (or before, for a driver line
// between two syscalls) and their rank among the hits at that index. Reverse continue re-runs to the
// current stop collecting hit keys, then re-runs again to the last key before the stop.

export interface HitKey {
  /** Event index the hit happened at (a syscall's own hit) or just before (a driver line). */
  event: number;
  /** Rank among the hits at that event index, from 0. */
  rank: number;
}

export function compareKeys(a: HitKey, b: HitKey): number {
  return a.event - b.event || a.rank - b.rank;
}

/** Which process each event index belongs to, growing as the machine runs. */
export class EventTimeline {
  private pids = new Int32Array(1024);
  private length = 0;

  note(index: number, pid: number): void {
    if (index >= this.pids.length) {
      const grown = new Int32Array(Math.max(index + 1, this.pids.length * 2));
      grown.set(this.pids);
      this.pids = grown;
    }
    this.pids[index] = pid;
    if (index >= this.length) this.length = index + 1;
  }

  /** The last event of `pid` before `index`, or undefined when it has none. */
  previous(pid: number, index: number): number | undefined {
    for (let i = Math.min(index, this.length) - 1; i >= 0; i--) if (this.pids[i] === pid) return i;
    return undefined;
  }

  get size(): number {
    return this.length;
  }
}

/** Ranks the breakpoint hits at each event index. */
export class HitCounter {
  private event = -1;
  private rank = 0;

  /** The key of a hit happening now, at event index `event`. */
  note(event: number): HitKey {
    if (event !== this.event) {
      this.event = event;
      this.rank = 0;
    }
    return { event, rank: this.rank++ };
  }

  /** The key a stop that is not itself a hit has: after every hit so far at `event`. */
  peek(event: number): HitKey {
    return { event, rank: event === this.event ? this.rank : 0 };
  }

  reset(): void {
    this.event = -1;
    this.rank = 0;
  }
}

/** Where a re-run goes. */
export type TravelTarget =
  /** Stop at this event index (a syscall about to be carried out, or a message being delivered). */
  | { kind: "event"; index: number; label?: string }
  /** Pass over every stop, collect the breakpoint hits before `until`, then end (reverse continue, first pass). */
  | { kind: "scan"; until: HitKey; hits: HitKey[] }
  /** Stop at the breakpoint hit with this key (reverse continue, second pass). */
  | { kind: "hit"; key: HitKey }
  /** Stop before anything runs (reverse continue with no earlier hit). */
  | { kind: "start" }
  /** Go to the line breakpoint hit `recipe.origin`, then take the recipe's line steps again. */
  | { kind: "line"; recipe: LineRecipe; reached: boolean; remaining: LineStep[] };

export type LineStep = "over" | "into" | "out";

/** How a stop on a driver line was reached: a line breakpoint hit, then line steps. Re-running the
 *  same hit and the same steps lands on the same line with the same values (the run is deterministic),
 *  which is how stepping back by lines works: the same recipe with one step fewer. */
export interface LineRecipe {
  origin: HitKey;
  pid: number;
  steps: LineStep[];
}
