// DmaBuffer: memory a device reads and writes on its own. The driver touches it directly (no syscall:
// the buffer is shared with this worker) and hands the device physical addresses from physAt().
// Devices only run while this process is parked in a syscall, so a plain store here is visible to
// the device by the next syscall (the kick) without any fence.
//
// An access outside the buffer — through the accessors, read/write, physAt, `view` or `bytes.set` —
// is the DMA-range violation of `zds check` (ZDS103): the driver ends on the spot and the run counts
// it, as for an MMIO access outside its window. (Only a plain index past the end, `bytes[n] = x`,
// goes unseen: JavaScript drops such a store without a word.)

import { Sys, accessMessage, checkDmaRange, Codes, type AccessProblem, type GrantWords } from "../../kernel/abi";
import { CapabilityViolation, ProtocolError } from "./errors";
import { dmaGrant, handleRecord, violate } from "./guard";
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
  /** What the accessors use: plain, so that their own violation names them. */
  private readonly raw: DataView;
  private readonly rawBytes: Uint8Array;

  constructor(
    info: { slot: number; phys: number; size: number },
    memory: SharedArrayBuffer,
    /** Where a violation is reported; without one (a test's bare buffer) it is thrown. */
    private readonly kernel?: SyscallPort,
  ) {
    if (memory.byteLength < info.size) {
      throw new ProtocolError(`DMA buffer of ${info.size} bytes came with only ${memory.byteLength} bytes of memory`);
    }
    this.slot = info.slot;
    this.phys = info.phys;
    this.size = info.size;
    const outside = (call: string, effect: "read" | "write", offset: number, length: number): never =>
      this.outside(call, effect, offset, length);
    this.bytes = new DmaBytes(memory, info.size, outside);
    this.view = new DmaView(memory, info.size, outside);
    this.raw = new DataView(memory, 0, info.size);
    this.rawBytes = new Uint8Array(memory, 0, info.size);
  }

  /** The physical address the device must be given for byte `offset` (offset = size is allowed,
   *  as the end of a range). */
  physAt(offset: number): number {
    const problem = checkDmaRange(this.size, offset, 0);
    if (problem) this.violation(problem, `physAt(${offset})`, "none", offset, 0);
    return this.phys + offset;
  }

  getU8(offset: number): number {
    try {
      return this.raw.getUint8(offset);
    } catch (error) {
      return this.rethrow(error, "getU8", offset, 1);
    }
  }

  getU16(offset: number): number {
    try {
      return this.raw.getUint16(offset, true);
    } catch (error) {
      return this.rethrow(error, "getU16", offset, 2);
    }
  }

  getU32(offset: number): number {
    try {
      return this.raw.getUint32(offset, true);
    } catch (error) {
      return this.rethrow(error, "getU32", offset, 4);
    }
  }

  getU64(offset: number): bigint {
    try {
      return this.raw.getBigUint64(offset, true);
    } catch (error) {
      return this.rethrow(error, "getU64", offset, 8);
    }
  }

  setU8(offset: number, value: number): void {
    try {
      this.raw.setUint8(offset, value);
    } catch (error) {
      this.rethrow(error, "setU8", offset, 1, true);
    }
  }

  setU16(offset: number, value: number): void {
    try {
      this.raw.setUint16(offset, value, true);
    } catch (error) {
      this.rethrow(error, "setU16", offset, 2, true);
    }
  }

  setU32(offset: number, value: number): void {
    try {
      this.raw.setUint32(offset, value, true);
    } catch (error) {
      this.rethrow(error, "setU32", offset, 4, true);
    }
  }

  setU64(offset: number, value: bigint | number): void {
    try {
      this.raw.setBigUint64(offset, BigInt.asUintN(64, BigInt(value)), true);
    } catch (error) {
      this.rethrow(error, "setU64", offset, 8, true);
    }
  }

  /** A copy of `length` bytes from `offset` (the device may overwrite the buffer later). */
  read(offset: number, length: number): Uint8Array {
    const problem = checkDmaRange(this.size, offset, length);
    if (problem) this.violation(problem, `read(${offset}, ${length})`, "read", offset, length);
    return this.rawBytes.slice(offset, offset + length);
  }

  /** Copy `data` into the buffer at `offset`. */
  write(offset: number, data: Uint8Array): void {
    const problem = checkDmaRange(this.size, offset, data.length);
    if (problem) this.violation(problem, `write(${offset}, <${data.length} bytes>)`, "write", offset, data.length);
    this.rawBytes.set(data, offset);
  }

  /** An accessor threw: outside the buffer, it is the DMA-range violation; anything else (a value
   *  that is not a BigInt…) is the caller's own error. */
  private rethrow(error: unknown, method: string, offset: number, width: number, write = false): never {
    if (!(error instanceof RangeError)) throw error;
    const call = `${method}(${offset}${write ? ", …" : ""})`;
    return this.outside(call, write ? "write" : "read", offset, width);
  }

  private outside(call: string, effect: "read" | "write", offset: number, length: number): never {
    const problem = checkDmaRange(this.size, offset, length) ?? {
      severity: "violation",
      code: "outside-grant",
      message: `DMA range ${offset}+${length} is outside the ${this.size}-byte buffer`,
    };
    return this.violation(problem, call, effect, offset, length);
  }

  private violation(
    problem: AccessProblem,
    call: string,
    effect: "read" | "write" | "none",
    offset: number,
    width: number,
  ): never {
    const record = handleRecord(this);
    const words: GrantWords = record?.words ?? { kind: "dma", name: "", size: this.size };
    const { message } = accessMessage(problem, {
      call,
      grant: words,
      space: "dma",
      effect,
      offset,
      width,
      end: this.size,
    });
    const address = Number.isFinite(offset) ? this.phys + offset : this.phys;
    return violate(
      this.kernel,
      new CapabilityViolation(message, Codes.DMA_OUTSIDE_BUFFER, {
        operation: `${words.name === "" ? "" : `${words.name}.`}${call}`,
        address,
        grant: dmaGrant(this.phys, this.size, record?.words.name),
      }),
    );
  }
}

type Outside = (call: string, effect: "read" | "write", offset: number, length: number) => never;

/** `bytes`: a Uint8Array whose set() past the end is the DMA-range violation, not a RangeError.
 *  Arrays made from it (slice, subarray, map…) are plain Uint8Arrays. */
class DmaBytes extends Uint8Array<ArrayBufferLike> {
  static get [Symbol.species](): Uint8ArrayConstructor {
    return Uint8Array;
  }

  readonly #outside: Outside;

  constructor(memory: SharedArrayBuffer, size: number, outside: Outside) {
    super(memory, 0, size);
    this.#outside = outside;
  }

  override set(array: ArrayLike<number>, offset = 0): void {
    try {
      super.set(array, offset);
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
      this.#outside(`bytes.set(<${array.length} bytes>, ${offset})`, "write", offset, array.length);
    }
  }
}

/** DataView's constructor, typed for any buffer (the lib types it per buffer kind). */
const AnyDataView: new (buffer: ArrayBufferLike, byteOffset?: number, byteLength?: number) => DataView = DataView;

/** `view`: a DataView whose get/set past the end is the DMA-range violation, not a RangeError. */
class DmaView extends AnyDataView {
  readonly #outside: Outside;

  constructor(memory: SharedArrayBuffer, size: number, outside: Outside) {
    super(memory, 0, size);
    this.#outside = outside;
  }

  /** The violation for `method` at `offset`, when `error` is the view's own range error. */
  fail(error: unknown, method: string, offset: number, width: number, write: boolean): never {
    if (!(error instanceof RangeError)) throw error;
    return this.#outside(`view.${method}(${offset}, …)`, write ? "write" : "read", offset, width);
  }
}

// Each DataView accessor of DmaView, wrapped: the same call, and the violation instead of its
// RangeError. Widths by name: get/set + Int8/Uint8 (1), Int16/Uint16 (2), Int32/Uint32/Float32 (4),
// Float64/BigInt64/BigUint64 (8).
const WIDTHS: Record<string, number> = {
  Int8: 1,
  Uint8: 1,
  Int16: 2,
  Uint16: 2,
  Int32: 4,
  Uint32: 4,
  Float32: 4,
  Float64: 8,
  BigInt64: 8,
  BigUint64: 8,
};
for (const [type, width] of Object.entries(WIDTHS)) {
  const get = `get${type}` as "getUint8";
  const set = `set${type}` as "setUint8";
  const getter = DataView.prototype[get] as (this: DataView, offset: number, littleEndian?: boolean) => number;
  const setter = DataView.prototype[set] as (
    this: DataView,
    offset: number,
    value: number,
    littleEndian?: boolean,
  ) => void;
  Object.defineProperty(DmaView.prototype, get, {
    configurable: true,
    writable: true,
    value: function (this: DmaView, offset: number, littleEndian?: boolean): number {
      try {
        return getter.call(this, offset, littleEndian);
      } catch (error) {
        return this.fail(error, get, offset, width, false);
      }
    },
  });
  Object.defineProperty(DmaView.prototype, set, {
    configurable: true,
    writable: true,
    value: function (this: DmaView, offset: number, value: number, littleEndian?: boolean): void {
      try {
        setter.call(this, offset, value, littleEndian);
      } catch (error) {
        this.fail(error, set, offset, width, true);
      }
    },
  });
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
  return new DmaBuffer(info, memory, kernel);
}
