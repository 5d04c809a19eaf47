// Draws one frame of the timeline on a canvas. Virtualised: only events inside the visible time
// window are visited, and at most one mark per kind, lane and pixel column (one arrow per column and
// lane pair) is drawn, so a frame costs at most about lanes × width primitives however many events
// the window holds. Bursts wider than a pixel are drawn as bars (they do not overlap within a lane).

import { EVENT_KINDS, type EventKind, type PageInfo, type TimelineEvent } from "../model";
import { formatTime, label, type Names } from "./format";
import { LabelSpace } from "./labels";

export interface Palette {
  background: string;
  laneA: string;
  laneB: string;
  text: string;
  dim: string;
  axis: string;
  kinds: Record<EventKind, string>;
  selected: string;
}

export interface Frame {
  width: number;
  height: number;
  axisH: number;
  rowH: number;
  /** Row of each visible lane, by PID. */
  rows: Map<number, number>;
  v0: number;
  v1: number;
  show: (e: TimelineEvent) => boolean;
  names: Names;
  palette: Palette;
  selected?: number;
  /** Lifespans of the visible lanes: [pid, start, end]. */
  spans: [number, number, number | undefined][];
}

export interface Hit {
  x0: number;
  x1: number;
  y0: number;
  y1: number;
  /** Position of the event in the events array. */
  at: number;
  /** Marks win over bars when both are under the pointer. */
  rank: number;
}

export interface FrameResult {
  /** Primitives drawn (bars, marks, arrows, density cells). */
  drawn: number;
  /** Events inside the window that passed the filters. */
  inView: number;
  hits: Hit[];
}

/** First position whose event starts at or after `t` (events sorted by start). */
export function lowerBound(events: readonly TimelineEvent[], t: number): number {
  let lo = 0;
  let hi = events.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (events[mid].t < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function drawBackground(ctx: CanvasRenderingContext2D, f: Frame): void {
  const { width, height, axisH, rowH, palette: p } = f;
  ctx.fillStyle = p.background;
  ctx.fillRect(0, 0, width, height);
  const rows = f.rows.size;
  for (let r = 0; r < rows; r++) {
    ctx.fillStyle = r % 2 === 0 ? p.laneA : p.laneB;
    ctx.fillRect(0, axisH + r * rowH, width, rowH);
  }
  // Time axis: about one tick per 100 px, at round values.
  const span = f.v1 - f.v0;
  const raw = span / Math.max(1, width / 100);
  const pow = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 5, 10].map((m) => m * pow).find((s) => s >= raw) ?? raw;
  ctx.font = "11px sans-serif";
  ctx.textBaseline = "middle";
  ctx.strokeStyle = p.axis;
  ctx.fillStyle = p.dim;
  ctx.lineWidth = 1;
  for (let t = Math.ceil(f.v0 / step) * step; t <= f.v1; t += step) {
    const x = Math.round(((t - f.v0) / span) * width) + 0.5;
    ctx.beginPath();
    ctx.moveTo(x, axisH - 6);
    ctx.lineTo(x, height);
    ctx.globalAlpha = 0.35;
    ctx.stroke();
    ctx.globalAlpha = 1;
    ctx.fillText(formatTime(t), x + 3, axisH / 2);
  }
  // Lifespans: a thin line where the process existed.
  ctx.strokeStyle = p.dim;
  for (const [pid, start, end] of f.spans) {
    const r = f.rows.get(pid);
    if (r === undefined) continue;
    const y = axisH + r * rowH + rowH / 2 + 0.5;
    const x0 = Math.max(0, ((start - f.v0) / span) * width);
    const x1 = Math.min(width, (((end ?? f.v1) - f.v0) / span) * width);
    if (x1 <= x0) continue;
    ctx.beginPath();
    ctx.moveTo(x0, y);
    ctx.lineTo(x1, y);
    ctx.stroke();
  }
}

/** What the sections of one frame's event pass share: the layout and what is already drawn. */
interface EventPass {
  readonly ctx: CanvasRenderingContext2D;
  readonly f: Frame;
  /** Pixels per time unit. */
  readonly scale: number;
  /** Rows (at least one) and pixel columns of the frame. */
  readonly rows: number;
  readonly cols: number;
  /** One mark per kind, row and column: which slots are taken. */
  readonly taken: Uint8Array;
  /** One arrow per column and lane pair: the keys drawn. */
  readonly arrows: Set<number>;
  /** The labels drawn so far, so that none is drawn over another. */
  readonly labels: LabelSpace;
}

/** Draw the events of the window; `maxDur` is the longest burst (to find bars that began earlier). */
export function drawEvents(
  ctx: CanvasRenderingContext2D,
  f: Frame,
  events: readonly TimelineEvent[],
  maxDur: number,
): FrameResult {
  const pass = startEventPass(ctx, f);
  const hits: Hit[] = [];
  let inView = 0;
  let selectedHit: Hit | undefined;
  const start = lowerBound(events, f.v0 - maxDur);
  for (let at = start; at < events.length; at++) {
    const e = events[at];
    if (e.t > f.v1) break;
    if (e.t2 < f.v0) continue;
    if (!f.show(e)) continue;
    const row = f.rows.get(e.pid);
    const toRow = e.kind === "message" ? f.rows.get(e.to ?? -1) : undefined;
    if (row === undefined && toRow === undefined) continue;
    inView++;
    const hit = drawEvent(pass, e, at, row, toRow);
    if (hit === undefined) continue;
    hits.push(hit);
    if (e.i === f.selected) selectedHit = hit;
  }
  if (selectedHit) outlineSelected(ctx, f.palette, selectedHit);
  // Every primitive drawn has its hit.
  return { drawn: hits.length, inView, hits };
}

function startEventPass(ctx: CanvasRenderingContext2D, f: Frame): EventPass {
  const rows = Math.max(1, f.rows.size);
  const cols = Math.ceil(f.width) + 1;
  ctx.font = "11px sans-serif";
  ctx.textBaseline = "alphabetic";
  return {
    ctx,
    f,
    scale: f.width / (f.v1 - f.v0),
    rows,
    cols,
    taken: new Uint8Array(EVENT_KINDS.length * rows * cols),
    arrows: new Set<number>(),
    labels: new LabelSpace((text) => ctx.measureText(text).width),
  };
}

/** One event in view, in its kind's colour; its hit, or undefined when nothing was drawn (its mark,
 *  arrow or lane is already taken or not shown). */
function drawEvent(
  pass: EventPass,
  e: TimelineEvent,
  at: number,
  row: number | undefined,
  toRow: number | undefined,
): Hit | undefined {
  const { ctx, f } = pass;
  const x = (e.t - f.v0) * pass.scale;
  const col = Math.max(0, Math.min(pass.cols - 1, Math.round(x)));
  ctx.fillStyle = f.palette.kinds[e.kind];
  ctx.strokeStyle = f.palette.kinds[e.kind];
  if (e.kind === "message") return drawMessageArrow(pass, e, at, col, row, toRow);
  if (row === undefined) return undefined;
  if (e.kind === "mmio" || e.kind === "port") return drawAccessBurst(pass, e, at, row, x, col);
  return drawLaneMark(pass, e, at, row, col);
}

/** An arrow from the sender's lane to the receiver's; a stub when one end is filtered out. */
function drawMessageArrow(
  pass: EventPass,
  e: TimelineEvent,
  at: number,
  col: number,
  row: number | undefined,
  toRow: number | undefined,
): Hit | undefined {
  const { ctx, rows } = pass;
  const { axisH, rowH } = pass.f;
  const fromY = row !== undefined ? axisH + row * rowH + rowH / 2 : undefined;
  const toY = toRow !== undefined ? axisH + toRow * rowH + rowH / 2 : undefined;
  const y0 = fromY ?? toY! + (toRow! > 0 ? -rowH / 2 : rowH / 2);
  const y1 = toY ?? fromY! + (row! < rows - 1 ? rowH / 2 : -rowH / 2);
  const key = (col * (rows + 1) + (row ?? rows)) * (rows + 1) + (toRow ?? rows);
  if (pass.arrows.has(key)) return undefined;
  pass.arrows.add(key);
  const xc = col + 0.5;
  ctx.lineWidth = 1;
  if (e.result !== undefined && e.result < 0) ctx.setLineDash([3, 3]);
  ctx.beginPath();
  ctx.moveTo(xc, y0);
  ctx.lineTo(xc, y1);
  ctx.stroke();
  ctx.setLineDash([]);
  const dir = y1 >= y0 ? 1 : -1;
  ctx.beginPath();
  ctx.moveTo(xc, y1);
  ctx.lineTo(xc - 3.5, y1 - 6 * dir);
  ctx.lineTo(xc + 3.5, y1 - 6 * dir);
  ctx.closePath();
  ctx.fill();
  ctx.beginPath();
  ctx.arc(xc, y0, 2, 0, Math.PI * 2);
  ctx.fill();
  drawLabel(pass, e, xc + 4, y0 + (dir > 0 ? 11 : -4));
  return { x0: xc - 4, x1: xc + 4, y0: Math.min(y0, y1), y1: Math.max(y0, y1), at, rank: 2 };
}

/** An MMIO or port burst: a labelled bar when wider than a pixel and a half, else a tick, one per
 *  column (MMIO above port in the lane). */
function drawAccessBurst(
  pass: EventPass,
  e: TimelineEvent,
  at: number,
  row: number,
  x: number,
  col: number,
): Hit | undefined {
  const { ctx, f } = pass;
  const { width, axisH, rowH } = f;
  const top = axisH + row * rowH;
  const x2 = (e.t2 - f.v0) * pass.scale;
  const y = top + (e.kind === "mmio" ? rowH * 0.3 : rowH * 0.55);
  const h = rowH * 0.2;
  if (x2 - x >= 1.5) {
    const a = Math.max(-1, x);
    const b = Math.min(width + 1, x2);
    ctx.fillRect(a, y, b - a, h);
    const hit = { x0: a, x1: b, y0: y, y1: y + h, at, rank: 1 };
    if (b - a > 40) drawLabel(pass, e, Math.max(a, 0) + 3, y - 2);
    return hit;
  }
  if (!takeSlot(pass, e, row, col)) return undefined;
  ctx.fillRect(col - 1, y, 3, h);
  return { x0: col - 3, x1: col + 3, y0: y, y1: y + h, at, rank: 1 };
}

/** A point event on its lane, one per kind and column: an IRQ triangle above the lane line, a
 *  labelled fault cross, or a bar (exit and the rest). */
function drawLaneMark(pass: EventPass, e: TimelineEvent, at: number, row: number, col: number): Hit | undefined {
  if (!takeSlot(pass, e, row, col)) return undefined;
  const { ctx } = pass;
  const { axisH, rowH } = pass.f;
  const top = axisH + row * rowH;
  const xc = col + 0.5;
  const yc = top + rowH / 2;
  ctx.lineWidth = 2;
  if (e.kind === "irq") {
    // A lightning-like down triangle above the lane line.
    ctx.beginPath();
    ctx.moveTo(xc - 4, top + 3);
    ctx.lineTo(xc + 4, top + 3);
    ctx.lineTo(xc, top + 10);
    ctx.closePath();
    ctx.fill();
  } else if (e.kind === "fault") {
    ctx.beginPath();
    ctx.moveTo(xc - 5, yc - 5);
    ctx.lineTo(xc + 5, yc + 5);
    ctx.moveTo(xc + 5, yc - 5);
    ctx.lineTo(xc - 5, yc + 5);
    ctx.stroke();
    drawLabel(pass, e, xc + 7, yc + 4);
  } else {
    ctx.fillRect(xc - 1.5, yc - 7, 3, 14);
  }
  return { x0: xc - 6, x1: xc + 6, y0: top + 2, y1: top + rowH - 2, at, rank: 3 };
}

/** Claims the mark slot of the event's kind in `row` and `col`; false when it was already taken. */
function takeSlot(pass: EventPass, e: TimelineEvent, row: number, col: number): boolean {
  const slot = (EVENT_KINDS.indexOf(e.kind) * pass.rows + row) * pass.cols + col;
  if (pass.taken[slot]) return false;
  pass.taken[slot] = 1;
  return true;
}

/** The event's label with its baseline at (x, y), unless it would overlap a label already drawn
 *  (11 px text: about 9 px above the baseline, 3 below). */
function drawLabel(pass: EventPass, e: TimelineEvent, x: number, y: number): void {
  const text = label(e, pass.f.names);
  const w = pass.labels.width(text);
  if (!pass.labels.claim(x, x + w, y - 9, y + 3)) return;
  pass.ctx.fillStyle = pass.f.palette.text;
  pass.ctx.fillText(text, x, y);
}

function outlineSelected(ctx: CanvasRenderingContext2D, p: Palette, hit: Hit): void {
  ctx.strokeStyle = p.selected;
  ctx.lineWidth = 2;
  ctx.strokeRect(hit.x0 - 2, hit.y0 - 2, hit.x1 - hit.x0 + 4, hit.y1 - hit.y0 + 4);
}

/** When a window holds too many events to fetch, each lane shows how busy it is: page counts
 *  spread over the pixels their time range covers. */
export function drawDensity(
  ctx: CanvasRenderingContext2D,
  f: Frame,
  pages: readonly PageInfo[],
  lanePositions: Map<number, number>,
): FrameResult {
  const { width, axisH, rowH, palette: p } = f;
  const span = f.v1 - f.v0;
  const buckets = Math.max(1, Math.ceil(width / 4));
  const counts = new Float64Array(Math.max(1, f.rows.size) * buckets);
  let inView = 0;
  for (const page of pages) {
    if (!(page.events > 0) || page.t1 < f.v0 || page.t0 > f.v1) continue;
    const b0 = Math.max(0, Math.floor(((page.t0 - f.v0) / span) * buckets));
    const b1 = Math.min(buckets - 1, Math.floor(((page.t1 - f.v0) / span) * buckets));
    const share = Math.max(1, b1 - b0 + 1);
    for (const [pid, row] of f.rows) {
      const n = page.perLane[lanePositions.get(pid) ?? -1] ?? 0;
      if (n === 0) continue;
      inView += n;
      for (let b = b0; b <= b1; b++) counts[row * buckets + b] += n / share;
    }
  }
  let max = 0;
  for (const c of counts) max = Math.max(max, c);
  let drawn = 0;
  ctx.fillStyle = p.kinds.message;
  for (const [, row] of f.rows) {
    for (let b = 0; b < buckets; b++) {
      const c = counts[row * buckets + b];
      if (c <= 0) continue;
      ctx.globalAlpha = 0.15 + 0.85 * Math.sqrt(c / max);
      ctx.fillRect(b * 4, axisH + row * rowH + 4, 4, rowH - 8);
      drawn++;
    }
  }
  ctx.globalAlpha = 1;
  return { drawn, inView, hits: [] };
}
