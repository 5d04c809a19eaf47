// The Intel 82540EM (e1000) as a driver sees it: register offsets in its 128 KiB MMIO window, their
// bits, the legacy descriptor layouts (Intel 8254x Software Developer's Manual, 317453; QEMU's
// hw/net/e1000). The one table of these numbers above devices/: the SDK re-exports it for drivers,
// the language server's register map (hover, completion, read-only checks) is E1000_REGISTERS.
// devices/e1000/registers.ts keeps the device's own copy (devices/ imports nothing of ours), held
// equal to this one by test/devices/e1000-abi-equality.test.ts.
// Pure data: no imports. Keep E1000Reg an object literal: the language server folds it.

/** Register offsets from the window base. Every register is 32 bits: access them with read32/write32. */
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
  /** Multicast table array: MTA[n] at 0x5200 + 4n, n = 0…127. */
  MTA: 0x5200,
  /** Receive addresses: RAL(n) at 0x5400 + 8n, RAH(n) at 0x5404 + 8n, n = 0…15. */
  RAL0: 0x5400,
  RAH0: 0x5404,
} as const;

export type E1000RegName = keyof typeof E1000Reg;

/** The window a real 82540EM decodes (BAR0), and what the virt machine gives it. */
export const E1000_MMIO_BYTES = 0x20000;

export const E1000Ctrl = {
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
  RST: 1 << 26,
  RFCE: 1 << 27,
  TFCE: 1 << 28,
  VME: 1 << 30,
  PHY_RST: 1 << 31,
} as const;

export const E1000Status = {
  FD: 1 << 0,
  LU: 1 << 1,
  TXOFF: 1 << 4,
  SPEED_1000: 1 << 7,
  ASDV_1000: 3 << 8,
  MTXCKOK: 1 << 10,
  GIO_MASTER_ENABLE: 1 << 19,
} as const;

export const E1000Eerd = { START: 1 << 0, DONE: 1 << 4, ADDR_SHIFT: 8, ADDR_MASK: 0xff, DATA_SHIFT: 16 } as const;

/** Interrupt causes (ICR, ICS, IMS, IMC). */
export const E1000Icr = {
  TXDW: 1 << 0,
  TXQE: 1 << 1,
  LSC: 1 << 2,
  RXSEQ: 1 << 3,
  RXDMT0: 1 << 4,
  RXO: 1 << 6,
  RXT0: 1 << 7,
  MDAC: 1 << 9,
} as const;

export const E1000Rctl = {
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
  SECRC: 1 << 26,
} as const;

export const E1000Tctl = { EN: 1 << 1, PSP: 1 << 3, CT_SHIFT: 4, COLD_SHIFT: 12 } as const;

export const E1000_RAH_AV = 1 << 31;

/** Legacy descriptors are 16 bytes; a ring is a multiple of 128 bytes (8 descriptors). */
export const E1000_DESC_BYTES = 16;
export const E1000_RING_ALIGN = 128;

/** Legacy receive descriptor: addr u64 @0, length u16 @8, checksum u16 @10, status u8 @12, errors u8 @13, special u16 @14. */
export const E1000RxDesc = { ADDR: 0, LENGTH: 8, CHECKSUM: 10, STATUS: 12, ERRORS: 13, SPECIAL: 14 } as const;
export const E1000RxStatus = { DD: 1 << 0, EOP: 1 << 1, IXSM: 1 << 2 } as const;

/** Legacy transmit descriptor: addr u64 @0, length u16 @8, CSO u8 @10, CMD u8 @11, status u8 @12, CSS u8 @13, special u16 @14. */
export const E1000TxDesc = { ADDR: 0, LENGTH: 8, CSO: 10, CMD: 11, STATUS: 12, CSS: 13, SPECIAL: 14 } as const;
export const E1000TxCmd = {
  EOP: 1 << 0,
  IFCS: 1 << 1,
  IC: 1 << 2,
  RS: 1 << 3,
  RPS: 1 << 4,
  DEXT: 1 << 5,
  VLE: 1 << 6,
  IDE: 1 << 7,
} as const;
export const E1000TxStatus = { DD: 1 << 0 } as const;

/** One e1000 register: offset, name, the driver's direction (R, W, RW), and what it does. All are 4 bytes wide. */
export interface E1000RegisterInfo {
  readonly offset: number;
  readonly name: E1000RegName;
  readonly access: "R" | "W" | "RW";
  readonly meaning: string;
}

/** The registers a driver meets, for the language server's hover and the read-only check. The MTA
 *  and RAL/RAH arrays and the statistics block are found by e1000RegisterAt. */
export const E1000_REGISTERS: readonly E1000RegisterInfo[] = [
  {
    offset: E1000Reg.CTRL,
    name: "CTRL",
    access: "RW",
    meaning: "device control: SLU set link up, RST resets the device (self-clearing), PHY_RST",
  },
  { offset: E1000Reg.STATUS, name: "STATUS", access: "R", meaning: "device status: LU link up, FD full duplex, speed" },
  {
    offset: E1000Reg.EECD,
    name: "EECD",
    access: "RW",
    meaning: "EEPROM control (bit-banging, not emulated); PRES: an EEPROM is present",
  },
  {
    offset: E1000Reg.EERD,
    name: "EERD",
    access: "RW",
    meaning: "EEPROM read: write START | word << 8, read DONE | data << 16 (the MAC is words 0–2)",
  },
  { offset: E1000Reg.CTRL_EXT, name: "CTRL_EXT", access: "RW", meaning: "extended device control" },
  {
    offset: E1000Reg.MDIC,
    name: "MDIC",
    access: "RW",
    meaning: "PHY register access over MDIO: op, PHY 1, register, data; READY when done",
  },
  {
    offset: E1000Reg.FCAL,
    name: "FCAL",
    access: "RW",
    meaning: "flow control address, low (kept; flow control is not emulated)",
  },
  { offset: E1000Reg.FCAH, name: "FCAH", access: "RW", meaning: "flow control address, high" },
  { offset: E1000Reg.FCT, name: "FCT", access: "RW", meaning: "flow control type" },
  { offset: E1000Reg.VET, name: "VET", access: "RW", meaning: "VLAN EtherType" },
  {
    offset: E1000Reg.ICR,
    name: "ICR",
    access: "RW",
    meaning:
      "interrupt causes (TXDW, TXQE, LSC, RXDMT0, RXO, RXT0): a read returns and clears them; writing 1s clears those",
  },
  {
    offset: E1000Reg.ITR,
    name: "ITR",
    access: "RW",
    meaning: "interrupt throttling (kept; does not delay interrupts here)",
  },
  { offset: E1000Reg.ICS, name: "ICS", access: "W", meaning: "interrupt cause set: write 1s to raise those causes" },
  {
    offset: E1000Reg.IMS,
    name: "IMS",
    access: "RW",
    meaning: "interrupt mask set: write 1s to enable causes; read: the mask",
  },
  { offset: E1000Reg.IMC, name: "IMC", access: "W", meaning: "interrupt mask clear: write 1s to disable causes" },
  {
    offset: E1000Reg.RCTL,
    name: "RCTL",
    access: "RW",
    meaning: "receive control: EN, UPE/MPE promiscuous, BAM broadcast, BSIZE/BSEX buffer size, SECRC strip CRC",
  },
  { offset: E1000Reg.FCTTV, name: "FCTTV", access: "RW", meaning: "flow control transmit timer value" },
  { offset: E1000Reg.TXCW, name: "TXCW", access: "RW", meaning: "transmit configuration word (fibre)" },
  { offset: E1000Reg.RXCW, name: "RXCW", access: "R", meaning: "receive configuration word (fibre)" },
  {
    offset: E1000Reg.TCTL,
    name: "TCTL",
    access: "RW",
    meaning: "transmit control: EN, PSP pad short packets, CT, COLD",
  },
  { offset: E1000Reg.TIPG, name: "TIPG", access: "RW", meaning: "transmit inter-packet gap" },
  { offset: E1000Reg.LEDCTL, name: "LEDCTL", access: "RW", meaning: "LED control" },
  { offset: E1000Reg.PBA, name: "PBA", access: "RW", meaning: "packet buffer allocation" },
  {
    offset: E1000Reg.RDBAL,
    name: "RDBAL",
    access: "RW",
    meaning: "receive ring base address, bits 0–31 (16-byte aligned)",
  },
  { offset: E1000Reg.RDBAH, name: "RDBAH", access: "RW", meaning: "receive ring base address, bits 32–63" },
  {
    offset: E1000Reg.RDLEN,
    name: "RDLEN",
    access: "RW",
    meaning: "receive ring length in bytes: a multiple of 128 (8 descriptors)",
  },
  { offset: E1000Reg.RDH, name: "RDH", access: "RW", meaning: "receive head: the next descriptor the device fills" },
  {
    offset: E1000Reg.RDT,
    name: "RDT",
    access: "RW",
    meaning: "receive tail: the device owns RDH up to, not including, RDT (the doorbell)",
  },
  {
    offset: E1000Reg.RDTR,
    name: "RDTR",
    access: "RW",
    meaning: "receive delay timer (kept; does not delay RXT0 here)",
  },
  { offset: E1000Reg.RADV, name: "RADV", access: "RW", meaning: "receive absolute delay (kept)" },
  { offset: E1000Reg.RSRPD, name: "RSRPD", access: "RW", meaning: "small packet detect (kept)" },
  {
    offset: E1000Reg.TDBAL,
    name: "TDBAL",
    access: "RW",
    meaning: "transmit ring base address, bits 0–31 (16-byte aligned)",
  },
  { offset: E1000Reg.TDBAH, name: "TDBAH", access: "RW", meaning: "transmit ring base address, bits 32–63" },
  { offset: E1000Reg.TDLEN, name: "TDLEN", access: "RW", meaning: "transmit ring length in bytes: a multiple of 128" },
  { offset: E1000Reg.TDH, name: "TDH", access: "RW", meaning: "transmit head: the next descriptor the device sends" },
  {
    offset: E1000Reg.TDT,
    name: "TDT",
    access: "RW",
    meaning: "transmit tail: moving it past new descriptors sends them (the doorbell)",
  },
  { offset: E1000Reg.TIDV, name: "TIDV", access: "RW", meaning: "transmit interrupt delay (kept)" },
  { offset: E1000Reg.TADV, name: "TADV", access: "RW", meaning: "transmit absolute delay (kept)" },
  { offset: E1000Reg.CRCERRS, name: "CRCERRS", access: "R", meaning: "statistics: CRC errors (cleared by reading)" },
  {
    offset: E1000Reg.MPC,
    name: "MPC",
    access: "R",
    meaning: "statistics: missed packets, no receive descriptor (cleared by reading)",
  },
  {
    offset: E1000Reg.GPRC,
    name: "GPRC",
    access: "R",
    meaning: "statistics: good packets received (cleared by reading)",
  },
  { offset: E1000Reg.BPRC, name: "BPRC", access: "R", meaning: "statistics: broadcast packets received" },
  { offset: E1000Reg.MPRC, name: "MPRC", access: "R", meaning: "statistics: multicast packets received" },
  {
    offset: E1000Reg.GPTC,
    name: "GPTC",
    access: "R",
    meaning: "statistics: good packets transmitted (cleared by reading)",
  },
  { offset: E1000Reg.GORCL, name: "GORCL", access: "R", meaning: "statistics: good octets received, low" },
  { offset: E1000Reg.GORCH, name: "GORCH", access: "R", meaning: "statistics: good octets received, high" },
  { offset: E1000Reg.GOTCL, name: "GOTCL", access: "R", meaning: "statistics: good octets transmitted, low" },
  { offset: E1000Reg.GOTCH, name: "GOTCH", access: "R", meaning: "statistics: good octets transmitted, high" },
  { offset: E1000Reg.TORL, name: "TORL", access: "R", meaning: "statistics: total octets received, low" },
  { offset: E1000Reg.TORH, name: "TORH", access: "R", meaning: "statistics: total octets received, high" },
  { offset: E1000Reg.TOTL, name: "TOTL", access: "R", meaning: "statistics: total octets transmitted, low" },
  { offset: E1000Reg.TOTH, name: "TOTH", access: "R", meaning: "statistics: total octets transmitted, high" },
  { offset: E1000Reg.TPR, name: "TPR", access: "R", meaning: "statistics: total packets received" },
  { offset: E1000Reg.TPT, name: "TPT", access: "R", meaning: "statistics: total packets transmitted" },
  { offset: E1000Reg.RXCSUM, name: "RXCSUM", access: "RW", meaning: "receive checksum control (kept; no offload)" },
  { offset: E1000Reg.MTA, name: "MTA", access: "RW", meaning: "multicast table array: 128 × 32 hash bits" },
  {
    offset: E1000Reg.RAL0,
    name: "RAL0",
    access: "RW",
    meaning: "receive address 0, bytes 0–3 (loaded with the MAC at reset)",
  },
  {
    offset: E1000Reg.RAH0,
    name: "RAH0",
    access: "RW",
    meaning: "receive address 0, bytes 4–5; bit 31 AV: address valid",
  },
];

/** The register at an offset (exact), with the MTA, RAL/RAH and statistics arrays resolved:
 *  "MTA[3]", "RAH2", "statistics 0x4020". Undefined where no register sits. */
export function e1000RegisterAt(
  offset: number,
): { name: string; access: "R" | "W" | "RW"; meaning: string } | undefined {
  if (offset % 4 !== 0) return undefined;
  const exact = E1000_REGISTERS.find((r) => r.offset === offset);
  if (exact && exact.name !== "MTA" && exact.name !== "RAL0" && exact.name !== "RAH0") return exact;
  if (offset >= E1000Reg.MTA && offset < E1000Reg.MTA + 4 * 128)
    return {
      name: `MTA[${(offset - E1000Reg.MTA) / 4}]`,
      access: "RW",
      meaning: "multicast table array: 32 hash bits",
    };
  if (offset >= E1000Reg.RAL0 && offset < E1000Reg.RAL0 + 8 * 16) {
    const n = Math.floor((offset - E1000Reg.RAL0) / 8);
    return (offset - E1000Reg.RAL0) % 8 === 0
      ? { name: `RAL${n}`, access: "RW", meaning: `receive address ${n}, bytes 0–3` }
      : { name: `RAH${n}`, access: "RW", meaning: `receive address ${n}, bytes 4–5; bit 31 AV: address valid` };
  }
  if (offset >= 0x4000 && offset <= 0x40fc)
    return {
      name: `statistics 0x${offset.toString(16)}`,
      access: "R",
      meaning: "a statistics counter (reads 0 here; cleared by reading)",
    };
  return undefined;
}
