// Walking one descriptor chain from its head (virtio-reference §3.2, §3.5, §9 items 21–28). Every
// descriptor and every buffer is checked against the device's IOMMU view before it is trusted, the
// walk is bounded by the table size so a looping chain ends, and each malformed case comes back as
// a QueueError value: this function never throws on anything a driver wrote.
//
// Two caps keep what the walk returns small whatever the ring claims (docs/architecture.md,
// "Device caps"): at most MAX_CHAIN_DESCRIPTORS descriptors, direct and indirect together, and a
// total length below 2^32 (§3.2). Without them one indirect table in 2 MiB of DMA could name
// 131072 buffers, each aliasing the whole region: 2^38 bytes "offered" for 2^21 of memory.

import { hex } from "../format";
import { isDmaFault, type IommuView } from "../iommu";
import { DESC_SIZE, DescFlag } from "./descriptors";
import type { QueueError, TableKind } from "./queue-error";

/** QEMU's VIRTQUEUE_MAX_SIZE, the most scatter-gather entries one of its chains may map; larger
 *  than every queue our devices offer, so only a table longer than any driver needs hits it. */
export const MAX_CHAIN_DESCRIPTORS = 1024;
/** §3.2: the total length of a chain's buffers is below 2^32. */
export const MAX_CHAIN_BYTES = 2 ** 32 - 1;

export interface ChainBuffer {
  /** Guest-physical address. */
  readonly addr: number;
  readonly len: number;
}

export interface DescriptorChain {
  /** Head index: the id to put in the used ring. */
  readonly head: number;
  readonly readable: readonly ChainBuffer[];
  readonly writable: readonly ChainBuffer[];
}

/** The ring's descriptor table: where it lives and how many entries it has (the queue size). */
export interface RingTable {
  readonly addr: number;
  readonly size: number;
}

interface Descriptor {
  readonly addr: number;
  readonly addrText: string;
  readonly len: number;
  readonly flags: number;
  readonly next: number;
}

interface Table {
  readonly kind: TableKind;
  readonly addr: number;
  readonly size: number;
}

export function walkChain(
  memory: IommuView,
  ring: RingTable,
  head: number,
  indirectAllowed: boolean,
): DescriptorChain | QueueError {
  if (!Number.isInteger(head) || head < 0 || head >= ring.size)
    return { kind: "head-out-of-range", slot: undefined, head, size: ring.size };
  const readable: ChainBuffer[] = [];
  const writable: ChainBuffer[] = [];
  let table: Table = { kind: "ring", addr: ring.addr, size: ring.size };
  let index = head;
  let chainStart = head;
  let visited = 0;
  let descriptors = 0;
  let bytes = 0;
  for (;;) {
    // A correct chain visits each entry of its table at most once; one more means a loop.
    if (visited === table.size)
      return { kind: "chain-too-long", table: table.kind, head: chainStart, limit: table.size };
    visited++;
    const desc = readDescriptor(memory, table, index);
    if (!("flags" in desc)) return desc;

    if ((desc.flags & DescFlag.Indirect) !== 0) {
      if (table.kind === "indirect") return { kind: "nested-indirect", index };
      if (!indirectAllowed) return { kind: "indirect-not-negotiated", index };
      if ((desc.flags & DescFlag.Next) !== 0) return { kind: "indirect-with-next", index };
      if (desc.len === 0 || desc.len % DESC_SIZE !== 0) return { kind: "indirect-bad-length", index, len: desc.len };
      const fault = memory.check(desc.addr, desc.len, false);
      if (fault !== undefined)
        return {
          kind: "dma",
          what: `indirect table of descriptor ${index} (addr ${desc.addrText}, len ${desc.len})`,
          fault,
        };
      // The WRITE flag of the pointing descriptor means nothing (§3.5); the table's entries decide.
      table = { kind: "indirect", addr: desc.addr, size: desc.len / DESC_SIZE };
      index = 0;
      chainStart = 0;
      visited = 0;
      continue;
    }

    const isWrite = (desc.flags & DescFlag.Write) !== 0;
    if (!isWrite && writable.length > 0) return { kind: "readable-after-writable", table: table.kind, index };
    // A zero-length buffer is legal (the spec does not forbid it) and touches no memory.
    if (desc.len > 0) {
      const fault = memory.check(desc.addr, desc.len, isWrite);
      if (fault !== undefined) {
        const label = table.kind === "ring" ? `descriptor ${index}` : `indirect descriptor ${index}`;
        return {
          kind: "dma",
          what: `${label} buffer (addr ${desc.addrText}, len ${desc.len}, ${isWrite ? "device-writable" : "device-readable"})`,
          fault,
        };
      }
    }
    descriptors++;
    bytes += desc.len;
    if (descriptors > MAX_CHAIN_DESCRIPTORS)
      return { kind: "chain-over-limit", head, what: "descriptors", limit: MAX_CHAIN_DESCRIPTORS };
    if (bytes > MAX_CHAIN_BYTES) return { kind: "chain-over-limit", head, what: "bytes", limit: MAX_CHAIN_BYTES };
    (isWrite ? writable : readable).push({ addr: desc.addr, len: desc.len });

    if ((desc.flags & DescFlag.Next) === 0) return { head, readable, writable };
    if (desc.next >= table.size)
      return { kind: "next-out-of-range", table: table.kind, index, next: desc.next, bound: table.size };
    index = desc.next;
  }
}

function readDescriptor(memory: IommuView, table: Table, index: number): Descriptor | QueueError {
  const at = table.addr + DESC_SIZE * index;
  // Read in place (every descriptor of every request passes here): no copy, no BigInt.
  const found = memory.dataView(at, DESC_SIZE);
  if (isDmaFault(found)) {
    const label =
      table.kind === "ring"
        ? `descriptor ${index} of the descriptor table at ${hex(table.addr)}`
        : `indirect descriptor ${index} of the table at ${hex(table.addr)}`;
    return { kind: "dma", what: label, fault: found };
  }
  const { view, offset } = found;
  const low = view.getUint32(offset, true);
  const high = view.getUint32(offset + 4, true);
  return {
    // Beyond 2^53 the number is inexact, but no IOMMU region lives up there, so the check fails.
    addr: high * 2 ** 32 + low,
    get addrText(): string {
      return hex((BigInt(high) << 32n) | BigInt(low));
    },
    len: view.getUint32(offset + 8, true),
    flags: view.getUint16(offset + 12, true),
    next: view.getUint16(offset + 14, true),
  };
}
