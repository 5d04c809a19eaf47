// MmioRegion: a device's register window. Every access is one syscall (as on real hardware every
// access is one bus cycle), so the kernel can check it against the grant and the debugger can show it.

import { accessMessage, checkMmioAccess, Errno, Sys, type MmioWidth } from "../../kernel/abi";
import { ProtocolError, SyscallFailedError, type FailureContext } from "./errors";
import { handleRecord } from "./guard";
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
    const result = this.kernel.raw(Sys.MMIO_READ, this.slot, offset, 8);
    if (result < 0) throw this.failure(Sys.MMIO_READ, result, "read64", offset, 8, false);
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
    const result = this.kernel.raw(Sys.MMIO_WRITE, this.slot, offset, 8, littleEndian(value, 8));
    if (result < 0) throw this.failure(Sys.MMIO_WRITE, result, "write64", offset, 8, true);
  }

  private read(offset: number, width: Exclude<MmioWidth, 8>): number {
    const result = this.kernel.raw(Sys.MMIO_READ, this.slot, offset, width);
    if (result < 0) throw this.failure(Sys.MMIO_READ, result, `read${8 * width}`, offset, width, false);
    return result;
  }

  private write(offset: number, width: Exclude<MmioWidth, 8>, value: number): void {
    const bits = toUnsigned(value, width, `MMIO write${8 * width} at offset 0x${offset.toString(16)}`);
    const result = this.kernel.raw(Sys.MMIO_WRITE, this.slot, offset, width, littleEndian(bits, width));
    if (result < 0) throw this.failure(Sys.MMIO_WRITE, result, `write${8 * width}`, offset, width, true);
  }

  /** The error for a failed access (built only then: no cost on the path that works). */
  private failure(
    num: number,
    result: number,
    method: string,
    offset: number,
    width: number,
    write: boolean,
  ): SyscallFailedError {
    return new SyscallFailedError(num, result, this.explain(method, offset, width, write)(-result));
  }

  /** Why the kernel answered E_INVAL, by the same rule (caps.ts) and in the words of `zds check`:
   *  an access not aligned to its width (ZDS105). Only asked once a call has failed. */
  private explain(method: string, offset: number, width: number, write: boolean): (errno: number) => FailureContext {
    return (errno) => {
      const at = Number.isInteger(offset) ? `0x${offset.toString(16)}` : String(offset);
      const call = `${method}(${at}${write ? ", …" : ""})`;
      if (errno !== Errno.E_INVAL) return { call };
      if (!Number.isInteger(offset))
        return {
          message: `${call}: the offset ${at} is not an integer (the kernel refuses it before any grant check)`,
        };
      const problem = checkMmioAccess({ base: 0, size: this.size, perms: this.perms }, offset, width, write);
      if (problem?.severity !== "invalid") return { call };
      const words = handleRecord(this)?.words ?? { kind: "mmio" as const, name: "", size: this.size };
      const { code, message } = accessMessage(problem, {
        call,
        grant: words,
        space: "mmio",
        effect: write ? "write" : "read",
        offset,
        width,
        end: this.size,
      });
      return { code, message };
    };
  }
}
