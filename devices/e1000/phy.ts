// The PHY behind the MAC, reached through MDIC (MDIO): enough of an 88E1011 (the PHY QEMU puts on
// its 82540EM) for a driver to read the link state and the PHY ids. Writes to the control register
// are kept; the others are read-only or ignored, like the part's reserved registers. Reads and
// writes complete at once (READY set in the same MDIC value).

import { Mdic } from "./registers";

export const PHY_ADDRESS = 1;
export const PhyReg = {
  CONTROL: 0,
  STATUS: 1,
  ID1: 2,
  ID2: 3,
  AUTONEG_ADV: 4,
  LP_ABILITY: 5,
  GIG_CONTROL: 9,
  GIG_STATUS: 10,
} as const;
/** Status with the link up: autonegotiation complete, link status, the abilities of a gigabit part. */
export const PHY_STATUS_LINK_UP = 0x796d;
const PHY_STATUS_LINK_DOWN = 0x7949;

export class Phy {
  private control = 0x1140;

  reset(): void {
    this.control = 0x1140;
  }

  /** The MDIC value after the driver wrote `value`, or a problem to report (the access still
   *  completes, with ERROR set, as the part does for a PHY address nobody answers). */
  access(value: number, linkUp: boolean): { value: number; problem?: string } {
    const phy = (value >>> Mdic.PHY_SHIFT) & 0x1f;
    const reg = (value >>> Mdic.REG_SHIFT) & 0x1f;
    const op = value & (3 << 26);
    if (phy !== PHY_ADDRESS)
      return {
        value: (value | Mdic.READY | Mdic.ERROR) >>> 0,
        problem: `MDIC names PHY address ${phy}; the PHY answers at address ${PHY_ADDRESS}`,
      };
    if (op === Mdic.OP_WRITE) {
      if (reg === PhyReg.CONTROL) this.control = value & 0x7fff; // bit 15 (reset) self-clears
      return { value: (value | Mdic.READY) >>> 0 };
    }
    if (op !== Mdic.OP_READ)
      return {
        value: (value | Mdic.READY | Mdic.ERROR) >>> 0,
        problem: `MDIC op ${op >>> 26} is neither read (2) nor write (1)`,
      };
    const data = this.read(reg, linkUp);
    return { value: ((value & ~Mdic.DATA_MASK) | data | Mdic.READY) >>> 0 };
  }

  private read(reg: number, linkUp: boolean): number {
    switch (reg) {
      case PhyReg.CONTROL:
        return this.control;
      case PhyReg.STATUS:
        return linkUp ? PHY_STATUS_LINK_UP : PHY_STATUS_LINK_DOWN;
      case PhyReg.ID1:
        return 0x0141;
      case PhyReg.ID2:
        return 0x0c20;
      case PhyReg.AUTONEG_ADV:
        return 0x01e1;
      case PhyReg.LP_ABILITY:
        return linkUp ? 0x45e1 : 0;
      case PhyReg.GIG_CONTROL:
        return 0x0300;
      case PhyReg.GIG_STATUS:
        return linkUp ? 0x3c00 : 0;
      default:
        return 0;
    }
  }
}
