// A frame of the display: what scanout 0 showed after a flush, as RGBA rows, top row first. Its hash
// (SHA-256 over the size and the pixels) is what the SysLog records, so a replay that draws one
// pixel differently diverges at that frame.

import { createHash } from "node:crypto";

export interface DisplayFrame {
  /** 0 for the first frame since the machine started. */
  readonly index: number;
  readonly width: number;
  readonly height: number;
  /** width × height × 4 bytes: red, green, blue, alpha. */
  readonly rgba: Uint8Array;
  /** Hex SHA-256 of width u32, height u32 (little-endian) and the pixels. */
  readonly hash: string;
}

export function frameHash(width: number, height: number, rgba: Uint8Array): string {
  const size = new Uint8Array(8);
  const view = new DataView(size.buffer);
  view.setUint32(0, width, true);
  view.setUint32(4, height, true);
  return createHash("sha256").update(size).update(rgba).digest("hex");
}
