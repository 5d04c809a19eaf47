// Which MMIO writes are doorbells, per device type: the writes that hand a device new work (a
// submission queue tail, a ring tail) or give it back consumed entries (a completion queue head).
// The timeline counts and names them in its MMIO bursts.

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
      // Doorbells from 0x1000, 4 bytes apart (CAP.DSTRD = 0, as the bundled controller reports).
      if (!(offset >= 0x1000) || offset % 4 !== 0) return undefined;
      const index = (offset - 0x1000) / 4;
      return `${index % 2 === 0 ? "SQ" : "CQ"} ${Math.floor(index / 2)} ${index % 2 === 0 ? "tail" : "head"}`;
    }
    case "e1000":
      return offset === E1000Reg.RDT ? "RDT" : offset === E1000Reg.TDT ? "TDT" : undefined;
    default:
      return undefined;
  }
}
