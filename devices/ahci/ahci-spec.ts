// Numbers of the AHCI 1.3.1 specification and the SATA/ATA pieces an HBA carries: register offsets,
// bit fields, FIS layouts and the ATA commands the emulated disk answers. Data only.

/** Generic host control (§3.1), offsets in the ABAR. */
export const HbaReg = {
  Cap: 0x00,
  Ghc: 0x04,
  Is: 0x08,
  Pi: 0x0c,
  Vs: 0x10,
  CccCtl: 0x14,
  CccPorts: 0x18,
  EmLoc: 0x1c,
  EmCtl: 0x20,
  Cap2: 0x24,
  Bohc: 0x28,
} as const;

/** Port x's registers sit at 0x100 + 0x80·x (§3.3); offsets within a port's block. */
export const PORT_BASE = 0x100;
export const PORT_STRIDE = 0x80;
export const PortReg = {
  Clb: 0x00,
  Clbu: 0x04,
  Fb: 0x08,
  Fbu: 0x0c,
  Is: 0x10,
  Ie: 0x14,
  Cmd: 0x18,
  Tfd: 0x20,
  Sig: 0x24,
  Ssts: 0x28,
  Sctl: 0x2c,
  Serr: 0x30,
  Sact: 0x34,
  Ci: 0x38,
  Sntf: 0x3c,
  Fbs: 0x40,
} as const;

/** CAP bits (§3.1.1). */
export const Cap = {
  S64a: 1 << 31,
  Sncq: 1 << 30,
  Sam: 1 << 18,
  /** Interface speed support, bits 23:20: 1 = Gen 1 (1.5 Gb/s), as QEMU's ich9-ahci reports. */
  issGen1: 1 << 20,
  ncs: (slots: number) => ((slots - 1) & 0x1f) << 8,
  np: (ports: number) => (ports - 1) & 0x1f,
} as const;

/** GHC bits (§3.1.2). */
export const Ghc = { Hr: 1 << 0, Ie: 1 << 1, Ae: 1 << 31 } as const;

/** AHCI 1.3 (VS, §3.1.5). */
export const AHCI_VERSION_1_3 = 0x0001_0300;

/** PxIS / PxIE bits (§3.3.5). */
export const PxIs = {
  Dhrs: 1 << 0,
  Pss: 1 << 1,
  Dss: 1 << 2,
  Sdbs: 1 << 3,
  Ofs: 1 << 24,
  Infs: 1 << 26,
  Ifs: 1 << 27,
  Hbds: 1 << 28,
  Hbfs: 1 << 29,
  Tfes: 1 << 30,
  /** The bits defined at all; the rest are reserved. */
  Defined: 0xfdc0_00ff,
  /** Errors after which the port stops processing commands until PxCMD.ST is cleared (§6.1.2). */
  Fatal: (1 << 27) | (1 << 28) | (1 << 29) | (1 << 30),
} as const;

/** PxCMD bits (§3.3.7). */
export const PxCmd = {
  St: 1 << 0,
  Sud: 1 << 1,
  Pod: 1 << 2,
  Clo: 1 << 3,
  Fre: 1 << 4,
  ccs: (slot: number) => (slot & 0x1f) << 8,
  Fr: 1 << 14,
  Cr: 1 << 15,
  /** Bits software may set; FR, CR and CCS are the HBA's. */
  Writable: (1 << 0) | (1 << 1) | (1 << 2) | (1 << 3) | (1 << 4),
} as const;

/** PxSERR bits this HBA reports (§3.3.12). */
export const PxSerr = { ProtocolError: 1 << 10, HandshakeError: 1 << 22 } as const;

/** ATA status and error register bits (PxTFD 7:0 and 15:8). */
export const AtaStatus = { Err: 0x01, Drq: 0x08, Dsc: 0x10, Df: 0x20, Drdy: 0x40, Bsy: 0x80 } as const;
export const AtaError = { Abrt: 0x04, Idnf: 0x10, Unc: 0x40 } as const;

/** PxSIG of an ATA disk: the signature its first D2H register FIS carries (§3.3.9). */
export const SIGNATURE_ATA = 0x0000_0101;
/** PxSSTS: DET = 3 (device present, PHY up), SPD = 1 (Gen 1), IPM = 1 (active) (§3.3.10). */
export const SSTS_UP = 0x113;

/** FIS types (SATA 3.x §10.3) and where the HBA posts each in the received FIS area (§4.2.1). */
export const FisType = { RegH2d: 0x27, RegD2h: 0x34, DmaSetup: 0x41, PioSetup: 0x5f, SetDeviceBits: 0xa1 } as const;
export const RxFis = { DmaSetup: 0x00, PioSetup: 0x20, RegD2h: 0x40, SetDeviceBits: 0x58, Bytes: 0x100 } as const;

/** Command list: 32 headers of 32 bytes (§4.2.2); a command table's CFIS at 0, PRDT at 0x80 (§4.2.3). */
export const HEADER_BYTES = 32;
export const MAX_SLOTS = 32;
export const CMD_LIST_BYTES = MAX_SLOTS * HEADER_BYTES;
export const CFIS_BYTES = 64;
export const PRDT_OFFSET = 0x80;
export const PRD_BYTES = 16;
/** Header DW0: CFL 4:0 (dwords), A 5, W 6, PRDTL 31:16. */
export const Header = { Atapi: 1 << 5, Write: 1 << 6 } as const;
/** PRD DW3: DBC 21:0 (0's based byte count, bit 0 always 1), I 31. */
export const PRD_DBC_MASK = 0x3f_ffff;
export const PRD_INTERRUPT = 1 << 31;

/** ATA commands the disk knows (ACS-3). */
export const AtaCmd = {
  ReadDmaExt: 0x25,
  WriteDmaExt: 0x35,
  ReadFpdmaQueued: 0x60,
  WriteFpdmaQueued: 0x61,
  FlushCache: 0xe7,
  FlushCacheExt: 0xea,
  IdentifyDevice: 0xec,
} as const;

export function ataCommandName(code: number): string {
  for (const [name, value] of Object.entries(AtaCmd))
    if (value === code) return name.replace(/([a-z])([A-Z])/g, "$1 $2").toUpperCase();
  return `command 0x${code.toString(16).padStart(2, "0")}`;
}

export const SECTOR_BYTES = 512;
/** NCQ queue depth the disk announces (IDENTIFY word 75: 31 = 32 commands). */
export const NCQ_DEPTH = 32;

const PORT_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(PortReg).map(([name, offset]) => [offset, `Px${name.toUpperCase()}`]),
);
const HBA_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(HbaReg).map(([name, offset]) => [
    offset,
    name
      .toUpperCase()
      .replace("CCCCTL", "CCC_CTL")
      .replace("CCCPORTS", "CCC_PORTS")
      .replace("EMLOC", "EM_LOC")
      .replace("EMCTL", "EM_CTL"),
  ]),
);

/** A register's name for messages and views: "GHC", "P0CMD", "P1CI (port not implemented)". */
export function ahciRegisterName(offset: number, ports = 1): string {
  if (offset < PORT_BASE) return HBA_NAMES[offset] ?? `reserved 0x${offset.toString(16).padStart(3, "0")}`;
  const port = Math.floor((offset - PORT_BASE) / PORT_STRIDE);
  const within = (offset - PORT_BASE) % PORT_STRIDE;
  const name = PORT_NAMES[within]?.replace("Px", `P${port}`) ?? `P${port} reserved +0x${within.toString(16)}`;
  return port < ports ? name : `${name} (port ${port} is not implemented, PI bit ${port} = 0)`;
}
