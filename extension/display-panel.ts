// The Display view: the machine's virtio-gpu scanout in a webview panel, live while a run or a debug
// session goes on, frozen at a debug stop (no frame is made while the kernel is paused). Frames come
// from Machine.onDisplayFrame in this host; the panel sends the newest one at most every
// FRAME_INTERVAL_MS, so a driver flushing thousands of frames costs the editor a few a second.
// docs/display.md.

import crypto from "node:crypto";
import * as vscode from "vscode";
import type { Machine } from "../devices";
import { VirtioGpu, type DisplayFrame } from "../devices/virtio/gpu";
import type { MachineMonitor, WatchedMachine } from "./machine-monitor";

const FRAME_INTERVAL_MS = 100;

/** What the page sends back. */
type PageMessage = { type: "ready" } | { type: "pixel"; id: number; rgba: number[] | null };

export class DisplayPanel implements vscode.Disposable {
  private static current: DisplayPanel | undefined;
  private readonly panel: vscode.WebviewPanel;
  private watched: WatchedMachine | undefined;
  private pending: { device: string; frame: DisplayFrame } | undefined;
  private shown: DisplayFrame | undefined;
  private readonly timer: NodeJS.Timeout;
  private readonly reads = new Map<number, (rgba: number[] | null) => void>();
  private nextRead = 0;
  private readonly disposables: vscode.Disposable[] = [];
  /** Frames posted to the page (for the tests: the throttle holds). */
  posted = 0;

  /** Zero Driver: Open Display. One panel; opening again reveals it. */
  static open(monitor: MachineMonitor): DisplayPanel {
    if (DisplayPanel.current) {
      DisplayPanel.current.panel.reveal();
      return DisplayPanel.current;
    }
    DisplayPanel.current = new DisplayPanel(monitor);
    return DisplayPanel.current;
  }

  /** The open panel, if any. */
  static get active(): DisplayPanel | undefined {
    return DisplayPanel.current;
  }

  private constructor(private readonly monitor: MachineMonitor) {
    this.panel = vscode.window.createWebviewPanel(
      "zeroDriver.display",
      "Display",
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
      { enableScripts: true, localResourceRoots: [], retainContextWhenHidden: true },
    );
    this.panel.webview.html = pageHtml(crypto.randomBytes(16).toString("base64"));
    this.disposables.push(
      this.panel.webview.onDidReceiveMessage((m: PageMessage) => this.received(m)),
      this.panel.onDidDispose(() => this.dispose()),
      monitor.onDidChange(() => this.follow()),
    );
    this.timer = setInterval(() => this.flush(), FRAME_INTERVAL_MS);
    this.timer.unref();
    this.follow();
  }

  /** The pixel at (x, y) of what the page shows, read back from its canvas: [r, g, b, a]. */
  readPixel(x: number, y: number): Promise<number[] | null> {
    const id = this.nextRead++;
    return new Promise((resolve) => {
      this.reads.set(id, resolve);
      void this.panel.webview.postMessage({ type: "read", id, x, y });
    });
  }

  /** The frame the page was last sent. */
  get frame(): DisplayFrame | undefined {
    return this.shown;
  }

  /** Watch the monitor's machine: hear its frames, and show its last one at once. */
  private follow(): void {
    const w = this.monitor.current;
    if (w !== this.watched) {
      this.watched = w;
      if (w) {
        w.machine.onDisplayFrame((device, frame) => {
          if (this.watched === w) this.pending = { device, frame };
        });
        const last = lastFrame(w.machine);
        if (last) this.pending = last;
      }
    }
    this.postStatus();
  }

  private flush(): void {
    const next = this.pending;
    if (!next) return;
    this.pending = undefined;
    this.shown = next.frame;
    this.posted++;
    const { index, width, height, rgba, hash } = next.frame;
    void this.panel.webview.postMessage({ type: "frame", device: next.device, index, width, height, hash, rgba });
    this.postStatus();
  }

  private postStatus(): void {
    const w = this.watched;
    const state = this.monitor.state;
    const frame = this.shown;
    const text = !w
      ? "No machine yet: run a driver that draws (Zero Driver: Run Driver on drivers/fb-demo)."
      : `${w.machineName}: ${state ?? "idle"}${frame ? ` · frame ${frame.index} · ${frame.width}×${frame.height}` : " · no frame yet"}`;
    void this.panel.webview.postMessage({ type: "status", text });
  }

  private received(message: PageMessage): void {
    if (message.type === "ready") {
      if (this.shown) this.pending ??= { device: "", frame: this.shown };
      this.flush();
      this.postStatus();
    } else if (message.type === "pixel") {
      this.reads.get(message.id)?.(message.rgba);
      this.reads.delete(message.id);
    }
  }

  dispose(): void {
    if (DisplayPanel.current === this) DisplayPanel.current = undefined;
    clearInterval(this.timer);
    for (const resolve of this.reads.values()) resolve(null);
    this.reads.clear();
    for (const d of this.disposables) d.dispose();
    this.panel.dispose();
  }
}

/** The first display of the machine that has shown a frame. */
function lastFrame(machine: Machine): { device: string; frame: DisplayFrame } | undefined {
  for (const d of machine.devices) {
    let gpu: VirtioGpu;
    try {
      gpu = machine.backend(d.name, VirtioGpu);
    } catch {
      continue;
    }
    const frame = gpu.lastFrame();
    if (frame) return { device: d.name, frame };
  }
  return undefined;
}

/** A canvas scaled to fit, a status line, and the script that draws frames and reads pixels back. */
function pageHtml(nonce: string): string {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'nonce-${nonce}'; script-src 'nonce-${nonce}';">
<style nonce="${nonce}">
  body { margin: 0; padding: 8px; font: 12px var(--vscode-font-family); color: var(--vscode-foreground); }
  #status { margin-bottom: 6px; opacity: 0.8; }
  canvas { max-width: 100%; image-rendering: pixelated; background: #000; border: 1px solid var(--vscode-panel-border); }
</style></head>
<body><div id="status">Display</div><canvas id="screen" width="640" height="480"></canvas>
<script nonce="${nonce}">
  const vscode = acquireVsCodeApi();
  const canvas = document.getElementById("screen");
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  const status = document.getElementById("status");
  const bytes = (rgba) => rgba instanceof Uint8Array ? new Uint8ClampedArray(rgba.buffer, rgba.byteOffset, rgba.byteLength)
    : new Uint8ClampedArray(Array.isArray(rgba) ? rgba : Object.values(rgba));
  window.addEventListener("message", (event) => {
    const m = event.data;
    if (m.type === "frame") {
      if (canvas.width !== m.width || canvas.height !== m.height) { canvas.width = m.width; canvas.height = m.height; }
      ctx.putImageData(new ImageData(bytes(m.rgba), m.width, m.height), 0, 0);
    } else if (m.type === "status") {
      status.textContent = m.text;
    } else if (m.type === "read") {
      const inside = m.x >= 0 && m.y >= 0 && m.x < canvas.width && m.y < canvas.height;
      vscode.postMessage({ type: "pixel", id: m.id, rgba: inside ? Array.from(ctx.getImageData(m.x, m.y, 1, 1).data) : null });
    }
  });
  vscode.postMessage({ type: "ready" });
</script></body></html>`;
}
