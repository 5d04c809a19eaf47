// Deterministic pseudo-random bytes for devices that must look random (virtio-rng) while keeping a
// run reproducible: the same machine seed and device name always give the same stream.
// splitmix64 turns the seed into a well-mixed state; xoshiro128** generates, in 32-bit integer
// arithmetic so no BigInt is needed per word.

const MASK64 = (1n << 64n) - 1n;

/** One splitmix64 step: returns the output and the next state. */
export function splitmix64(state: bigint): { value: bigint; next: bigint } {
  const next = (state + 0x9e3779b97f4a7c15n) & MASK64;
  let z = next;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
  return { value: z ^ (z >> 31n), next };
}

/** FNV-1a 64 of the UTF-8 bytes of `text`: turns a device name into seed material. */
export function fnv1a64(text: string): bigint {
  let hash = 0xcbf29ce484222325n;
  for (const byte of new TextEncoder().encode(text)) {
    hash = ((hash ^ BigInt(byte)) * 0x100000001b3n) & MASK64;
  }
  return hash;
}

/** The seed of one device's stream: the machine seed mixed with the device's name. */
export function deviceSeed(machineSeed: bigint, deviceName: string): bigint {
  return splitmix64(BigInt.asUintN(64, machineSeed) ^ fnv1a64(deviceName)).value;
}

export class Xoshiro128 {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(seed: bigint) {
    const a = splitmix64(BigInt.asUintN(64, seed));
    const b = splitmix64(a.next);
    this.s0 = Number(a.value & 0xffff_ffffn) | 0;
    this.s1 = Number(a.value >> 32n) | 0;
    this.s2 = Number(b.value & 0xffff_ffffn) | 0;
    this.s3 = Number(b.value >> 32n) | 0;
    // The all-zero state is the one fixed point of the generator.
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Fill `out` with the next bytes of the stream (little-endian words, partial last word). */
  fill(out: Uint8Array): void {
    for (let i = 0; i < out.length; i += 4) {
      const word = this.nextUint32();
      for (let b = 0; b < 4 && i + b < out.length; b++) out[i + b] = (word >>> (8 * b)) & 0xff;
    }
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
