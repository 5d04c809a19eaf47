// The physical region descriptor table of a command (AHCI 1.3.1 §4.2.3.3): where the data of one
// command moves. Every entry is read and every region checked through the IOMMU view of the bound
// driver before a byte moves, so a bad entry fails the command and never reaches other memory.

import { isDmaFault, type DmaFault, type IommuView } from "../iommu";
import { PRD_BYTES, PRD_DBC_MASK, PRDT_OFFSET } from "./ahci-spec";

export interface Region {
  readonly addr: number;
  readonly len: number;
}

export type PrdtWalk =
  | { readonly ok: true; readonly regions: readonly Region[]; readonly bytes: number }
  | { readonly ok: false; readonly reason: string; readonly fault?: DmaFault };

/** The regions of the `entries`-entry PRDT of the command table at `ctba`, covering `need` bytes
 *  (the rest of the table is not read, as an HBA stops when the device's transfer ends); `write`:
 *  the HBA writes them (a device-to-host transfer). */
export function walkPrdt(memory: IommuView, ctba: number, entries: number, need: number, write: boolean): PrdtWalk {
  const regions: Region[] = [];
  let bytes = 0;
  for (let i = 0; i < entries && bytes < need; i++) {
    const at = ctba + PRDT_OFFSET + i * PRD_BYTES;
    const dba = memory.readLe64(at);
    if (isDmaFault(dba))
      return { ok: false, reason: `PRDT entry ${i} at 0x${at.toString(16)}: ${dba.reason}`, fault: dba };
    const dw3 = memory.readLe32(at + 12);
    if (isDmaFault(dw3)) return { ok: false, reason: `PRDT entry ${i}: ${dw3.reason}`, fault: dw3 };
    const addr = dba > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER + 1 : Number(dba);
    if (addr % 2 !== 0)
      return {
        ok: false,
        reason: `PRDT entry ${i}: DBA 0x${dba.toString(16)} is not word aligned (bit 0 is reserved)`,
      };
    const len = Math.min((dw3 & PRD_DBC_MASK) + 1, need - bytes);
    const fault = memory.check(addr, len, write);
    if (fault !== undefined)
      return { ok: false, reason: `PRDT entry ${i} (0x${addr.toString(16)}+${len}): ${fault.reason}`, fault };
    regions.push({ addr, len });
    bytes += len;
  }
  if (bytes < need)
    return { ok: false, reason: `the PRDT's ${entries} entries describe ${bytes} bytes; the command moves ${need}` };
  return { ok: true, regions, bytes };
}
