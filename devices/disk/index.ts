// Disk images: the media behind the machine's disk controllers.

export { SECTOR_SIZE, type BlockStore } from "./block-store";
export { DiskImageError } from "./errors";
export { RawFile } from "./raw-file";
export { CowOverlay, ZeroDisk } from "./overlay";
export { openDisk, DEFAULT_BLANK_BYTES, type DiskSpec } from "./open-disk";
