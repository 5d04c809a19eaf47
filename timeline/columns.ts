// A compact, JSON-able form of many timeline events for the trip to the browser or the webview:
// one array per field instead of one object per event (a 100k-event trace is a few MB, not tens).
// Pure code, shared by the host (encode) and the view (decode).

import { EVENT_KINDS, type MessageVia, type TimelineEvent } from "./model";

const VIAS: readonly MessageVia[] = ["send", "call", "reply", "kernel"];

export interface EventColumns {
  /** index, kind code, start, duration, lane pid, receiver (−2: none), tag (−1: none), size, SysLog index, line */
  i: number[];
  k: number[];
  t: number[];
  d: number[];
  p: number[];
  to: number[];
  tag: number[];
  size: number[];
  s: number[];
  /** The debugger's event index. */
  dbg: number[];
  line: number[];
  /** The rarer fields, by position in the arrays. */
  x: Record<number, Extra>;
}

/** The rarer fields: carried as they are, only for the events that have them. */
const EXTRA_KEYS = [
  "s2",
  "count",
  "reads",
  "writes",
  "code",
  "text",
  "violation",
  "result",
  "reason",
  "faultKind",
  "diagnostic",
  "where",
  "frames",
  "fix",
  "device",
  "doorbells",
  "causes",
] as const;

type Extra = Pick<TimelineEvent, "via" | (typeof EXTRA_KEYS)[number]>;

export function encodeEvents(events: readonly TimelineEvent[]): EventColumns {
  const c: EventColumns = {
    i: [],
    k: [],
    t: [],
    d: [],
    p: [],
    to: [],
    tag: [],
    size: [],
    s: [],
    dbg: [],
    line: [],
    x: {},
  };
  events.forEach((e, n) => {
    c.i.push(e.i);
    c.k.push(EVENT_KINDS.indexOf(e.kind));
    c.t.push(e.t);
    c.d.push(e.t2 - e.t);
    c.p.push(e.pid);
    c.to.push(e.to ?? -2);
    c.tag.push(e.tag ?? -1);
    c.size.push(e.size ?? 0);
    c.s.push(e.s);
    c.dbg.push(e.d);
    c.line.push(e.line);
    const x: Extra = {};
    if (e.via !== undefined && e.via !== "send") x.via = e.via;
    for (const key of EXTRA_KEYS) if (e[key] !== undefined) (x as Record<string, unknown>)[key] = e[key];
    if (Object.keys(x).length > 0) c.x[n] = x;
  });
  return c;
}

export function decodeEvents(c: EventColumns): TimelineEvent[] {
  const out: TimelineEvent[] = new Array(c.i.length);
  for (let n = 0; n < c.i.length; n++) {
    const kind = EVENT_KINDS[c.k[n]];
    const e: TimelineEvent = {
      i: c.i[n],
      kind,
      t: c.t[n],
      t2: c.t[n] + c.d[n],
      pid: c.p[n],
      s: c.s[n],
      d: c.dbg[n],
      line: c.line[n],
    };
    if (c.to[n] !== -2) e.to = c.to[n];
    if (c.tag[n] !== -1) e.tag = c.tag[n];
    if (kind === "message") {
      e.size = c.size[n];
      e.via = "send";
    }
    const x = c.x[n];
    if (x) Object.assign(e, x);
    if (e.via !== undefined && !VIAS.includes(e.via)) e.via = "send";
    out[n] = e;
  }
  return out;
}
