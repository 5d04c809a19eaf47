// The 4 KiB data structures IDENTIFY returns (NVMe Base 2.0 §5.17.2): the controller (CNS 01h), the
// one namespace (CNS 00h, NVM Command Set 1.0 §4.1.5.1) and the active namespace list (CNS 02h).
// Only the fields a driver needs are filled; every other byte is 0, which the specification reads as
// "not supported" for each optional feature.

import { CQES_LOG2, SQES_LOG2 } from "./nvme-spec";

export interface ControllerIdentity {
  readonly serial: string;
  readonly model: string;
  readonly firmware: string;
  /** VS register value (MJR 31:16, MNR 15:8, TER 7:0). */
  readonly version: number;
  /** Maximum Data Transfer Size: 2^mdts minimum-size pages per command. */
  readonly mdts: number;
  /** Outstanding ABORTs and ASYNCHRONOUS EVENT REQUESTs allowed (1's based here). */
  readonly abortLimit: number;
  readonly asyncEventLimit: number;
  /** NVM Subsystem NVMe Qualified Name. */
  readonly subnqn: string;
}

export const IDENTIFY_BYTES = 4096;

/** Identify Controller data structure byte offsets. */
export const IdCtrl = {
  Vid: 0,
  Ssvid: 2,
  Sn: 4,
  Mn: 24,
  Fr: 64,
  Mdts: 77,
  Cntlid: 78,
  Ver: 80,
  Cntrltype: 111,
  Acl: 258,
  Aerl: 259,
  Sqes: 512,
  Cqes: 513,
  Nn: 516,
  Vwc: 525,
  Subnqn: 768,
} as const;

/** Identify Namespace (NVM command set) byte offsets. */
export const IdNs = {
  Nsze: 0,
  Ncap: 8,
  Nuse: 16,
  Nlbaf: 25,
  Flbas: 26,
  Nsattr: 99,
  Lbaf0: 128,
} as const;

/** Not a PCI device: the vendor IDs are 0 (no vendor was assigned one). */
export function identifyController(id: ControllerIdentity): Uint8Array {
  const bytes = new Uint8Array(IDENTIFY_BYTES);
  const view = new DataView(bytes.buffer);
  ascii(bytes, IdCtrl.Sn, 20, id.serial);
  ascii(bytes, IdCtrl.Mn, 40, id.model);
  ascii(bytes, IdCtrl.Fr, 8, id.firmware);
  bytes[IdCtrl.Mdts] = id.mdts;
  view.setUint16(IdCtrl.Cntlid, 1, true);
  view.setUint32(IdCtrl.Ver, id.version, true);
  bytes[IdCtrl.Cntrltype] = 1; // an I/O controller
  bytes[IdCtrl.Acl] = id.abortLimit - 1; // 0's based
  bytes[IdCtrl.Aerl] = id.asyncEventLimit - 1;
  bytes[IdCtrl.Sqes] = (SQES_LOG2 << 4) | SQES_LOG2; // maximum 7:4, required 3:0
  bytes[IdCtrl.Cqes] = (CQES_LOG2 << 4) | CQES_LOG2;
  view.setUint32(IdCtrl.Nn, 1, true);
  bytes[IdCtrl.Vwc] = 1; // a volatile write cache is present: FLUSH is how data becomes durable
  ascii(bytes, IdCtrl.Subnqn, 256, id.subnqn, 0);
  return bytes;
}

export function identifyNamespace(sectors: number, readOnly: boolean): Uint8Array {
  const bytes = new Uint8Array(IDENTIFY_BYTES);
  const view = new DataView(bytes.buffer);
  view.setBigUint64(IdNs.Nsze, BigInt(sectors), true);
  view.setBigUint64(IdNs.Ncap, BigInt(sectors), true);
  view.setBigUint64(IdNs.Nuse, BigInt(sectors), true);
  bytes[IdNs.Nlbaf] = 0; // one LBA format (0's based)
  bytes[IdNs.Flbas] = 0; // formatted with LBA format 0
  bytes[IdNs.Nsattr] = readOnly ? 1 : 0; // bit 0: write protected
  bytes[IdNs.Lbaf0 + 2] = 9; // LBADS: 2^9 = 512-byte logical blocks, no metadata
  return bytes;
}

/** The active namespace IDs greater than `after`, ascending, zero-terminated: here only NSID 1. */
export function activeNamespaceList(after: number): Uint8Array {
  const bytes = new Uint8Array(IDENTIFY_BYTES);
  if (after < 1) new DataView(bytes.buffer).setUint32(0, 1, true);
  return bytes;
}

/** An ASCII field, space padded (or `pad`-padded), cut to its length. */
function ascii(into: Uint8Array, at: number, length: number, text: string, pad = 0x20): void {
  into.fill(pad, at, at + length);
  for (let i = 0; i < Math.min(text.length, length); i++) {
    const c = text.charCodeAt(i);
    into[at + i] = c >= 0x20 && c < 0x7f ? c : 0x3f;
  }
}
