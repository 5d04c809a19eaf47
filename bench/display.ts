// The display: full 640×480 frames per second through the whole stack (the driver fills its
// framebuffer, TRANSFER_TO_HOST_2D copies it into the resource, RESOURCE_FLUSH makes the frame, whose
// RGBA conversion and SHA-256 go into the SysLog), against the host doing the same copies and hash
// with nothing around them, in the same run.

import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { buildProgram, firstMark, perUnit, round, runInstrumented, syscallMix, throwIfFailed } from "./harness";
import type { Benchmark, BenchResult } from "./types";

const WIDTH = 640;
const HEIGHT = 480;

/** Frames per second of the host alone: copy the backing into the resource, convert to RGBA,
 *  hash — the device's own work per frame, without a driver, a queue or an interrupt. */
function hostFrames(minMs: number): number {
  const bytes = WIDTH * HEIGHT * 4;
  const backing = new Uint8Array(bytes).fill(7);
  const resource = new Uint8Array(bytes);
  const rgba = new Uint8Array(bytes);
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < minMs || n < 5) {
    backing[n % bytes] = n & 0xff;
    resource.set(backing);
    for (let i = 0; i < bytes; i += 4) {
      rgba[i] = resource[i + 2];
      rgba[i + 1] = resource[i + 1];
      rgba[i + 2] = resource[i];
      rgba[i + 3] = 255;
    }
    createHash("sha256").update(rgba).digest("hex");
    n++;
  }
  return n / ((performance.now() - t0) / 1000);
}

export const displayBench: Benchmark = {
  name: "display",
  async run({ quick }): Promise<BenchResult> {
    const frames = quick ? 10 : 120;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "zds-bench-display-"));
    try {
      const program = await buildProgram(dir, "gpu-frames", "gpuFrames", { frames, warmup: 3 }, "bench-gpu-frames");
      const run = await runInstrumented({ programs: [program], timeoutSeconds: 300 });
      throwIfFailed("display frames", run);
      const go = firstMark(run, "bench:go");
      const done = firstMark(run, "bench:done");
      if (!go || !done) throw new Error("the frame program printed no marks");
      const perSecond = frames / ((done.at.t - go.at.t) / 1000);
      const baseline = hostFrames(quick ? 100 : 1000);
      const c = perUnit(go.at, done.at, frames);
      return {
        name: "display",
        figures: [
          {
            label: `full ${WIDTH}×${HEIGHT} frames through virtio-gpu (fill, TRANSFER_TO_HOST_2D, RESOURCE_FLUSH; ${frames} frames)`,
            value: round(perSecond, 1),
            unit: "frames/s",
            baseline: {
              label: "the host alone: copy, RGBA conversion and SHA-256 of one frame",
              value: round(baseline, 1),
              unit: "frames/s",
            },
            ratio: round(perSecond / baseline),
            higherIsBetter: true,
          },
        ],
        notes: [
          `per frame: ${c.syscalls} syscalls, ${c.irqs} interrupts, ${c.processSwitches} process switches; ${syscallMix(go.at, done.at, frames)}`,
        ],
      };
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
};
