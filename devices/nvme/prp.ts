// Physical Region Page entries (NVMe Base 2.0 §4.3.1): how a command names the memory its data
// moves through. PRP1 is the first page (it may start at a dword-aligned offset into it); PRP2 is
// the second page when the transfer ends there, or else a PRP list of page addresses, whose last
// entry points at the next list page when one page of entries is not enough.
//
// Every pointer is read and every page checked through the IOMMU view of the bound driver, before
// any data moves: a PRP outside the driver's DMA grant ends the command with Data Transfer Error and
// never reaches other memory; a malformed offset ends it with PRP Offset Invalid.

import { isDmaFault, type DmaFault, type IommuView } from "../iommu";
import { PAGE_BYTES, Status, type NvmeStatus } from "./nvme-spec";

/** A contiguous piece of guest memory the transfer uses. */
export interface DataSpan {
  readonly addr: number;
  readonly len: number;
}

export type PrpWalk =
  | { readonly ok: true; readonly spans: readonly DataSpan[] }
  | { readonly ok: false; readonly status: NvmeStatus; readonly reason: string; readonly fault?: DmaFault };

const LIST_ENTRY = 8;

/** The memory of a `length`-byte transfer described by PRP1/PRP2; `write`: the device writes it. */
export function walkPrp(memory: IommuView, prp1: bigint, prp2: bigint, length: number, write: boolean): PrpWalk {
  const page = PAGE_BYTES;
  const first = toAddress(prp1);
  if (first % 4 !== 0)
    return bad(Status.InvalidPrpOffset, `PRP1 ${hexOf(prp1)} is not dword aligned (bits 1:0 must be 0)`);
  const pages: DataSpan[] = [{ addr: first, len: Math.min(length, page - (first % page)) }];
  let left = length - pages[0].len;
  if (left > 0 && left <= page) {
    const second = toAddress(prp2);
    if (second % page !== 0)
      return bad(
        Status.InvalidPrpOffset,
        `PRP2 ${hexOf(prp2)} has offset 0x${(second % page).toString(16)}; a second data page must start at offset 0`,
      );
    pages.push({ addr: second, len: left });
    left = 0;
  }
  if (left > 0) {
    let entry = toAddress(prp2);
    if (entry % LIST_ENTRY !== 0)
      return bad(Status.InvalidPrpOffset, `PRP2 list pointer ${hexOf(prp2)} is not qword aligned (bits 2:0 must be 0)`);
    while (left > 0) {
      const value = memory.readLe64(entry);
      if (isDmaFault(value)) return faulted(`PRP list entry at 0x${entry.toString(16)}`, value);
      const lastInPage = (entry + LIST_ENTRY) % page === 0;
      const addr = toAddress(value);
      if (addr % page !== 0)
        return bad(
          Status.InvalidPrpOffset,
          `PRP list entry at 0x${entry.toString(16)} is ${hexOf(value)}, not page aligned (only PRP1 may have an offset)`,
        );
      if (lastInPage && left > page) {
        // The last entry of a full list page points at the next list page.
        entry = addr;
        continue;
      }
      pages.push({ addr, len: Math.min(left, page) });
      left -= Math.min(left, page);
      entry += LIST_ENTRY;
    }
  }
  const spans: DataSpan[] = [];
  for (const p of pages) {
    const fault = memory.check(p.addr, p.len, write);
    if (fault !== undefined) return faulted(`data page 0x${p.addr.toString(16)}+${p.len}`, fault);
    const last = spans[spans.length - 1];
    // Adjacent pages of one DMA region move as one piece (fewer disk calls); never across regions.
    if (last && last.addr + last.len === p.addr && memory.check(last.addr, last.len + p.len, write) === undefined)
      spans[spans.length - 1] = { addr: last.addr, len: last.len + p.len };
    else spans.push(p);
  }
  return { ok: true, spans };
}

function bad(status: NvmeStatus, reason: string): PrpWalk {
  return { ok: false, status, reason };
}

function faulted(what: string, fault: DmaFault): PrpWalk {
  return { ok: false, status: Status.DataTransferError, reason: `${what}: ${fault.reason}`, fault };
}

/** A 64-bit PRP as a number; values past 2^53 stay unsafe, and the IOMMU view refuses them. */
function toAddress(value: bigint): number {
  return value > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER + 1 : Number(value);
}

function hexOf(value: bigint): string {
  return `0x${value.toString(16)}`;
}
