// The host side of a timeline view (the VS Code webview; no `vscode` import, so it is tested
// directly): reads a trace once, streamed, and answers the view's messages. A trace of up to
// SEND_ALL_LIMIT events is sent whole; a larger one is sent as its summary and page index, and the
// view asks for the windows it shows, which are re-read from their pages.

import { encodeEvents } from "./columns";
import type { TimelineEvent, TimelineSummary } from "./model";
import { readWindow } from "./pages";
import type { HostMessage, ViewMessage } from "./protocol";
import { scanTrace, type ScanOptions, type TraceIndex } from "./scan";
import { WINDOW_LIMIT } from "./view/limits";

/** Traces with at most this many events go to the view whole. */
export const SEND_ALL_LIMIT = 200_000;

export class TimelineDocument {
  private constructor(
    readonly file: string,
    readonly index: TraceIndex,
    /** Every event, sorted by time, when there are few enough; otherwise undefined (paged). */
    readonly events: TimelineEvent[] | undefined,
  ) {}

  static async open(
    file: string,
    options: Omit<ScanOptions, "onEvent"> & { sendAllLimit?: number } = {},
  ): Promise<TimelineDocument> {
    const limit = options.sendAllLimit ?? SEND_ALL_LIMIT;
    let events: TimelineEvent[] | undefined = [];
    const index = await scanTrace(file, {
      ...options,
      onEvent: (e) => {
        if (!events) return;
        if (events.length >= limit) events = undefined;
        else events.push(e);
      },
    });
    events?.sort((a, b) => a.t - b.t || a.i - b.i);
    return new TimelineDocument(file, index, events);
  }

  get summary(): TimelineSummary {
    return this.index.summary;
  }

  get paged(): boolean {
    return this.events === undefined;
  }

  init(debugActive: boolean): HostMessage {
    return {
      type: "init",
      summary: this.summary,
      columns: this.events ? encodeEvents(this.events) : undefined,
      debugActive,
    };
  }

  /** The answer to a view message, if it needs one. */
  async answer(m: ViewMessage): Promise<HostMessage | undefined> {
    if (m.type === "ready") return undefined;
    if (m.type !== "window") return undefined;
    if (!(Number.isFinite(m.t0) && Number.isFinite(m.t1) && m.t1 >= m.t0))
      return { type: "error", message: `bad window ${m.t0}–${m.t1}` };
    const { events } = this.events
      ? { events: this.events.filter((e) => e.t <= m.t1 && e.t2 >= m.t0) }
      : await readWindow(this.file, this.index, m.t0, m.t1, WINDOW_LIMIT * 2);
    return { type: "window", id: m.id, t0: m.t0, t1: m.t1, columns: encodeEvents(events) };
  }
}
