// Streams a .zlog file through the timeline builder without holding it in memory: lines are cut
// from fixed-size chunks, parsed one at a time and forgotten. What stays is the summary (lanes with
// their aggregates, tags, time range) and an index of pages (byte offset, line, the events each
// completes, and the builder's open state where it starts), so that any page can be re-read alone.

import fs from "node:fs";
import { ZLOG_VERSION } from "../kernel/trace/zlog";
import { ZlogError } from "../kernel/trace/zlog-reader";
import { Registry, TimelineBuilder, type BuilderState, type Record_ } from "./builder";
import {
  EVENT_KINDS,
  laneName,
  type EventKind,
  type Lane,
  type PageInfo,
  type TimelineEvent,
  type TimelineSummary,
} from "./model";
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
export async function forEachLine(
  file: string,
  line: (text: string, offset: number, bytes: number) => void,
  between?: (bytes: number) => boolean | void,
): Promise<void> {
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
  /** The machine description's devices, as recorded (what learnMachine reads). */
  devices: unknown;
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
  if (typeof h !== "object" || h === null || h.zlog === undefined)
    throw new ZlogError(`${file}:1: not a .zlog trace (no "zlog" version in the header)`);
  if (h.zlog !== ZLOG_VERSION)
    throw new ZlogError(
      `${file}: .zlog version ${String(h.zlog)} is not supported (this zds reads version ${ZLOG_VERSION})`,
    );
  const programs = Array.isArray(h.programs) ? (h.programs as Record_[]).map((p) => String(p?.name)) : [];
  const machine = h.machine as Record_ | undefined;
  return {
    machineName: String(h.machineName ?? "?"),
    devices: machine?.devices,
    seed: typeof h.seed === "number" ? h.seed : 0,
    programs,
  };
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

/** A page while it is being indexed: its events per PID (positions are known only at the end). */
type IndexedPage = PageInfo & { lanes: Map<number, number> };

/** Read the whole trace once: the summary, the page index and (through `onEvent`) every event. */
export async function scanTrace(file: string, options: ScanOptions = {}): Promise<TraceIndex> {
  const scan = new TraceScan(file, options);
  await forEachLine(
    file,
    (text, offset, length) => scan.readLine(text, offset, length),
    (read) => {
      if (options.cancelled?.()) throw new TraceCancelled(`${file}: reading the trace was cancelled`);
      options.progress?.(read, scan.bytes);
    },
  );
  return scan.finish();
}

/** One read of a trace: the builder, and what is counted of its lines and events. */
class TraceScan {
  readonly registry = new Registry();
  private readonly builder: TimelineBuilder;
  private readonly pageLines: number;
  private readonly lanes = new Map<number, Lane>();
  private readonly tags = new Map<number, number>();
  private readonly byKind = Object.fromEntries(EVENT_KINDS.map((k) => [k, 0])) as Record<EventKind, number>;
  private readonly pages: IndexedPage[] = [];
  private readonly checkpoints: BuilderState[] = [];
  private page: IndexedPage | undefined;
  private events = 0;
  private header: Header | undefined;
  private lineNo = 0;
  private maxT = 0;
  private minT = Infinity;
  private outcome: string | undefined;
  private syslogEvents = 0;
  private commits = 0;
  /** Bytes read so far: the end of the last line. */
  bytes = 0;

  constructor(
    private readonly file: string,
    private readonly options: ScanOptions,
  ) {
    this.pageLines = options.pageLines ?? DEFAULT_PAGE_LINES;
    this.builder = new TimelineBuilder(
      this.registry,
      (e) => {
        this.countEvent(e);
        this.options.onEvent?.(e);
      },
      (pid) => this.lane(pid).stats.syscalls++,
    );
  }

  /** One line of the file: the header, else a record (starting a page every `pageLines` lines). */
  readLine(text: string, offset: number, length: number): void {
    this.lineNo++;
    this.bytes = offset + length;
    if (this.lineNo === 1) {
      this.header = parseHeader(this.file, text);
      this.registry.learnMachine(this.header.devices);
      return;
    }
    if ((this.lineNo - 2) % this.pageLines === 0) {
      if (this.page) this.page.bytes = offset - this.page.offset;
      this.startPage({
        offset,
        bytes: 0,
        line: this.lineNo,
        events: 0,
        first: this.builder.nextIndex,
        t0: NaN,
        t1: NaN,
        perLane: [],
        lanes: new Map(),
      });
    }
    if (text.length === 0) return;
    const r = parseRecord(this.file, text, this.lineNo);
    this.countRecord(r);
    this.builder.feed(r, this.lineNo);
  }

  /** The end of the file: the builder's last events, and the summary. */
  finish(): TraceIndex {
    const header = this.header;
    if (!header) throw new ZlogError(`${this.file}: the trace is empty (no header line)`);
    let page = this.page;
    if (!page) {
      // A trace with a header only: one empty page so that `finish` has somewhere to land.
      page = {
        offset: this.bytes,
        bytes: 0,
        line: this.lineNo + 1,
        events: 0,
        first: 0,
        t0: NaN,
        t1: NaN,
        perLane: [],
        lanes: new Map(),
      };
      this.startPage(page);
    }
    this.builder.finish();
    page.bytes = this.bytes - page.offset;
    return { summary: this.summary(header), registry: this.registry, checkpoints: this.checkpoints };
  }

  /** A page starts here, with the builder's state at its first line. */
  private startPage(page: IndexedPage): void {
    this.page = page;
    this.pages.push(page);
    this.checkpoints.push(this.builder.checkpoint());
  }

  /** The time range and the counts by record type (SysLog event, commit, the end line). */
  private countRecord(r: Record_): void {
    if (typeof r.t === "number") {
      if (r.t > this.maxT) this.maxT = r.t;
      if (r.t < this.minT) this.minT = r.t;
    }
    if (typeof r.s === "number") this.syslogEvents++;
    else if (typeof r.c === "number") this.commits++;
    else if (r.end === true) this.outcome = String(r.outcome);
    else if (typeof r.pf === "number")
      return; // where a fault happened (its details; the builder reads it)
    else
      throw new ZlogError(
        `${this.file}:${this.lineNo}: unknown record (neither a SysLog event, a commit nor the end line)`,
      );
  }

  /** An event the builder completed: its page, its kind, its lane's aggregates and its tag. */
  private countEvent(e: TimelineEvent): void {
    this.events++;
    this.byKind[e.kind]++;
    const p = this.page!;
    p.events++;
    if (!(e.t >= p.t0)) p.t0 = e.t;
    if (!(e.t2 <= p.t1)) p.t1 = e.t2;
    p.lanes.set(e.pid, (p.lanes.get(e.pid) ?? 0) + 1);
    const l = this.lane(e.pid);
    switch (e.kind) {
      case "message":
        l.stats.sent++;
        this.lane(e.to ?? -1).stats.received++;
        this.countTag(e.tag!);
        break;
      case "irq":
        l.stats.irqs++;
        this.countTag(e.tag!);
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
  }

  private countTag(tag: number): void {
    this.tags.set(tag, (this.tags.get(tag) ?? 0) + 1);
  }

  private lane(pid: number): Lane {
    let l = this.lanes.get(pid);
    if (!l) this.lanes.set(pid, (l = { pid, name: "", start: 0, stats: emptyStats() }));
    return l;
  }

  private summary(header: Header): TimelineSummary {
    const sorted = this.namedLanes();
    return {
      file: this.file,
      machineName: header.machineName,
      seed: header.seed,
      programs: header.programs,
      outcome: this.outcome,
      syslogEvents: this.syslogEvents,
      commits: this.commits,
      lines: this.lineNo,
      bytes: this.bytes,
      lanes: sorted,
      tags: [...this.tags].sort((a, b) => a[0] - b[0]).map(([tag, count]) => ({ tag, name: tagName(tag), count })),
      events: this.events,
      byKind: this.byKind,
      t0: this.minT === Infinity ? 0 : this.minT,
      t1: this.maxT,
      pages: this.pagesByLanePosition(sorted),
    };
  }

  /** The lanes by PID, with the names and starts the registry learnt. */
  private namedLanes(): Lane[] {
    for (const [pid, name] of this.registry.names) this.lane(pid).name = name;
    for (const [pid, start] of this.registry.starts) this.lane(pid).start = start;
    const sorted = [...this.lanes.values()].sort((a, b) => a.pid - b.pid);
    for (const l of sorted) if (!l.name) l.name = l.pid < 0 ? "unknown" : laneName(l.pid, this.registry.names);
    return sorted;
  }

  /** The pages with their event counts per lane position in `sorted` (instead of per PID). */
  private pagesByLanePosition(sorted: readonly Lane[]): PageInfo[] {
    const position = new Map(sorted.map((l, i) => [l.pid, i]));
    return this.pages.map(({ lanes: perPid, ...p }) => {
      const perLane = new Array<number>(sorted.length).fill(0);
      for (const [pid, n] of perPid) perLane[position.get(pid)!] = n;
      return { ...p, perLane };
    });
  }
}

/** The summary and every event (for traces small enough to hold: the HTML picture, tests). */
export async function buildTimeline(
  file: string,
  options: Omit<ScanOptions, "onEvent"> = {},
): Promise<{ summary: TimelineSummary; events: TimelineEvent[] }> {
  const events: TimelineEvent[] = [];
  const { summary } = await scanTrace(file, { ...options, onEvent: (e) => events.push(e) });
  events.sort((a, b) => a.t - b.t || a.i - b.i);
  return { summary, events };
}
