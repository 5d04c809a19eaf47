// Which MMIO writes are doorbells, per device type: the writes that hand a device new work (a
// submission queue tail, a ring tail) or give it back consumed entries (a completion queue head).
// The timeline counts and names them in its MMIO bursts.

import { nvmeRegisterAt } from "../kernel/abi/nvme";

import { E1000Icr, E1000Reg } from "../kernel/abi";

/** The causes a read of `offset` returned, for a device whose register reports them (e1000 ICR:
 *  "RXT0", "TXDW", …); undefined for other reads. */
export function interruptCauses(type: string | undefined, offset: number, value: number): string[] | undefined {
  if (type !== "e1000" || offset !== E1000Reg.ICR || !Number.isInteger(value)) return undefined;
  const names = Object.entries(E1000Icr).filter(([name]) => name !== "MDAC");
  return names.filter(([, bit]) => (value & bit) !== 0).map(([name]) => name);
}

/** "SQ 1 tail" for a write at `offset` of a device of `type`; undefined for other writes. */
export function doorbellName(type: string | undefined, offset: number): string | undefined {
  switch (type) {
    case "nvme": {
      const bell = offset % 4 === 0 ? nvmeRegisterAt(offset)?.doorbell : undefined;
      return bell && `${bell.pointer.slice(0, 2)} ${bell.queue} ${bell.pointer.slice(3)}`;
    }
    case "e1000":
      return offset === E1000Reg.RDT ? "RDT" : offset === E1000Reg.TDT ? "TDT" : undefined;
    default:
      return undefined;
  }
}
