// Encoding register values: what a driver passes to write8/16/32/64 and out8/16/32.

/** Check that `value` fits `bytes` bytes, as unsigned or as two's complement (so `~mask` works),
 *  and return it as the unsigned number the hardware sees. */
export function toUnsigned(value: number, bytes: 1 | 2 | 4, what: string): number {
  const bits = 8 * bytes;
  if (!Number.isInteger(value) || value < -(2 ** (bits - 1)) || value > 2 ** bits - 1) {
    throw new RangeError(`${what}: ${value} does not fit in ${bits} bits`);
  }
  return value < 0 ? value + 2 ** bits : value;
}

/** `value` as `bytes` little-endian bytes (the MMIO_WRITE payload). */
export function littleEndian(value: number | bigint, bytes: 1 | 2 | 4 | 8): Uint8Array {
  const out = new Uint8Array(bytes);
  const view = new DataView(out.buffer);
  if (bytes === 8) view.setBigUint64(0, BigInt.asUintN(64, BigInt(value)), true);
  else if (bytes === 4) view.setUint32(0, Number(value), true);
  else if (bytes === 2) view.setUint16(0, Number(value), true);
  else view.setUint8(0, Number(value));
  return out;
}
