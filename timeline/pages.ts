// Re-reads pages of a trace on demand: the bytes of one page from its offset, through a builder
// restored to the state the page starts in, so a window of a 1M-event trace costs a few pages.

import fs from "node:fs";
import { ZlogError } from "../kernel/trace/zlog-reader";
import { TimelineBuilder, type Record_ } from "./builder";
import type { TimelineEvent } from "./model";
import type { TraceIndex } from "./scan";

/** The events page `n` completes (exactly those the full scan counted for it). */
export async function readPage(file: string, index: TraceIndex, n: number): Promise<TimelineEvent[]> {
  const page = index.summary.pages[n];
  if (!page) throw new RangeError(`page ${n} does not exist (the trace has ${index.summary.pages.length})`);
  const buf = Buffer.alloc(page.bytes);
  const fd = await fs.promises.open(file, "r");
  try {
    const { bytesRead } = await fd.read(buf, 0, page.bytes, page.offset);
    if (bytesRead !== page.bytes)
      throw new ZlogError(`${file}: the trace changed since it was opened (page ${n} is short); open it again`);
  } finally {
    await fd.close();
  }
  const events: TimelineEvent[] = [];
  const builder = new TimelineBuilder(index.registry, (e) => events.push(e));
  builder.restore(index.checkpoints[n]);
  let line = page.line;
  let start = 0;
  for (;;) {
    const nl = buf.indexOf(10, start);
    const end = nl === -1 ? buf.length : nl;
    if (end > start) {
      let r: Record_;
      try {
        r = JSON.parse(buf.toString("utf8", start, end)) as Record_;
      } catch {
        throw new ZlogError(`${file}:${line}: not valid JSON (the trace changed since it was opened?)`);
      }
      builder.feed(r, line);
    }
    if (nl === -1) break;
    start = nl + 1;
    line++;
  }
  if (n === index.summary.pages.length - 1) builder.finish();
  return events;
}

/** Pages whose events overlap the virtual-time window [t0, t1]. */
export function pagesInWindow(index: TraceIndex, t0: number, t1: number): number[] {
  const out: number[] = [];
  index.summary.pages.forEach((p, n) => {
    if (p.events > 0 && p.t0 <= t1 && p.t1 >= t0) out.push(n);
  });
  return out;
}

/** Events that overlap [t0, t1], sorted by time; with `limit`, stops reading pages once more than
 *  that many events were found (`complete` then says false). */
export async function readWindow(
  file: string,
  index: TraceIndex,
  t0: number,
  t1: number,
  limit = Infinity,
): Promise<{ events: TimelineEvent[]; complete: boolean }> {
  const events: TimelineEvent[] = [];
  let complete = true;
  for (const n of pagesInWindow(index, t0, t1)) {
    for (const e of await readPage(file, index, n)) if (e.t <= t1 && e.t2 >= t0) events.push(e);
    if (events.length > limit) {
      complete = false;
      break;
    }
  }
  events.sort((a, b) => a.t - b.t || a.i - b.i);
  return { events, complete };
}
