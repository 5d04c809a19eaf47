// Streams a .zlog file through the timeline builder without holding it in memory: lines are cut
// from fixed-size chunks, parsed one at a time and forgotten. What stays is the summary (lanes with
// their aggregates, tags, time range) and an index of pages (byte offset, line, the events each
// completes, and the builder's open state where it starts), so that any page can be re-read alone.

import fs from "node:fs";
import { ZLOG_VERSION } from "../kernel/trace/zlog";
import { ZlogError } from "../kernel/trace/zlog-reader";
import { Registry, TimelineBuilder, type BuilderState, type Record_ } from "./builder";
import { EVENT_KINDS, laneName, type EventKind, type Lane, type PageInfo, type TimelineEvent, type TimelineSummary } from "./model";
import { tagName } from "./tags";

/** Lines per page: small enough that re-reading one is quick, large enough that the index stays small. */
export const DEFAULT_PAGE_LINES = 4096;

// 256 KiB (about 2 500 lines) between turns of the event loop: short enough that the extension host
// stays responsive while a large trace is read.
const CHUNK_BYTES = 256 * 1024;

export interface TraceIndex {
  summary: TimelineSummary;
  registry: Registry;
  /** The builder's state at the first line of each page (parallel to `summary.pages`). */
  checkpoints: BuilderState[];
}

export interface ScanOptions {
  pageLines?: number;
  /** Every event, in the order the builder completes it (to keep them all, for small traces). */
  onEvent?: (e: TimelineEvent) => void;
  /** Asked between chunks; return true to stop (the editor closed the panel). */
  cancelled?: () => boolean;
  /** Called between chunks with the bytes read so far. */
  progress?: (bytes: number, total: number) => void;
}

export class TraceCancelled extends Error {}

/** Calls `line(text, byteOffset, byteLength)` for every line of `file`, reading it in chunks. */
export async function forEachLine(file: string, line: (text: string, offset: number, bytes: number) => void, between?: (bytes: number) => boolean | void): Promise<void> {
  let stream: fs.ReadStream;
  try {
    await fs.promises.access(file, fs.constants.R_OK);
    stream = fs.createReadStream(file, { highWaterMark: CHUNK_BYTES });
  } catch (error) {
    throw new ZlogError(`${file}: cannot read the trace (${error instanceof Error ? error.message : String(error)})`);
  }
  let carry: Buffer | undefined;
  let base = 0; // file offset of buf[0]
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      const buf: Buffer = carry ? Buffer.concat([carry, chunk]) : chunk;
      let start = 0;
      for (let nl = buf.indexOf(10, start); nl !== -1; nl = buf.indexOf(10, start)) {
        line(buf.toString("utf8", start, nl), base + start, nl + 1 - start);
        start = nl + 1;
      }
      carry = start < buf.length ? buf.subarray(start) : undefined;
      base += start;
      if (between?.(base + (carry?.length ?? 0))) {
        stream.destroy();
        return;
      }
    }
  } catch (error) {
    if (error instanceof ZlogError || error instanceof TraceCancelled) throw error;
    throw new ZlogError(`${file}: cannot read the trace (${error instanceof Error ? error.message : String(error)})`);
  }
  if (carry && carry.length > 0) line(carry.toString("utf8"), base, carry.length);
}

interface Header {
  machineName: string;
  seed: number;
  programs: string[];
}

function parseHeader(file: string, text: string): Header {
  let h: Record_;
  try {
    h = JSON.parse(text) as Record_;
  } catch {
    throw new ZlogError(`${file}:1: not a .zlog trace (the first line is not a JSON header)`);
  }
  if (typeof h !== "object" || h === null || h.zlog === undefined) throw new ZlogError(`${file}:1: not a .zlog trace (no "zlog" version in the header)`);
  if (h.zlog !== ZLOG_VERSION) throw new ZlogError(`${file}: .zlog version ${String(h.zlog)} is not supported (this zds reads version ${ZLOG_VERSION})`);
  const programs = Array.isArray(h.programs) ? (h.programs as Record_[]).map((p) => String(p?.name)) : [];
  return { machineName: String(h.machineName ?? "?"), seed: typeof h.seed === "number" ? h.seed : 0, programs };
}

function parseRecord(file: string, text: string, line: number): Record_ {
  try {
    const r = JSON.parse(text) as unknown;
    if (typeof r === "object" && r !== null && !Array.isArray(r)) return r as Record_;
  } catch {
    // reported below
  }
  throw new ZlogError(`${file}:${line}: not valid JSON (a .zlog has one JSON object per line)`);
}

const emptyStats = () => ({ sent: 0, received: 0, irqs: 0, mmio: 0, port: 0, faults: 0, syscalls: 0 });

/** Read the whole trace once: the summary, the page index and (through `onEvent`) every event. */
export async function scanTrace(file: string, options: ScanOptions = {}): Promise<TraceIndex> {
  const pageLines = options.pageLines ?? DEFAULT_PAGE_LINES;
  const registry = new Registry();
  const lanes = new Map<number, Lane>();
  const lane = (pid: number): Lane => {
    let l = lanes.get(pid);
    if (!l) lanes.set(pid, (l = { pid, name: "", start: 0, stats: emptyStats() }));
    return l;
  };
  const tags = new Map<number, number>();
  const byKind = Object.fromEntries(EVENT_KINDS.map((k) => [k, 0])) as Record<EventKind, number>;
  const pages: (PageInfo & { lanes: Map<number, number> })[] = [];
  const checkpoints: BuilderState[] = [];
  let page: (PageInfo & { lanes: Map<number, number> }) | undefined;
  let events = 0;

  const builder = new TimelineBuilder(
    registry,
    (e) => {
      events++;
      byKind[e.kind]++;
      const p = page!;
      p.events++;
      if (!(e.t >= p.t0)) p.t0 = e.t;
      if (!(e.t2 <= p.t1)) p.t1 = e.t2;
      p.lanes.set(e.pid, (p.lanes.get(e.pid) ?? 0) + 1);
      const l = lane(e.pid);
      switch (e.kind) {
        case "message":
          l.stats.sent++;
          lane(e.to ?? -1).stats.received++;
          tags.set(e.tag!, (tags.get(e.tag!) ?? 0) + 1);
          break;
        case "irq":
          l.stats.irqs++;
          tags.set(e.tag!, (tags.get(e.tag!) ?? 0) + 1);
          break;
        case "mmio":
        case "port":
          l.stats[e.kind] += e.count ?? 0;
          break;
        case "fault":
          l.stats.faults++;
          l.faulted = true;
          break;
        case "exit":
          l.end = e.t;
          l.exitCode = e.code;
          break;
      }
      options.onEvent?.(e);
    },
    (pid) => lane(pid).stats.syscalls++,
  );

  let header: Header | undefined;
  let lineNo = 0;
  let maxT = 0;
  let minT = Infinity;
  let outcome: string | undefined;
  let syslogEvents = 0;
  let commits = 0;
  let bytes = 0;
  await forEachLine(
    file,
    (text, offset, length) => {
      lineNo++;
      bytes = offset + length;
      if (lineNo === 1) {
        header = parseHeader(file, text);
        return;
      }
      if ((lineNo - 2) % pageLines === 0) {
        if (page) page.bytes = offset - page.offset;
        page = { offset, bytes: 0, line: lineNo, events: 0, first: builder.nextIndex, t0: NaN, t1: NaN, perLane: [], lanes: new Map() };
        pages.push(page);
        checkpoints.push(builder.checkpoint());
      }
      if (text.length === 0) return;
      const r = parseRecord(file, text, lineNo);
      if (typeof r.t === "number") {
        if (r.t > maxT) maxT = r.t;
        if (r.t < minT) minT = r.t;
      }
      if (typeof r.s === "number") syslogEvents++;
      else if (typeof r.c === "number") commits++;
      else if (r.end === true) outcome = String(r.outcome);
      else throw new ZlogError(`${file}:${lineNo}: unknown record (neither a SysLog event, a commit nor the end line)`);
      builder.feed(r, lineNo);
    },
    (read) => {
      if (options.cancelled?.()) throw new TraceCancelled(`${file}: reading the trace was cancelled`);
      options.progress?.(read, bytes);
    },
  );
  if (!header) throw new ZlogError(`${file}: the trace is empty (no header line)`);
  if (!page) {
    // A trace with a header only: one empty page so that `finish` has somewhere to land.
    page = { offset: bytes, bytes: 0, line: lineNo + 1, events: 0, first: 0, t0: NaN, t1: NaN, perLane: [], lanes: new Map() };
    pages.push(page);
    checkpoints.push(builder.checkpoint());
  }
  builder.finish();
  page.bytes = bytes - page.offset;

  for (const [pid, name] of registry.names) lane(pid).name = name;
  for (const [pid, start] of registry.starts) lane(pid).start = start;
  const sorted = [...lanes.values()].sort((a, b) => a.pid - b.pid);
  for (const l of sorted) if (!l.name) l.name = l.pid < 0 ? "unknown" : laneName(l.pid, registry.names);
  const position = new Map(sorted.map((l, i) => [l.pid, i]));
  const summaryPages: PageInfo[] = pages.map(({ lanes: perPid, ...p }) => {
    const perLane = new Array<number>(sorted.length).fill(0);
    for (const [pid, n] of perPid) perLane[position.get(pid)!] = n;
    return { ...p, perLane };
  });
  const summary: TimelineSummary = {
    file,
    machineName: header.machineName,
    seed: header.seed,
    programs: header.programs,
    outcome,
    syslogEvents,
    commits,
    lines: lineNo,
    bytes,
    lanes: sorted,
    tags: [...tags].sort((a, b) => a[0] - b[0]).map(([tag, count]) => ({ tag, name: tagName(tag), count })),
    events,
    byKind,
    t0: minT === Infinity ? 0 : minT,
    t1: maxT,
    pages: summaryPages,
  };
  return { summary, registry, checkpoints };
}

/** The summary and every event (for traces small enough to hold: the HTML picture, tests). */
export async function buildTimeline(file: string, options: Omit<ScanOptions, "onEvent"> = {}): Promise<{ summary: TimelineSummary; events: TimelineEvent[] }> {
  const events: TimelineEvent[] = [];
  const { summary } = await scanTrace(file, { ...options, onEvent: (e) => events.push(e) });
  events.sort((a, b) => a.t - b.t || a.i - b.i);
  return { summary, events };
}
