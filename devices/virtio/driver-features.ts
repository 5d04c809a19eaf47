// The feature bits a driver accepted, kept as the 32-bit words it wrote through DriverFeaturesSel /
// DriverFeatures. The selector may be any 32-bit value (§9 item 4), far too wide to fold into one
// bigint, so words are stored sparsely and checked one by one.

import { Feature, featureBits } from "./registers";

export class DriverFeatures {
  private words = new Map<number, number>();

  setWord(index: number, bits: number): void {
    this.words.set(index, bits >>> 0);
  }

  clear(): void {
    this.words = new Map();
  }

  has(bit: number): boolean {
    return (((this.words.get(Math.floor(bit / 32)) ?? 0) >>> (bit % 32)) & 1) === 1;
  }

  /** The accepted bits among 0–255 (every bit a device can offer): for views. */
  mask(): bigint {
    let mask = 0n;
    for (const [word, bits] of this.words) if (word < 8) mask |= BigInt(bits) << BigInt(32 * word);
    return mask;
  }

  /** Why a device offering `offered` must refuse this set (§2.3), or undefined if it can take it. */
  problem(offered: bigint): string | undefined {
    const unoffered: number[] = [];
    for (const [word, bits] of [...this.words].sort(([a], [b]) => a - b)) {
      const offeredWord = Number((offered >> BigInt(32 * word)) & 0xffff_ffffn);
      for (let bit = 0; bit < 32; bit++) if (((bits & ~offeredWord) >>> bit) & 1) unoffered.push(32 * word + bit);
    }
    if (unoffered.length > 0)
      return `the driver accepted feature bit(s) ${unoffered.join(", ")} that the device does not offer (offered: ${featureBits(offered).join(", ")})`;
    if (!this.has(Feature.Version1))
      return "the driver did not accept VIRTIO_F_VERSION_1 (bit 32), which a version-2 device requires";
    return undefined;
  }
}
