// Capability constructors for a driver's manifest. They return plain data (CapSpec) because the
// manifest is read by more than the driver: Init grants from it, the language server checks source
// against it, the views display it. Each constructor's return type picks the handle main() receives.

import type {
  ClientCapSpec,
  DmaCapSpec,
  IrqCapSpec,
  MmioCapSpec,
  PortsCapSpec,
  Rights,
  ServeCapSpec,
} from "../../kernel/abi";

/** The device's MMIO register window, `size` bytes from its base (read+write unless `rights` says less). */
export function mmio(opts: { size: number; rights?: Rights }): MmioCapSpec {
  const spec: MmioCapSpec = { kind: "mmio", size: opts.size };
  if (opts.rights !== undefined) spec.rights = opts.rights;
  return spec;
}

/** The device's interrupt line, delivered as messages on an endpoint. */
export function irq(): IrqCapSpec {
  return { kind: "irq" };
}

/** Memory the device may reach by DMA; `size` is rounded up to whole 4 KiB pages. */
export function dma(opts: { size: number }): DmaCapSpec {
  return { kind: "dma", size: opts.size };
}

/** An I/O port range, `first`..`last` inclusive (absolute port numbers). */
export function ports(opts: { first: number; last: number; rights?: Rights }): PortsCapSpec {
  const spec: PortsCapSpec = { kind: "ports", first: opts.first, last: opts.last };
  if (opts.rights !== undefined) spec.rights = opts.rights;
  return spec;
}

/** A service this driver offers under `name` (registered with Init when the driver calls ready()). */
export function serve(name: string): ServeCapSpec {
  return { kind: "serve", service: name };
}

/** A service this program may look up and call. */
export function client(name: string): ClientCapSpec {
  return { kind: "client", service: name };
}
