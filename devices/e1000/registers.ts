// Intel 82540EM (e1000) numbers, as QEMU's hw/net/e1000 presents them and the Intel "PCI/PCI-X Family
// of Gigabit Ethernet Controllers Software Developer's Manual" (8254x, 317453) documents them:
// register offsets in the 128 KiB MMIO window (BAR0), their bits, the legacy descriptor formats and
// the reset values. devices/ may import nothing of ours, so this is the device's own copy of the
// table kernel/abi/e1000.ts keeps for drivers and the language server; test/devices/e1000-abi-
// equality.test.ts holds the two equal entry by entry.

/** The register window a real 82540EM decodes (BAR0). */
export const E1000_MMIO_BYTES = 0x20000;

/** Register offsets from the window base; every register is 32 bits wide. */
export const E1000Reg = {
  CTRL: 0x0000,
  STATUS: 0x0008,
  EECD: 0x0010,
  EERD: 0x0014,
  CTRL_EXT: 0x0018,
  MDIC: 0x0020,
  FCAL: 0x0028,
  FCAH: 0x002c,
  FCT: 0x0030,
  VET: 0x0038,
  ICR: 0x00c0,
  ITR: 0x00c4,
  ICS: 0x00c8,
  IMS: 0x00d0,
  IMC: 0x00d8,
  RCTL: 0x0100,
  FCTTV: 0x0170,
  TXCW: 0x0178,
  RXCW: 0x0180,
  TCTL: 0x0400,
  TIPG: 0x0410,
  LEDCTL: 0x0e00,
  PBA: 0x1000,
  RDBAL: 0x2800,
  RDBAH: 0x2804,
  RDLEN: 0x2808,
  RDH: 0x2810,
  RDT: 0x2818,
  RDTR: 0x2820,
  RADV: 0x282c,
  RSRPD: 0x2c00,
  TDBAL: 0x3800,
  TDBAH: 0x3804,
  TDLEN: 0x3808,
  TDH: 0x3810,
  TDT: 0x3818,
  TIDV: 0x3820,
  TADV: 0x382c,
  /** Statistics: 0x4000–0x40FC, each cleared when read. */
  CRCERRS: 0x4000,
  MPC: 0x4010,
  GPRC: 0x4074,
  BPRC: 0x4078,
  MPRC: 0x407c,
  GPTC: 0x4080,
  GORCL: 0x4088,
  GORCH: 0x408c,
  GOTCL: 0x4090,
  GOTCH: 0x4094,
  TORL: 0x40c0,
  TORH: 0x40c4,
  TOTL: 0x40c8,
  TOTH: 0x40cc,
  TPR: 0x40d0,
  TPT: 0x40d4,
  RXCSUM: 0x5000,
  /** Multicast table array: 128 registers of 32 hash bits. */
  MTA: 0x5200,
  /** Receive address pairs: RAL(n) = 0x5400 + 8n, RAH(n) = 0x5404 + 8n, n = 0…15. */
  RAL0: 0x5400,
  RAH0: 0x5404,
} as const;

export const STATS_FIRST = 0x4000;
export const STATS_LAST = 0x40fc;
export const MTA_ENTRIES = 128;
export const RECEIVE_ADDRESSES = 16;

export const Ctrl = {
  FD: 1 << 0,
  LRST: 1 << 3,
  ASDE: 1 << 5,
  SLU: 1 << 6,
  ILOS: 1 << 7,
  SPD_1000: 1 << 9,
  FRCSPD: 1 << 11,
  FRCDPLX: 1 << 12,
  SWDPIN0: 1 << 18,
  SWDPIN2: 1 << 20,
  /** Device reset; self-clearing. */
  RST: 1 << 26,
  RFCE: 1 << 27,
  TFCE: 1 << 28,
  VME: 1 << 30,
  PHY_RST: 1 << 31,
} as const;

export const StatusBit = {
  FD: 1 << 0,
  LU: 1 << 1,
  TXOFF: 1 << 4,
  SPEED_1000: 1 << 7,
  ASDV_1000: 3 << 8,
  MTXCKOK: 1 << 10,
  GIO_MASTER_ENABLE: 1 << 19,
} as const;

export const Eecd = { PRES: 1 << 8, FWE_DIS: 1 << 4 } as const;

/** EERD: write START with the word address; read back DONE with the data. */
export const Eerd = { START: 1 << 0, DONE: 1 << 4, ADDR_SHIFT: 8, ADDR_MASK: 0xff, DATA_SHIFT: 16 } as const;

/** MDIC: PHY register access over MDIO. */
export const Mdic = {
  DATA_MASK: 0xffff,
  REG_SHIFT: 16,
  PHY_SHIFT: 21,
  OP_WRITE: 1 << 26,
  OP_READ: 2 << 26,
  READY: 1 << 28,
  ERROR: 1 << 30,
} as const;

/** Interrupt causes: ICR, ICS, IMS and IMC share these bits. */
export const Icr = {
  /** Transmit descriptor written back (a descriptor with RS done). */
  TXDW: 1 << 0,
  /** Transmit queue empty: TDH caught up with TDT. */
  TXQE: 1 << 1,
  /** Link status change. */
  LSC: 1 << 2,
  RXSEQ: 1 << 3,
  /** Receive descriptors below the minimum threshold (RCTL.RDMTS). */
  RXDMT0: 1 << 4,
  /** Receiver overrun: a frame arrived with no descriptor to take it. */
  RXO: 1 << 6,
  /** Receiver timer: a frame was written to memory. */
  RXT0: 1 << 7,
  MDAC: 1 << 9,
} as const;

/** The cause bits this device raises or lets a driver set through ICS. */
export const ICR_MASK = 0x0001_ffff;

export const Rctl = {
  EN: 1 << 1,
  SBP: 1 << 2,
  UPE: 1 << 3,
  MPE: 1 << 4,
  LPE: 1 << 5,
  LBM_SHIFT: 6,
  LBM_MASK: 3 << 6,
  RDMTS_SHIFT: 8,
  RDMTS_MASK: 3 << 8,
  MO_SHIFT: 12,
  MO_MASK: 3 << 12,
  BAM: 1 << 15,
  BSIZE_SHIFT: 16,
  BSIZE_MASK: 3 << 16,
  VFE: 1 << 18,
  BSEX: 1 << 25,
  /** Strip the Ethernet CRC: without it every frame arrives with 4 FCS bytes after it. */
  SECRC: 1 << 26,
} as const;

export const Tctl = { EN: 1 << 1, PSP: 1 << 3, CT_SHIFT: 4, COLD_SHIFT: 12 } as const;

/** RAH: bits 0–15 the upper two bytes of the address, bit 31 Address Valid. */
export const RAH_AV = 1 << 31;

/** Both legacy descriptor formats are 16 bytes; ring lengths are multiples of 128 bytes (8 of them). */
export const DESCRIPTOR_BYTES = 16;
export const RING_LENGTH_ALIGN = 128;
/** The ring length registers hold bits 7–19 (RDLEN/TDLEN: at most 0xFFF80 bytes, 65 528 descriptors). */
export const RING_LENGTH_MASK = 0x000f_ff80;

/** Legacy receive descriptor: buffer address u64, length u16, checksum u16, status u8, errors u8, special u16. */
export const RxDesc = { addr: 0, length: 8, checksum: 10, status: 12, errors: 13, special: 14 } as const;
export const RxStatus = { DD: 1 << 0, EOP: 1 << 1, IXSM: 1 << 2 } as const;

/** Legacy transmit descriptor: buffer address u64, length u16, CSO u8, CMD u8, status u8, CSS u8, special u16. */
export const TxDesc = { addr: 0, length: 8, cso: 10, cmd: 11, status: 12, css: 13, special: 14 } as const;
export const TxCmd = {
  EOP: 1 << 0,
  IFCS: 1 << 1,
  IC: 1 << 2,
  RS: 1 << 3,
  RPS: 1 << 4,
  /** Extended descriptor (context or data, TCP/UDP offloads): not emulated. */
  DEXT: 1 << 5,
  VLE: 1 << 6,
  IDE: 1 << 7,
} as const;
export const TxStatus = { DD: 1 << 0 } as const;

/** Reset values QEMU gives the registers that are not zero. */
export const RESET_VALUES: Readonly<Partial<Record<number, number>>> = {
  [E1000Reg.CTRL]: Ctrl.SWDPIN2 | Ctrl.SWDPIN0 | Ctrl.SPD_1000 | Ctrl.SLU,
  [E1000Reg.EECD]: Eecd.FWE_DIS | Eecd.PRES,
  [E1000Reg.LEDCTL]: 0x0706_0302,
  [E1000Reg.PBA]: 0x0010_0030,
  [E1000Reg.TIPG]: 0x0060_200a,
};

/** What the 82540EM's register file holds, by offset: name and what the driver may do with it. */
export interface E1000Register {
  readonly offset: number;
  readonly name: string;
  /** R read-only, W write-only, RW both. Statistics are read-only and cleared by the read. */
  readonly access: "R" | "W" | "RW";
}

export const E1000_REGISTERS: readonly E1000Register[] = [
  { offset: E1000Reg.CTRL, name: "CTRL", access: "RW" },
  { offset: E1000Reg.STATUS, name: "STATUS", access: "R" },
  { offset: E1000Reg.EECD, name: "EECD", access: "RW" },
  { offset: E1000Reg.EERD, name: "EERD", access: "RW" },
  { offset: E1000Reg.CTRL_EXT, name: "CTRL_EXT", access: "RW" },
  { offset: E1000Reg.MDIC, name: "MDIC", access: "RW" },
  { offset: E1000Reg.FCAL, name: "FCAL", access: "RW" },
  { offset: E1000Reg.FCAH, name: "FCAH", access: "RW" },
  { offset: E1000Reg.FCT, name: "FCT", access: "RW" },
  { offset: E1000Reg.VET, name: "VET", access: "RW" },
  { offset: E1000Reg.ICR, name: "ICR", access: "RW" },
  { offset: E1000Reg.ITR, name: "ITR", access: "RW" },
  { offset: E1000Reg.ICS, name: "ICS", access: "W" },
  { offset: E1000Reg.IMS, name: "IMS", access: "RW" },
  { offset: E1000Reg.IMC, name: "IMC", access: "W" },
  { offset: E1000Reg.RCTL, name: "RCTL", access: "RW" },
  { offset: E1000Reg.FCTTV, name: "FCTTV", access: "RW" },
  { offset: E1000Reg.TXCW, name: "TXCW", access: "RW" },
  { offset: E1000Reg.RXCW, name: "RXCW", access: "R" },
  { offset: E1000Reg.TCTL, name: "TCTL", access: "RW" },
  { offset: E1000Reg.TIPG, name: "TIPG", access: "RW" },
  { offset: E1000Reg.LEDCTL, name: "LEDCTL", access: "RW" },
  { offset: E1000Reg.PBA, name: "PBA", access: "RW" },
  { offset: E1000Reg.RDBAL, name: "RDBAL", access: "RW" },
  { offset: E1000Reg.RDBAH, name: "RDBAH", access: "RW" },
  { offset: E1000Reg.RDLEN, name: "RDLEN", access: "RW" },
  { offset: E1000Reg.RDH, name: "RDH", access: "RW" },
  { offset: E1000Reg.RDT, name: "RDT", access: "RW" },
  { offset: E1000Reg.RDTR, name: "RDTR", access: "RW" },
  { offset: E1000Reg.RADV, name: "RADV", access: "RW" },
  { offset: E1000Reg.RSRPD, name: "RSRPD", access: "RW" },
  { offset: E1000Reg.TDBAL, name: "TDBAL", access: "RW" },
  { offset: E1000Reg.TDBAH, name: "TDBAH", access: "RW" },
  { offset: E1000Reg.TDLEN, name: "TDLEN", access: "RW" },
  { offset: E1000Reg.TDH, name: "TDH", access: "RW" },
  { offset: E1000Reg.TDT, name: "TDT", access: "RW" },
  { offset: E1000Reg.TIDV, name: "TIDV", access: "RW" },
  { offset: E1000Reg.TADV, name: "TADV", access: "RW" },
  { offset: E1000Reg.CRCERRS, name: "CRCERRS", access: "R" },
  { offset: E1000Reg.MPC, name: "MPC", access: "R" },
  { offset: E1000Reg.GPRC, name: "GPRC", access: "R" },
  { offset: E1000Reg.BPRC, name: "BPRC", access: "R" },
  { offset: E1000Reg.MPRC, name: "MPRC", access: "R" },
  { offset: E1000Reg.GPTC, name: "GPTC", access: "R" },
  { offset: E1000Reg.GORCL, name: "GORCL", access: "R" },
  { offset: E1000Reg.GORCH, name: "GORCH", access: "R" },
  { offset: E1000Reg.GOTCL, name: "GOTCL", access: "R" },
  { offset: E1000Reg.GOTCH, name: "GOTCH", access: "R" },
  { offset: E1000Reg.TORL, name: "TORL", access: "R" },
  { offset: E1000Reg.TORH, name: "TORH", access: "R" },
  { offset: E1000Reg.TOTL, name: "TOTL", access: "R" },
  { offset: E1000Reg.TOTH, name: "TOTH", access: "R" },
  { offset: E1000Reg.TPR, name: "TPR", access: "R" },
  { offset: E1000Reg.TPT, name: "TPT", access: "R" },
  { offset: E1000Reg.RXCSUM, name: "RXCSUM", access: "RW" },
  ...Array.from({ length: MTA_ENTRIES }, (_, i): E1000Register => ({
    offset: E1000Reg.MTA + 4 * i,
    name: `MTA[${i}]`,
    access: "RW",
  })),
  ...Array.from({ length: RECEIVE_ADDRESSES }, (_, i): E1000Register[] => [
    { offset: E1000Reg.RAL0 + 8 * i, name: `RAL${i}`, access: "RW" },
    { offset: E1000Reg.RAH0 + 8 * i, name: `RAH${i}`, access: "RW" },
  ]).flat(),
];

const BY_OFFSET = new Map(E1000_REGISTERS.map((r) => [r.offset, r]));

export function e1000Register(offset: number): E1000Register | undefined {
  return BY_OFFSET.get(offset);
}

/** "RDT (0x2818)" for messages. */
export function e1000RegisterLabel(offset: number): string {
  const name = BY_OFFSET.get(offset)?.name;
  const at = `0x${offset.toString(16).toUpperCase().padStart(4, "0")}`;
  return name === undefined ? at : `${name} (${at})`;
}
