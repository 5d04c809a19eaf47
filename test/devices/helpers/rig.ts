// Test rigs: a machine with one virtio-rng, a driver's DMA page with a ring in it, and the device
// events collected; or a bare transport around a scriptable backend for register-level tests.

import {
  createMachine,
  IommuView,
  InterruptLines,
  MmioBus,
  parseMachineDescription,
  VirtioMmioTransport,
  VirtualClock,
  VirtioRng,
  type ConfigSpace,
  type DeviceEvent,
  type DmaRegion,
  type Machine,
  type VirtioBackend,
  type VirtioDeviceContext,
} from "../../../devices";
import { DriverRing } from "./driver-ring";
import { MiniDriver } from "./mini-driver";

export const RNG_BASE = 0x1000_3000;
export const RNG_IRQ = 3;

export function virtDescription(): ReturnType<typeof parseMachineDescription> {
  return parseMachineDescription(
    {
      name: "test",
      dma: { base: "0x40000000", size: "0x100000" },
      devices: [{ name: "virtio-rng0", type: "virtio-rng", base: RNG_BASE, size: "0x1000", irq: RNG_IRQ }],
    },
    "test machine",
  );
}

export interface RngRig {
  machine: Machine;
  driver: MiniDriver;
  region: DmaRegion;
  ring: DriverRing;
  events: DeviceEvent[];
  rng: VirtioRng;
}

/** A machine with the rng's driver DMA page mapped in its IOMMU view and a ring of `size` in it. */
export function rngRig(options: { seed?: number; size?: number; pages?: number } = {}): RngRig {
  const machine = createMachine(virtDescription(), { seed: options.seed ?? 1 });
  const events: DeviceEvent[] = [];
  machine.onDeviceEvent((e) => events.push(e));
  const region = machine.allocateDma((options.pages ?? 4) * 4096);
  machine.setIommuView("virtio-rng0", [region]);
  const ring = new DriverRing(region, options.size ?? 8);
  return {
    machine,
    driver: new MiniDriver(machine, RNG_BASE),
    region,
    ring,
    events,
    rng: machine.backend("virtio-rng0", VirtioRng),
  };
}

export const kinds = (events: readonly DeviceEvent[]): string[] => events.map((e) => e.kind);

/** A backend whose behaviour tests script: records kicks, has a small config space. */
export class TestBackend implements VirtioBackend {
  readonly deviceId = 42;
  readonly features = (1n << 32n) | (1n << 28n) | (1n << 29n);
  readonly queues = [
    { name: "q0", maxSize: 256 },
    { name: "q1", maxSize: 16 },
  ];
  readonly kicks: number[] = [];
  resets = 0;
  context!: VirtioDeviceContext;
  writable = 0x11;
  readonly config: ConfigSpace = {
    size: 8,
    // le32 read-only at 0, u8 writable at 4, three reserved bytes.
    read: (offset, width) => {
      if (offset + width > 8) return undefined;
      const bytes = [0xbe, 0xba, 0xfe, 0xca, this.writable, 0, 0, 0];
      let value = 0;
      for (let i = width - 1; i >= 0; i--) value = value * 256 + bytes[offset + i];
      return value;
    },
    write: (offset, width, value) => {
      if (offset + width > 8) return "out-of-range";
      if (offset === 4 && width === 1) {
        this.writable = value;
        return "ok";
      }
      return "read-only";
    },
  };
  attach(context: VirtioDeviceContext): void {
    this.context = context;
  }
  queueNotify(queue: number): void {
    this.kicks.push(queue);
  }
  reset(): void {
    this.resets++;
  }
}

export interface TransportRig {
  transport: VirtioMmioTransport;
  backend: TestBackend;
  driver: MiniDriver;
  events: DeviceEvent[];
  lines: InterruptLines;
  clock: VirtualClock;
  errors(): string[];
}

/** A bare transport mapped at address 0 of its own bus, IRQ line 5. */
export function transportRig(): TransportRig {
  const clock = new VirtualClock();
  const lines = new InterruptLines();
  const events: DeviceEvent[] = [];
  const backend = new TestBackend();
  const transport = new VirtioMmioTransport({
    name: "dev",
    backend,
    irq: lines.line(5),
    clock,
    emit: (e) => events.push(e),
  });
  transport.setIommuView(IommuView.empty);
  const bus = new MmioBus();
  bus.map("dev", 0, 0x1000, transport);
  const driver = new MiniDriver({ mmioRead: (a, w) => bus.read(a, w), mmioWrite: (a, w, v) => bus.write(a, w, v) }, 0);
  const errors = (): string[] => events.flatMap((e) => (e.kind === "driver-error" ? [e.message] : []));
  return { transport, backend, driver, events, lines, clock, errors };
}
