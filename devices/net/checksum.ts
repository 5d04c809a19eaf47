// The Internet checksum (RFC 1071): the ones'-complement of the ones'-complement sum of 16-bit
// big-endian words. IPv4 headers, ICMP and UDP all use it.

/** Sum `bytes` as big-endian 16-bit words into `initial` (not yet folded or complemented). */
export function onesSum(bytes: Uint8Array, initial = 0): number {
  let sum = initial;
  for (let i = 0; i + 1 < bytes.length; i += 2) sum += (bytes[i] << 8) | bytes[i + 1];
  if (bytes.length % 2 === 1) sum += bytes[bytes.length - 1] << 8;
  return sum;
}

/** Fold carries and complement: the value to store in a checksum field. */
export function finishChecksum(sum: number): number {
  let s = sum;
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return ~s & 0xffff;
}

export function internetChecksum(bytes: Uint8Array): number {
  return finishChecksum(onesSum(bytes));
}
