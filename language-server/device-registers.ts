// Register maps of the devices a driver binds by type (`device: { type: "nvme" }`): which register sits
// at an offset of the MMIO window, how wide it is, and which way the driver may use it. Hover shows
// them; analysis/register-rules.ts checks each access with a known offset against them. The NVMe map
// is NVMe Base 2.0 §3.1.3, held equal to devices/nvme/registers.ts by test/devices/nvme-abi-equality.test.ts;
// the e1000's is kernel/abi/e1000.ts, held equal to devices/e1000/registers.ts the same way.

import { e1000RegisterAt as abiE1000RegisterAt } from "../kernel/abi";

export interface DeviceRegister {
  readonly offset: number;
  readonly name: string;
  /** Bytes. An 8-byte register also takes 4-byte accesses to each half. */
  readonly width: 4 | 8;
  /** What the driver may do: R read, W write, RW both. */
  readonly access: "R" | "W" | "RW";
  readonly meaning: string;
}

export interface DeviceRegisterMap {
  /** The device's name in messages, e.g. "NVMe". */
  readonly device: string;
  /** The register holding `offset`, or undefined where the window has none. */
  registerAt(offset: number): DeviceRegister | undefined;
}

/** NVMe controller registers (offsets from the window base). */
export const NVME_REGISTERS: readonly DeviceRegister[] = [
  {
    offset: 0x00,
    name: "CAP",
    width: 8,
    access: "R",
    meaning:
      "controller capabilities: MQES 15:0 (largest queue, 0's based), CQR 16, TO 31:24 (×500 ms), DSTRD 35:32 (doorbell stride 4 << DSTRD), CSS 44:37, MPSMIN 51:48, MPSMAX 55:52",
  },
  {
    offset: 0x08,
    name: "VS",
    width: 4,
    access: "R",
    meaning: "version: MJR 31:16, MNR 15:8, TER 7:0 (0x00020000 = 2.0)",
  },
  {
    offset: 0x0c,
    name: "INTMS",
    width: 4,
    access: "RW",
    meaning: "interrupt mask set: write 1 to mask a vector; reads the mask",
  },
  {
    offset: 0x10,
    name: "INTMC",
    width: 4,
    access: "RW",
    meaning: "interrupt mask clear: write 1 to unmask a vector; reads the mask",
  },
  {
    offset: 0x14,
    name: "CC",
    width: 4,
    access: "RW",
    meaning:
      "controller configuration: EN 0 (enable; 0 resets), CSS 6:4, MPS 10:7 (page 2^(12+MPS)), AMS 13:11, SHN 15:14, IOSQES 19:16 (6: 64-byte commands), IOCQES 23:20 (4: 16-byte completions)",
  },
  {
    offset: 0x1c,
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
    meaning: "NVM subsystem reset (CAP.NSSRS = 0 here: not supported)",
  },
  {
    offset: 0x24,
    name: "AQA",
    width: 4,
    access: "RW",
    meaning: "admin queue attributes: ASQS 11:0, ACQS 27:16 (0's based entries)",
  },
  { offset: 0x28, name: "ASQ", width: 8, access: "RW", meaning: "admin submission queue base address (page aligned)" },
  { offset: 0x30, name: "ACQ", width: 8, access: "RW", meaning: "admin completion queue base address (page aligned)" },
];

const NVME_DOORBELLS = 0x1000;

/** Doorbells with CAP.DSTRD = 0 (what the bundled controller reports): 4 bytes apart. */
function nvmeRegisterAt(offset: number): DeviceRegister | undefined {
  const reg = NVME_REGISTERS.find((r) => offset >= r.offset && offset < r.offset + r.width);
  if (reg) return reg;
  if (offset < NVME_DOORBELLS) return undefined;
  const index = Math.floor((offset - NVME_DOORBELLS) / 4);
  const qid = Math.floor(index / 2);
  const sq = index % 2 === 0;
  return {
    offset: NVME_DOORBELLS + index * 4,
    name: `${sq ? "SQ" : "CQ"}${qid}${sq ? "TDBL" : "HDBL"}`,
    width: 4,
    access: "W",
    meaning: sq
      ? `submission queue ${qid} tail doorbell: the new tail (the controller fetches every command up to it)`
      : `completion queue ${qid} head doorbell: the new head (entries before it are consumed)`,
  };
}

/** The e1000's registers are kernel/abi's table (E1000_REGISTERS, with the MTA/RA arrays and the
 *  statistics block), every one 32 bits: an offset inside one names it, so a misaligned or narrow
 *  access is judged against the register it falls in. */
function e1000RegisterAt(offset: number): DeviceRegister | undefined {
  const at = offset - (offset % 4);
  const r = abiE1000RegisterAt(at);
  return r && { offset: at, name: r.name, width: 4, access: r.access, meaning: r.meaning };
}

/** By machine-description type, the devices whose register map the analysis knows. */
export const DEVICE_REGISTER_MAPS: Readonly<Record<string, DeviceRegisterMap>> = {
  nvme: { device: "NVMe", registerAt: nvmeRegisterAt },
  e1000: { device: "e1000", registerAt: e1000RegisterAt },
};
