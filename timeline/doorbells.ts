// Which MMIO writes are doorbells, per device type: the writes that hand a device new work (a
// submission queue tail, a ring tail) or give it back consumed entries (a completion queue head).
// The timeline counts and names them in its MMIO bursts.

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
      return offset === 0x2818 ? "RDT" : offset === 0x3818 ? "TDT" : undefined;
    default:
      return undefined;
  }
}
