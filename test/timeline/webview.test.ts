/// <reference lib="dom" />
// The timeline as the VS Code webview runs it: the webview page (nonce CSP, no inline data) in
// headless Chromium, its messages carried to and from a real TimelineDocument, as the extension's
// panel does. A large synthetic trace is paged: the view shows density when zoomed out and fetches
// windows of events when zoomed in; a click reports the event to the host (for goToEvent).
import assert from "node:assert/strict";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { writeSyntheticTrace } from "../../bench/trace-synth";
import { TimelineDocument } from "../../timeline/document";
import { webviewHtml } from "../../timeline/html";
import type { TimelineEvent } from "../../timeline/model";
import type { ViewMessage } from "../../timeline/protocol";
import { buildTimeline } from "../../timeline/scan";
import { launch } from "./browser";
import { recordTrace, tempDir } from "./traces";

declare global {
  interface Window {
    __toHost(m: ViewMessage): Promise<void>;
  }
}

interface Bridge {
  page: Page;
  fromView: ViewMessage[];
}

/** A page running the webview HTML, its host side answered by `doc`. */
async function webview(browser: Browser, doc: TimelineDocument, debugActive: boolean): Promise<Bridge> {
  const page = await browser.newPage({ viewport: { width: 1300, height: 600 } });
  const fromView: ViewMessage[] = [];
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  await page.exposeFunction("__toHost", async (m: ViewMessage) => {
    fromView.push(m);
    const answer = m.type === "ready" ? doc.init(debugActive) : await doc.answer(m);
    if (answer) await page.evaluate((a) => window.postMessage(a, "*"), answer);
  });
  // A string: the test runner's transpiler would wrap a function's inner arrows in a __name() the page lacks.
  await page.addInitScript("window.acquireVsCodeApi = () => ({ postMessage: (m) => void window.__toHost(m) })");
  // Served from a URL (not setContent) so that the init script runs in the page, as VS Code's own
  // webview script provides acquireVsCodeApi before the page's.
  await page.route("https://webview.test/timeline.html", (r) =>
    r.fulfill({ contentType: "text/html", body: webviewHtml("test-nonce", "https://webview.test") }),
  );
  await page.goto("https://webview.test/timeline.html");
  await page.waitForSelector("body[data-ready=true]");
  assert.deepEqual(errors, [], "no errors and no CSP violations");
  return { page, fromView };
}

const stats = (page: Page) =>
  page.evaluate(() => {
    const d = document.getElementById("zt-stats")!.dataset;
    return { drawn: Number(d.drawn), inView: Number(d.inView), loaded: Number(d.loaded), mode: String(d.mode) };
  });

describe("timeline webview (the page and protocol of the VS Code panel)", function () {
  this.timeout(180_000);
  let browser: Browser | undefined;
  before(async function () {
    browser = await launch(this);
  });
  after(async () => browser?.close());

  it("gets a small trace whole, and reports a clicked event to the host", async () => {
    const { file } = recordTrace("drivers/virtio-rng", "drivers/rng-cat");
    const doc = await TimelineDocument.open(file);
    assert.equal(doc.paged, false);
    const { page, fromView } = await webview(browser!, doc, true);
    assert.equal((await stats(page)).inView, doc.summary.events);
    const target = doc.events!.find((e) => e.kind === "irq")!;
    const at = (await page.evaluate((i) => window.zdsTimeline!.positionOf(i), target.i))!;
    await page.mouse.click(at.x, at.y);
    await page.waitForSelector(`#zt-details[data-event="${target.i}"]`);
    const selected = fromView.find((m): m is Extract<ViewMessage, { type: "selected" }> => m.type === "selected")!;
    assert.deepEqual(selected.event, target);
    // With a debug session, the details offer going there; Show line asks the host to reveal it.
    assert.equal(await page.isEnabled("#zt-goto"), true);
    await page.click("#zt-reveal");
    await page.click("#zt-goto");
    await page.waitForFunction(() => true);
    assert.ok(fromView.some((m) => m.type === "reveal" && m.line === target.line));
    assert.ok(fromView.some((m) => m.type === "goTo" && m.event.d === target.d));
    await page.close();
  });

  it("pages a large trace: density when zoomed out, windows of events fetched when zoomed in", async () => {
    const file = path.join(tempDir(), "paged.zlog");
    writeSyntheticTrace(file, { lines: 60_000, pairs: 2 });
    const doc = await TimelineDocument.open(file, { sendAllLimit: 1000, pageLines: 2048 });
    assert.equal(doc.paged, true);
    assert.ok(doc.summary.events > 15_000);
    const all = (await buildTimeline(file)).events;
    const { page, fromView } = await webview(browser!, doc, false);
    const fitted = await stats(page);
    assert.equal(fitted.loaded, 0, "nothing but the summary was sent");
    assert.ok(fitted.mode === "loading" || fitted.mode === "density");
    // Zoom to a window of about 1% of the trace: the view asks for it and draws the events.
    const { t0, t1 } = doc.summary;
    const v0 = t0 + (t1 - t0) * 0.4;
    const v1 = v0 + (t1 - t0) * 0.01;
    await page.evaluate(([a, b]) => window.zdsTimeline!.setRange(a, b), [v0, v1]);
    await page.waitForFunction(() => document.getElementById("zt-stats")!.dataset.mode === "events");
    const zoomed = await stats(page);
    const expected = all.filter((e: TimelineEvent) => e.t <= v1 && e.t2 >= v0).length;
    assert.equal(zoomed.inView, expected);
    assert.ok(zoomed.loaded < all.length / 10, `${zoomed.loaded} events loaded of ${all.length}`);
    const asked = fromView.filter((m) => m.type === "window");
    assert.ok(asked.length >= 1);
    // Drawn events are real events of that window.
    const drawn = await page.evaluate(() => window.zdsTimeline!.drawnEvents());
    const inWindow = new Set(all.filter((e) => e.t <= v1 && e.t2 >= v0).map((e) => e.i));
    assert.ok(drawn.length > 0 && drawn.every((i) => inWindow.has(i)));
    await page.close();
  });
});
