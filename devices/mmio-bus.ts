// Guest-physical address ranges → devices. An access is decoded by the device whose window holds
// all of its bytes; anything else reads as all ones and drops writes, like an empty bus slot.

import { allOnes, isAccessWidth, maskToWidth, type AccessWidth, type BusDevice } from "./bus-access";
import { hex } from "./format";
import { RangeMap } from "./range-map";

export type { AccessWidth, BusDevice } from "./bus-access";

interface Mapping {
  readonly name: string;
  readonly base: number;
  readonly device: BusDevice;
}

export class MmioBus {
  private readonly windows = new RangeMap<Mapping>();

  /** Map `device` at [base, base+size). Overlapping an existing window throws. */
  map(name: string, base: number, size: number, device: BusDevice): void {
    if (!Number.isSafeInteger(size) || size <= 0)
      throw new RangeError(`MMIO window of ${name}: size ${String(size)} must be positive`);
    const clash = this.windows.insert(base, base + size - 1, { name, base, device });
    if (clash !== undefined) {
      throw new RangeError(
        `MMIO window of ${name} (${hex(base)}..${hex(base + size - 1)}) overlaps ${clash.value.name} (${hex(clash.first)}..${hex(clash.last)})`,
      );
    }
  }

  read(address: number, width: AccessWidth | 8): number | bigint {
    if (width === 8) {
      // Split as the interface promises: low half first, each half decoded on its own.
      const low = this.read32(address);
      const high = this.read32(address + 4);
      return (BigInt(high) << 32n) | BigInt(low);
    }
    checkWidth(width);
    const hit = this.decode(address, width);
    return hit === undefined ? allOnes(width) : maskToWidth(hit.mapping.device.read(hit.offset, width), width);
  }

  write(address: number, width: AccessWidth | 8, value: number | bigint): void {
    if (width === 8) {
      const wide = BigInt.asUintN(64, BigInt(value));
      this.write(address, 4, Number(wide & 0xffff_ffffn));
      this.write(address + 4, 4, Number(wide >> 32n));
      return;
    }
    checkWidth(width);
    const hit = this.decode(address, width);
    if (hit === undefined) return;
    const narrow = typeof value === "bigint" ? Number(BigInt.asUintN(32, value)) : value;
    hit.mapping.device.write(hit.offset, width, maskToWidth(narrow, width));
  }

  private read32(address: number): number {
    const value = this.read(address, 4);
    return typeof value === "bigint" ? Number(value) : value;
  }

  private decode(address: number, width: AccessWidth): { mapping: Mapping; offset: number } | undefined {
    if (!Number.isSafeInteger(address) || address < 0)
      throw new RangeError(`MMIO address ${String(address)} is not a guest-physical address`);
    const range = this.windows.find(address);
    if (range === undefined || address + width - 1 > range.last) return undefined;
    return { mapping: range.value, offset: address - range.value.base };
  }
}

function checkWidth(width: number): asserts width is AccessWidth {
  if (!isAccessWidth(width)) throw new RangeError(`MMIO access width ${width} (must be 1, 2, 4 or 8)`);
}
