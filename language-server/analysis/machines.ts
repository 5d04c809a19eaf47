// What a driver can bind to. Every machine description may only name device types of the device
// catalog, so the catalog decides whether ANY machine description can satisfy a binding; the bundled
// machines tell hover where the device sits on the default machine.

import { deviceCatalog } from "../../devices/device-catalog";
import type { MachineDescription } from "../../devices/machine-description";
import { bundledMachineNames, loadMachineDescription } from "../../devices/machine-loader";

/** One device type a machine description may contain, as a driver sees it. */
export interface DeviceOffer {
  type: string;
  /** The catalog kind: "mmio" for the devices a `device: { type }` binding names. */
  kind?: string;
  virtioId?: number;
  /** Port ranges the device decodes (port-I/O devices). */
  ports?: readonly { first: number; last: number }[];
}

/** Where a device sits on a bundled machine (for hover). */
export interface Placement {
  machine: string;
  device: string;
  type: string;
  irq: number;
  /** MMIO window (virtio-mmio devices). */
  base?: number;
  size?: number;
  /** Ports decoded (port-I/O devices). */
  ports?: readonly { first: number; last: number }[];
}

export interface MachineKnowledge {
  offers: readonly DeviceOffer[];
  placements: readonly Placement[];
}

/** The catalog entries, read as the general shape (today's entries are all virtio-mmio). */
type CatalogEntry = {
  readonly kind: string;
  readonly virtioId?: number;
  readonly ports?: readonly { first: number; last: number }[];
};

let cached: MachineKnowledge | undefined;

export function defaultMachineKnowledge(): MachineKnowledge {
  if (cached) return cached;
  const catalog: Readonly<Record<string, CatalogEntry>> = deviceCatalog;
  const offers: DeviceOffer[] = Object.entries(catalog).map(([type, entry]) => ({
    type,
    kind: entry.kind,
    virtioId: entry.virtioId,
    ports: entry.ports,
  }));
  const placements: Placement[] = [];
  for (const name of bundledMachineNames()) {
    let machine: MachineDescription;
    try {
      machine = loadMachineDescription(name);
    } catch {
      continue; // a broken bundled machine is the machine tests' business, not ours
    }
    for (const d of machine.devices) {
      // An ATA channel or a UART sits in port space: its "window" is its eight register ports.
      const [base, size] = d.type === "ata" ? [d.command, 8] : d.type === "uart16550" ? [d.base, 8] : [d.base, d.size];
      placements.push({ machine: machine.name, device: d.name, type: d.type, base, size, irq: d.irq });
    }
  }
  cached = { offers, placements };
  return cached;
}

export function offersVirtio(knowledge: MachineKnowledge, id: number): DeviceOffer | undefined {
  return knowledge.offers.find((o) => o.virtioId === id);
}

/** The device type a `device: { type }` binding can bind to (virtio devices are bound by id). */
export function offersType(knowledge: MachineKnowledge, type: string): DeviceOffer | undefined {
  return knowledge.offers.find((o) => o.kind === "mmio" && o.type === type);
}

export function offersPorts(knowledge: MachineKnowledge, first: number, last: number): DeviceOffer | undefined {
  return knowledge.offers.find((o) => o.ports?.some((r) => r.first <= first && last <= r.last));
}
