// DmaBuffer: memory a device reads and writes on its own. The driver touches it directly (no syscall:
// the buffer is shared with this worker) and hands the device physical addresses from physAt().
// Devices only run while this process is parked in a syscall, so a plain store here is visible to
// the device by the next syscall (the kick) without any fence.

import { Sys, checkDmaRange } from "../../kernel/abi";
import { ProtocolError } from "./errors";
import type { SyscallPort } from "./syscall-port";

export class DmaBuffer {
  /** Guest-physical address of byte 0. */
  readonly phys: number;
  /** Bytes usable (the request rounded up to whole pages). */
  readonly size: number;
  /** Capability slot, for sys.inspect(). */
  readonly slot: number;
  readonly bytes: Uint8Array;
  readonly view: DataView;

  constructor(info: { slot: number; phys: number; size: number }, memory: SharedArrayBuffer) {
    if (memory.byteLength < info.size) {
      throw new ProtocolError(`DMA buffer of ${info.size} bytes came with only ${memory.byteLength} bytes of memory`);
    }
    this.slot = info.slot;
    this.phys = info.phys;
    this.size = info.size;
    this.bytes = new Uint8Array(memory, 0, info.size);
    this.view = new DataView(memory, 0, info.size);
  }

  /** The physical address the device must be given for byte `offset` (offset = size is allowed,
   *  as the end of a range). */
  physAt(offset: number): number {
    const problem = checkDmaRange(this.size, offset, 0);
    if (problem) throw new RangeError(problem.message);
    return this.phys + offset;
  }

  getU8(offset: number): number {
    return this.view.getUint8(offset);
  }

  getU16(offset: number): number {
    return this.view.getUint16(offset, true);
  }

  getU32(offset: number): number {
    return this.view.getUint32(offset, true);
  }

  getU64(offset: number): bigint {
    return this.view.getBigUint64(offset, true);
  }

  setU8(offset: number, value: number): void {
    this.view.setUint8(offset, value);
  }

  setU16(offset: number, value: number): void {
    this.view.setUint16(offset, value, true);
  }

  setU32(offset: number, value: number): void {
    this.view.setUint32(offset, value, true);
  }

  setU64(offset: number, value: bigint | number): void {
    this.view.setBigUint64(offset, BigInt.asUintN(64, BigInt(value)), true);
  }

  /** A copy of `length` bytes from `offset` (the device may overwrite the buffer later). */
  read(offset: number, length: number): Uint8Array {
    this.check(offset, length);
    return this.bytes.slice(offset, offset + length);
  }

  /** Copy `data` into the buffer at `offset`. */
  write(offset: number, data: Uint8Array): void {
    this.check(offset, data.length);
    this.bytes.set(data, offset);
  }

  private check(offset: number, length: number): void {
    const problem = checkDmaRange(this.size, offset, length);
    if (problem) throw new RangeError(problem.message);
  }
}

/** SYS_DMA_ALLOC: the kernel answers [slot u32][phys u64][size u32] and attaches the memory. */
export function allocateDma(kernel: SyscallPort, size: number): DmaBuffer {
  kernel.call(Sys.DMA_ALLOC, size);
  const reply = kernel.response();
  if (reply.length < 16) throw new ProtocolError(`SYS_DMA_ALLOC answered with ${reply.length} bytes, expected 16`);
  const view = new DataView(reply.buffer, reply.byteOffset, reply.byteLength);
  const info = {
    slot: view.getUint32(0, true),
    phys: Number(view.getBigUint64(4, true)),
    size: view.getUint32(12, true),
  };
  const memory = kernel.attachedBuffer();
  if (!memory) throw new ProtocolError("SYS_DMA_ALLOC attached no memory");
  return new DmaBuffer(info, memory);
}
