// The machine: guest memory, buses, interrupt lines, the virtual clock and the devices of one
// machine description, behind the MachineHandle the kernel uses. Everything here is wiring; each
// part does its own job in its own module.

import type { BusDevice } from "./bus-access";
import { VirtualClock } from "./clock";
import { deviceCatalog, type DeviceType } from "./device-catalog";
import { hex } from "./format";
import { IommuView } from "./iommu";
import { InterruptLines } from "./irq";
import type { DeviceDescription, MachineDescription } from "./machine-description";
import type { DeviceEvent, DeviceInfo, DmaRegion, MachineHandle } from "./machine-interface";
import { GuestMemory } from "./memory";
import { MmioBus } from "./mmio-bus";
import { PortBus } from "./port-bus";
import type { VirtioBackend } from "./virtio/backend";
import { VirtioMmioTransport, type VirtioTransportSnapshot } from "./virtio/mmio-transport";
import { VirtioRng } from "./virtio/rng";

export interface MachineOptions {
  /** Seeds every device that must look random; same seed, same machine behaviour. */
  readonly seed: number | bigint;
}

interface MachineDevice {
  readonly info: DeviceInfo;
  readonly transport: VirtioMmioTransport;
  readonly backend: VirtioBackend;
  /** The regions of the current IOMMU view, kept so that freeDma can take a region away. */
  regions: readonly DmaRegion[];
}

export class Machine implements MachineHandle {
  readonly devices: readonly DeviceInfo[];
  readonly clock = new VirtualClock();
  readonly memory: GuestMemory;
  readonly mmio = new MmioBus();
  readonly ports = new PortBus();
  readonly irqs = new InterruptLines();
  private readonly byName = new Map<string, MachineDevice>();
  private readonly eventListeners: ((event: DeviceEvent) => void)[] = [];

  constructor(
    readonly description: MachineDescription,
    options: MachineOptions,
  ) {
    const seed = toSeed(options.seed);
    this.memory = new GuestMemory(description.dma);
    for (const device of description.devices) this.addDevice(device, seed);
    this.devices = [...this.byName.values()].map((d) => d.info);
  }

  mmioRead(addr: number, width: 1 | 2 | 4 | 8): number | bigint {
    return this.mmio.read(addr, width);
  }

  mmioWrite(addr: number, width: 1 | 2 | 4 | 8, value: number | bigint): void {
    this.mmio.write(addr, width, value);
  }

  portRead(port: number, width: 1 | 2 | 4): number {
    return this.ports.read(port, width);
  }

  portWrite(port: number, width: 1 | 2 | 4, value: number): void {
    this.ports.write(port, width, value);
  }

  allocateDma(size: number): DmaRegion {
    return this.memory.allocateDma(size);
  }

  freeDma(phys: number): void {
    const freed = this.memory.freeDma(phys);
    // Memory that no longer exists must not stay reachable through any device's view.
    for (const device of this.byName.values()) {
      if (device.regions.includes(freed)) this.applyView(device, device.regions.filter((r) => r !== freed));
    }
  }

  setIommuView(device: string, regions: readonly DmaRegion[]): void {
    const target = this.device(device);
    const resolved = regions.map((region) => {
      const live = this.memory.regionAt(region.phys);
      if (live === undefined || !this.memory.owns(region)) {
        throw new RangeError(`setIommuView(${device}): ${hex(region.phys)}+${hex(region.size)} is not a live DMA allocation of this machine`);
      }
      return live;
    });
    this.applyView(target, resolved);
  }

  resetDevice(device: string): void {
    // The IOMMU view belongs to the binding, not to the device's state: the kernel replaces it.
    this.device(device).transport.reset();
  }

  irqLevel(line: number): boolean {
    return this.irqs.level(line);
  }

  onIrqChange(listener: (line: number, level: boolean) => void): void {
    this.irqs.onChange(listener);
  }

  onDeviceEvent(listener: (event: DeviceEvent) => void): void {
    this.eventListeners.push(listener);
  }

  /** The backend of a device, typed: e.g. `machine.backend("virtio-rng0", VirtioRng)`. */
  backend<T extends VirtioBackend>(device: string, type: abstract new (...args: never[]) => T): T {
    const backend = this.device(device).backend;
    if (!(backend instanceof type)) throw new TypeError(`device ${device} is not a ${type.name}`);
    return backend;
  }

  /** Registers and queue state of a virtio device, for the debugger's views. */
  inspect(device: string): VirtioTransportSnapshot {
    return this.device(device).transport.snapshot();
  }

  private device(name: string): MachineDevice {
    const found = this.byName.get(name);
    if (found === undefined) throw new RangeError(`no device named "${name}" in machine ${this.description.name} (devices: ${[...this.byName.keys()].join(", ") || "none"})`);
    return found;
  }

  private applyView(device: MachineDevice, regions: readonly DmaRegion[]): void {
    device.regions = regions;
    device.transport.setIommuView(regions.length === 0 ? IommuView.empty : new IommuView(regions));
  }

  private addDevice(description: DeviceDescription, seed: bigint): void {
    const backend = createBackend(description.type, description.name, seed);
    const transport = new VirtioMmioTransport({
      name: description.name,
      backend,
      irq: this.irqs.line(description.irq),
      clock: this.clock,
      emit: (event) => {
        for (const listener of [...this.eventListeners]) listener(event);
      },
    });
    const bus: BusDevice = transport;
    this.mmio.map(description.name, description.base, description.size, bus);
    const info: DeviceInfo = {
      name: description.name,
      kind: deviceCatalog[description.type].kind,
      virtioId: backend.deviceId,
      mmio: { base: description.base, size: description.size },
      irq: description.irq,
    };
    this.byName.set(description.name, { info, transport, backend, regions: [] });
  }
}

function createBackend(type: DeviceType, name: string, seed: bigint): VirtioBackend {
  switch (type) {
    case "virtio-rng":
      return new VirtioRng({ machineSeed: seed, deviceName: name });
  }
}

function toSeed(seed: number | bigint): bigint {
  if (typeof seed === "bigint") return BigInt.asUintN(64, seed);
  if (!Number.isSafeInteger(seed)) throw new RangeError(`machine seed ${seed} is not an integer`);
  return BigInt.asUintN(64, BigInt(seed));
}

/** Build the machine a description describes. */
export function createMachine(description: MachineDescription, options: MachineOptions): Machine {
  return new Machine(description, options);
}
