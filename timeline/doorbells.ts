// Which MMIO writes are doorbells, per device type: the writes that hand a device new work (a
// submission queue tail, a ring tail) or give it back consumed entries (a completion queue head).
// The timeline counts and names them in its MMIO bursts.

/** The causes a read of `offset` returned, for a device whose register reports them (e1000 ICR:
 *  "RXT0", "TXDW", …); undefined for other reads. */
export function interruptCauses(type: string | undefined, offset: number, value: number): string[] | undefined {
  if (type !== "e1000" || offset !== 0xc0 || !Number.isInteger(value)) return undefined;
  const names: readonly [number, string][] = [
    [1 << 0, "TXDW"],
    [1 << 1, "TXQE"],
    [1 << 2, "LSC"],
    [1 << 3, "RXSEQ"],
    [1 << 4, "RXDMT0"],
    [1 << 6, "RXO"],
    [1 << 7, "RXT0"],
  ];
  return names.filter(([bit]) => (value & bit) !== 0).map(([, name]) => name);
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
      return offset === 0x2818 ? "RDT" : offset === 0x3818 ? "TDT" : undefined;
    default:
      return undefined;
  }
}
