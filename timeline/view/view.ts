// The timeline view: lanes, a canvas of events, zoom and pan, filters by process, kind and tag, and
// a details panel for the clicked event. It runs in a browser page (`zds trace --html`) and in the
// VS Code webview; the host differences are behind `ViewHost`.

import { EVENT_KINDS, type EventKind, type TimelineEvent, type TimelineSummary } from "../model";
import { drawBackground, drawDensity, drawEvents, type Frame, type FrameResult, type Hit, type Palette } from "./draw";
import { details, formatTime, hex, Names } from "./format";
import { WINDOW_LIMIT } from "./limits";

/** What the page around the view can do: the webview asks the extension for windows of a large
 *  trace and tells it about clicks; a saved HTML page holds every event and needs none of it. */
export interface ViewHost {
  requestWindow?(id: number, t0: number, t1: number): void;
  selected?(e: TimelineEvent): void;
  reveal?(e: TimelineEvent): void;
  goTo?(e: TimelineEvent): void;
}

const ROW_H = 34;
const AXIS_H = 24;
const KIND_LABEL: Record<EventKind, string> = {
  message: "Messages",
  irq: "Interrupts",
  mmio: "MMIO",
  port: "Port I/O",
  fault: "Faults",
  exit: "Exits",
};

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  text?: string,
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

export class TimelineView {
  private readonly names: Names;
  private events: TimelineEvent[];
  private maxDur = 0;
  private loaded: { v0: number; v1: number } | undefined;
  private pendingWindow = 0;
  private requestTimer: ReturnType<typeof setTimeout> | undefined;
  private v0: number;
  private v1: number;
  private readonly hiddenLanes = new Set<number>();
  private readonly hiddenKinds = new Set<EventKind>();
  private readonly hiddenTags = new Set<number>();
  private selected: TimelineEvent | undefined;
  /** The lane the arrow keys walk: that of the event last clicked (a message's sender). */
  private navLane: number | undefined;
  private hits: Hit[] = [];
  private frameQueued = false;
  private debugActive = false;
  private readonly lanePositions: Map<number, number>;

  private readonly canvas: HTMLCanvasElement;
  private readonly labels: HTMLElement;
  private readonly chart: HTMLElement;
  private readonly range: HTMLElement;
  private readonly stats: HTMLElement;
  private readonly note: HTMLElement;
  private readonly detailsPanel: HTMLElement;

  constructor(
    private readonly root: HTMLElement,
    private readonly summary: TimelineSummary,
    /** Every event sorted by time, or undefined for a paged trace (windows come from the host). */
    all: TimelineEvent[] | undefined,
    private readonly host: ViewHost = {},
  ) {
    this.names = new Names(summary);
    this.lanePositions = new Map(summary.lanes.map((l, i) => [l.pid, i]));
    this.events = all ?? [];
    if (all) this.loaded = { v0: -Infinity, v1: Infinity };
    this.maxDur = this.events.reduce((m, e) => Math.max(m, e.t2 - e.t), 0);
    [this.v0, this.v1] = this.fullRange();

    root.classList.add("zt");
    const head = el("header", { class: "zt-head" });
    head.append(el("h1", { id: "zt-title" }, summary.file.split(/[\\/]/).pop() ?? summary.file));
    head.append(
      el(
        "span",
        { id: "zt-meta" },
        `${summary.machineName} · seed ${summary.seed} · ${summary.outcome ?? "cut short (no end line)"} · ${summary.events} events · ${summary.lanes.length} lanes · ${formatTime(summary.t1 - summary.t0)}`,
      ),
    );
    const toolbar = el("div", { class: "zt-toolbar" });
    const button = (id: string, text: string, title: string, action: () => void) => {
      const b = el("button", { id, title }, text);
      b.addEventListener("click", action);
      toolbar.append(b);
    };
    button("zt-zoom-out", "−", "Zoom out", () => this.zoom(2));
    button("zt-zoom-in", "+", "Zoom in", () => this.zoom(0.5));
    button("zt-fit", "Fit", "Show the whole trace", () => this.setRange(...this.fullRange()));
    this.range = toolbar.appendChild(el("span", { id: "zt-range" }));
    const kinds = toolbar.appendChild(el("span", { class: "zt-kinds" }));
    for (const kind of EVENT_KINDS) {
      const box = this.checkbox(`zt-kind-${kind}`, `${KIND_LABEL[kind]} (${summary.byKind[kind]})`, kind, (on) => {
        if (on) this.hiddenKinds.delete(kind);
        else this.hiddenKinds.add(kind);
      });
      box.classList.add(`zt-kind-${kind}`);
      kinds.append(box);
    }
    const tags = toolbar.appendChild(el("details", { id: "zt-tags" }));
    tags.append(el("summary", {}, `Tags (${summary.tags.length})`));
    for (const t of summary.tags) {
      tags.append(
        this.checkbox(`zt-tag-${t.tag}`, `${t.name} ${hex(t.tag)} (${t.count})`, String(t.tag), (on) => {
          if (on) this.hiddenTags.delete(t.tag);
          else this.hiddenTags.add(t.tag);
        }),
      );
    }
    this.stats = toolbar.appendChild(el("span", { id: "zt-stats" }));

    const body = el("div", { class: "zt-body" });
    const filter = body.appendChild(el("aside", { id: "zt-processes", class: "zt-filter" }));
    filter.append(el("h2", {}, "Processes"));
    for (const l of summary.lanes) {
      const box = this.checkbox(
        `zt-lane-${l.pid}`,
        `${l.name}${l.pid > 1 ? ` (${l.pid})` : ""}`,
        String(l.pid),
        (on) => {
          if (on) this.hiddenLanes.delete(l.pid);
          else this.hiddenLanes.add(l.pid);
          this.layoutLanes();
        },
      );
      filter.append(box);
    }
    this.chart = body.appendChild(el("div", { class: "zt-chart" }));
    this.labels = this.chart.appendChild(el("div", { class: "zt-labels", id: "zt-lanes" }));
    this.canvas = this.chart.appendChild(
      el("canvas", {
        id: "zt-canvas",
        tabindex: "0",
        role: "img",
        "aria-label":
          "Timeline: ← → previous/next event on the selected lane, Enter go to it in the debug session, + − zoom",
      }),
    );
    this.detailsPanel = body.appendChild(el("aside", { id: "zt-details", class: "zt-details" }));
    this.detailsPanel.append(el("p", { class: "zt-hint" }, "Click an event to see its details."));
    this.note = el("div", { id: "zt-note" });
    root.append(head, toolbar, body, this.note);

    this.wire();
    this.layoutLanes();
    new ResizeObserver(() => this.queue()).observe(this.chart);
  }

  /** Windows of a paged trace arrive here (answers to `requestWindow`). */
  receiveWindow(id: number, v0: number, v1: number, events: TimelineEvent[]): void {
    if (id !== this.pendingWindow) return;
    this.events = events;
    this.maxDur = events.reduce((m, e) => Math.max(m, e.t2 - e.t), 0);
    this.loaded = { v0, v1 };
    this.queue();
  }

  setDebugActive(active: boolean): void {
    this.debugActive = active;
    if (this.selected) this.showDetails(this.selected);
  }

  /** For tests and the host: where event `i` was drawn in the last frame (client coordinates). */
  positionOf(i: number): { x: number; y: number } | undefined {
    const hit = this.hits.find((h) => this.events[h.at]?.i === i);
    if (!hit) return undefined;
    const r = this.canvas.getBoundingClientRect();
    return { x: r.left + (hit.x0 + hit.x1) / 2, y: r.top + (hit.y0 + hit.y1) / 2 };
  }

  /** The events drawn in the last frame (for tests). */
  drawnEvents(): number[] {
    return this.hits.map((h) => this.events[h.at].i);
  }

  get window(): [number, number] {
    return [this.v0, this.v1];
  }

  setRange(v0: number, v1: number): void {
    const [f0, f1] = this.fullRange();
    const minSpan = 10;
    let span = Math.max(minSpan, Math.min(v1 - v0, (f1 - f0) * 1.02));
    if (!Number.isFinite(span)) span = f1 - f0;
    let a = v0;
    if (a < f0 - span * 0.5) a = f0 - span * 0.5;
    if (a + span > f1 + span * 0.5) a = f1 + span * 0.5 - span;
    this.v0 = a;
    this.v1 = a + span;
    this.queue();
  }

  zoom(factor: number, at = 0.5): void {
    const span = this.v1 - this.v0;
    const pivot = this.v0 + span * at;
    this.setRange(pivot - span * factor * at, pivot + span * factor * (1 - at));
  }

  private fullRange(): [number, number] {
    const pad = Math.max(1000, (this.summary.t1 - this.summary.t0) * 0.01);
    return [this.summary.t0 - pad, this.summary.t1 + pad];
  }

  private checkbox(id: string, text: string, value: string, change: (on: boolean) => void): HTMLLabelElement {
    const label = el("label", { class: "zt-check" });
    const input = el("input", { type: "checkbox", id, value });
    input.checked = true;
    input.addEventListener("change", () => {
      change(input.checked);
      this.queue();
    });
    label.append(input, document.createTextNode(" " + text));
    return label;
  }

  private visibleLanes() {
    return this.summary.lanes.filter((l) => !this.hiddenLanes.has(l.pid));
  }

  private layoutLanes(): void {
    this.labels.replaceChildren();
    this.labels.style.paddingTop = `${AXIS_H}px`;
    for (const l of this.visibleLanes()) {
      const row = el("div", {
        class: "zt-lane",
        "data-pid": String(l.pid),
        title: `${l.name}: ${l.stats.syscalls} syscalls`,
      });
      row.style.height = `${ROW_H}px`;
      row.append(el("span", { class: "zt-lane-name" }, l.pid > 1 ? `${l.name} ${l.pid}` : l.name));
      const s = l.stats;
      row.append(
        el(
          "span",
          {
            class: "zt-lane-counts",
            "data-sent": String(s.sent),
            "data-received": String(s.received),
            "data-irqs": String(s.irqs),
          },
          `↑${s.sent} ↓${s.received}${s.irqs ? ` ⚡${s.irqs}` : ""}${s.mmio ? ` mmio ${s.mmio}` : ""}${s.port ? ` io ${s.port}` : ""}${s.faults ? ` ✖${s.faults}` : ""}`,
        ),
      );
      this.labels.append(row);
    }
    this.queue();
  }

  private wire(): void {
    const c = this.canvas;
    c.addEventListener("keydown", (ev) => {
      if (ev.key === "ArrowRight" || ev.key === "ArrowLeft") this.step(ev.key === "ArrowRight" ? 1 : -1);
      else if (ev.key === "+" || ev.key === "=") this.zoom(0.5);
      else if (ev.key === "-") this.zoom(2);
      else if (ev.key === "Enter" && this.selected) this.host.goTo?.(this.selected);
      else return;
      ev.preventDefault();
    });
    c.addEventListener(
      "wheel",
      (ev) => {
        ev.preventDefault();
        const r = c.getBoundingClientRect();
        if (ev.shiftKey || Math.abs(ev.deltaX) > Math.abs(ev.deltaY)) {
          const d = ev.shiftKey ? ev.deltaY : ev.deltaX;
          const shift = (d / r.width) * (this.v1 - this.v0);
          this.setRange(this.v0 + shift, this.v1 + shift);
        } else {
          this.zoom(ev.deltaY > 0 ? 1.25 : 0.8, (ev.clientX - r.left) / r.width);
        }
      },
      { passive: false },
    );
    let drag: { x: number; v0: number; v1: number; moved: boolean } | undefined;
    c.addEventListener("mousedown", (ev) => (drag = { x: ev.clientX, v0: this.v0, v1: this.v1, moved: false }));
    window.addEventListener("mousemove", (ev) => {
      if (!drag) return;
      const dx = ev.clientX - drag.x;
      if (Math.abs(dx) > 3) drag.moved = true;
      if (!drag.moved) return;
      const shift = (-dx / c.getBoundingClientRect().width) * (drag.v1 - drag.v0);
      this.setRange(drag.v0 + shift, drag.v1 + shift);
    });
    window.addEventListener("mouseup", (ev) => {
      const d = drag;
      drag = undefined;
      if (d && !d.moved && ev.target === c) this.click(ev);
    });
  }

  private click(ev: MouseEvent): void {
    const r = this.canvas.getBoundingClientRect();
    const x = ev.clientX - r.left;
    const y = ev.clientY - r.top;
    let best: Hit | undefined;
    let bestScore = Infinity;
    for (const h of this.hits) {
      if (y < h.y0 - 3 || y > h.y1 + 3) continue;
      const dx = x < h.x0 ? h.x0 - x : x > h.x1 ? x - h.x1 : 0;
      if (dx > 5) continue;
      const score = dx * 10 - h.rank;
      if (score < bestScore) ((best = h), (bestScore = score));
    }
    if (!best) return;
    this.selected = this.events[best.at];
    this.navLane = this.selected.pid;
    this.showDetails(this.selected);
    this.host.selected?.(this.selected);
    this.queue();
  }

  /** Select the next (1) or previous (−1) shown event on the selected event's lane (the first in
   *  view when nothing is selected), and pan to it if it is outside the window. */
  step(direction: 1 | -1): void {
    const shown = (e: TimelineEvent) =>
      this.shows(e) && (!this.hiddenLanes.has(e.pid) || (e.to !== undefined && !this.hiddenLanes.has(e.to)));
    const cur = this.selected;
    let next: TimelineEvent | undefined;
    if (!cur) {
      next = this.events.find((e) => e.t2 >= this.v0 && e.t <= this.v1 && shown(e));
    } else {
      const lane = this.navLane ?? cur.pid;
      const onLane = (e: TimelineEvent) => e.pid === lane || e.to === lane;
      let at = this.events.findIndex((e) => e.i === cur.i);
      for (at += direction; at >= 0 && at < this.events.length; at += direction) {
        if (onLane(this.events[at]) && shown(this.events[at])) {
          next = this.events[at];
          break;
        }
      }
    }
    if (!next) return;
    if (!cur) this.navLane = next.pid;
    this.selected = next;
    if (next.t < this.v0 || next.t > this.v1) {
      const span = this.v1 - this.v0;
      this.setRange(next.t - span / 2, next.t + span / 2);
    }
    this.showDetails(next);
    this.host.selected?.(next);
    this.queue();
  }

  private shows(e: TimelineEvent): boolean {
    return !this.hiddenKinds.has(e.kind) && (e.tag === undefined || !this.hiddenTags.has(e.tag));
  }

  private showDetails(e: TimelineEvent): void {
    const panel = this.detailsPanel;
    panel.replaceChildren();
    panel.dataset.event = String(e.i);
    panel.append(el("h2", {}, "Event details"));
    const dl = panel.appendChild(el("dl"));
    for (const [k, v] of details(e, this.names)) {
      dl.append(el("dt", {}, k), el("dd", { "data-field": k }, v));
    }
    const actions = el("div", { class: "zt-actions" });
    if (this.host.reveal) {
      const b = actions.appendChild(el("button", { id: "zt-reveal" }, `Show line ${e.line} of the trace`));
      b.addEventListener("click", () => this.host.reveal?.(e));
    }
    if (this.host.goTo) {
      const b = actions.appendChild(
        el(
          "button",
          { id: "zt-goto", title: "Moves the debug session to this event (custom DAP request goToEvent)" },
          "Go to event in debug session",
        ),
      );
      b.disabled = !this.debugActive;
      b.addEventListener("click", () => this.host.goTo?.(e));
    }
    if (actions.childElementCount > 0) panel.append(actions);
  }

  private queue(): void {
    if (this.frameQueued) return;
    this.frameQueued = true;
    requestAnimationFrame(() => {
      this.frameQueued = false;
      this.render();
    });
  }

  private palette(): Palette {
    const s = getComputedStyle(this.root);
    const v = (name: string, fallback: string) => s.getPropertyValue(name).trim() || fallback;
    return {
      background: v("--zt-bg", "#1e1e1e"),
      laneA: v("--zt-lane-a", "#252526"),
      laneB: v("--zt-lane-b", "#2d2d30"),
      text: v("--zt-fg", "#cccccc"),
      dim: v("--zt-dim", "#808080"),
      axis: v("--zt-axis", "#808080"),
      selected: v("--zt-selected", "#ffcc00"),
      kinds: {
        message: v("--zt-message", "#4fc1ff"),
        irq: v("--zt-irq", "#dcdcaa"),
        mmio: v("--zt-mmio", "#6a9955"),
        port: v("--zt-port", "#c586c0"),
        fault: v("--zt-fault", "#f44747"),
        exit: v("--zt-exit", "#9cdcfe"),
      },
    };
  }

  /** Events the trace holds between v0 and v1, estimated from the page index. */
  private estimate(v0: number, v1: number): number {
    let n = 0;
    for (const p of this.summary.pages) if (p.events > 0 && p.t0 <= v1 && p.t1 >= v0) n += p.events;
    return n;
  }

  private render(): void {
    const lanes = this.visibleLanes();
    const labelsW = this.labels.getBoundingClientRect().width;
    const width = Math.max(200, Math.floor(this.chart.clientWidth - labelsW - 2));
    const height = AXIS_H + Math.max(1, lanes.length) * ROW_H;
    const dpr = window.devicePixelRatio || 1;
    const c = this.canvas;
    if (c.width !== Math.round(width * dpr) || c.height !== Math.round(height * dpr)) {
      c.width = Math.round(width * dpr);
      c.height = Math.round(height * dpr);
      c.style.width = `${width}px`;
      c.style.height = `${height}px`;
    }
    const ctx = c.getContext("2d");
    if (!ctx) return;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    const frame: Frame = {
      width,
      height,
      axisH: AXIS_H,
      rowH: ROW_H,
      rows: new Map(lanes.map((l, r) => [l.pid, r])),
      v0: this.v0,
      v1: this.v1,
      show: (e) => this.shows(e),
      names: this.names,
      palette: this.palette(),
      selected: this.selected?.i,
      spans: lanes.map((l) => [l.pid, l.start, l.end]),
    };
    drawBackground(ctx, frame);
    let result: FrameResult;
    let mode: "events" | "density" | "loading";
    const covered = this.loaded && this.loaded.v0 <= this.v0 && this.loaded.v1 >= this.v1;
    if (covered) {
      result = drawEvents(ctx, frame, this.events, this.maxDur);
      mode = "events";
    } else if (this.estimate(this.v0, this.v1) > WINDOW_LIMIT) {
      result = drawDensity(ctx, frame, this.summary.pages, this.lanePositions);
      mode = "density";
    } else {
      // A paged trace: fetch this window (with a margin, to pan without waiting) and show the
      // density until it arrives.
      result = drawDensity(ctx, frame, this.summary.pages, this.lanePositions);
      mode = "loading";
      this.request();
    }
    this.hits = result.hits;
    this.range.textContent = `${formatTime(this.v0)} – ${formatTime(this.v1)}`;
    this.range.dataset.v0 = String(this.v0);
    this.range.dataset.v1 = String(this.v1);
    const st = this.stats.dataset;
    st.drawn = String(result.drawn);
    st.inView = String(result.inView);
    st.total = String(this.summary.events);
    st.loaded = String(this.events.length);
    st.mode = mode;
    st.lanes = String(lanes.length);
    this.stats.textContent =
      mode === "events" ? `${result.inView} in view · ${result.drawn} drawn` : `${result.inView} in view`;
    this.note.textContent =
      mode === "density"
        ? `${result.inView} events in this window: showing how busy each lane is. Zoom in to see the events.`
        : mode === "loading"
          ? "Loading events…"
          : "";
    document.body.dataset.ready = "true";
  }

  private request(): void {
    if (!this.host.requestWindow || this.requestTimer) return;
    this.requestTimer = setTimeout(() => {
      this.requestTimer = undefined;
      const span = this.v1 - this.v0;
      let a = this.v0 - span * 0.5;
      let b = this.v1 + span * 0.5;
      if (this.estimate(a, b) > WINDOW_LIMIT) ((a = this.v0), (b = this.v1));
      this.host.requestWindow?.(++this.pendingWindow, a, b);
    }, 80);
  }
}
