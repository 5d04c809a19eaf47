// NVM Express numbers (NVMe Base Specification 2.0, NVM Command Set Specification 1.0): controller
// register offsets and fields, queue entry layouts, opcodes, feature identifiers and status codes,
// as far as this controller implements them. Names follow the specification's.

/** Controller registers (Base 2.0 §3.1.3), offsets in the MMIO window. */
export const NvmeReg = {
  /** Controller Capabilities, 64 bits, read-only. */
  Cap: 0x00,
  /** Version, read-only. */
  Vs: 0x08,
  /** Interrupt Mask Set: writing 1 masks a vector; reads give the mask. */
  Intms: 0x0c,
  /** Interrupt Mask Clear: writing 1 unmasks a vector; reads give the mask. */
  Intmc: 0x10,
  /** Controller Configuration. */
  Cc: 0x14,
  /** Controller Status, read-only. */
  Csts: 0x1c,
  /** Admin Queue Attributes: ASQS bits 11:0, ACQS bits 27:16 (0's based sizes). */
  Aqa: 0x24,
  /** Admin Submission Queue base address, 64 bits, page aligned. */
  Asq: 0x28,
  /** Admin Completion Queue base address, 64 bits, page aligned. */
  Acq: 0x30,
  /** First doorbell: SQ 0 tail. Queue y's SQ tail is at 0x1000 + 2y·stride, its CQ head 0x1000 + (2y+1)·stride. */
  Doorbells: 0x1000,
} as const;

/** CAP fields (§3.1.3.1) this controller reports. */
export const Cap = {
  /** Maximum Queue Entries Supported, bits 15:0, 0's based. */
  mqes: (entries: number): bigint => BigInt(entries - 1),
  /** Contiguous Queues Required, bit 16. */
  Cqr: 1n << 16n,
  /** Timeout, bits 31:24, in 500 ms units: the longest CC.EN → CSTS.RDY may take. */
  to: (units: number): bigint => BigInt(units) << 24n,
  /** Doorbell Stride, bits 35:32: doorbells are 4 << DSTRD bytes apart. */
  dstrd: (dstrd: number): bigint => BigInt(dstrd) << 32n,
  /** Command Sets Supported, bits 44:37; bit 37 = the NVM command set. */
  CssNvm: 1n << 37n,
  /** Memory Page Size Minimum/Maximum, bits 51:48 / 55:52 (2^(12+n) bytes). */
  mpsmin: (n: number): bigint => BigInt(n) << 48n,
  mpsmax: (n: number): bigint => BigInt(n) << 52n,
} as const;

/** CC fields (§3.1.3.5). */
export const Cc = {
  En: 1 << 0,
  /** I/O Command Set Selected, bits 6:4 (000b NVM). */
  css: (cc: number): number => (cc >>> 4) & 0x7,
  /** Memory Page Size, bits 10:7. */
  mps: (cc: number): number => (cc >>> 7) & 0xf,
  /** Arbitration Mechanism Selected, bits 13:11 (000b round robin). */
  ams: (cc: number): number => (cc >>> 11) & 0x7,
  /** Shutdown Notification, bits 15:14. */
  shn: (cc: number): number => (cc >>> 14) & 0x3,
  /** I/O Submission / Completion Queue Entry Size, bits 19:16 / 23:20 (2^n bytes). */
  iosqes: (cc: number): number => (cc >>> 16) & 0xf,
  iocqes: (cc: number): number => (cc >>> 20) & 0xf,
  /** The fields that must not change while CC.EN = 1 (CSS, MPS, AMS). */
  FixedWhileEnabled: (0x7 << 4) | (0xf << 7) | (0x7 << 11),
  /** Every field defined in NVMe 2.0 (CRIME bit 24 included, which this controller keeps at 0). */
  Defined: 0x01ff_fff1,
} as const;

/** CSTS bits (§3.1.3.6). */
export const Csts = {
  Rdy: 1 << 0,
  /** Controller Fatal Status. */
  Cfs: 1 << 1,
  /** Shutdown Status, bits 3:2: 00 normal, 01 occurring, 10 complete. */
  ShstOccurring: 1 << 2,
  ShstComplete: 2 << 2,
} as const;

/** Size of one submission / completion queue entry in bytes (what IOSQES / IOCQES must give). */
export const SQE_BYTES = 64;
export const CQE_BYTES = 16;
export const SQES_LOG2 = 6;
export const CQES_LOG2 = 4;

/** Submission queue entry fields, byte offsets (§4.2). */
export const Sqe = {
  /** CDW0: opcode 7:0, FUSE 9:8, PSDT 15:14, CID 31:16. */
  Cdw0: 0,
  Nsid: 4,
  Mptr: 16,
  Prp1: 24,
  Prp2: 32,
  Cdw10: 40,
  Cdw11: 44,
  Cdw12: 48,
  Cdw13: 52,
  Cdw14: 56,
  Cdw15: 60,
} as const;

/** Admin command opcodes (§5). */
export const AdminOpcode = {
  DeleteIoSq: 0x00,
  CreateIoSq: 0x01,
  GetLogPage: 0x02,
  DeleteIoCq: 0x04,
  CreateIoCq: 0x05,
  Identify: 0x06,
  Abort: 0x08,
  SetFeatures: 0x09,
  GetFeatures: 0x0a,
  AsyncEventRequest: 0x0c,
} as const;

/** NVM command set I/O opcodes (NVM Command Set 1.0 §3). */
export const IoOpcode = {
  Flush: 0x00,
  Write: 0x01,
  Read: 0x02,
} as const;

/** Identify CNS values (§5.17.1). */
export const Cns = {
  Namespace: 0x00,
  Controller: 0x01,
  ActiveNamespaces: 0x02,
} as const;

/** Feature identifiers (§5.27.1). */
export const FeatureId = {
  VolatileWriteCache: 0x06,
  NumberOfQueues: 0x07,
  AsyncEventConfig: 0x0b,
} as const;

/** Status Code Type (§4.6.1.2). */
export const Sct = {
  Generic: 0,
  CommandSpecific: 1,
  MediaError: 2,
} as const;

/** A status field: SCT and SC, with Do Not Retry (DNR) when retrying cannot help. */
export interface NvmeStatus {
  readonly sct: number;
  readonly sc: number;
  readonly dnr: boolean;
}

const status = (sct: number, sc: number, dnr = true): NvmeStatus => ({ sct, sc, dnr });

/** The status codes this controller answers with (§4.6.1.2.1, .2, .3). */
export const Status = {
  Success: status(Sct.Generic, 0x00, false),
  InvalidOpcode: status(Sct.Generic, 0x01),
  InvalidField: status(Sct.Generic, 0x02),
  CommandIdConflict: status(Sct.Generic, 0x03),
  DataTransferError: status(Sct.Generic, 0x04),
  InternalError: status(Sct.Generic, 0x06),
  AbortedSqDeletion: status(Sct.Generic, 0x08, false),
  InvalidNamespace: status(Sct.Generic, 0x0b),
  CommandSequenceError: status(Sct.Generic, 0x0c),
  InvalidPrpOffset: status(Sct.Generic, 0x13),
  NamespaceWriteProtected: status(Sct.Generic, 0x20),
  LbaOutOfRange: status(Sct.Generic, 0x80),
  CompletionQueueInvalid: status(Sct.CommandSpecific, 0x00),
  InvalidQueueIdentifier: status(Sct.CommandSpecific, 0x01),
  InvalidQueueSize: status(Sct.CommandSpecific, 0x02),
  AsyncEventLimitExceeded: status(Sct.CommandSpecific, 0x05),
  InvalidInterruptVector: status(Sct.CommandSpecific, 0x08),
  FeatureNotSaveable: status(Sct.CommandSpecific, 0x0d),
  InvalidQueueDeletion: status(Sct.CommandSpecific, 0x0c),
  WriteFault: status(Sct.MediaError, 0x80),
  UnrecoveredReadError: status(Sct.MediaError, 0x81),
} as const satisfies Record<string, NvmeStatus>;

export type StatusName = keyof typeof Status;

/** The spec's words for a status, for messages and views ("Invalid Field in Command (0/0x02)"). */
export function statusName(s: NvmeStatus): string {
  const entry = Object.entries(Status).find(([, v]) => v.sct === s.sct && v.sc === s.sc);
  const words = entry ? STATUS_WORDS[entry[0] as StatusName] : "status";
  return `${words} (SCT ${s.sct}, SC 0x${s.sc.toString(16).padStart(2, "0")})`;
}

const STATUS_WORDS: Record<StatusName, string> = {
  Success: "Successful Completion",
  InvalidOpcode: "Invalid Command Opcode",
  InvalidField: "Invalid Field in Command",
  CommandIdConflict: "Command ID Conflict",
  DataTransferError: "Data Transfer Error",
  InternalError: "Internal Error",
  AbortedSqDeletion: "Command Aborted due to SQ Deletion",
  InvalidNamespace: "Invalid Namespace or Format",
  CommandSequenceError: "Command Sequence Error",
  InvalidPrpOffset: "PRP Offset Invalid",
  NamespaceWriteProtected: "Namespace is Write Protected",
  LbaOutOfRange: "LBA Out of Range",
  CompletionQueueInvalid: "Completion Queue Invalid",
  InvalidQueueIdentifier: "Invalid Queue Identifier",
  InvalidQueueSize: "Invalid Queue Size",
  AsyncEventLimitExceeded: "Asynchronous Event Request Limit Exceeded",
  InvalidInterruptVector: "Invalid Interrupt Vector",
  FeatureNotSaveable: "Feature Identifier Not Saveable",
  InvalidQueueDeletion: "Invalid Queue Deletion",
  WriteFault: "Write Fault",
  UnrecoveredReadError: "Unrecovered Read Error",
};

/** Completion queue entry DW3: CID 15:0, phase tag 16, status 31:17 (SC 24:17, SCT 27:25, DNR 31). */
export function completionDw3(cid: number, phase: number, s: NvmeStatus): number {
  return ((cid & 0xffff) | ((phase & 1) << 16) | (s.sc << 17) | (s.sct << 25) | (s.dnr ? 1 << 31 : 0)) >>> 0;
}

/** Asynchronous event information (§5.2): type Error status, and why. */
export const AsyncEvent = {
  TypeError: 0,
  InvalidDoorbellRegister: 0x00,
  InvalidDoorbellWriteValue: 0x01,
  /** The log page a host reads to learn more: Error Information. */
  ErrorLogPage: 0x01,
} as const;

/** The names of the admin and I/O opcodes this controller knows, for messages and views. */
export function opcodeName(admin: boolean, opcode: number): string {
  const table: Record<string, number> = admin ? AdminOpcode : IoOpcode;
  const found = Object.entries(table).find(([, v]) => v === opcode);
  const hexCode = `0x${opcode.toString(16).padStart(2, "0")}`;
  return found ? `${found[0].replace(/([a-z])([A-Z])/g, "$1 $2").toUpperCase()} (${hexCode})` : `opcode ${hexCode}`;
}

export const LBA_BYTES = 512;
export const PAGE_BYTES = 4096;
