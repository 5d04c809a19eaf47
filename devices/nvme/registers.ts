// The controller's register map as data: for messages ("CC (0x14)"), the debugger's views and its
// data breakpoints, and the test that keeps the language server's copy equal to this one.

import { NvmeReg } from "./nvme-spec";

export interface NvmeRegister {
  readonly offset: number;
  readonly name: string;
  /** Bytes: 8 for CAP, ASQ, ACQ (a driver may access them as two 4-byte halves), else 4. */
  readonly width: 4 | 8;
  /** What the driver may do: R read, W write, RW both. */
  readonly access: "R" | "W" | "RW";
  readonly meaning: string;
}

export const NVME_REGISTERS: readonly NvmeRegister[] = [
  {
    offset: NvmeReg.Cap,
    name: "CAP",
    width: 8,
    access: "R",
    meaning:
      "controller capabilities: MQES 15:0, CQR 16, TO 31:24 (×500 ms), DSTRD 35:32, CSS 44:37, MPSMIN 51:48, MPSMAX 55:52",
  },
  { offset: NvmeReg.Vs, name: "VS", width: 4, access: "R", meaning: "version: 0x00020000 = NVMe 2.0" },
  {
    offset: NvmeReg.Intms,
    name: "INTMS",
    width: 4,
    access: "RW",
    meaning: "interrupt mask set: write 1 to mask vector 0; reads the mask",
  },
  {
    offset: NvmeReg.Intmc,
    name: "INTMC",
    width: 4,
    access: "RW",
    meaning: "interrupt mask clear: write 1 to unmask vector 0; reads the mask",
  },
  {
    offset: NvmeReg.Cc,
    name: "CC",
    width: 4,
    access: "RW",
    meaning: "controller configuration: EN 0, CSS 6:4, MPS 10:7, AMS 13:11, SHN 15:14, IOSQES 19:16, IOCQES 23:20",
  },
  {
    offset: NvmeReg.Csts,
    name: "CSTS",
    width: 4,
    access: "R",
    meaning: "controller status: RDY 0, CFS 1 (controller fatal), SHST 3:2",
  },
  {
    offset: 0x20,
    name: "NSSR",
    width: 4,
    access: "R",
    meaning: "NVM subsystem reset: not supported (CAP.NSSRS = 0), reads 0",
  },
  {
    offset: NvmeReg.Aqa,
    name: "AQA",
    width: 4,
    access: "RW",
    meaning: "admin queue attributes: ASQS 11:0, ACQS 27:16 (0's based sizes)",
  },
  {
    offset: NvmeReg.Asq,
    name: "ASQ",
    width: 8,
    access: "RW",
    meaning: "admin submission queue base address (page aligned)",
  },
  {
    offset: NvmeReg.Acq,
    name: "ACQ",
    width: 8,
    access: "RW",
    meaning: "admin completion queue base address (page aligned)",
  },
];

/** "CC (0x14)", "SQ 1 tail doorbell (0x1008)", or "offset 0x40". */
export function nvmeRegisterName(offset: number, stride: number): string {
  const at = `0x${offset.toString(16).toUpperCase()}`;
  const reg = NVME_REGISTERS.find((r) => offset >= r.offset && offset < r.offset + r.width);
  if (reg) return reg.offset === offset ? `${reg.name} (${at})` : `${reg.name} high half (${at})`;
  if (offset >= NvmeReg.Doorbells) {
    const index = (offset - NvmeReg.Doorbells) / stride;
    if (Number.isInteger(index))
      return `${index % 2 === 0 ? "SQ" : "CQ"} ${Math.floor(index / 2)} ${index % 2 === 0 ? "tail" : "head"} doorbell (${at})`;
  }
  return `offset ${at}`;
}
