// ATA/ATAPI numbers for a PIO disk on the legacy primary channel (ATA/ATAPI-6, T13/1410D): register
// offsets in the command block, status/error/control bits, and the commands this device knows.

/** Command-block registers, as offsets from the first port (0x1F0 on the primary channel). */
export const AtaReg = {
  Data: 0,
  /** Read: Error. Write: Features. */
  Error: 1,
  Features: 1,
  SectorCount: 2,
  LbaLow: 3,
  LbaMid: 4,
  LbaHigh: 5,
  /** Device/Head: LBA mode, device 0/1, LBA bits 24–27. */
  Device: 6,
  /** Read: Status (reading it clears a pending interrupt). Write: Command. */
  Status: 7,
  Command: 7,
} as const;

export const AtaStatus = {
  Err: 0x01,
  Drq: 0x08,
  /** Device fault: the medium (here: the host's image file) failed. */
  Df: 0x20,
  Drdy: 0x40,
  Bsy: 0x80,
} as const;

export const AtaError = {
  /** Uncorrectable data error: the sector could not be read. */
  Unc: 0x40,
  /** Command aborted: unknown command, bad parameters, or a fault. */
  Abrt: 0x04,
  /** ID not found: the address is beyond the disk. */
  Idnf: 0x10,
} as const;

/** Device Control register (the control port, write). */
export const AtaControl = {
  /** Interrupts disabled: the device does not drive INTRQ. */
  NIen: 0x02,
  /** Software reset, held while set. */
  Srst: 0x04,
} as const;

/** Device register bits. */
export const AtaDeviceBits = {
  Lba: 0x40,
  /** Device 1 (slave); this channel has device 0 only. */
  Dev: 0x10,
  /** Bits 7 and 5 are obsolete and read as 1, as on real drives. */
  Obsolete: 0xa0,
} as const;

export const AtaCommand = {
  ReadSectors: 0x20,
  /** "Without retries": obsolete alias of READ SECTORS. */
  ReadSectorsNoRetry: 0x21,
  WriteSectors: 0x30,
  WriteSectorsNoRetry: 0x31,
  FlushCache: 0xe7,
  IdentifyDevice: 0xec,
} as const;

/** Highest sector count LBA28 can address (IDENTIFY words 60–61 saturate here). */
export const LBA28_MAX_SECTORS = 0x0fff_ffff;

export const WORDS_PER_SECTOR = 256;
