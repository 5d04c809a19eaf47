// The NVMe controller as a driver sees it (NVMe Base 2.0 §3.1.3): its registers and doorbells, as
// data. The one table of these above devices/: the language server's register map (hover, width and
// direction checks) and the timeline's doorbell names read it. devices/nvme/registers.ts keeps the
// device's own copy (devices/ imports nothing of ours), held equal to this one by
// test/language-server/device-registers.test.ts. Pure data: no imports.

export interface NvmeRegisterInfo {
  readonly offset: number;
  readonly name: string;
  /** Bytes. An 8-byte register also takes 4-byte accesses to each half. */
  readonly width: 4 | 8;
  /** What the driver may do: R read, W write, RW both. */
  readonly access: "R" | "W" | "RW";
  readonly meaning: string;
  /** For a doorbell: its queue and which pointer it moves. */
  readonly doorbell?: { readonly queue: number; readonly pointer: "SQ tail" | "CQ head" };
}

/** NVMe controller registers (offsets from the window base). */
export const NVME_REGISTERS: readonly NvmeRegisterInfo[] = [
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

/** The first doorbell (SQ 0 tail); queue y's are at 0x1000 + 2y·stride and 0x1000 + (2y+1)·stride. */
export const NVME_DOORBELLS = 0x1000;

/** The register or doorbell holding `offset`; doorbells `stride` bytes apart (4 << CAP.DSTRD; the
 *  bundled controller reports DSTRD 0). Undefined where the window has none. */
export function nvmeRegisterAt(offset: number, stride = 4): NvmeRegisterInfo | undefined {
  const reg = NVME_REGISTERS.find((r) => offset >= r.offset && offset < r.offset + r.width);
  if (reg) return reg;
  if (offset < NVME_DOORBELLS) return undefined;
  const index = Math.floor((offset - NVME_DOORBELLS) / stride);
  const qid = Math.floor(index / 2);
  const sq = index % 2 === 0;
  return {
    offset: NVME_DOORBELLS + index * stride,
    name: `${sq ? "SQ" : "CQ"}${qid}${sq ? "TDBL" : "HDBL"}`,
    width: 4,
    access: "W",
    meaning: sq
      ? `submission queue ${qid} tail doorbell: the new tail (the controller fetches every command up to it)`
      : `completion queue ${qid} head doorbell: the new head (entries before it are consumed)`,
    doorbell: { queue: qid, pointer: sq ? "SQ tail" : "CQ head" },
  };
}
