// Little-endian message encoding for driver protocols, so a request reads as what it carries:
//   new Writer().u32(count).finish()          new Reader(payload).u32()
// Every protocol in Zero OS is little-endian with no padding; strings are UTF-8 with a length prefix.

import { utf8Decode, utf8Encode } from "../../kernel/abi";

/** Builds a message payload field by field. Integers out of range for their width throw. */
export class Writer {
  private bytes = new Uint8Array(64);
  private view = new DataView(this.bytes.buffer);
  private length = 0;

  u8(value: number): this {
    checkUint(value, 8);
    this.reserve(1).setUint8(this.length - 1, value);
    return this;
  }

  u16(value: number): this {
    checkUint(value, 16);
    this.reserve(2).setUint16(this.length - 2, value, true);
    return this;
  }

  u32(value: number): this {
    checkUint(value, 32);
    this.reserve(4).setUint32(this.length - 4, value, true);
    return this;
  }

  /** 64-bit field; a number must be a safe non-negative integer, a bigint is taken modulo 2^64. */
  u64(value: number | bigint): this {
    if (typeof value === "number") checkUint(value, 53);
    this.reserve(8).setBigUint64(this.length - 8, BigInt.asUintN(64, BigInt(value)), true);
    return this;
  }

  raw(data: Uint8Array): this {
    this.reserve(data.length);
    this.bytes.set(data, this.length - data.length);
    return this;
  }

  /** A UTF-8 string preceded by its byte length as u8 (Init's service names) or u16/u32. */
  string(text: string, prefix: 8 | 16 | 32 = 8): this {
    const data = utf8Encode(text);
    if (prefix === 8) this.u8(data.length);
    else if (prefix === 16) this.u16(data.length);
    else this.u32(data.length);
    return this.raw(data);
  }

  /** The payload written so far (a copy: the writer may be reused). */
  finish(): Uint8Array {
    return this.bytes.slice(0, this.length);
  }

  private reserve(n: number): DataView {
    if (this.length + n > this.bytes.length) {
      const grown = new Uint8Array(Math.max(this.bytes.length * 2, this.length + n));
      grown.set(this.bytes.subarray(0, this.length));
      this.bytes = grown;
      this.view = new DataView(grown.buffer);
    }
    this.length += n;
    return this.view;
  }
}

/** Reads a payload front to back. Reading past the end throws a RangeError that says how short the
 *  message was; servers that must survive malformed requests check `remaining` first. */
export class Reader {
  private readonly view: DataView;
  private offset = 0;

  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get remaining(): number {
    return this.bytes.length - this.offset;
  }

  u8(): number {
    return this.view.getUint8(this.advance(1));
  }

  u16(): number {
    return this.view.getUint16(this.advance(2), true);
  }

  u32(): number {
    return this.view.getUint32(this.advance(4), true);
  }

  u64(): bigint {
    return this.view.getBigUint64(this.advance(8), true);
  }

  raw(length: number): Uint8Array {
    const at = this.advance(length);
    return this.bytes.slice(at, at + length);
  }

  string(prefix: 8 | 16 | 32 = 8): string {
    const length = prefix === 8 ? this.u8() : prefix === 16 ? this.u16() : this.u32();
    return utf8Decode(this.raw(length));
  }

  /** Everything not read yet. */
  rest(): Uint8Array {
    return this.raw(this.remaining);
  }

  private advance(n: number): number {
    if (!Number.isInteger(n) || n < 0 || this.offset + n > this.bytes.length) {
      throw new RangeError(
        `message too short: wanted ${n} bytes at offset ${this.offset}, the message has ${this.bytes.length}`,
      );
    }
    const at = this.offset;
    this.offset += n;
    return at;
  }
}

function checkUint(value: number, bits: number): void {
  if (!Number.isInteger(value) || value < 0 || value > 2 ** bits - 1) {
    throw new RangeError(`${value} does not fit in an unsigned ${bits}-bit field`);
  }
}
