// Access widths and the masks that keep values unsigned and within width; shared by both buses so
// that "all ones" means the same thing on MMIO and on ports.

export type AccessWidth = 1 | 2 | 4;

/** What a device on either bus implements; offsets are relative to the start of its range. */
export interface BusDevice {
  read(offset: number, width: AccessWidth): number;
  write(offset: number, width: AccessWidth, value: number): void;
}

export function isAccessWidth(width: number): width is AccessWidth {
  return width === 1 || width === 2 || width === 4;
}

/** The value of an undecoded read: every data line floats high. */
export function allOnes(width: AccessWidth): number {
  return width === 4 ? 0xffff_ffff : (1 << (width * 8)) - 1;
}

/** Truncate to `width` bytes, unsigned. */
export function maskToWidth(value: number, width: AccessWidth): number {
  return width === 4 ? value >>> 0 : (value >>> 0) & allOnes(width);
}
