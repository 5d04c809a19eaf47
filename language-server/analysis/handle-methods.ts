// What each handle kind can do, as the SDK defines it (drivers/sdk/*.ts): which methods touch the
// hardware, with what width and direction. Data, so the rules and the completion read one table.

import type { CapKind } from "./manifest-reader";

export interface MethodInfo {
  /** What the call does to its capability. */
  effect: "read" | "write" | "none";
  /** Bytes per access (MMIO, ports, DMA typed accessors). */
  width?: number;
  /** Index of the offset/port argument. */
  offsetArg?: number;
  /** Index of the length argument (DMA read), or of the data whose length counts (DMA write). */
  lengthArg?: number;
  lengthFromData?: boolean;
}

const rw = (effect: "read" | "write", width: number): MethodInfo => ({ effect, width, offsetArg: 0 });

export const METHODS: Readonly<Record<CapKind, Readonly<Record<string, MethodInfo>>>> = {
  mmio: {
    read8: rw("read", 1),
    read16: rw("read", 2),
    read32: rw("read", 4),
    read64: rw("read", 8),
    write8: rw("write", 1),
    write16: rw("write", 2),
    write32: rw("write", 4),
    write64: rw("write", 8),
  },
  ports: {
    in8: rw("read", 1),
    in16: rw("read", 2),
    in32: rw("read", 4),
    // Not SDK methods: a port has no 64-bit access, and a JavaScript driver may still try it.
    in64: rw("read", 8),
    out8: rw("write", 1),
    out16: rw("write", 2),
    out32: rw("write", 4),
    out64: rw("write", 8),
  },
  irq: { wait: { effect: "none" }, poll: { effect: "none" }, ack: { effect: "none" }, isMine: { effect: "none" } },
  dma: {
    getU8: rw("read", 1),
    getU16: rw("read", 2),
    getU32: rw("read", 4),
    getU64: rw("read", 8),
    setU8: rw("write", 1),
    setU16: rw("write", 2),
    setU32: rw("write", 4),
    setU64: rw("write", 8),
    read: { effect: "read", offsetArg: 0, lengthArg: 1 },
    write: { effect: "write", offsetArg: 0, lengthArg: 1, lengthFromData: true },
    physAt: { effect: "none", offsetArg: 0, width: 0 },
  },
  serve: { ready: { effect: "none" }, receive: { effect: "none" }, poll: { effect: "none" } },
  client: { connect: { effect: "none" } },
};

/** `ring.view.getUint32(offset)` and friends, on a DMA buffer's DataView. */
export const DATAVIEW_METHODS: Readonly<Record<string, MethodInfo>> = {
  getInt8: rw("read", 1),
  getUint8: rw("read", 1),
  getInt16: rw("read", 2),
  getUint16: rw("read", 2),
  getInt32: rw("read", 4),
  getUint32: rw("read", 4),
  getFloat32: rw("read", 4),
  getFloat64: rw("read", 8),
  getBigInt64: rw("read", 8),
  getBigUint64: rw("read", 8),
  setInt8: rw("write", 1),
  setUint8: rw("write", 1),
  setInt16: rw("write", 2),
  setUint16: rw("write", 2),
  setInt32: rw("write", 4),
  setUint32: rw("write", 4),
  setFloat32: rw("write", 4),
  setFloat64: rw("write", 8),
  setBigInt64: rw("write", 8),
  setBigUint64: rw("write", 8),
};

/** Plain fields of a handle: reading them exercises no right. */
export const FIELDS: ReadonlySet<string> = new Set([
  "base",
  "size",
  "perms",
  "slot",
  "first",
  "last",
  "line",
  "endpointSlot",
  "phys",
  "name",
  "endpointId",
  "service",
]);

/** The kinds that have a method of this name (to infer what an undeclared handle is). */
export function kindsWithMethod(method: string): CapKind[] {
  return (Object.keys(METHODS) as CapKind[]).filter((k) => Object.prototype.hasOwnProperty.call(METHODS[k], method));
}
