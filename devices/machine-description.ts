// Machine descriptions are data (JSON): which devices sit where, on which IRQ, and where DMA memory
// lives. This module checks one against every rule the machine relies on and reports all problems
// at once, each naming the file, the device and the field, because a driver author will be editing
// these by hand.

import {
  ATA_COMMAND_PORTS,
  UART_PORTS,
  deviceCatalog,
  isDeviceType,
  VIRTIO_MMIO_MIN_WINDOW,
  type DeviceType,
  type MmioDeviceType,
  type VirtioDeviceType,
} from "./device-catalog";
import { hex } from "./format";
import { PAGE_SIZE } from "./memory";
import { parseSupervision, type SupervisionDescription } from "./supervision-description";

export interface VirtioDeviceDescription {
  readonly name: string;
  readonly type: VirtioDeviceType;
  /** MMIO window. */
  readonly base: number;
  readonly size: number;
  readonly irq: number;
  /** Disk slot (disk controllers only); absent = the default slot. */
  readonly disk?: string;
}

/** A device with an MMIO window and a register map of its own (catalog kind "mmio", e.g. nvme). */
export interface MmioDeviceDescription {
  readonly name: string;
  readonly type: MmioDeviceType;
  readonly base: number;
  readonly size: number;
  readonly irq: number;
  readonly disk?: string;
}

export interface AtaDeviceDescription {
  readonly name: string;
  readonly type: "ata";
  /** First command-block port (data register); the block is 8 ports. */
  readonly command: number;
  /** The control-block port (alternate status / device control). */
  readonly control: number;
  readonly irq: number;
  readonly disk?: string;
}

export interface UartDeviceDescription {
  readonly name: string;
  readonly type: "uart16550";
  /** First of the eight register ports (COM1: 0x3F8). */
  readonly base: number;
  readonly irq: number;
}

export type DeviceDescription =
  VirtioDeviceDescription | MmioDeviceDescription | AtaDeviceDescription | UartDeviceDescription;
/** Devices on the MMIO bus, whose windows must not overlap. */
type WindowDeviceDescription = VirtioDeviceDescription | MmioDeviceDescription;
/** Devices on the port bus, whose port ranges must not overlap. */
type PortDeviceDescription = AtaDeviceDescription | UartDeviceDescription;

export interface MachineDescription {
  readonly name: string;
  /** Where the description came from (a file path, or "bundled machine virt"), for messages. */
  readonly source: string;
  readonly dma: { readonly base: number; readonly size: number };
  readonly devices: readonly DeviceDescription[];
  /** Restart policies and limits per driver, applied by the kernel's supervisor. */
  readonly supervision?: SupervisionDescription;
  /** What one process may hold of the kernel's objects (the "limits" section, defaults filled in). */
  readonly limits?: ResourceLimits;
  /** Service name → the devices that front it (the "services" section; absent: by device type).
   *  Only a driver bound to one of them may serve the name; other names are first come, first served. */
  readonly services?: Readonly<Record<string, readonly string[]>>;
  /** The machine's durable key-value store behind SYS_STORAGE_* (docs/adapters.md). */
  readonly storage?: StorageDescription;
  /** What SYS_NETWORK_FETCH may reach (docs/adapters.md); absent: no host at all. */
  readonly network?: NetworkDescription;
}

/** The "storage" section. */
export interface StorageDescription {
  /** The store's directory; relative paths are taken from the current directory. Absent:
   *  .zds/storage/<machine name> there. */
  readonly path?: string;
  /** Virtual µs from a storage request to its result. */
  readonly latencyUs: number;
}

/** The "network" section, defaults filled in. */
export interface NetworkDescription {
  /** Hosts programs may fetch from: "host" (every port) or "host:port". Default: none. */
  readonly allow: readonly string[];
  /** Wall ms before a fetch ends with Timeout. */
  readonly timeoutMs: number;
  /** Largest response body fetched, in bytes. */
  readonly maxResponseBytes: number;
  /** Virtual µs from a fetch to its result. */
  readonly latencyUs: number;
}

export const DEFAULT_STORAGE: StorageDescription = { latencyUs: 100 };
export const DEFAULT_NETWORK: NetworkDescription = {
  allow: [],
  timeoutMs: 10_000,
  maxResponseBytes: 1024 * 1024,
  latencyUs: 1000,
};

/** Per-process bounds on the host memory a driver can make the kernel hold for it. */
export interface ResourceLimits {
  /** Endpoints it may own (its two conventional ones, services, IRQ notifications, CREATE_ENDPOINT). */
  readonly endpoints: number;
  /** Payload bytes other processes' messages may occupy in the queues of the endpoints it owns. */
  readonly queuedBytes: number;
  /** DMA bytes it may hold: its manifest's budget at STARTUP and its DMA_ALLOCs. */
  readonly dmaBytes: number;
  /** Capabilities its CSpace may hold, counting those on their way to it in messages queued on the
   *  endpoints it owns (SEND_CAP). */
  readonly capabilities: number;
}

/** Defaults of the "limits" section (docs/abi.md, "Limits"): 64 endpoints, 4 MiB queued (16 full
 *  queues of 4 096-byte messages), 16 MiB of DMA (a quarter of the virt machine's DMA window),
 *  1 024 capabilities (the shipped drivers hold under 20). */
export const DEFAULT_LIMITS: ResourceLimits = {
  endpoints: 64,
  queuedBytes: 4 * 1024 * 1024,
  dmaBytes: 16 * 1024 * 1024,
  capabilities: 1024,
};

const LIMIT_RANGES: Record<keyof ResourceLimits, [number, number]> = {
  // Below 4 a process could not hold its two conventional endpoints and one service.
  endpoints: [4, 65_536],
  queuedBytes: [4096, 1024 * 1024 * 1024],
  dmaBytes: [4096, 2 ** 32],
  // Below 16 a process could not hold its three conventional capabilities and a driver's grants.
  capabilities: [16, 1024 * 1024],
};

/** Service names a device type fronts when the description has no "services" section. */
const DEFAULT_SERVICES: Record<DeviceType, readonly string[]> = {
  "virtio-blk": ["blk"],
  "virtio-net": ["net"],
  "virtio-rng": ["rng"],
  "virtio-console": ["console"],
  "virtio-gpu": ["display"],
  ata: ["blk"],
  nvme: ["blk"],
  ahci: ["blk"],
  e1000: ["net"],
  uart16550: ["console"],
};

export class MachineDescriptionError extends Error {
  constructor(
    readonly source: string,
    readonly problems: readonly string[],
  ) {
    super(
      problems.length === 1
        ? `${source}: ${problems[0]}`
        : `${source}: ${problems.length} problems:\n${problems.map((p) => `  - ${p}`).join("\n")}`,
    );
    this.name = "MachineDescriptionError";
  }
}

const MAX_IRQ = 1023;
const TOP_FIELDS = new Set(["name", "dma", "devices", "supervision", "limits", "services", "storage", "network"]);
const HOST_ENTRY = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$/;
const DMA_FIELDS = new Set(["base", "size"]);
const VIRTIO_FIELDS = ["name", "type", "base", "size", "irq"];
const ATA_FIELDS = ["name", "type", "command", "control", "irq"];
const UART_FIELDS = ["name", "type", "base", "irq"];
const SERVICE_NAME = /^[\x21-\x7e]{1,255}$/;
const LAST_PORT = 0xffff;
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const HEX = /^0x[0-9a-f]+(?:_[0-9a-f]+)*$/i;
const DECIMAL = /^[0-9]+$/;

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Validate parsed JSON. Throws MachineDescriptionError listing every problem found. */
export function parseMachineDescription(json: unknown, source: string): MachineDescription {
  const problems: string[] = [];
  if (!isObject(json)) throw new MachineDescriptionError(source, ["the description must be a JSON object"]);
  unknownFields(json, TOP_FIELDS, "", problems);

  const name = json.name;
  if (typeof name !== "string" || name.trim() === "") problems.push(`field "name": must be a non-empty string`);

  const dma = parseDma(json.dma, problems);
  const devices = parseDevices(json.devices, problems);
  checkOverlaps(devices, dma, problems);
  checkPortOverlaps(devices, problems);
  checkIrqs(devices, problems);

  if (problems.length > 0 || typeof name !== "string" || dma === undefined)
    throw new MachineDescriptionError(source, problems);
  const supervision = parseSupervision(json.supervision, problems);
  const limits = parseLimits(json.limits, problems);
  const services = parseServices(json.services, devices, problems);
  const storage = parseStorage(json.storage, problems);
  const network = parseNetwork(json.network, problems);
  if (problems.length > 0) throw new MachineDescriptionError(source, problems);
  return {
    name,
    source,
    dma,
    devices,
    ...(supervision && { supervision }),
    limits,
    services,
    ...(storage && { storage }),
    ...(network && { network }),
  };
}

function parseStorage(value: unknown, problems: string[]): StorageDescription | undefined {
  if (value === undefined) return undefined;
  if (!isObject(value)) {
    problems.push(`field "storage": must be an object { "path": "dir", "latencyUs": … }`);
    return undefined;
  }
  unknownFields(value, new Set(["path", "latencyUs"]), `"storage": `, problems);
  const out: { path?: string; latencyUs: number } = { ...DEFAULT_STORAGE };
  if (value.path !== undefined) {
    if (typeof value.path !== "string" || value.path.trim() === "")
      problems.push(`field "storage.path": must be a directory path (a non-empty string)`);
    else out.path = value.path;
  }
  out.latencyUs = boundedNumber(
    value.latencyUs,
    "storage.latencyUs",
    1,
    1_000_000,
    DEFAULT_STORAGE.latencyUs,
    problems,
  );
  return out;
}

function parseNetwork(value: unknown, problems: string[]): NetworkDescription | undefined {
  if (value === undefined) return undefined;
  if (!isObject(value)) {
    problems.push(`field "network": must be an object { "allow": ["host", "host:port"], … }`);
    return undefined;
  }
  unknownFields(value, new Set(["allow", "timeoutMs", "maxResponseBytes", "latencyUs"]), `"network": `, problems);
  let allow: string[] = [];
  if (value.allow !== undefined) {
    if (!Array.isArray(value.allow) || !value.allow.every((h): h is string => typeof h === "string")) {
      problems.push(`field "network.allow": must be a list of host names, "host" or "host:port"`);
    } else {
      for (const h of value.allow)
        if (!HOST_ENTRY.test(h))
          problems.push(
            `field "network.allow": ${JSON.stringify(h)} is not "host" or "host:port" (no scheme, no path)`,
          );
      allow = value.allow;
    }
  }
  const d = DEFAULT_NETWORK;
  return {
    allow,
    timeoutMs: boundedNumber(value.timeoutMs, "network.timeoutMs", 1, 600_000, d.timeoutMs, problems),
    maxResponseBytes: boundedNumber(
      value.maxResponseBytes,
      "network.maxResponseBytes",
      0,
      1 << 30,
      d.maxResponseBytes,
      problems,
    ),
    latencyUs: boundedNumber(value.latencyUs, "network.latencyUs", 1, 60_000_000, d.latencyUs, problems),
  };
}

function boundedNumber(
  value: unknown,
  field: string,
  min: number,
  max: number,
  fallback: number,
  problems: string[],
): number {
  if (value === undefined) return fallback;
  const n = parseNumber(value, `field "${field}"`, problems);
  if (n === undefined) return fallback;
  if (n < min || n > max) {
    problems.push(`field "${field}": ${n} is outside ${min}..${max}`);
    return fallback;
  }
  return n;
}

function parseLimits(value: unknown, problems: string[]): ResourceLimits {
  if (value === undefined) return DEFAULT_LIMITS;
  if (!isObject(value)) {
    problems.push(
      `field "limits": must be an object { "endpoints": …, "queuedBytes": …, "dmaBytes": …, "capabilities": … }`,
    );
    return DEFAULT_LIMITS;
  }
  unknownFields(value, new Set(Object.keys(LIMIT_RANGES)), `"limits": `, problems);
  const out: Record<string, number> = { ...DEFAULT_LIMITS };
  for (const [key, [min, max]] of Object.entries(LIMIT_RANGES)) {
    if (value[key] === undefined) continue;
    const n = parseNumber(value[key], `field "limits.${key}"`, problems);
    if (n === undefined) continue;
    if (n < min || n > max) problems.push(`field "limits.${key}": ${n} is outside ${min}..${max}`);
    else out[key] = n;
  }
  return out as unknown as ResourceLimits;
}

function parseServices(
  value: unknown,
  devices: readonly DeviceDescription[],
  problems: string[],
): Record<string, readonly string[]> {
  const out: Record<string, string[]> = {};
  if (value === undefined) {
    for (const device of devices)
      for (const name of DEFAULT_SERVICES[device.type]) (out[name] ??= []).push(device.name);
    return out;
  }
  if (!isObject(value)) {
    problems.push(
      `field "services": must be an object { "rng": ["virtio-rng0"], … } (service name → the devices fronting it)`,
    );
    return out;
  }
  const known = new Set(devices.map((d) => d.name));
  for (const [name, list] of Object.entries(value)) {
    if (name.startsWith("$")) continue;
    if (!SERVICE_NAME.test(name)) problems.push(`field "services": ${JSON.stringify(name)} is not a service name`);
    if (!Array.isArray(list) || !list.every((d): d is string => typeof d === "string")) {
      problems.push(`field "services.${name}": must be a list of device names`);
      continue;
    }
    for (const device of list)
      if (!known.has(device)) problems.push(`field "services.${name}": no device named "${device}"`);
    out[name] = list;
  }
  return out;
}

function parseDma(value: unknown, problems: string[]): { base: number; size: number } | undefined {
  if (!isObject(value)) {
    problems.push(`field "dma": must be an object { "base": …, "size": … }`);
    return undefined;
  }
  unknownFields(value, DMA_FIELDS, `"dma": `, problems);
  const base = parseNumber(value.base, `field "dma.base"`, problems);
  const size = parseNumber(value.size, `field "dma.size"`, problems);
  if (base === undefined || size === undefined) return undefined;
  let ok = true;
  if (base % PAGE_SIZE !== 0)
    ok = fail(problems, `field "dma.base": ${hex(base)} is not a multiple of the page size ${hex(PAGE_SIZE)}`);
  if (size === 0 || size % PAGE_SIZE !== 0)
    ok = fail(problems, `field "dma.size": ${hex(size)} is not a positive multiple of the page size ${hex(PAGE_SIZE)}`);
  if (!Number.isSafeInteger(base + size)) ok = fail(problems, `field "dma.size": the window ends beyond 2^53`);
  return ok ? { base, size } : undefined;
}

function parseDevices(value: unknown, problems: string[]): DeviceDescription[] {
  if (!Array.isArray(value)) {
    problems.push(`field "devices": must be an array`);
    return [];
  }
  const devices: DeviceDescription[] = [];
  const seen = new Set<string>();
  value.forEach((entry: unknown, index) => {
    const device = parseDevice(entry, index, seen, problems);
    if (device !== undefined) devices.push(device);
  });
  return devices;
}

function parseDevice(
  entry: unknown,
  index: number,
  seen: Set<string>,
  problems: string[],
): DeviceDescription | undefined {
  if (!isObject(entry)) {
    problems.push(`devices[${index}]: must be an object`);
    return undefined;
  }
  const label = typeof entry.name === "string" && entry.name !== "" ? `device "${entry.name}"` : `devices[${index}]`;
  const before = problems.length;
  const { name, type } = entry;
  if (typeof name !== "string" || !NAME.test(name)) {
    problems.push(`${label}: field "name": must be a name of letters, digits, ".", "_" and "-"`);
  } else if (seen.has(name)) {
    problems.push(`${label}: field "name": another device already has this name`);
  } else {
    seen.add(name);
  }
  if (typeof type !== "string" || !isDeviceType(type)) {
    unknownFields(entry, new Set([...VIRTIO_FIELDS, ...ATA_FIELDS, "disk"]), `${label}: `, problems);
    problems.push(
      `${label}: field "type": unknown device type ${JSON.stringify(type)} (known: ${Object.keys(deviceCatalog).join(", ")})`,
    );
    return undefined;
  }
  const entryType: DeviceType = type;
  const spec = deviceCatalog[entryType];
  const fields = spec.kind === "ata" ? ATA_FIELDS : spec.kind === "uart16550" ? UART_FIELDS : VIRTIO_FIELDS;
  unknownFields(entry, new Set(spec.disk ? [...fields, "disk"] : fields), `${label}: `, problems);
  const irq = parseNumber(entry.irq, `${label}: field "irq"`, problems);
  if (irq !== undefined && irq > MAX_IRQ)
    problems.push(`${label}: field "irq": ${irq} is above the highest line ${MAX_IRQ}`);
  const disk = entry.disk;
  if (disk !== undefined && (typeof disk !== "string" || !NAME.test(disk)))
    problems.push(`${label}: field "disk": must be the name of a disk slot, e.g. "disk0"`);
  const diskSlot = typeof disk === "string" ? { disk } : {};

  if (entryType === "ata") {
    const command = parseNumber(entry.command, `${label}: field "command"`, problems);
    const control = parseNumber(entry.control, `${label}: field "control"`, problems);
    if (command !== undefined && command + ATA_COMMAND_PORTS - 1 > LAST_PORT)
      problems.push(
        `${label}: field "command": ports ${hex(command)}..${hex(command + ATA_COMMAND_PORTS - 1)} run past 0xFFFF`,
      );
    if (control !== undefined && control > LAST_PORT)
      problems.push(`${label}: field "control": port ${hex(control)} is above 0xFFFF`);
    if (command !== undefined && control !== undefined && control >= command && control < command + ATA_COMMAND_PORTS) {
      problems.push(
        `${label}: field "control": port ${hex(control)} lies inside the command block ${hex(command)}..${hex(command + ATA_COMMAND_PORTS - 1)}`,
      );
    }
    if (
      problems.length > before ||
      typeof name !== "string" ||
      command === undefined ||
      control === undefined ||
      irq === undefined
    )
      return undefined;
    return { name, type: entryType, command, control, irq, ...diskSlot };
  }

  if (entryType === "uart16550") {
    const base = parseNumber(entry.base, `${label}: field "base"`, problems);
    if (base !== undefined && base + UART_PORTS - 1 > LAST_PORT)
      problems.push(`${label}: field "base": ports ${hex(base)}..${hex(base + UART_PORTS - 1)} run past 0xFFFF`);
    if (problems.length > before || typeof name !== "string" || base === undefined || irq === undefined)
      return undefined;
    return { name, type: entryType, base, irq };
  }

  const base = parseNumber(entry.base, `${label}: field "base"`, problems);
  const size = parseNumber(entry.size, `${label}: field "size"`, problems);
  if (base !== undefined && base % 4 !== 0) problems.push(`${label}: field "base": ${hex(base)} is not 4-byte aligned`);
  const minWindow = "minWindow" in spec ? spec.minWindow : VIRTIO_MMIO_MIN_WINDOW;
  if (size !== undefined && size < minWindow)
    problems.push(
      `${label}: field "size": ${hex(size)} is smaller than the ${hex(minWindow)} bytes of ${spec.kind === "mmio" ? `${entryType} registers` : "virtio-mmio registers"}`,
    );
  if (base !== undefined && size !== undefined && !Number.isSafeInteger(base + size))
    problems.push(`${label}: field "size": the window ends beyond 2^53`);
  if (
    problems.length > before ||
    typeof name !== "string" ||
    base === undefined ||
    size === undefined ||
    irq === undefined
  )
    return undefined;
  return { name, type: entryType, base, size, irq, ...diskSlot };
}

function portRanges(device: PortDeviceDescription): { first: number; last: number }[] {
  if (device.type === "uart16550") return [{ first: device.base, last: device.base + UART_PORTS - 1 }];
  return [
    { first: device.command, last: device.command + ATA_COMMAND_PORTS - 1 },
    { first: device.control, last: device.control },
  ];
}

function checkPortOverlaps(devices: readonly DeviceDescription[], problems: string[]): void {
  const ata = devices.filter((d): d is PortDeviceDescription => d.type === "ata" || d.type === "uart16550");
  ata.forEach((a, i) => {
    for (const b of ata.slice(i + 1)) {
      for (const ra of portRanges(a)) {
        for (const rb of portRanges(b)) {
          if (ra.first <= rb.last && rb.first <= ra.last)
            problems.push(
              `device "${b.name}": its ports ${window(rb.first, rb.last - rb.first + 1)} overlap the ports of device "${a.name}" (${window(ra.first, ra.last - ra.first + 1)})`,
            );
        }
      }
    }
  });
}

function checkOverlaps(
  all: readonly DeviceDescription[],
  dma: { base: number; size: number } | undefined,
  problems: string[],
): void {
  const devices = all.filter((d): d is WindowDeviceDescription => d.type !== "ata" && d.type !== "uart16550");
  devices.forEach((a, i) => {
    for (const b of devices.slice(i + 1)) {
      if (a.base < b.base + b.size && b.base < a.base + a.size) {
        problems.push(
          `device "${b.name}": field "base": its window ${window(b.base, b.size)} overlaps the window of device "${a.name}" (${window(a.base, a.size)})`,
        );
      }
    }
    if (dma !== undefined && a.base < dma.base + dma.size && dma.base < a.base + a.size) {
      problems.push(
        `device "${a.name}": field "base": its window ${window(a.base, a.size)} overlaps the DMA window (${window(dma.base, dma.size)})`,
      );
    }
  });
}

function checkIrqs(devices: readonly DeviceDescription[], problems: string[]): void {
  const owner = new Map<number, string>();
  for (const device of devices) {
    const first = owner.get(device.irq);
    if (first !== undefined)
      problems.push(
        `device "${device.name}": field "irq": line ${device.irq} is already used by device "${first}" (interrupt lines are not shared)`,
      );
    else owner.set(device.irq, device.name);
  }
}

/** A JSON number or a "0x…" / decimal string, as a non-negative safe integer. */
function parseNumber(value: unknown, where: string, problems: string[]): number | undefined {
  if (value === undefined) {
    problems.push(`${where}: missing`);
    return undefined;
  }
  let parsed: number | undefined;
  if (typeof value === "number") parsed = value;
  else if (typeof value === "string" && HEX.test(value)) parsed = Number.parseInt(value.slice(2).replace(/_/g, ""), 16);
  else if (typeof value === "string" && DECIMAL.test(value)) parsed = Number(value);
  if (parsed === undefined || !Number.isSafeInteger(parsed) || parsed < 0) {
    problems.push(
      `${where}: ${JSON.stringify(value)} is not a number (use a non-negative integer, or a "0x…" hex string)`,
    );
    return undefined;
  }
  return parsed;
}

function unknownFields(object: Json, known: ReadonlySet<string>, prefix: string, problems: string[]): void {
  for (const key of Object.keys(object)) {
    // "$comment" and friends let a description document itself.
    if (!known.has(key) && !key.startsWith("$"))
      problems.push(`${prefix}unknown field "${key}" (expected ${[...known].join(", ")})`);
  }
}

function window(base: number, size: number): string {
  return `${hex(base)}..${hex(base + size - 1)}`;
}

function fail(problems: string[], message: string): false {
  problems.push(message);
  return false;
}
