// Words for the debugger's Display scope: the virtio-gpu's scanout mode, its resources with their
// backing, what is on the scanout, the cursor, how many frames were shown and the last one's hash,
// and the last error response the device gave (what a driver author asks first when the screen
// stays black).

import type { DisplayFrame, VirtioGpuSnapshot } from "../../devices";
import type { InspectItem } from "./describe";

const FORMATS: Readonly<Record<number, string>> = {
  1: "B8G8R8A8",
  2: "B8G8R8X8",
  3: "A8R8G8B8",
  4: "X8R8G8B8",
  67: "R8G8B8A8",
  68: "X8B8G8R8",
  121: "A8B8G8R8",
  134: "R8G8B8X8",
};

export function describeGpu(device: string, s: VirtioGpuSnapshot, last: DisplayFrame | undefined): InspectItem[] {
  const rect = (r: { x: number; y: number; width: number; height: number }) =>
    `${r.width}×${r.height} at (${r.x}, ${r.y})`;
  return [
    { name: "device", value: `${device}: scanout 0 ${s.mode.width}×${s.mode.height}` },
    {
      name: "resources",
      value: `${s.resources.length}`,
      children: s.resources.map((r) => ({
        name: `resource ${r.id}`,
        value: `${r.width}×${r.height} ${FORMATS[r.format] ?? `format ${r.format}`}, ${r.backingBytes > 0 ? `${r.backingBytes} bytes of backing` : "no backing (ATTACH_BACKING it)"}`,
      })),
    },
    {
      name: "scanout 0",
      value: s.scanout ? `resource ${s.scanout.resourceId}, ${rect(s.scanout.rect)}` : "off (SET_SCANOUT a resource)",
    },
    ...(s.cursor
      ? [{ name: "cursor", value: `resource ${s.cursor.resourceId} at (${s.cursor.x}, ${s.cursor.y})` }]
      : []),
    {
      name: "frames",
      value: last
        ? `${s.frames} shown; last: frame ${last.index}, ${last.width}×${last.height}, sha256 ${last.hash.slice(0, 16)}…`
        : `${s.frames} shown (a RESOURCE_FLUSH of the scanout's resource shows one)`,
    },
    ...(s.lastError !== undefined ? [{ name: "last error", value: s.lastError }] : []),
  ];
}
