// Capability object types, permission bits and the access rules for hardware capabilities.
// This is the one module of capability semantics: the kernel runs these checks on every access,
// the language server runs them on constant-folded source, the SDK uses the types.

import { hex } from "./format";
import { DMA_PAGE_BYTES, MMIO_WIDTHS, PORT_WIDTHS } from "./syscalls";

export const ObjectType = {
  Endpoint: 1,
  Process: 2,
  Memory: 3,
  Irq: 4,
  IoPort: 5,
  Console: 6,
  /** ZDS: a DMA buffer (Zero OS defines no type for it; 12 is the first value zos-ipc leaves free). */
  Dma: 12,
} as const;
export type ObjectTypeName = keyof typeof ObjectType;
export type ObjectTypeValue = (typeof ObjectType)[ObjectTypeName];

export function objectTypeName(value: number): string {
  const name = (Object.keys(ObjectType) as ObjectTypeName[]).find((n) => ObjectType[n] === value);
  return name ?? `type ${value}`;
}

/** Permission byte: bit 0 read, bit 1 write, bit 2 grant (zero-os-abi.md §3.5). */
export const Perm = {
  READ: 0x01,
  WRITE: 0x02,
  GRANT: 0x04,
  ALL: 0x07,
} as const;

export function permString(perms: number): string {
  return `${perms & Perm.READ ? "r" : "-"}${perms & Perm.WRITE ? "w" : "-"}${perms & Perm.GRANT ? "g" : "-"}`;
}

/** Rights as written in a manifest. */
export type Rights = "r" | "w" | "rw";

export function rightsToPerms(rights: Rights): number {
  return (rights.includes("r") ? Perm.READ : 0) | (rights.includes("w") ? Perm.WRITE : 0);
}

/** Why an access is refused. "violation" kinds are outside the grant and terminate the driver;
 *  "invalid" kinds are malformed requests that fail with E_INVAL and leave the driver running. */
export type AccessProblem =
  | { severity: "invalid"; code: "bad-width"; message: string }
  | { severity: "invalid"; code: "misaligned"; message: string }
  | { severity: "violation"; code: "outside-grant"; message: string }
  | { severity: "violation"; code: "no-read-right"; message: string }
  | { severity: "violation"; code: "no-write-right"; message: string };

export interface MmioGrant {
  /** Guest-physical base of the window. */
  base: number;
  size: number;
  perms: number;
}

export interface PortGrant {
  first: number;
  last: number;
  perms: number;
}

/** The rights part of an access check alone. The language server uses it when the offset of an
 *  access is not a constant but its direction is: a write through a read-only grant is wrong at
 *  any offset. `what` names the grant in the message. */
export function checkAccessRights(perms: number, write: boolean, what: string): AccessProblem | undefined {
  return rightsProblem(perms, write, what);
}

/** The width part of an MMIO check alone (the method name fixes the width even when the offset is unknown). */
export function checkMmioWidth(width: number): AccessProblem | undefined {
  if ((MMIO_WIDTHS as readonly number[]).includes(width)) return undefined;
  return {
    severity: "invalid",
    code: "bad-width",
    message: `MMIO access width ${width} is not one of 1, 2, 4, 8 bytes`,
  };
}

/** The width part of a port check alone. */
export function checkPortWidth(width: number): AccessProblem | undefined {
  if ((PORT_WIDTHS as readonly number[]).includes(width)) return undefined;
  return { severity: "invalid", code: "bad-width", message: `port access width ${width} is not one of 1, 2, 4 bytes` };
}

/** Bytes a DMA buffer really has for a manifest's `dma({ size })`: whole 4 KiB pages. */
export function dmaBufferBytes(requested: number): number {
  return Math.ceil(requested / DMA_PAGE_BYTES) * DMA_PAGE_BYTES;
}

function rightsProblem(perms: number, write: boolean, what: string): AccessProblem | undefined {
  if (write && !(perms & Perm.WRITE)) {
    return {
      severity: "violation",
      code: "no-write-right",
      message: `write through ${what}, which grants no write right`,
    };
  }
  if (!write && !(perms & Perm.READ)) {
    return {
      severity: "violation",
      code: "no-read-right",
      message: `read through ${what}, which grants no read right`,
    };
  }
  return undefined;
}

/** Check one MMIO access at `offset` (from the window base) of `width` bytes. */
export function checkMmioAccess(
  grant: MmioGrant,
  offset: number,
  width: number,
  write: boolean,
): AccessProblem | undefined {
  const badWidth = checkMmioWidth(width);
  if (badWidth) return badWidth;
  const what = `MMIO window ${hex(grant.base)}+${hex(grant.size)}`;
  if (!Number.isInteger(offset) || offset < 0 || offset + width > grant.size) {
    return {
      severity: "violation",
      code: "outside-grant",
      message: `MMIO ${write ? "write" : "read"} of ${width} bytes at offset ${hex(offset)} is outside ${what}`,
    };
  }
  if (offset % width !== 0) {
    return {
      severity: "invalid",
      code: "misaligned",
      message: `MMIO access of ${width} bytes at offset ${hex(offset)} is not ${width}-byte aligned`,
    };
  }
  return rightsProblem(grant.perms, write, what);
}

/** Check one port access at absolute `port` of `width` bytes. */
export function checkPortAccess(
  grant: PortGrant,
  port: number,
  width: number,
  write: boolean,
): AccessProblem | undefined {
  const badWidth = checkPortWidth(width);
  if (badWidth) return badWidth;
  const what = `I/O ports ${hex(grant.first)}–${hex(grant.last)}`;
  if (!Number.isInteger(port) || port < grant.first || port + width - 1 > grant.last) {
    return {
      severity: "violation",
      code: "outside-grant",
      message: `port ${write ? "write" : "read"} of ${width} bytes at ${hex(port)} is outside ${what}`,
    };
  }
  return rightsProblem(grant.perms, write, what);
}

/** Check a byte range inside a DMA buffer of `size` bytes. */
export function checkDmaRange(size: number, offset: number, length: number): AccessProblem | undefined {
  if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < 0 || length < 0 || offset + length > size) {
    return {
      severity: "violation",
      code: "outside-grant",
      message: `DMA range ${offset}+${length} is outside the ${size}-byte buffer`,
    };
  }
  return undefined;
}
