// How the ABI's messages and the kernel write a number for a person: one `hex` for kernel/ (the
// grant texts of caps.ts, init's binding errors, the hardware syscalls' violation records), so that
// the same address reads the same everywhere. Pure, no imports: it is bundled into drivers with abi.

/** `0x1f0` for 496: lower case, no padding. */
export function hex(n: number): string {
  return `0x${n.toString(16)}`;
}
