// The machine: guest memory, buses, interrupt lines, the virtual clock and the devices of one
// machine description, behind the MachineHandle the kernel uses. Everything here is wiring; each
// part does its own job in its own module.

import { AtaDevice } from "./ata/ata";
import type { BusDevice } from "./bus-access";
import { VirtualClock } from "./clock";
import { ATA_COMMAND_PORTS, DEFAULT_DISK_SLOT, deviceCatalog, UART_PORTS } from "./device-catalog";
import type { ConsoleInputDevice, ResettableDevice } from "./device-interfaces";
import type { BlockStore } from "./disk/block-store";
import { E1000 } from "./e1000/e1000";
import { DEFAULT_BLANK_BYTES, openDisk, type DiskSpec } from "./disk/open-disk";
import { hex } from "./format";
import { IommuView } from "./iommu";
import { InterruptLines } from "./irq";
import type {
  AtaDeviceDescription,
  DeviceDescription,
  MachineDescription,
  MmioDeviceDescription,
  UartDeviceDescription,
  VirtioDeviceDescription,
} from "./machine-description";
import type {
  DeviceEvent,
  DeviceInfo,
  DmaRegion,
  InstantDeviceFault,
  IommuMapping,
  MachineFaults,
  MachineHandle,
} from "./machine-interface";
import { FaultPoints } from "./faults";
import { GuestMemory } from "./memory";
import { MmioBus } from "./mmio-bus";
import { NvmeController } from "./nvme/nvme";
import { AhciHba } from "./ahci/ahci";
import { PortBus } from "./port-bus";
import { Uart16550 } from "./uart16550";
import type { VirtioBackend } from "./virtio/backend";
import { VirtioBlk } from "./virtio/blk";
import { VirtioConsole } from "./virtio/console";
import { VirtioMmioTransport, type VirtioTransportSnapshot } from "./virtio/mmio-transport";
import { VirtioNet } from "./virtio/net";
import { SimulatedNetwork, type FrameDirection } from "./net/network";
import { deviceSeed } from "./prng";
import { VirtioRng } from "./virtio/rng";
import { VirtioGpu, type DisplayFrame } from "./virtio/gpu";

export interface MachineOptions {
  /** Seeds every device that must look random; same seed, same machine behaviour. */
  readonly seed: number | bigint;
  /** The disk in slot "disk0", which every disk controller uses unless its description names
   *  another slot. Absent: a blank 8 MiB disk in memory. */
  readonly disk?: DiskSpec;
  /** Disks by slot name, for machines whose controllers name other slots. */
  readonly disks?: Readonly<Record<string, DiskSpec>>;
}

/** Hears every frame on a network device's wire: "out" from the device, "in" toward it. */
export type NetworkFrameListener = (device: string, frame: Uint8Array, direction: FrameDirection, atNs: number) => void;

/** Hears what a console device (the UART, virtio-console) sends to the machine console. */
export type ConsoleOutputListener = (device: string, bytes: Uint8Array) => void;

interface MachineDevice {
  readonly info: DeviceInfo;
  /** What tests and views look inside: the virtio backend, or the ATA device. */
  readonly model: object;
  /** What resetDevice resets: the transport of a virtio-mmio device (which resets its backend),
   *  else the model. */
  readonly resettable: ResettableDevice;
  /** Present for console devices: where consoleInput puts keystrokes. */
  readonly console?: ConsoleInputDevice;
  /** Present for virtio-mmio devices. */
  readonly transport?: VirtioMmioTransport;
  /** Present for a device that reaches guest memory on its own (not through a virtio transport):
   *  where its IOMMU view goes. */
  readonly dma?: { setIommuView(view: IommuView): void };
  /** Present for network devices: the simulated wire and the peer host behind it. */
  readonly network?: SimulatedNetwork;
  /** The mappings of the current IOMMU view, kept so that freeDma can take a region away. */
  regions: readonly IommuMapping[];
}

export class Machine implements MachineHandle {
  readonly devices: readonly DeviceInfo[];
  readonly clock = new VirtualClock();
  readonly memory: GuestMemory;
  readonly mmio = new MmioBus();
  readonly ports = new PortBus();
  readonly irqs = new InterruptLines();
  /** Fault injection (docs/faults.md): rules the devices consult, and faults they suffer at once. */
  readonly faults: MachineFaults = {
    points: new FaultPoints(),
    inject: (device, fault) => this.injectFault(device, fault),
  };
  private readonly byName = new Map<string, MachineDevice>();
  private readonly eventListeners: ((event: DeviceEvent) => void)[] = [];
  private readonly consoleListeners: ConsoleOutputListener[] = [];
  private readonly frameListeners: NetworkFrameListener[] = [];
  private readonly displayListeners: ((device: string, frame: DisplayFrame) => void)[] = [];
  /** Open disks by slot; two controllers naming one slot share one disk (and one overlay). */
  private readonly disks = new Map<string, BlockStore>();

  /** Throws DiskImageError when a disk image cannot be used (nothing stays open then). */
  constructor(
    readonly description: MachineDescription,
    options: MachineOptions,
  ) {
    const seed = toSeed(options.seed);
    this.memory = new GuestMemory(description.dma);
    try {
      for (const device of description.devices) {
        if (device.type === "ata") this.addAta(device, options);
        else if (device.type === "uart16550") this.addUart(device);
        else if (isMmioDevice(device)) {
          if (device.type === "nvme") this.addNvme(device, options);
          else if (device.type === "ahci") this.addAhci(device, options);
          else this.addE1000(device, seed);
        } else this.addVirtio(device, seed, options);
      }
    } catch (error) {
      this.close();
      throw error;
    }
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
      if (device.regions.some((m) => m.region === freed))
        this.applyView(
          device,
          device.regions.filter((m) => m.region !== freed),
        );
    }
  }

  setIommuView(device: string, regions: readonly DmaRegion[], shared: readonly IommuMapping[] = []): void {
    const target = this.device(device);
    const mappings = [...regions.map((region): IommuMapping => ({ region, read: true, write: true })), ...shared];
    const resolved = mappings.map((m): IommuMapping => {
      const live = this.memory.regionAt(m.region.phys);
      if (live === undefined || !this.memory.owns(m.region)) {
        throw new RangeError(
          `setIommuView(${device}): ${hex(m.region.phys)}+${hex(m.region.size)} is not a live DMA allocation of this machine`,
        );
      }
      return { region: live, read: m.read, write: m.write };
    });
    this.applyView(target, resolved);
  }

  resetDevice(device: string): void {
    // The IOMMU view belongs to the binding, not to the device's state: the kernel replaces it.
    this.device(device).resettable.reset();
  }

  /** The disk in a slot (for tests and views). */
  disk(slot = DEFAULT_DISK_SLOT): BlockStore {
    const found = this.disks.get(slot);
    if (found === undefined)
      throw new RangeError(`no disk in slot "${slot}" (slots: ${[...this.disks.keys()].join(", ") || "none"})`);
    return found;
  }

  /** Close every disk image. Call once the session is over; the machine is unusable afterwards. */
  close(): void {
    for (const disk of this.disks.values()) disk.close();
    this.disks.clear();
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

  /** Hear what console devices transmit (the machine console output). Listeners run in virtual
   *  time order, as each character leaves the device. */
  onConsoleOutput(listener: ConsoleOutputListener): void {
    this.consoleListeners.push(listener);
  }

  /** Hear every frame on every network device's wire, in virtual time order (for pcap capture). */
  onNetworkFrame(listener: NetworkFrameListener): void {
    this.frameListeners.push(listener);
  }

  /** Hear every frame a display device shows, in virtual time order (the SysLog, the Display view,
   *  zds run --screenshot). */
  onDisplayFrame(listener: (device: string, frame: DisplayFrame) => void): void {
    this.displayListeners.push(listener);
  }

  /** The simulated network behind a network device (its peer host, its wire). */
  network(device: string): SimulatedNetwork {
    const found = this.device(device).network;
    if (found === undefined) throw new TypeError(`device ${device} is not a network device`);
    return found;
  }

  /** Outside input (the user's keystrokes) for a console device. Throws if the device takes none. */
  consoleInput(device: string, bytes: Uint8Array): void {
    const target = this.device(device).console;
    if (target === undefined) throw new TypeError(`device ${device} is not a console device`);
    target.input(bytes);
  }

  /** The model of a device, typed: e.g. `machine.backend("virtio-rng0", VirtioRng)`,
   *  `machine.backend("ata0", AtaDevice)`. */
  backend<T extends object>(device: string, type: abstract new (...args: never[]) => T): T {
    const model = this.device(device).model;
    if (!(model instanceof type)) throw new TypeError(`device ${device} is not a ${type.name}`);
    return model;
  }

  /** Registers and queue state of a virtio device, for the debugger's views. */
  inspect(device: string): VirtioTransportSnapshot {
    const transport = this.device(device).transport;
    if (transport === undefined) throw new TypeError(`device ${device} is not a virtio-mmio device`);
    return transport.snapshot();
  }

  private injectFault(name: string, fault: InstantDeviceFault): void {
    const device = this.device(name);
    switch (fault.kind) {
      case "needs-reset":
        if (device.transport === undefined)
          throw new TypeError(`device ${name} is not a virtio device: it has no DEVICE_NEEDS_RESET`);
        return device.transport.injectNeedsReset("injected fault (needs-reset)");
      case "link":
        if (!(device.model instanceof VirtioNet || device.model instanceof E1000))
          throw new TypeError(`device ${name} is not a network device: it has no link`);
        return device.model.setLink(fault.up);
      case "line-error":
        if (!(device.model instanceof Uart16550))
          throw new TypeError(`device ${name} is not a UART: it has no line errors`);
        return device.model.lineError(fault.error);
    }
  }

  private device(name: string): MachineDevice {
    const found = this.byName.get(name);
    if (found === undefined)
      throw new RangeError(
        `no device named "${name}" in machine ${this.description.name} (devices: ${[...this.byName.keys()].join(", ") || "none"})`,
      );
    return found;
  }

  private applyView(device: MachineDevice, regions: readonly IommuMapping[]): void {
    device.regions = regions;
    // A PIO device (ATA) reaches no guest memory, so it has no view to set.
    (device.transport ?? device.dma)?.setIommuView(regions.length === 0 ? IommuView.empty : new IommuView(regions));
  }

  private consoleOutput(device: string, bytes: Uint8Array): void {
    for (const listener of [...this.consoleListeners]) listener(device, bytes);
  }

  private emit(event: DeviceEvent): void {
    for (const listener of [...this.eventListeners]) listener(event);
  }

  private diskFor(slot: string | undefined, options: MachineOptions): BlockStore {
    const name = slot ?? DEFAULT_DISK_SLOT;
    const open = this.disks.get(name);
    if (open !== undefined) return open;
    const spec = options.disks?.[name] ??
      (name === DEFAULT_DISK_SLOT ? options.disk : undefined) ?? { blankBytes: DEFAULT_BLANK_BYTES };
    const disk = openDisk(spec);
    this.disks.set(name, disk);
    return disk;
  }

  private addVirtio(description: VirtioDeviceDescription, seed: bigint, options: MachineOptions): void {
    const { backend, network, console: input } = this.createBackend(description, seed, options);
    const transport = new VirtioMmioTransport({
      name: description.name,
      backend,
      irq: this.irqs.line(description.irq),
      clock: this.clock,
      emit: (event) => this.emit(event),
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
    this.byName.set(description.name, {
      info,
      model: backend,
      resettable: transport,
      transport,
      regions: [],
      ...(network && { network }),
      ...(input && { console: input }),
    });
  }

  private createNetwork(device: string, seed: bigint): SimulatedNetwork {
    const network = new SimulatedNetwork({
      clock: this.clock,
      seed: deviceSeed(seed, `${device}/wire`),
      faults: (direction, frame) => this.faults.points.frame(device, direction, frame),
    });
    network.onFrame((frame, direction, at) => {
      for (const listener of [...this.frameListeners]) listener(device, frame, direction, at);
    });
    return network;
  }

  /** A virtio-net device on its wire. */
  private createNic(device: string, seed: bigint, network: SimulatedNetwork): VirtioNet {
    const mac = stationMac(device, seed);
    const nic = new VirtioNet({ deviceName: device, mac, wire: network, nsPerByte: network.timing.nsPerByte });
    network.connect((frame) => nic.receive(frame));
    return nic;
  }

  /** The device type's backend; a network card comes with the network behind its wire, a console
   *  with where its input goes. */
  private createBackend(
    description: VirtioDeviceDescription,
    seed: bigint,
    options: MachineOptions,
  ): { backend: VirtioBackend; network?: SimulatedNetwork; console?: ConsoleInputDevice } {
    switch (description.type) {
      case "virtio-net": {
        const network = this.createNetwork(description.name, seed);
        return { backend: this.createNic(description.name, seed, network), network };
      }
      case "virtio-rng":
        return { backend: new VirtioRng({ machineSeed: seed, deviceName: description.name }) };
      case "virtio-gpu": {
        const gpu = new VirtioGpu({ deviceName: description.name });
        gpu.onFrame((frame) => {
          for (const listener of [...this.displayListeners]) listener(description.name, frame);
        });
        return { backend: gpu };
      }
      case "virtio-blk":
        return {
          backend: new VirtioBlk({
            deviceName: description.name,
            disk: this.diskFor(description.disk, options),
            faults: this.faults.points,
          }),
        };
      case "virtio-console": {
        const backend = new VirtioConsole({
          deviceName: description.name,
          output: (bytes) => this.consoleOutput(description.name, bytes),
        });
        return { backend, console: backend };
      }
    }
  }

  private addUart(description: UartDeviceDescription): void {
    const uart = new Uart16550({
      name: description.name,
      irq: this.irqs.line(description.irq),
      clock: this.clock,
      emit: (event) => this.emit(event),
      output: (bytes) => this.consoleOutput(description.name, bytes),
    });
    const last = description.base + UART_PORTS - 1;
    this.ports.map(description.name, description.base, last, uart.registers);
    const info: DeviceInfo = {
      name: description.name,
      kind: deviceCatalog.uart16550.kind,
      ports: [{ first: description.base, last }],
      irq: description.irq,
    };
    this.byName.set(description.name, { info, model: uart, resettable: uart, console: uart, regions: [] });
  }

  private addNvme(description: MmioDeviceDescription, options: MachineOptions): void {
    const nvme = new NvmeController({
      name: description.name,
      disk: this.diskFor(description.disk, options),
      irq: this.irqs.line(description.irq),
      clock: this.clock,
      emit: (event) => this.emit(event),
    });
    this.mmio.map(description.name, description.base, description.size, nvme);
    const info: DeviceInfo = {
      name: description.name,
      kind: deviceCatalog.nvme.kind,
      type: description.type,
      mmio: { base: description.base, size: description.size },
      irq: description.irq,
    };
    this.byName.set(description.name, { info, model: nvme, resettable: nvme, dma: nvme, regions: [] });
  }

  /** An AHCI HBA with one SATA port, its disk in the description's slot (devices/ahci/). */
  private addAhci(description: MmioDeviceDescription, options: MachineOptions): void {
    const hba = new AhciHba({
      name: description.name,
      disk: this.diskFor(description.disk, options),
      irq: this.irqs.line(description.irq),
      clock: this.clock,
      emit: (event) => this.emit(event),
      faults: this.faults.points,
    });
    this.mmio.map(description.name, description.base, description.size, hba);
    const info: DeviceInfo = {
      name: description.name,
      kind: deviceCatalog.ahci.kind,
      type: description.type,
      mmio: { base: description.base, size: description.size },
      irq: description.irq,
    };
    this.byName.set(description.name, { info, model: hba, resettable: hba, dma: hba, regions: [] });
  }

  /** An e1000 on its own MMIO window and wire: a network card like virtio-net, with its own registers. */
  private addE1000(description: MmioDeviceDescription, seed: bigint): void {
    const network = this.createNetwork(description.name, seed);
    const nic = new E1000({
      deviceName: description.name,
      mac: stationMac(description.name, seed),
      wire: network,
      irq: this.irqs.line(description.irq),
      clock: this.clock,
      emit: (event) => this.emit(event),
      nsPerByte: network.timing.nsPerByte,
    });
    network.connect((frame) => nic.receive(frame));
    this.mmio.map(description.name, description.base, description.size, nic);
    const info: DeviceInfo = {
      name: description.name,
      kind: deviceCatalog.e1000.kind,
      type: description.type,
      mmio: { base: description.base, size: description.size },
      irq: description.irq,
    };
    this.byName.set(description.name, { info, model: nic, resettable: nic, dma: nic, network, regions: [] });
  }

  private addAta(description: AtaDeviceDescription, options: MachineOptions): void {
    const ata = new AtaDevice({
      name: description.name,
      disk: this.diskFor(description.disk, options),
      irq: this.irqs.line(description.irq),
      clock: this.clock,
      emit: (event) => this.emit(event),
      faults: this.faults.points,
    });
    const last = description.command + ATA_COMMAND_PORTS - 1;
    this.ports.map(description.name, description.command, last, ata.commandBlock);
    this.ports.map(`${description.name} control`, description.control, description.control, ata.controlBlock);
    const info: DeviceInfo = {
      name: description.name,
      kind: deviceCatalog.ata.kind,
      ports: [
        { first: description.command, last },
        { first: description.control, last: description.control },
      ],
      irq: description.irq,
    };
    this.byName.set(description.name, { info, model: ata, resettable: ata, regions: [] });
  }
}

/** A device with a register map of its own on an MMIO window (catalog kind "mmio"). */
function isMmioDevice(device: DeviceDescription): device is MmioDeviceDescription {
  return deviceCatalog[device.type].kind === "mmio";
}

/** A network card's MAC: locally administered (52:54:00, as QEMU's) and derived from the seed, so it
 *  is the same in every run with that seed. */
function stationMac(device: string, seed: bigint): Uint8Array {
  const low = deviceSeed(seed, `${device}/mac`);
  return Uint8Array.of(
    0x52,
    0x54,
    0x00,
    Number((low >> 16n) & 0xffn),
    Number((low >> 8n) & 0xffn),
    Number(low & 0xffn),
  );
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
