// (d) Large traces: summarising a 1M-line .zlog for the timeline (streamed: summary, per-lane
// aggregates and the page index; no event kept), against reading the same file's lines with no
// parsing, in the same run. Reported: time, peak heap and RSS growth over each pass, the longest the
// event loop was held (what decides whether the editor freezes), and loading one window from pages.

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import v8 from "node:v8";
import vm from "node:vm";
import { readWindow } from "../timeline/pages";
import { forEachLine, scanTrace } from "../timeline/scan";
import { round } from "./harness";
import { writeSyntheticTrace } from "./trace-synth";
import type { Benchmark, BenchResult, Figure } from "./types";

const MB = 1024 * 1024;

/** A gc() for cleaner memory figures (`zds bench` is not started with --expose-gc). */
function collector(): () => void {
  v8.setFlagsFromString("--expose-gc");
  const gc = vm.runInNewContext("gc") as (() => void) | undefined;
  return () => gc?.();
}

interface Pass {
  ms: number;
  heapMB: number;
  rssMB: number;
  /** Longest event-loop delay during the pass (a timer's lateness), ms. */
  blockedMs: number;
}

/** Run `work`, sampling memory at every `sample()` it calls and the event loop's delay meanwhile. */
async function measure(gc: () => void, work: (sample: () => void) => Promise<void>): Promise<Pass> {
  gc();
  const start = process.memoryUsage();
  let heap = start.heapUsed;
  let rss = start.rss;
  const sample = () => {
    const m = process.memoryUsage();
    if (m.heapUsed > heap) heap = m.heapUsed;
    if (m.rss > rss) rss = m.rss;
  };
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  const t0 = performance.now();
  await work(sample);
  const ms = performance.now() - t0;
  sample();
  loop.disable();
  return { ms, heapMB: (heap - start.heapUsed) / MB, rssMB: (rss - start.rss) / MB, blockedMs: loop.max / 1e6 };
}

export const timelineBench: Benchmark = {
  name: "timeline: summarise a large trace",
  async run({ quick }): Promise<BenchResult> {
    const lines = quick ? 100_000 : 1_000_000;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "zds-bench-timeline-"));
    const file = path.join(dir, "large.zlog");
    try {
      const written = writeSyntheticTrace(file, { lines, pairs: 4 });
      const gc = collector();
      // Warm the page cache and the JIT on both paths, then measure: baseline, summary, baseline again.
      await forEachLine(file, () => undefined);
      const baseline = async () => {
        let n = 0;
        return measure(gc, (sample) =>
          forEachLine(
            file,
            () => void n++,
            () => void sample(),
          ),
        );
      };
      const b1 = await baseline();
      let summaryBytes = 0;
      let index: Awaited<ReturnType<typeof scanTrace>> | undefined;
      const scan = await measure(gc, async (sample) => {
        index = await scanTrace(file, { progress: () => sample() });
      });
      const b2 = await baseline();
      summaryBytes = JSON.stringify(index!.summary).length;
      const base: Pass = {
        ms: Math.min(b1.ms, b2.ms),
        heapMB: Math.max(b1.heapMB, b2.heapMB),
        rssMB: Math.max(b1.rssMB, b2.rssMB),
        blockedMs: Math.max(b1.blockedMs, b2.blockedMs),
      };
      // One window of 1% of the trace, as the panel asks for when zoomed in.
      const s = index!.summary;
      const v0 = s.t0 + (s.t1 - s.t0) * 0.5;
      const v1 = v0 + (s.t1 - s.t0) * 0.01;
      let windowEvents = 0;
      const win = await measure(gc, async () => {
        windowEvents = (await readWindow(file, index!, v0, v1)).events.length;
      });
      const label = `${(lines / 1e6).toLocaleString("en-US")}M-line trace (${Math.round(written.bytes / MB)} MB, ${s.events.toLocaleString("en-US")} timeline events)`;
      const figures: Figure[] = [
        {
          label: `summarise ${label}: time`,
          value: round(scan.ms),
          unit: "ms",
          baseline: { label: "read its lines, no parsing", value: round(base.ms), unit: "ms" },
          ratio: round(scan.ms / base.ms),
        },
        {
          label: "summarise: peak heap growth",
          value: round(scan.heapMB),
          unit: "MB",
          baseline: { label: "read its lines, no parsing", value: round(base.heapMB), unit: "MB" },
          ratio: round(scan.heapMB / Math.max(base.heapMB, 0.01)),
          target: "≤ 64 MB (streamed: not the file's size)",
          met: scan.heapMB <= 64,
        },
        {
          label: "summarise: peak RSS growth",
          value: round(scan.rssMB),
          unit: "MB",
          baseline: { label: "read its lines, no parsing", value: round(base.rssMB), unit: "MB" },
        },
        {
          label: "summarise: longest event-loop stall",
          value: round(scan.blockedMs),
          unit: "ms",
          baseline: { label: "read its lines, no parsing", value: round(base.blockedMs), unit: "ms" },
          target: "≤ 100 ms (the editor stays responsive)",
          met: scan.blockedMs <= 100,
        },
        {
          label: `load a 1% window (${windowEvents.toLocaleString("en-US")} events) from its pages`,
          value: round(win.ms),
          unit: "ms",
          target: "≤ 200 ms",
          met: win.ms <= 200,
        },
        { label: "summary and page index sent to the view", value: round(summaryBytes / 1024), unit: "KiB" },
      ];
      return {
        name: "timeline: summarise a large trace",
        figures,
        notes: [
          `synthetic trace: ${written.lines.toLocaleString("en-US")} lines, ${s.pages.length} pages of 4096 lines, 8 lanes`,
          "memory: growth of heapUsed / RSS over the pass, sampled at every 256 KiB chunk; baselines are the worse of two runs around the summary",
        ],
      };
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
};
