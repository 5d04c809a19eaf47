/// <reference lib="dom" />
// `zds trace --html` as a user opens it: the page in headless Chromium, checked through its DOM,
// real mouse clicks and a screenshot.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { writeSyntheticTrace } from "../../bench/trace-synth";
import { buildTimeline } from "../../timeline/scan";
import type { TimelineSummary } from "../../timeline/model";
import { launch } from "./browser";
import { recordTrace, tempDir, zds } from "./traces";

const SAMPLES = ["drivers/virtio-rng", "drivers/rng-cat", "drivers/virtio-blk", "drivers/blk-check"];

interface Stats {
  drawn: number;
  inView: number;
  total: number;
  mode: string;
  lanes: number;
}

const stats = async (page: Page): Promise<Stats> =>
  page.evaluate(() => {
    const d = document.getElementById("zt-stats")!.dataset;
    return {
      drawn: Number(d.drawn),
      inView: Number(d.inView),
      total: Number(d.total),
      mode: String(d.mode),
      lanes: Number(d.lanes),
    };
  });

const range = async (page: Page): Promise<[number, number]> =>
  page.evaluate(() => {
    const d = document.getElementById("zt-range")!.dataset;
    return [Number(d.v0), Number(d.v1)] as [number, number];
  });

/** Wait until the view has drawn a frame after the last change. */
const settled = (page: Page) =>
  page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));

describe("timeline page (zds trace --html) in headless Chromium", function () {
  this.timeout(120_000);
  let browser: Browser | undefined;
  let page: Page;
  let html: string;
  let summary: TimelineSummary;

  before(async function () {
    browser = await launch(this);
    const { file } = recordTrace(...SAMPLES);
    html = path.join(tempDir(), "samples.html");
    const r = zds("trace", file, "--html", html);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /wrote .*samples\.html/);
    summary = (await buildTimeline(file)).summary;
  });
  after(async () => browser?.close());
  beforeEach(async () => {
    page = await browser!.newPage({ viewport: { width: 1400, height: 700 } });
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("requestfailed", (r) => errors.push(`request ${r.url()}`));
    await page.goto(`file://${html}`);
    await page.waitForSelector("body[data-ready=true]");
    assert.deepEqual(errors, []);
  });
  afterEach(async () => page.close());

  it("is one self-contained file: no script, style or image is fetched", () => {
    const text = fs.readFileSync(html, "utf8");
    assert.doesNotMatch(text, /<script[^>]+src=|<link[^>]+href=|https?:\/\/(?!www\.w3\.org)/);
  });

  it("shows a lane per process with its counts, and the totals", async () => {
    const lanes = await page.$$eval(".zt-lane", (rows) =>
      rows.map((r) => ({
        pid: Number((r as HTMLElement).dataset.pid),
        name: r.querySelector(".zt-lane-name")!.textContent,
        sent: Number((r.querySelector(".zt-lane-counts") as HTMLElement).dataset.sent),
      })),
    );
    assert.deepEqual(
      lanes.map((l) => l.pid),
      summary.lanes.map((l) => l.pid),
    );
    assert.deepEqual(
      lanes.map((l) => l.sent),
      summary.lanes.map((l) => l.stats.sent),
    );
    assert.ok(lanes.some((l) => l.name === "virtio-blk 4"));
    const s = await stats(page);
    assert.equal(s.total, summary.events);
    assert.equal(s.mode, "events");
    assert.equal(s.inView, summary.events, "fitted, every event is in view");
    assert.match(
      (await page.textContent("#zt-meta"))!,
      new RegExp(`${summary.events} events · ${summary.lanes.length} lanes`),
    );
    assert.match((await page.textContent(".zt-kinds"))!, new RegExp(`Messages \\(${summary.byKind.message}\\)`));
  });

  it("opens an event's details when it is clicked", async () => {
    const { events } = await buildTimeline(recordTrace(...SAMPLES).file);
    const get = events.find((e) => e.kind === "message" && e.tag === 0x6000)!;
    const at = await page.evaluate((i) => window.zdsTimeline!.positionOf(i), get.i);
    assert.ok(at, "the RNG_GET_BYTES arrow is drawn");
    await page.mouse.click(at.x, at.y);
    await page.waitForSelector(`#zt-details[data-event="${get.i}"]`);
    const field = (name: string) => page.textContent(`#zt-details dd[data-field="${name}"]`);
    assert.equal(await field("Tag"), "RNG_GET_BYTES (0x6000)");
    assert.equal(await field("From"), "rng-cat (pid 3)");
    assert.equal(await field("To"), "virtio-rng (pid 2)");
    assert.equal(await field("Trace line"), String(get.line));
    assert.equal(await field("SysLog event"), String(get.s));
    // A burst too.
    const burst = events.find((e) => e.kind === "mmio" && e.count! > 10)!;
    const b = await page.evaluate((i) => window.zdsTimeline!.positionOf(i), burst.i);
    await page.mouse.click(b!.x, b!.y);
    await page.waitForSelector(`#zt-details[data-event="${burst.i}"]`);
    assert.match(
      (await field("Accesses"))!,
      new RegExp(`^${burst.count} \\(${burst.reads} reads, ${burst.writes} writes\\)`),
    );
  });

  it("steps from event to event of a lane with the arrow keys", async () => {
    const { events } = await buildTimeline(recordTrace(...SAMPLES).file);
    const get = events.find((e) => e.kind === "message" && e.tag === 0x6000)!;
    const at = (await page.evaluate((i) => window.zdsTimeline!.positionOf(i), get.i))!;
    await page.mouse.click(at.x, at.y);
    await page.waitForSelector(`#zt-details[data-event="${get.i}"]`);
    // The next event on rng-cat's lane after its RNG_GET_BYTES is the RNG_BYTES reply it gets.
    const lane = events.filter((e) => e.pid === get.pid || e.to === get.pid);
    const next = lane[lane.findIndex((e) => e.i === get.i) + 1];
    await page.keyboard.press("ArrowRight");
    await page.waitForSelector(`#zt-details[data-event="${next.i}"]`);
    assert.equal(await page.textContent('#zt-details dd[data-field="Tag"]'), "RNG_BYTES (0x6001)");
    await page.keyboard.press("ArrowLeft");
    await page.waitForSelector(`#zt-details[data-event="${get.i}"]`);
  });

  it("hides a lane when its process is unchecked, and the events drawn on it", async () => {
    const before = await page.evaluate(() => window.zdsTimeline!.drawnEvents());
    await page.uncheck("#zt-lane-4");
    await settled(page);
    const pids = await page.$$eval(".zt-lane", (rows) => rows.map((r) => Number((r as HTMLElement).dataset.pid)));
    assert.ok(!pids.includes(4));
    assert.equal(pids.length, summary.lanes.length - 1);
    assert.equal((await stats(page)).lanes, summary.lanes.length - 1);
    const { events } = await buildTimeline(recordTrace(...SAMPLES).file);
    const byIndex = new Map(events.map((e) => [e.i, e]));
    const after = await page.evaluate(() => window.zdsTimeline!.drawnEvents());
    assert.ok(after.length < before.length);
    // What remains of pid 4 are arrows from or to it whose other end is shown.
    for (const i of after) {
      const e = byIndex.get(i)!;
      assert.ok(e.pid !== 4 || (e.kind === "message" && e.to !== 4), `event #${i} on the hidden lane`);
    }
  });

  it("hides messages of an unchecked tag", async () => {
    const count = async () => (await stats(page)).inView;
    const n = await count();
    await page.click("#zt-tags > summary");
    await page.uncheck("#zt-tag-24836"); // BLK_WRITE
    await settled(page);
    const writes = summary.tags.find((t) => t.tag === 0x6104)!.count;
    assert.equal(await count(), n - writes);
  });

  it("zooms into a narrower window with fewer events in view, and Fit shows them all again", async () => {
    const [a0, a1] = await range(page);
    await page.click("#zt-zoom-in");
    await settled(page);
    await page.click("#zt-zoom-in");
    await settled(page);
    const [b0, b1] = await range(page);
    assert.ok(Math.abs((b1 - b0) * 4 - (a1 - a0)) < 1, `${b1 - b0} is a quarter of ${a1 - a0}`);
    const zoomed = await stats(page);
    assert.ok(zoomed.inView < summary.events && zoomed.inView > 0, `${zoomed.inView} in view`);
    // The mouse wheel zooms around the pointer.
    const box = (await page.locator("#zt-canvas").boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + 50);
    await page.mouse.wheel(0, -300);
    await settled(page);
    const [c0, c1] = await range(page);
    assert.ok(c1 - c0 < b1 - b0);
    await page.click("#zt-fit");
    await settled(page);
    assert.equal((await stats(page)).inView, summary.events);
  });

  it("draws the lanes and events on the canvas (screenshot)", async () => {
    const shot = await page.locator("#zt-canvas").screenshot();
    fs.writeFileSync(path.join(tempDir(), "timeline.png"), shot);
    // Read the screenshot's pixels back in the page: each lane row must hold ink of its own, and
    // the event colours must appear (arrows blue, MMIO green, interrupts yellow).
    const result = await page.evaluate(async (b64) => {
      const img = new Image();
      img.src = `data:image/png;base64,${b64}`;
      await img.decode();
      const c = document.createElement("canvas");
      c.width = img.width;
      c.height = img.height;
      const ctx = c.getContext("2d")!;
      ctx.drawImage(img, 0, 0);
      const { data } = ctx.getImageData(0, 0, img.width, img.height);
      const scale =
        img.height / (document.getElementById("zt-canvas") as HTMLCanvasElement).getBoundingClientRect().height;
      const colours = new Set<string>();
      const rowInk: number[] = [];
      const rows = document.querySelectorAll(".zt-lane").length;
      for (let r = 0; r < rows; r++) {
        let ink = 0;
        const y0 = Math.round((24 + r * 34 + 2) * scale);
        const y1 = Math.round((24 + (r + 1) * 34 - 2) * scale);
        const bg = data.slice((y0 * img.width + 1) * 4, (y0 * img.width + 1) * 4 + 3).join();
        for (let y = y0; y < y1; y++)
          for (let x = 0; x < img.width; x++) {
            const o = (y * img.width + x) * 4;
            const px = `${data[o]},${data[o + 1]},${data[o + 2]}`;
            if (px !== bg) ink++;
            colours.add(px);
          }
        rowInk.push(ink);
      }
      // (No helper functions in here: the test runner's transpiler would wrap them in a __name()
      // the page does not have.)
      const wanted = { blue: [0x4f, 0xc1, 0xff], green: [0x6a, 0x99, 0x55], yellow: [0xdc, 0xdc, 0xaa] };
      const found = { blue: false, green: false, yellow: false };
      for (const [name, [r, g, b]] of Object.entries(wanted) as [keyof typeof found, [number, number, number]][])
        for (let o = 0; o < data.length && !found[name]; o += 4)
          if (Math.abs(data[o] - r) < 8 && Math.abs(data[o + 1] - g) < 8 && Math.abs(data[o + 2] - b) < 8)
            found[name] = true;
      return { rowInk, colours: colours.size, ...found };
    }, shot.toString("base64"));
    assert.equal(result.rowInk.length, summary.lanes.length);
    result.rowInk.forEach((ink, r) => assert.ok(ink > 50, `lane ${summary.lanes[r].name} is drawn (${ink} pixels)`));
    assert.ok(result.colours > 10, "not blank");
    assert.ok(result.blue && result.green && result.yellow, JSON.stringify(result));
  });
});

describe("timeline page with 100k events (virtualised drawing)", function () {
  this.timeout(300_000);
  let browser: Browser | undefined;
  let page: Page;
  let total = 0;

  before(async function () {
    browser = await launch(this);
    const file = path.join(tempDir(), "100k.zlog");
    writeSyntheticTrace(file, { lines: 360_000, pairs: 4 });
    const html = path.join(tempDir(), "100k.html");
    const r = zds("trace", file, "--html", html, "--json");
    assert.equal(r.status, 0, r.stderr);
    total = (JSON.parse(r.stdout) as { events: number }).events;
    assert.ok(total >= 100_000, `${total} events`);
    page = await browser!.newPage({ viewport: { width: 1400, height: 700 } });
    await page.goto(`file://${html}`);
    await page.waitForSelector("body[data-ready=true]");
  });
  after(async () => browser?.close());

  it("draws a bounded number of marks when every event is in view, and each one when zoomed in", async () => {
    const fitted = await stats(page);
    assert.equal(fitted.total, total);
    assert.equal(fitted.inView, total, "fitted: all events are in the window");
    const width = (await page.locator("#zt-canvas").boundingBox())!.width;
    const rows = fitted.lanes;
    // At most one mark per kind, lane and pixel column, and one arrow per column and lane pair.
    const bound = Math.ceil(width + 1) * (6 * rows + rows * rows);
    assert.ok(fitted.drawn <= bound, `${fitted.drawn} drawn ≤ ${bound}`);
    assert.ok(fitted.drawn < total / 4, `${fitted.drawn} drawn for ${total} events`);
    const hits = await page.evaluate(() => window.zdsTimeline!.drawnEvents().length);
    assert.equal(hits, fitted.drawn, "hit-testing holds what was drawn, not every event");
    // Zoomed in to 0.1% of the trace, the marks no longer share pixels: every event in view is drawn.
    const [v0, v1] = await range(page);
    const mid = (v0 + v1) / 2;
    await page.evaluate(([a, b]) => window.zdsTimeline!.setRange(a, b), [mid, mid + (v1 - v0) / 1000]);
    await settled(page);
    const zoomed = await stats(page);
    assert.ok(zoomed.inView > 20 && zoomed.inView < total / 100, `${zoomed.inView} in view`);
    assert.equal(zoomed.drawn, zoomed.inView);
  });
});
