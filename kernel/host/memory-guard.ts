// Bounds the host memory a driver can take between two syscalls. A worker's resourceLimits cap only
// its V8 heap; ArrayBuffer backing stores live outside it. The trusted runtime reports its isolate's
// off-heap bytes with every syscall (checked in worker-process.ts), but a driver that allocates and
// touches memory in a loop without a syscall would get far before the watchdog fires. Only one
// process of a machine runs at a time, so growth of the host's resident set while a worker holds
// the run token is that worker's doing: past an allowance, the worker is ended at once.

/** How often resident memory is sampled while some worker runs (wall ms). */
const SAMPLE_MS = 5;

export interface RunningSlice {
  /** The worker paused in a debugger, or the host did other work meanwhile: measure from now. */
  rebase(): void;
  /** The worker made a syscall or ended: stop measuring it. */
  end(): void;
}

interface Slice {
  /** NaN until the first sample: reading the resident set costs microseconds, too much per syscall,
   *  so a slice is measured from the first sample inside it (up to SAMPLE_MS of growth unseen). */
  startRss: number;
  allowance: number;
  exceeded: (grownBytes: number) => void;
  paused: () => boolean;
}

const slices = new Set<Slice>();
let timer: ReturnType<typeof setInterval> | undefined;

function sample(): void {
  const rss = process.memoryUsage.rss();
  for (const slice of [...slices]) {
    if (slice.paused() || Number.isNaN(slice.startRss)) {
      slice.startRss = rss;
      continue;
    }
    const grown = rss - slice.startRss;
    if (grown > slice.allowance) {
      slices.delete(slice);
      slice.exceeded(grown);
    }
  }
  if (slices.size === 0) stop();
}

function stop(): void {
  if (timer === undefined) return;
  clearInterval(timer);
  timer = undefined;
}

/** Start measuring a worker that was just given the run token. */
export function beginSlice(
  allowanceBytes: number,
  exceeded: (grownBytes: number) => void,
  paused: () => boolean,
): RunningSlice {
  const slice: Slice = { startRss: NaN, allowance: allowanceBytes, exceeded, paused };
  slices.add(slice);
  if (timer === undefined) {
    timer = setInterval(sample, SAMPLE_MS);
    timer.unref();
  }
  return {
    rebase: () => (slice.startRss = NaN),
    // The timer is left running: a worker making syscalls begins and ends slices thousands of
    // times a second, and the sampler stops itself once it finds none.
    end: () => slices.delete(slice),
  };
}
