// The timeline as one self-contained HTML page (no network): styles, the view's script (bundled by
// `npm run build` into dist/timeline-view.js) and the trace's events, inline. The VS Code webview
// uses the same styles and script with its own Content-Security-Policy.

import fs from "node:fs";
import path from "node:path";
import { packageRoot } from "../kernel/host/paths";
import { encodeEvents } from "./columns";
import type { TimelineEvent, TimelineSummary } from "./model";

export const VIEW_BUNDLE = "timeline-view.js";

/** The view's browser script. */
export function viewScript(): string {
  const file = path.join(packageRoot(), "dist", VIEW_BUNDLE);
  if (!fs.existsSync(file)) throw new Error(`${file} is missing: run \`npm run build\` first`);
  return fs.readFileSync(file, "utf8");
}

/** Text safe inside a <script> element: no "</script" or "<!--" can end it early. */
function scriptSafe(text: string): string {
  return text.replace(/<\/(script)/gi, "<\\/$1").replace(/<!--/g, "<\\!--");
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);

/** Colours follow the VS Code theme inside the webview and fall back to a dark theme elsewhere. */
export const VIEW_CSS = `
:root { color-scheme: dark light; }
body { margin: 0; font: 13px var(--vscode-font-family, system-ui, sans-serif); background: var(--vscode-editor-background, #1e1e1e); color: var(--vscode-foreground, #cccccc); }
.zt { --zt-bg: var(--vscode-editor-background, #1e1e1e); --zt-lane-a: var(--vscode-sideBar-background, #252526); --zt-lane-b: var(--vscode-editorWidget-background, #2d2d30);
  --zt-fg: var(--vscode-foreground, #cccccc); --zt-dim: var(--vscode-descriptionForeground, #8b8b8b); --zt-axis: var(--vscode-editorLineNumber-foreground, #858585);
  --zt-selected: var(--vscode-editorWarning-foreground, #ffcc00); display: flex; flex-direction: column; height: 100vh; box-sizing: border-box; padding: 6px 8px; gap: 6px; }
.zt-head { display: flex; gap: 12px; align-items: baseline; }
.zt-head h1 { font-size: 15px; margin: 0; }
#zt-meta, .zt-hint, #zt-stats, #zt-note { color: var(--zt-dim); }
.zt-toolbar { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; }
.zt-toolbar button, .zt-actions button { background: var(--vscode-button-secondaryBackground, #3a3d41); color: var(--vscode-button-secondaryForeground, #ffffff); border: 0; padding: 3px 9px; cursor: pointer; }
.zt-toolbar button:hover { filter: brightness(1.2); }
#zt-range { min-width: 150px; font-variant-numeric: tabular-nums; }
.zt-kinds { display: flex; flex-wrap: wrap; gap: 8px; }
#zt-tags { position: relative; }
#zt-tags[open] { z-index: 2; }
#zt-tags > label { display: block; white-space: nowrap; }
#zt-tags[open] > summary ~ * { background: var(--zt-lane-b); padding: 1px 6px; }
.zt-check { cursor: pointer; white-space: nowrap; }
.zt-body { flex: 1; display: grid; grid-template-columns: 150px minmax(0, 1fr) 260px; grid-template-areas: "filter chart details"; gap: 8px; min-height: 0; }
.zt-filter { grid-area: filter; overflow: auto; }
.zt-filter h2, .zt-details h2 { font-size: 12px; text-transform: uppercase; margin: 0 0 4px; color: var(--zt-dim); }
.zt-filter label { display: block; }
.zt-chart { grid-area: chart; display: flex; overflow: auto; min-width: 0; align-items: flex-start; }
.zt-labels { width: 150px; flex: none; box-sizing: border-box; }
.zt-lane { display: flex; flex-direction: column; justify-content: center; padding: 0 6px; box-sizing: border-box; border-bottom: 1px solid transparent; overflow: hidden; }
.zt-lane-name { font-weight: 600; white-space: nowrap; }
.zt-lane-counts { font-size: 11px; color: var(--zt-dim); white-space: nowrap; }
#zt-canvas { display: block; cursor: crosshair; }
.zt-details { grid-area: details; overflow: auto; }
/* A narrow panel (the webview beside an editor): the chart takes the whole width, the process
   filter and the details go under it. */
@media (max-width: 900px) {
  .zt-body { grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); grid-template-rows: auto minmax(0, 1fr); grid-template-areas: "chart chart" "filter details"; overflow: auto; }
  .zt-labels { width: 120px; }
}
.zt-details dl { display: grid; grid-template-columns: auto 1fr; gap: 2px 8px; margin: 0; }
.zt-details dt { color: var(--zt-dim); }
.zt-details dd { margin: 0; word-break: break-word; }
.zt-actions { display: flex; flex-direction: column; gap: 4px; margin-top: 8px; }
.zt-kind-message { color: var(--zt-message, #4fc1ff); } .zt-kind-irq { color: var(--zt-irq, #dcdcaa); } .zt-kind-mmio { color: var(--zt-mmio, #6a9955); }
.zt-kind-port { color: var(--zt-port, #c586c0); } .zt-kind-fault { color: var(--zt-fault, #f44747); } .zt-kind-exit { color: var(--zt-exit, #9cdcfe); }
`;

/** The page of the VS Code webview: no data inline (it comes by message), the script and styles
 *  allowed by nonce only. `cspSource` is the webview's own source (`webview.cspSource`). */
export function webviewHtml(nonce: string, cspSource: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src ${cspSource} 'nonce-${nonce}'; script-src 'nonce-${nonce}'; img-src data:">
<style nonce="${nonce}">${VIEW_CSS}</style></head>
<body><div id="zds-timeline"><p>Reading the trace…</p></div><script nonce="${nonce}">${scriptSafe(viewScript())}</script></body></html>
`;
}

/** A complete page showing `events` (sorted or not) of the trace summarised by `summary`. */
export function timelineHtml(summary: TimelineSummary, events: readonly TimelineEvent[]): string {
  const data = JSON.stringify({ summary, columns: encodeEvents(events) });
  const title = `Timeline: ${path.basename(summary.file)}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${VIEW_CSS}</style>
</head>
<body>
<div id="zds-timeline"></div>
<script type="application/json" id="zds-timeline-data">${scriptSafe(data)}</script>
<script>${scriptSafe(viewScript())}</script>
</body>
</html>
`;
}
