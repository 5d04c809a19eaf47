/// <reference lib="dom" />
// The timeline's labels never overlap: a frame dense with messages between neighbouring lanes, MMIO
// bursts and faults, drawn on a canvas that records its text, and the LabelSpace that decides.
import assert from "node:assert/strict";
import type { TimelineEvent, TimelineSummary } from "../../timeline/model";
import { drawEvents, type Frame, type Palette } from "../../timeline/view/draw";
import { Names } from "../../timeline/view/format";
import { LabelSpace } from "../../timeline/view/labels";

/** 6 px per character, as if the font were monospaced: what the recording canvas measures. */
const CHAR = 6;

/** The parts of a canvas drawEvents uses; fillText is recorded. */
function recordingCanvas(): { ctx: CanvasRenderingContext2D; texts: { text: string; x: number; y: number }[] } {
  const texts: { text: string; x: number; y: number }[] = [];
  const ignore = () => undefined;
  const ctx = {
    font: "",
    textBaseline: "alphabetic",
    fillStyle: "",
    strokeStyle: "",
    lineWidth: 1,
    globalAlpha: 1,
    beginPath: ignore,
    closePath: ignore,
    moveTo: ignore,
    lineTo: ignore,
    arc: ignore,
    fill: ignore,
    stroke: ignore,
    fillRect: ignore,
    strokeRect: ignore,
    setLineDash: ignore,
    measureText: (text: string) => ({ width: text.length * CHAR }),
    fillText: (text: string, x: number, y: number) => texts.push({ text, x, y }),
  };
  return { ctx: ctx as unknown as CanvasRenderingContext2D, texts };
}

const palette: Palette = {
  background: "#000",
  laneA: "#111",
  laneB: "#222",
  text: "#fff",
  dim: "#888",
  axis: "#444",
  selected: "#ff0",
  kinds: { message: "#1", irq: "#2", mmio: "#3", port: "#4", fault: "#5", exit: "#6" },
};

describe("timeline labels", () => {
  it("LabelSpace refuses a box that overlaps one already claimed, gap included, and keeps others", () => {
    const space = new LabelSpace((t) => t.length * CHAR);
    assert.equal(space.claim(0, 60, 10, 22), true);
    assert.equal(space.claim(62, 100, 10, 22), false, "within the 4 px gap");
    assert.equal(space.claim(70, 100, 10, 22), true);
    assert.equal(space.claim(20, 40, 18, 30), false, "overlaps vertically");
    assert.equal(space.claim(20, 40, 30, 42), true, "below it");
    assert.equal(space.claim(130, 200, 0, 100), true, "in another column block");
    assert.equal(space.width("LOOKUP_SERVICE"), 14 * CHAR);
  });

  it("a frame dense with tagged messages, bursts and faults draws no label over another", () => {
    const summary = {
      lanes: [2, 3, 4].map((pid) => ({ pid, name: `p${pid}`, start: 0, stats: {} })),
      tags: [
        { tag: 0x6000, name: "RNG_GET_BYTES", count: 1 },
        { tag: 0x6001, name: "RNG_BYTES", count: 1 },
      ],
    } as unknown as TimelineSummary;
    const events: TimelineEvent[] = [];
    for (let n = 0; n < 120; n++) {
      const t = n * 500;
      const from = 2 + (n % 3);
      const to = 2 + ((n + 1) % 3);
      const base = { i: events.length, t, t2: t, s: n, d: n, line: n + 2 };
      if (n % 7 === 3)
        events.push({ ...base, kind: "fault", pid: from, code: 3, violation: true, diagnostic: "ZDS101" });
      else if (n % 5 === 1) events.push({ ...base, kind: "mmio", t2: t + 2_000, pid: from, count: 40 });
      else events.push({ ...base, kind: "message", pid: from, to, tag: n % 2 ? 0x6001 : 0x6000, size: 4 });
    }
    const { ctx, texts } = recordingCanvas();
    const frame: Frame = {
      width: 600,
      height: 200,
      axisH: 20,
      rowH: 26,
      rows: new Map([
        [2, 0],
        [3, 1],
        [4, 2],
      ]),
      v0: 0,
      v1: 60_000,
      show: () => true,
      names: new Names(summary),
      palette,
      spans: [],
    };
    drawEvents(ctx, frame, events, 2_000);
    assert.ok(texts.length > 10, `labels were drawn (${texts.length})`);
    const boxes = texts.map(({ text, x, y }) => ({ text, x0: x, x1: x + text.length * CHAR, y0: y - 9, y1: y + 3 }));
    for (let a = 0; a < boxes.length; a++)
      for (let b = a + 1; b < boxes.length; b++) {
        const p = boxes[a];
        const q = boxes[b];
        const overlap = p.x0 < q.x1 && q.x0 < p.x1 && p.y0 < q.y1 && q.y0 < p.y1;
        assert.ok(!overlap, `"${p.text}" at ${p.x0},${p.y0} overlaps "${q.text}" at ${q.x0},${q.y0}`);
      }
    assert.ok(
      texts.some((t) => t.text === "violation ZDS101"),
      "a fault's label names its code",
    );
  });
});
