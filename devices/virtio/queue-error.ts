// Everything a driver can get wrong in a split ring (virtio-reference §9 items 19–27), as values.
// The queue and the chain walker return these instead of throwing, and the transport turns them
// into DEVICE_NEEDS_RESET plus a diagnostic naming the queue, the index, the field and the value.

import type { DmaFault } from "../iommu";

/** Which descriptor table a descriptor index refers to. */
export type TableKind = "ring" | "indirect";

export type QueueError =
  | { readonly kind: "avail-idx-jump"; readonly lastAvail: number; readonly availIdx: number; readonly size: number }
  | { readonly kind: "too-many-in-flight"; readonly availIdx: number; readonly usedIdx: number; readonly size: number }
  | {
      readonly kind: "head-out-of-range";
      readonly slot: number | undefined;
      readonly head: number;
      readonly size: number;
    }
  | {
      readonly kind: "next-out-of-range";
      readonly table: TableKind;
      readonly index: number;
      readonly next: number;
      readonly bound: number;
    }
  | { readonly kind: "chain-too-long"; readonly table: TableKind; readonly head: number; readonly limit: number }
  /** A chain with more descriptors or bytes than any device here accepts (descriptor-chain.ts). */
  | {
      readonly kind: "chain-over-limit";
      readonly head: number;
      readonly what: "descriptors" | "bytes";
      readonly limit: number;
    }
  | { readonly kind: "readable-after-writable"; readonly table: TableKind; readonly index: number }
  | { readonly kind: "indirect-not-negotiated"; readonly index: number }
  | { readonly kind: "indirect-bad-length"; readonly index: number; readonly len: number }
  | { readonly kind: "nested-indirect"; readonly index: number }
  | { readonly kind: "indirect-with-next"; readonly index: number }
  | { readonly kind: "dma"; readonly what: string; readonly fault: DmaFault }
  /** A chain the device type cannot even frame as a request (e.g. virtio-blk without a 16-byte
   *  header or a status byte): the device cannot answer it, so it is treated like a ring error. */
  | { readonly kind: "malformed-request"; readonly head: number; readonly reason: string };

export function isQueueError(value: unknown): value is QueueError {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { kind?: unknown }).kind === "string" &&
    QUEUE_ERROR_KINDS.has((value as { kind: string }).kind)
  );
}

const QUEUE_ERROR_KINDS = new Set<string>([
  "avail-idx-jump",
  "too-many-in-flight",
  "head-out-of-range",
  "next-out-of-range",
  "chain-too-long",
  "chain-over-limit",
  "readable-after-writable",
  "indirect-not-negotiated",
  "indirect-bad-length",
  "nested-indirect",
  "indirect-with-next",
  "dma",
  "malformed-request",
]);

function where(table: TableKind, index: number): string {
  return table === "ring" ? `descriptor ${index}` : `indirect descriptor ${index}`;
}

/** One sentence for a driver author: what was read where, and which rule it breaks. */
export function describeQueueError(error: QueueError): string {
  switch (error.kind) {
    case "avail-idx-jump":
      return `avail.idx moved from ${error.lastAvail} to ${error.availIdx}, more than the queue size ${error.size} ahead`;
    case "too-many-in-flight":
      return `avail.idx ${error.availIdx} is more than the queue size ${error.size} ahead of used.idx ${error.usedIdx}: more chains in flight than the ring holds`;
    case "head-out-of-range":
      return `${error.slot === undefined ? "chain head" : `avail.ring[${error.slot}]`} = ${error.head} is not a descriptor index (queue size ${error.size})`;
    case "next-out-of-range":
      return `${where(error.table, error.index)}: next = ${error.next} is outside the ${error.table === "ring" ? "descriptor table" : "indirect table"} (${error.bound} entries)`;
    case "chain-too-long":
      return `the chain starting at ${where(error.table, error.head)} is longer than ${error.limit} descriptors: it loops`;
    case "chain-over-limit":
      return error.what === "descriptors"
        ? `the chain with head ${error.head} has more than ${error.limit} descriptors (direct and indirect together), more than any virtio device here maps`
        : `the buffers of the chain with head ${error.head} add up to more than ${error.limit} bytes (a chain's total length is below 2^32)`;
    case "readable-after-writable":
      return `${where(error.table, error.index)} is device-readable but follows a device-writable one`;
    case "indirect-not-negotiated":
      return `descriptor ${error.index} has INDIRECT set but VIRTIO_F_INDIRECT_DESC (28) was not negotiated`;
    case "indirect-bad-length":
      return `descriptor ${error.index} points to an indirect table of len = ${error.len}, which is not a non-zero multiple of 16`;
    case "nested-indirect":
      return `indirect descriptor ${error.index} has INDIRECT set: indirect tables must not nest`;
    case "indirect-with-next":
      return `descriptor ${error.index} has both INDIRECT and NEXT set`;
    case "dma":
      return `${error.what}: ${error.fault.reason}`;
    case "malformed-request":
      return `the chain with head ${error.head} ${error.reason}`;
  }
}
