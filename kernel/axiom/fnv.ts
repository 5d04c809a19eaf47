// 64-bit FNV-1a (offset 0xcbf29ce484222325, prime 0x100000001b3), the hash Zero OS's Axiom uses.
// The one FNV-1a of kernel/ (SysLog, CommitLog; devices/prng.ts keeps the device side its own).
// Kept in four 16-bit limbs so the hot path (every syscall) stays in plain number arithmetic.

/** The 64-bit FNV prime. */
export const FNV64_PRIME = 0x100000001b3n;
/** The 64-bit FNV offset basis (the hash of nothing). */
export const FNV64_OFFSET = 0xcbf29ce484222325n;

export class Fnv64 {
  // h = h3:h2:h1:h0, 16 bits each, least significant first.
  private h0 = 0x2325;
  private h1 = 0x8422;
  private h2 = 0x9ce4;
  private h3 = 0xcbf2;

  update(bytes: Uint8Array): this {
    for (let i = 0; i < bytes.length; i++) this.byte(bytes[i]);
    return this;
  }

  byte(b: number): this {
    this.h0 ^= b & 0xff;
    // multiply by 0x100000001b3 = 2^40 + 0x1b3
    const p = 0x1b3;
    const t0 = this.h0 * p;
    let t1 = this.h1 * p;
    // 2^40 moves limb i to limb i+2, shifted left 8 bits; what passes 2^64 falls away.
    let t2 = this.h2 * p + (this.h0 << 8);
    let t3 = this.h3 * p + (this.h1 << 8);
    t1 += t0 >>> 16;
    this.h0 = t0 & 0xffff;
    t2 += t1 >>> 16;
    this.h1 = t1 & 0xffff;
    t3 += t2 >>> 16;
    this.h2 = t2 & 0xffff;
    this.h3 = t3 & 0xffff;
    return this;
  }

  u8(v: number): this {
    return this.byte(v);
  }

  u32(v: number): this {
    return this.byte(v)
      .byte(v >>> 8)
      .byte(v >>> 16)
      .byte(v >>> 24);
  }

  /** A signed or unsigned integer up to 2^53 as 8 bytes little-endian (two's complement). */
  i64(v: number): this {
    const big = BigInt.asUintN(64, BigInt(Math.trunc(v)));
    const lo = Number(big & 0xffffffffn);
    const hi = Number(big >> 32n);
    return this.u32(lo).u32(hi);
  }

  /** An unsigned 64-bit value given as bigint. */
  u64(v: bigint): this {
    const big = BigInt.asUintN(64, v);
    return this.u32(Number(big & 0xffffffffn)).u32(Number(big >> 32n));
  }

  /** Continue from a known state (a 64-bit hash value). */
  static from(value: bigint): Fnv64 {
    const f = new Fnv64();
    f.h0 = Number(value & 0xffffn);
    f.h1 = Number((value >> 16n) & 0xffffn);
    f.h2 = Number((value >> 32n) & 0xffffn);
    f.h3 = Number((value >> 48n) & 0xffffn);
    return f;
  }

  value(): bigint {
    return (BigInt(this.h3) << 48n) | (BigInt(this.h2) << 32n) | (BigInt(this.h1) << 16n) | BigInt(this.h0);
  }

  hex(): string {
    return this.value().toString(16).padStart(16, "0");
  }
}

/** One-shot FNV-1a of some bytes, as bigint (reference implementation for tests). */
export function fnv1a64(bytes: Uint8Array): bigint {
  let h = FNV64_OFFSET;
  for (const b of bytes) {
    h ^= BigInt(b);
    h = (h * FNV64_PRIME) & 0xffffffffffffffffn;
  }
  return h;
}
