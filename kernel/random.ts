// The kernel's one pseudo-random generator (xorshift64*, seeded by the machine seed): SYS_RANDOM
// draws from it, so the same seed gives the same bytes and the same SysLog. The devices have their
// own (devices/prng.ts: devices never import the kernel); the worker's sandbox seeds its
// Math.random from the seed the kernel hands it. Nothing else in kernel/ makes random numbers.

const MASK64 = 0xffffffffffffffffn;
const MULTIPLIER = 0x2545f4914f6cdd1dn;

export class KernelRandom {
  private state: bigint;

  constructor(seed: number) {
    this.state = (BigInt(seed) * 0x9e3779b97f4a7c15n + MULTIPLIER) & MASK64 || 1n;
  }

  /** `n` bytes, each the top byte of one xorshift64* step. */
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      let x = this.state;
      x ^= x >> 12n;
      x ^= (x << 25n) & MASK64;
      x ^= x >> 27n;
      this.state = x;
      out[i] = Number(((x * MULTIPLIER) >> 56n) & 0xffn);
    }
    return out;
  }
}
