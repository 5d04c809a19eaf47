// Number formatting shared by every diagnostic the devices produce, so that addresses read the same
// in device events, exceptions and the debugger's views.

/** `0x` + upper-case hex, padded to `digits` (addresses and register offsets). */
export function hex(value: number | bigint, digits = 1): string {
  const text = value.toString(16).toUpperCase();
  return `0x${text.padStart(digits, "0")}`;
}

/** A byte range as `0xBASE+LEN`, the form DMA diagnostics use. */
export function span(address: number, length: number): string {
  return `${hex(address)}+${length}`;
}
