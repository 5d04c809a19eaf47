// The IPC timeline of a .zlog in a webview panel. The trace is read in the extension host, streamed
// (a progress notification with Cancel; the editor stays responsive), and the view gets the summary
// and either every event or, for a large trace, the windows it asks for. Clicking an event shows its
// details; while a zero-driver debug session runs, it also sends the session the custom DAP request
// `zeroDriver/goToEvent` (docs/timeline.md) so the session can move there by replay.

import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import * as vscode from "vscode";
import { ZlogError } from "../kernel/trace/zlog-reader";
import { TimelineDocument } from "../timeline/document";
import { webviewHtml } from "../timeline/html";
import type { TimelineEvent } from "../timeline/model";
import type { HostMessage, ViewMessage } from "../timeline/protocol";
import { TraceCancelled } from "../timeline/scan";

export const GO_TO_EVENT = "zeroDriver/goToEvent";

/** Arguments of `zeroDriver/goToEvent`. */
export interface GoToEventArguments {
  /** The debugger's event index (the numbering of `zeroDriver/position`). */
  event: number;
  /** The SysLog index (`s`) of the syscall the event happened in or after. */
  syslog: number;
  /** The event's index on the timeline, its kind and PID (for messages). */
  index: number;
  kind: TimelineEvent["kind"];
  pid: number;
  /** The trace the event comes from. */
  trace: string;
}

export interface TimelinePanel {
  file: string;
  panel: vscode.WebviewPanel;
  document: TimelineDocument;
  /** The goToEvent requests sent (for tests). */
  sent: GoToEventArguments[];
  /** What a click on `event` in the panel does (the panel's `selected` message; for tests). */
  select(event: TimelineEvent): Promise<void>;
}

const open = new Map<string, TimelinePanel>();

function activeSession(): vscode.DebugSession | undefined {
  const s = vscode.debug.activeDebugSession;
  return s?.type === "zero-driver" ? s : undefined;
}

async function pickTrace(uri?: vscode.Uri): Promise<vscode.Uri | undefined> {
  if (uri) return uri;
  const active = vscode.window.activeTextEditor?.document.uri;
  if (active?.fsPath.endsWith(".zlog")) return active;
  return (
    await vscode.window.showOpenDialog({
      canSelectMany: false,
      filters: { "Zero Driver trace": ["zlog"] },
      title: "Open Trace Timeline",
    })
  )?.[0];
}

/** Zero Driver: Open Trace Timeline. */
export async function openTimeline(
  context: vscode.ExtensionContext,
  uri?: vscode.Uri,
): Promise<TimelinePanel | undefined> {
  const target = await pickTrace(uri);
  if (!target) return undefined;
  const file = target.fsPath;
  const existing = open.get(file);
  if (existing) {
    existing.panel.reveal();
    return existing;
  }
  let document: TimelineDocument;
  try {
    document = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Reading ${path.basename(file)}`, cancellable: true },
      async (progress, token) => {
        let shown = 0;
        const size = await fs.promises.stat(file).then(
          (s) => s.size,
          () => 0,
        );
        return TimelineDocument.open(file, {
          cancelled: () => token.isCancellationRequested,
          progress: (bytes) => {
            const pct = size > 0 ? Math.min(100, Math.floor((bytes / size) * 100)) : 0;
            if (pct > shown) (progress.report({ increment: pct - shown, message: `${pct}%` }), (shown = pct));
          },
        });
      },
    );
  } catch (error) {
    if (error instanceof TraceCancelled) return undefined;
    if (error instanceof ZlogError) {
      void vscode.window.showErrorMessage(`Zero Driver: ${error.message}`);
      return undefined;
    }
    throw error;
  }
  const panel = vscode.window.createWebviewPanel(
    "zeroDriver.timeline",
    `Timeline: ${path.basename(file)}`,
    { viewColumn: vscode.ViewColumn.Beside, preserveFocus: false },
    { enableScripts: true, localResourceRoots: [] },
  );
  panel.iconPath = vscode.Uri.file(context.asAbsolutePath("images/activity.svg"));
  const entry: TimelinePanel = {
    file,
    panel,
    document,
    sent: [],
    select: async (event) => {
      if (activeSession()) await goToEvent(entry, event);
    },
  };
  open.set(file, entry);
  const post = (m: HostMessage) => void panel.webview.postMessage(m);
  const subscriptions: vscode.Disposable[] = [
    panel.webview.onDidReceiveMessage(async (m: ViewMessage) => {
      if (m.type === "ready") post(document.init(activeSession() !== undefined));
      else if (m.type === "window") {
        const answer = await document.answer(m);
        if (answer) post(answer);
      } else if (m.type === "selected" || m.type === "goTo") await entry.select(m.event);
      else if (m.type === "reveal") await reveal(file, m.line);
    }),
    vscode.debug.onDidStartDebugSession(() => post({ type: "debug", active: activeSession() !== undefined })),
    vscode.debug.onDidTerminateDebugSession(() => post({ type: "debug", active: activeSession() !== undefined })),
    vscode.debug.onDidChangeActiveDebugSession(() => post({ type: "debug", active: activeSession() !== undefined })),
  ];
  panel.onDidDispose(() => {
    open.delete(file);
    for (const s of subscriptions) s.dispose();
  });
  panel.webview.html = webviewHtml(crypto.randomBytes(16).toString("base64"), panel.webview.cspSource);
  return entry;
}

/** Ask the active zero-driver debug session to move to `event` (by replay). */
export async function goToEvent(entry: TimelinePanel, event: TimelineEvent): Promise<boolean> {
  const session = activeSession();
  if (!session) return false;
  const args: GoToEventArguments = {
    event: event.d,
    syslog: event.s,
    index: event.i,
    kind: event.kind,
    pid: event.pid,
    trace: entry.file,
  };
  entry.sent.push(args);
  try {
    await session.customRequest(GO_TO_EVENT, args);
    return true;
  } catch (error) {
    void vscode.window.setStatusBarMessage(
      `Zero Driver: the debug session did not go to event #${event.d}: ${error instanceof Error ? error.message : String(error)}`,
      8000,
    );
    return false;
  }
}

async function reveal(file: string, line: number): Promise<void> {
  try {
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
    const at = new vscode.Position(Math.max(0, line - 1), 0);
    await vscode.window.showTextDocument(doc, {
      viewColumn: vscode.ViewColumn.One,
      selection: new vscode.Range(at, at),
    });
  } catch (error) {
    void vscode.window.showErrorMessage(
      `Zero Driver: cannot open ${file} as text: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}
