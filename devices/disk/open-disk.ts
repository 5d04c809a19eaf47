// From what the user asked for (an image path and a mode, or nothing) to the BlockStore a disk
// controller uses.

import { SECTOR_SIZE, type BlockStore } from "./block-store";
import { DiskImageError } from "./errors";
import { CowOverlay, ZeroDisk } from "./overlay";
import { RawFile } from "./raw-file";

export type DiskSpec =
  /** A raw image file. Default: copy-on-write overlay in memory, the file untouched. `persist`:
   *  writes go to the file, FLUSH is fsync. `readOnly`: the device refuses writes (VIRTIO_BLK_F_RO). */
  | { readonly path: string; readonly persist?: boolean; readonly readOnly?: boolean }
  /** A blank disk of this many bytes (a multiple of 512), in memory, gone when the session ends. */
  | { readonly blankBytes: number };

/** The disk a machine gets when it is given none: big enough for the samples, free until written. */
export const DEFAULT_BLANK_BYTES = 8 * 1024 * 1024;

export function openDisk(spec: DiskSpec): BlockStore {
  if ("blankBytes" in spec) {
    const bytes = spec.blankBytes;
    const label = `blank ${formatSize(bytes)} disk`;
    if (!Number.isSafeInteger(bytes) || bytes <= 0 || bytes % SECTOR_SIZE !== 0) {
      throw new DiskImageError(label, `size ${bytes} is not a positive multiple of 512 bytes`);
    }
    return new CowOverlay(new ZeroDisk(bytes / SECTOR_SIZE, label), { label: `${label} (in memory)` });
  }
  if (spec.readOnly === true) return new RawFile(spec.path, { writable: false });
  if (spec.persist === true) return new RawFile(spec.path, { writable: true });
  return new CowOverlay(new RawFile(spec.path, { writable: false }));
}

function formatSize(bytes: number): string {
  const mib = bytes / (1024 * 1024);
  return Number.isInteger(mib) ? `${mib} MiB` : `${bytes}-byte`;
}
