// Virtual time. Nothing in the machine looks at the wall clock: time moves only when the kernel
// calls advance(), and events due at the same instant run in the order they were scheduled, so a
// run is reproducible event for event.

import type { MachineClock } from "./machine-interface";

/** When an event is due: at an absolute virtual time, or after a delay from now (both in ns).
 *  `soft`: a timeout of a process's wait (a driver polling its device), not something the machine
 *  itself will do; while only soft events are pending the machine counts as waiting for input. */
export type Timing = ({ readonly at: number } | { readonly delay: number }) & {
  readonly soft?: boolean;
  /** Whether the event still matters (a timeout: the wait is still on); one that does not is
   *  dropped before it is due, so a wait that ended early leaves no event behind. */
  readonly live?: () => boolean;
};

export interface ScheduledEvent {
  readonly at: number;
  /** Drop the event if it has not run yet. Returns whether it was still pending. */
  cancel(): boolean;
}

/** What devices need of the clock: reading it and asking to be called back. */
export interface Scheduler {
  now(): number;
  schedule(when: Timing, callback: () => void): ScheduledEvent;
}

interface Entry {
  readonly at: number;
  /** Scheduling order: the FIFO tie-break between events due at the same instant. */
  readonly seq: number;
  readonly callback: () => void;
  readonly soft: boolean;
  readonly live: (() => boolean) | undefined;
  cancelled: boolean;
  done: boolean;
}

export class VirtualClock implements MachineClock, Scheduler {
  private time = 0;
  private nextSeq = 0;
  private advancing = false;
  private readonly heap: Entry[] = [];
  /** Events pending that are not soft. */
  private hard = 0;

  now(): number {
    return this.time;
  }

  schedule(when: Timing, callback: () => void): ScheduledEvent {
    const requested = "at" in when ? when.at : this.time + when.delay;
    if (!Number.isFinite(requested) || ("delay" in when && when.delay < 0)) {
      throw new RangeError(`cannot schedule an event at ${JSON.stringify(when)}`);
    }
    // An instant already past means "as soon as possible": it runs at the next advance.
    const entry: Entry = {
      at: Math.max(requested, this.time),
      seq: this.nextSeq++,
      callback,
      soft: when.soft === true,
      live: when.live,
      cancelled: false,
      done: false,
    };
    this.push(entry);
    if (!entry.soft) this.hard++;
    return {
      at: entry.at,
      cancel: () => {
        if (entry.cancelled || entry.done) return false;
        entry.cancelled = true;
        if (!entry.soft) this.hard--;
        return true;
      },
    };
  }

  advance(ns: number): void {
    if (!Number.isFinite(ns) || ns < 0) throw new RangeError(`advance(${ns}): time only moves forward`);
    // A callback that advanced the clock would run later events inside an earlier one.
    if (this.advancing) throw new Error("advance() called from inside a clock event");
    const target = this.time + ns;
    this.advancing = true;
    try {
      for (let entry = this.popDue(target); entry !== undefined; entry = this.popDue(target)) {
        this.time = entry.at;
        entry.done = true;
        if (!entry.soft) this.hard--;
        entry.callback();
      }
      this.time = target;
    } finally {
      this.advancing = false;
    }
  }

  nextEventAt(): number | undefined {
    this.dropCancelled();
    return this.heap[0]?.at;
  }

  /** Pending events that are not soft (the machine's own: devices, kernel timers). */
  hardEventsPending(): number {
    return this.hard;
  }

  private popDue(target: number): Entry | undefined {
    this.dropCancelled();
    const top = this.heap[0];
    if (top === undefined || top.at > target) return undefined;
    return this.pop();
  }

  private dropCancelled(): void {
    for (let top = this.heap[0]; top !== undefined; top = this.heap[0]) {
      if (!top.cancelled && top.live?.() !== false) return;
      if (!top.cancelled && !top.soft) this.hard--;
      top.cancelled = true;
      this.pop();
    }
  }

  // A binary min-heap ordered by (at, seq).
  private push(entry: Entry): void {
    const heap = this.heap;
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(heap[i], heap[parent])) break;
      [heap[i], heap[parent]] = [heap[parent], heap[i]];
      i = parent;
    }
  }

  private pop(): Entry | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (top === undefined || last === undefined || heap.length === 0) return top;
    heap[0] = last;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < heap.length && before(heap[left], heap[smallest])) smallest = left;
      if (right < heap.length && before(heap[right], heap[smallest])) smallest = right;
      if (smallest === i) break;
      [heap[i], heap[smallest]] = [heap[smallest], heap[i]];
      i = smallest;
    }
    return top;
  }
}

function before(a: Entry, b: Entry): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
