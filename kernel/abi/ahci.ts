// The AHCI HBA as a driver sees it (AHCI 1.3.1 §3): generic host control and port 0's registers, as
// data, for the language server's register map (hover, width and direction checks). devices/ahci/
// keeps the device's own names (devices/ imports nothing of ours), held equal to these by
// test/language-server/ahci-registers.test.ts. Pure data: no imports.

export interface AhciRegisterInfo {
  readonly offset: number;
  readonly name: string;
  readonly width: 4;
  /** What the driver may do: R read, W write, RW both. */
  readonly access: "R" | "W" | "RW";
  readonly meaning: string;
}

const reg = (offset: number, name: string, access: "R" | "RW", meaning: string): AhciRegisterInfo => ({
  offset,
  name,
  width: 4,
  access,
  meaning,
});

/** Registers of the ABAR (offsets from the window base); port x's block is at 0x100 + 0x80·x. */
export const AHCI_REGISTERS: readonly AhciRegisterInfo[] = [
  reg(
    0x00,
    "CAP",
    "R",
    "HBA capabilities: NP 4:0 (ports, 0's based), NCS 12:8 (command slots, 0's based), ISS 23:20, SAM 18, SNCQ 30, S64A 31",
  ),
  reg(
    0x04,
    "GHC",
    "RW",
    "global HBA control: HR 0 (reset; reads 1 until done), IE 1 (interrupts), AE 31 (AHCI enable)",
  ),
  reg(0x08, "IS", "RW", "interrupt status: bit x = port x has an enabled PxIS bit set; write 1 to clear"),
  reg(0x0c, "PI", "R", "ports implemented: bit x = port x exists"),
  reg(0x10, "VS", "R", "AHCI version: major 31:16, minor 15:0 (0x00010300 = 1.3)"),
  reg(0x14, "CCC_CTL", "RW", "command completion coalescing control (not implemented: 0)"),
  reg(0x18, "CCC_PORTS", "RW", "command completion coalescing ports (not implemented: 0)"),
  reg(0x1c, "EM_LOC", "R", "enclosure management location (not implemented: 0)"),
  reg(0x20, "EM_CTL", "RW", "enclosure management control (not implemented: 0)"),
  reg(0x24, "CAP2", "R", "HBA capabilities extended (0)"),
  reg(0x28, "BOHC", "RW", "BIOS/OS handoff control (not implemented: 0)"),
  reg(0x100, "P0CLB", "RW", "port 0 command list base, 1 KiB aligned (move only while PxCMD.ST = 0)"),
  reg(0x104, "P0CLBU", "RW", "port 0 command list base, upper 32 bits"),
  reg(0x108, "P0FB", "RW", "port 0 received FIS area base, 256-byte aligned (move only while PxCMD.FRE = 0)"),
  reg(0x10c, "P0FBU", "RW", "port 0 received FIS area base, upper 32 bits"),
  reg(
    0x110,
    "P0IS",
    "RW",
    "port 0 interrupt status: DHRS 0, PSS 1, DSS 2, SDBS 3, OFS 24, IFS 27, HBDS 28, HBFS 29, TFES 30; write 1 to clear",
  ),
  reg(0x114, "P0IE", "RW", "port 0 interrupt enable: the PxIS bits that interrupt"),
  reg(
    0x118,
    "P0CMD",
    "RW",
    "port 0 command and status: ST 0 (start), CLO 3, FRE 4 (FIS receive enable), CCS 12:8 (current slot), FR 14, CR 15 (engines running)",
  ),
  reg(0x120, "P0TFD", "R", "port 0 task file data: ATA status 7:0 (BSY 7, DRQ 3, ERR 0), error 15:8"),
  reg(0x124, "P0SIG", "R", "port 0 signature: 0x00000101 for an ATA disk"),
  reg(0x128, "P0SSTS", "R", "port 0 SATA status: DET 3:0 (3 = device present, PHY up), SPD 7:4, IPM 11:8"),
  reg(0x12c, "P0SCTL", "RW", "port 0 SATA control: DET 3:0 (1 = COMRESET)"),
  reg(0x130, "P0SERR", "RW", "port 0 SATA error: ERR 15:0, DIAG 31:16; write 1 to clear"),
  reg(0x134, "P0SACT", "RW", "port 0 SATA active: NCQ tags issued; set a tag's bit before its PxCI bit"),
  reg(
    0x138,
    "P0CI",
    "RW",
    "port 0 command issue: set bit n to issue slot n; the HBA clears it when the command is done",
  ),
  reg(0x13c, "P0SNTF", "RW", "port 0 SATA notification (0)"),
  reg(0x140, "P0FBS", "RW", "port 0 FIS-based switching control (not implemented: 0)"),
];

/** The register holding `offset` (each is 32 bits); undefined where the window has none. */
export function ahciRegisterAt(offset: number): AhciRegisterInfo | undefined {
  return AHCI_REGISTERS.find((r) => offset >= r.offset && offset < r.offset + r.width);
}
