// Register maps of the devices a driver binds by type (`device: { type: "nvme" }`): which register sits
// at an offset of the MMIO window, how wide it is, and which way the driver may use it. Hover shows
// them; analysis/register-rules.ts checks each access with a known offset against them. The NVMe map
// is kernel/abi/nvme.ts, held equal to devices/nvme/registers.ts by test/language-server/device-registers.test.ts;
// the e1000's is kernel/abi/e1000.ts, held equal to devices/e1000/registers.ts the same way; the AHCI
// HBA's is kernel/abi/ahci.ts, held equal to devices/ahci/ahci-spec.ts's names by
// test/language-server/ahci-registers.test.ts.

import { e1000RegisterAt as abiE1000RegisterAt } from "../kernel/abi";
import { nvmeRegisterAt } from "../kernel/abi/nvme";
import { ahciRegisterAt } from "../kernel/abi/ahci";

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

export { NVME_REGISTERS } from "../kernel/abi/nvme";

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
  nvme: { device: "NVMe", registerAt: (offset) => nvmeRegisterAt(offset) },
  e1000: { device: "e1000", registerAt: e1000RegisterAt },
  ahci: { device: "AHCI", registerAt: (offset) => ahciRegisterAt(offset) },
};
