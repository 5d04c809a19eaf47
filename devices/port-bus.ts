// The x86-style I/O port space, 0x0000–0xFFFF: port ranges → devices, with the same empty-slot
// behaviour as the MMIO bus (all ones on read, writes dropped).

import { allOnes, isAccessWidth, maskToWidth, type AccessWidth, type BusDevice } from "./bus-access";
import { hex } from "./format";
import { RangeMap } from "./range-map";

const LAST_PORT = 0xffff;

interface Mapping {
  readonly name: string;
  readonly first: number;
  readonly device: BusDevice;
}

export class PortBus {
  private readonly windows = new RangeMap<Mapping>();

  /** Map `device` at ports first..last (inclusive). Overlaps and ports beyond 0xFFFF throw. */
  map(name: string, first: number, last: number, device: BusDevice): void {
    if (!Number.isInteger(first) || !Number.isInteger(last) || first < 0 || last > LAST_PORT || last < first) {
      throw new RangeError(`ports of ${name}: ${hex(first)}..${hex(last)} is not a range inside 0x0..0xFFFF`);
    }
    const clash = this.windows.insert(first, last, { name, first, device });
    if (clash !== undefined) {
      throw new RangeError(
        `ports of ${name} (${hex(first)}..${hex(last)}) overlap ${clash.value.name} (${hex(clash.first)}..${hex(clash.last)})`,
      );
    }
  }

  read(port: number, width: AccessWidth): number {
    checkAccess(port, width);
    const hit = this.decode(port, width);
    return hit === undefined ? allOnes(width) : maskToWidth(hit.mapping.device.read(hit.offset, width), width);
  }

  write(port: number, width: AccessWidth, value: number): void {
    checkAccess(port, width);
    const hit = this.decode(port, width);
    if (hit !== undefined) hit.mapping.device.write(hit.offset, width, maskToWidth(value, width));
  }

  private decode(port: number, width: AccessWidth): { mapping: Mapping; offset: number } | undefined {
    const range = this.windows.find(port);
    if (range === undefined || port + width - 1 > range.last) return undefined;
    return { mapping: range.value, offset: port - range.value.first };
  }
}

function checkAccess(port: number, width: number): void {
  if (!Number.isInteger(port) || port < 0 || port > LAST_PORT)
    throw new RangeError(`port ${String(port)} is outside 0x0..0xFFFF`);
  if (!isAccessWidth(width)) throw new RangeError(`port access width ${width} (must be 1, 2 or 4)`);
}
