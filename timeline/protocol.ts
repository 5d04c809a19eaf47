// Messages between the timeline webview and the extension (docs/timeline.md).

import type { EventColumns } from "./columns";
import type { TimelineEvent, TimelineSummary } from "./model";

export type HostMessage =
  /** The trace: the summary, and every event when the trace is small enough to send whole. */
  | { type: "init"; summary: TimelineSummary; columns?: EventColumns; debugActive: boolean }
  /** The events of a window the view asked for. */
  | { type: "window"; id: number; t0: number; t1: number; columns: EventColumns }
  /** A zero-driver debug session started or ended. */
  | { type: "debug"; active: boolean }
  | { type: "error"; message: string };

export type ViewMessage =
  | { type: "ready" }
  | { type: "window"; id: number; t0: number; t1: number }
  | { type: "selected"; event: TimelineEvent }
  | { type: "reveal"; line: number }
  | { type: "goTo"; event: TimelineEvent };
