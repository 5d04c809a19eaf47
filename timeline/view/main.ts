// Entry of the timeline view in a page: a saved HTML file carries its data in a JSON script element;
// the VS Code webview gets it by message from the extension (and asks it for windows of large traces).

import { decodeEvents, type EventColumns } from "../columns";
import type { TimelineEvent, TimelineSummary } from "../model";
import { TimelineView, type ViewHost } from "./view";
import type { HostMessage, ViewMessage } from "../protocol";

declare function acquireVsCodeApi(): { postMessage(message: ViewMessage): void };

declare global {
  interface Window {
    /** The view, for tests and for the page's host. */
    zdsTimeline?: TimelineView;
  }
}

function sorted(columns: EventColumns): TimelineEvent[] {
  return decodeEvents(columns).sort((a, b) => a.t - b.t || a.i - b.i);
}

function start(): void {
  const root = document.getElementById("zds-timeline");
  if (!root) return;
  const data = document.getElementById("zds-timeline-data");
  if (data?.textContent) {
    const { summary, columns } = JSON.parse(data.textContent) as { summary: TimelineSummary; columns: EventColumns };
    window.zdsTimeline = new TimelineView(root, summary, sorted(columns));
    return;
  }
  if (typeof acquireVsCodeApi !== "function") {
    root.textContent = "This page has no timeline data.";
    return;
  }
  const vscode = acquireVsCodeApi();
  const host: ViewHost = {
    requestWindow: (id, t0, t1) => vscode.postMessage({ type: "window", id, t0, t1 }),
    selected: (e) => vscode.postMessage({ type: "selected", event: e }),
    reveal: (e) => vscode.postMessage({ type: "reveal", line: e.line }),
    goTo: (e) => vscode.postMessage({ type: "goTo", event: e }),
  };
  window.addEventListener("message", (ev: MessageEvent<HostMessage>) => {
    const m = ev.data;
    if (m.type === "init") {
      root.replaceChildren();
      window.zdsTimeline = new TimelineView(root, m.summary, m.columns ? sorted(m.columns) : undefined, host);
      window.zdsTimeline.setDebugActive(m.debugActive);
    } else if (m.type === "window") {
      window.zdsTimeline?.receiveWindow(m.id, m.t0, m.t1, sorted(m.columns));
    } else if (m.type === "debug") {
      window.zdsTimeline?.setDebugActive(m.active);
    } else if (m.type === "error") {
      root.textContent = m.message;
    }
  });
  vscode.postMessage({ type: "ready" });
}

start();
