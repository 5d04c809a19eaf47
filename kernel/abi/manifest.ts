// The driver manifest: plain data a driver module exports through defineDriver(). Init reads it to
// bind the driver to a device and grant capabilities; the language server and views read it too.

import type { Rights } from "./caps";
import { hex } from "./format";

export const VirtioDevice = {
  Network: 1,
  Block: 2,
  Console: 3,
  Entropy: 4,
  Gpu: 16,
} as const;

/** Which device of the machine a driver binds to. Absent for clients that touch no hardware. */
export type DeviceSelector =
  /** A virtio-mmio device by VIRTIO device id; `index` picks the n-th such device (default 0). */
  | { virtio: number; index?: number }
  /** A port-I/O device decoding these ports (e.g. ATA 0x1F0–0x1F7). */
  | { ports: { first: number; last: number } }
  /** An MMIO device that is not virtio, by its machine-description type (e.g. "e1000", "nvme");
   *  `index` picks the n-th such device (default 0). */
  | { type: string; index?: number };

export interface MmioCapSpec {
  kind: "mmio";
  /** Bytes of the device's MMIO window, counted from its base. */
  size: number;
  rights?: Rights;
}
export interface PortsCapSpec {
  kind: "ports";
  first: number;
  last: number;
  rights?: Rights;
}
export interface IrqCapSpec {
  kind: "irq";
}
export interface DmaCapSpec {
  kind: "dma";
  /** Bytes; rounded up to whole 4 KiB pages. */
  size: number;
}
export interface ServeCapSpec {
  kind: "serve";
  /** Name the service is registered under once the driver says it is ready. */
  service: string;
}
export interface ClientCapSpec {
  kind: "client";
  /** Name of a service this program may look up and call. */
  service: string;
}

export type CapSpec = MmioCapSpec | PortsCapSpec | IrqCapSpec | DmaCapSpec | ServeCapSpec | ClientCapSpec;

export interface DriverManifest {
  name: string;
  device?: DeviceSelector;
  caps: Record<string, CapSpec>;
}

/** What init tells a process at start: one entry per manifest capability, by name. */
export type HandleInfo =
  | { kind: "mmio"; slot: number; base: number; size: number; perms: number }
  | { kind: "ports"; slot: number; first: number; last: number; perms: number }
  | { kind: "irq"; slot: number; line: number; endpointSlot: number }
  | { kind: "dma"; size: number }
  | { kind: "serve"; slot: number; service: string; endpointId: number }
  | { kind: "client"; service: string };

export interface StartupInfo {
  pid: number;
  name: string;
  /** Seed for the process's deterministic Math.random. */
  seed: number;
  handles: Record<string, HandleInfo>;
  /** The device init bound this process to, if any. */
  device?: { name: string; kind: string; virtioId?: number; mmioBase?: number; irq?: number };
}

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const RIGHTS = ["r", "w", "rw"];

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

function isUint(x: unknown, max: number): x is number {
  return typeof x === "number" && Number.isInteger(x) && x >= 0 && x <= max;
}

/** Check a manifest read from an untrusted module; every problem is named. */
export function validateManifest(
  value: unknown,
): { ok: true; manifest: DriverManifest } | { ok: false; errors: string[] } {
  const errors: string[] = [];
  if (!isRecord(value))
    return { ok: false, errors: ["the manifest is not an object (use `export default defineDriver({...})`)"] };
  if (typeof value.name !== "string" || !NAME_RE.test(value.name)) {
    errors.push(`manifest "name" must be 1–64 letters, digits, '.', '_' or '-' (got ${JSON.stringify(value.name)})`);
  }
  const device = value.device;
  if (device !== undefined) {
    if (isRecord(device) && "virtio" in device) {
      if (!isUint(device.virtio, 0xffff) || device.virtio === 0)
        errors.push(`device.virtio must be a VIRTIO device id ≥ 1 (got ${JSON.stringify(device.virtio)})`);
      if (device.index !== undefined && !isUint(device.index, 255))
        errors.push(`device.index must be a small non-negative integer`);
    } else if (isRecord(device) && "ports" in device && isRecord(device.ports)) {
      const { first, last } = device.ports;
      if (!isUint(first, 0xffff) || !isUint(last, 0xffff) || last < first)
        errors.push(`device.ports must be { first, last } with 0 ≤ first ≤ last ≤ 0xFFFF`);
    } else if (isRecord(device) && "type" in device) {
      if (typeof device.type !== "string" || !NAME_RE.test(device.type))
        errors.push(`device.type must be a device type name such as "e1000" (got ${JSON.stringify(device.type)})`);
      if (device.index !== undefined && !isUint(device.index, 255))
        errors.push(`device.index must be a small non-negative integer`);
    } else {
      errors.push(`device must be { virtio: id }, { type: name } or { ports: { first, last } }`);
    }
  }
  if (!isRecord(value.caps)) {
    errors.push(`manifest "caps" must be an object of named capabilities`);
  } else {
    for (const [name, spec] of Object.entries(value.caps)) {
      const where = `caps.${name}`;
      if (!isRecord(spec) || typeof spec.kind !== "string") {
        errors.push(`${where} is not a capability (use mmio(), irq(), dma(), ports(), serve() or client())`);
        continue;
      }
      if (spec.rights !== undefined && !RIGHTS.includes(spec.rights as string))
        errors.push(`${where}.rights must be "r", "w" or "rw"`);
      switch (spec.kind) {
        case "mmio":
          if (!isUint(spec.size, 0x1000_0000) || spec.size === 0)
            errors.push(`${where}: mmio size must be a positive number of bytes`);
          if (!device || !("virtio" in (device as object) || "type" in (device as object)))
            errors.push(`${where}: an mmio window needs a device: { virtio: id } or { type: name } binding`);
          break;
        case "ports":
          if (
            !isUint(spec.first, 0xffff) ||
            !isUint(spec.last, 0xffff) ||
            (spec.last as number) < (spec.first as number)
          ) {
            errors.push(`${where}: ports must be { first, last } with 0 ≤ first ≤ last ≤ 0xFFFF`);
          }
          break;
        case "irq":
          if (!device) errors.push(`${where}: an irq needs a device binding`);
          break;
        case "dma":
          if (!isUint(spec.size, 64 * 1024 * 1024) || spec.size === 0)
            errors.push(`${where}: dma size must be 1 byte … 64 MiB`);
          break;
        case "serve":
        case "client":
          if (typeof spec.service !== "string" || !NAME_RE.test(spec.service))
            errors.push(`${where}: service name must be 1–64 letters, digits, '.', '_' or '-'`);
          break;
        default:
          errors.push(`${where}: unknown capability kind ${JSON.stringify(spec.kind)}`);
      }
    }
  }
  return errors.length ? { ok: false, errors } : { ok: true, manifest: value as unknown as DriverManifest };
}

/** What the device a driver is bound to offers its grants: Init's view of the bound device, or, for
 *  the language server, a device type of the catalog the binding can match. */
export interface BoundDevice {
  /** For messages ("virtio-rng0's window is 0x200 bytes"). */
  name?: string;
  /** The MMIO window; `size` left out when not known (a device type rather than a placed device). */
  mmio?: { size?: number };
  /** Port ranges the device decodes. */
  ports?: readonly { first: number; last: number }[];
  /** The device has an interrupt line. */
  irq: boolean;
}

/**
 * The grants of a valid manifest that the bound device cannot back (`undefined`: the manifest binds
 * no device), each as Init refuses it, in manifest order: an MMIO window larger than the device's or
 * on a device without one, ports the device does not decode, an IRQ on a device without a line.
 * Init refuses the manifest at STARTUP with the first; `zds check` reports each as ZDS001.
 */
export function grantProblems(
  manifest: DriverManifest,
  device: BoundDevice | undefined,
): { cap: string; message: string }[] {
  const problems: { cap: string; message: string }[] = [];
  for (const [name, spec] of Object.entries(manifest.caps)) {
    const refuse = (message: string) => problems.push({ cap: name, message: `caps.${name}: ${message}` });
    switch (spec.kind) {
      case "mmio": {
        const window = device?.mmio;
        if (!window) refuse("the bound device has no MMIO window");
        else if (window.size !== undefined && spec.size > window.size)
          refuse(
            `asks for ${hex(spec.size)} bytes of MMIO but ${device?.name ?? "the device"}'s window is ${hex(window.size)} bytes`,
          );
        break;
      }
      case "ports":
        if (!device?.ports?.some((r) => r.first <= spec.first && spec.last <= r.last))
          refuse(`ports ${hex(spec.first)}–${hex(spec.last)} are not decoded by the bound device`);
        break;
      case "irq":
        if (!device?.irq) refuse("the bound device has no interrupt line");
        break;
    }
  }
  return problems;
}
