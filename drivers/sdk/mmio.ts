// MmioRegion: a device's register window. Every access is one syscall (as on real hardware every
// access is one bus cycle), so the kernel can check it against the grant and the debugger can show it.

import { Sys, type MmioWidth } from "../../kernel/abi";
import { ProtocolError } from "./errors";
import type { SyscallPort } from "./syscall-port";
import { littleEndian, toUnsigned } from "./values";

export class MmioRegion {
  /** Guest-physical address of offset 0 (for display; accesses take offsets). */
  readonly base: number;
  /** Bytes granted, counted from `base`. */
  readonly size: number;
  /** Permission bits of the grant (Perm.READ | Perm.WRITE). */
  readonly perms: number;
  /** Capability slot, for sys.inspect(). */
  readonly slot: number;

  constructor(
    private readonly kernel: SyscallPort,
    info: { slot: number; base: number; size: number; perms: number },
  ) {
    this.slot = info.slot;
    this.base = info.base;
    this.size = info.size;
    this.perms = info.perms;
  }

  read8(offset: number): number {
    return this.read(offset, 1);
  }

  read16(offset: number): number {
    return this.read(offset, 2);
  }

  read32(offset: number): number {
    return this.read(offset, 4);
  }

  /** 8-byte read. The kernel answers in the response payload because the value may exceed 2^53. */
  read64(offset: number): bigint {
    this.kernel.call(Sys.MMIO_READ, this.slot, offset, 8);
    const bytes = this.kernel.response();
    if (bytes.length < 8) throw new ProtocolError(`SYS_MMIO_READ of 8 bytes answered with ${bytes.length} bytes`);
    return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0, true);
  }

  write8(offset: number, value: number): void {
    this.write(offset, 1, value);
  }

  write16(offset: number, value: number): void {
    this.write(offset, 2, value);
  }

  write32(offset: number, value: number): void {
    this.write(offset, 4, value);
  }

  write64(offset: number, value: bigint): void {
    this.kernel.call(Sys.MMIO_WRITE, this.slot, offset, 8, littleEndian(value, 8));
  }

  private read(offset: number, width: Exclude<MmioWidth, 8>): number {
    return this.kernel.call(Sys.MMIO_READ, this.slot, offset, width);
  }

  private write(offset: number, width: Exclude<MmioWidth, 8>, value: number): void {
    const bits = toUnsigned(value, width, `MMIO write${8 * width} at offset 0x${offset.toString(16)}`);
    this.kernel.call(Sys.MMIO_WRITE, this.slot, offset, width, littleEndian(bits, width));
  }
}
