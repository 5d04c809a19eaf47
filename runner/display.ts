// The display after a run: each virtio-gpu's frame count and last frame (its hash is in the SysLog
// too), and `zds run --screenshot FILE.png`, which writes the last frame headless.

import fs from "node:fs";
import type { Machine } from "../devices";
import { VirtioGpu } from "../devices/virtio/gpu";
import { CliError } from "./io";
import { encodePng } from "./png";

export interface DisplaySummary {
  device: string;
  frames: number;
  /** The last frame shown: its size and SHA-256 (the SysLog's frame hash). */
  lastFrame?: { index: number; width: number; height: number; sha256: string };
  /** Where --screenshot wrote it. */
  screenshot?: string;
}

export function displayDevices(machine: Machine): string[] {
  return machine.devices.filter((d) => gpuOf(machine, d.name) !== undefined).map((d) => d.name);
}

function gpuOf(machine: Machine, device: string): VirtioGpu | undefined {
  try {
    return machine.backend(device, VirtioGpu);
  } catch {
    return undefined;
  }
}

/** Summaries of the displays that showed something; with `screenshot`, the first display's last
 *  frame is written there as a PNG (a usage error if no display showed a frame). */
export function finishDisplay(machine: Machine, screenshot: string | undefined): DisplaySummary[] {
  const out: DisplaySummary[] = [];
  for (const device of displayDevices(machine)) {
    const gpu = machine.backend(device, VirtioGpu);
    const frame = gpu.lastFrame();
    if (gpu.stats.frames === 0 && frame === undefined) continue;
    out.push({
      device,
      frames: gpu.stats.frames,
      ...(frame && {
        lastFrame: { index: frame.index, width: frame.width, height: frame.height, sha256: frame.hash },
      }),
    });
  }
  if (screenshot !== undefined) {
    const shown = out.find((d) => d.lastFrame !== undefined);
    if (!shown)
      throw new CliError(
        `--screenshot ${screenshot}: no display showed a frame in this run (a virtio-gpu driver shows one with RESOURCE_FLUSH of the resource on scanout 0, e.g. drivers/fb-demo)`,
      );
    const frame = machine.backend(shown.device, VirtioGpu).lastFrame();
    if (frame) {
      try {
        fs.writeFileSync(screenshot, encodePng(frame.width, frame.height, frame.rgba));
      } catch (error) {
        throw new CliError(`--screenshot ${screenshot}: ${error instanceof Error ? error.message : String(error)}`);
      }
      shown.screenshot = screenshot;
    }
  }
  return out;
}

/** One line per display for the text summary. */
export function formatDisplaySummary(displays: readonly DisplaySummary[]): string[] {
  return displays.map(
    (d) =>
      `   ${d.device}: ${d.frames} frame${d.frames === 1 ? "" : "s"}` +
      (d.lastFrame
        ? `, last ${d.lastFrame.width}×${d.lastFrame.height} sha256 ${d.lastFrame.sha256.slice(0, 16)}`
        : "") +
      (d.screenshot ? ` → ${d.screenshot}` : ""),
  );
}
