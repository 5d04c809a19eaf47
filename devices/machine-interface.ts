// The one narrow interface through which the kernel reaches the emulated machine.
// devices/ imports nothing of ours; kernel/ imports only this file and devices/index.ts.

import type { FaultPoints } from "./faults";

/** A device as the kernel and the views see it. */
export interface DeviceInfo {
  /** Unique name within the machine, e.g. "virtio-rng0". */
  name: string;
  /** "virtio-mmio", "ata" or "uart16550". */
  kind: string;
  /** The machine description's device type ("e1000", "nvme"), for devices a driver binds with
   *  `device: { type }` (devices of kind "mmio", with a register map of their own). */
  type?: string;
  /** VIRTIO device id for virtio-mmio devices. */
  virtioId?: number;
  mmio?: { base: number; size: number };
  ports?: { first: number; last: number }[];
  irq?: number;
}

/** Something a device noticed that a driver author should see. */
export type DeviceEvent =
  /** A device tried to reach guest memory outside the IOMMU view of its bound driver. */
  | { kind: "dma-fault"; device: string; address: number; length: number; write: boolean; detail: string; at: number }
  /** The device entered DEVICE_NEEDS_RESET (or would have, before DRIVER_OK). */
  | { kind: "needs-reset"; device: string; reason: string; at: number }
  /** The driver broke a rule of the device's interface; the device carried on. */
  | { kind: "driver-error"; device: string; message: string; at: number }
  /** The host let the device down (a disk image read, write or fsync failed); the request failed. */
  | { kind: "host-error"; device: string; message: string; at: number };

export interface DmaRegion {
  /** Guest-physical address of the first byte. */
  phys: number;
  size: number;
  /** The memory itself; shared with the driver's worker. */
  buffer: SharedArrayBuffer;
}

/** A region in a device's IOMMU view with the directions the device may use: a buffer another
 *  process shared with the device's driver through a Dma capability, read and write as its rights. */
export interface IommuMapping {
  readonly region: DmaRegion;
  /** The device may read it (data to write to a disk). */
  readonly read: boolean;
  /** The device may write it (data read from a disk). */
  readonly write: boolean;
}

export interface MachineClock {
  /** Virtual time in nanoseconds since machine start. */
  now(): number;
  /** Move time forward by `ns`, running every event due on the way, in order. */
  advance(ns: number): void;
  /** When the next scheduled event is due, or undefined if none. */
  nextEventAt(): number | undefined;
  /** Run `callback` after `delay` ns of virtual time (the kernel's timers: restarts, back-off).
   *  `soft`: a process's wait timeout, which does not keep the machine from waiting for input;
   *  `live`: false once the event no longer matters (the wait ended), and it is dropped. */
  schedule(when: { delay: number; soft?: boolean; live?: () => boolean }, callback: () => void): { cancel(): boolean };
  /** Pending events that are not soft; absent on clocks without soft events. */
  hardEventsPending?(): number;
}

/** A fault a device suffers at once (docs/faults.md). */
export type InstantDeviceFault =
  /** A virtio device sets DEVICE_NEEDS_RESET (and raises its config-change interrupt). */
  | { readonly kind: "needs-reset" }
  /** A network device's link goes down or comes back up (config status, config-change interrupt). */
  | { readonly kind: "link"; readonly up: boolean }
  /** A UART's receiver sees a framing error or an overrun. */
  | { readonly kind: "line-error"; readonly error: "framing" | "overrun" };

/** Where faults are injected into the machine's devices (kernel/faults/ arms them). */
export interface MachineFaults {
  /** Rules devices consult before a disk request or a frame (devices/faults.ts). */
  readonly points: FaultPoints;
  /** Make a device suffer `fault` now. Throws a TypeError naming the device when it cannot. */
  inject(device: string, fault: InstantDeviceFault): void;
}

/** What the kernel records of a display frame (the pixels stay with the device). */
export interface DisplayFrameInfo {
  readonly index: number;
  readonly width: number;
  readonly height: number;
  /** Hex SHA-256 of the size and the RGBA pixels. */
  readonly hash: string;
}

export interface MachineHandle {
  /** Fault injection into the devices; absent on machines that have none. */
  readonly faults?: MachineFaults;
  readonly devices: readonly DeviceInfo[];
  readonly clock: MachineClock;
  /** MMIO access at a guest-physical address. 8-byte accesses are two 4-byte ones, low half first.
   *  Values: number for widths 1/2/4 (unsigned), bigint for 8. An address no device decodes reads
   *  as all ones and ignores writes. */
  mmioRead(addr: number, width: 1 | 2 | 4 | 8): number | bigint;
  mmioWrite(addr: number, width: 1 | 2 | 4 | 8, value: number | bigint): void;
  portRead(port: number, width: 1 | 2 | 4): number;
  portWrite(port: number, width: 1 | 2 | 4, value: number): void;
  /** Allocate zeroed DMA memory (whole pages) in guest-physical address space. */
  allocateDma(size: number): DmaRegion;
  freeDma(phys: number): void;
  /** The DMA regions a device may reach: its bound driver's own (both ways), and buffers shared
   *  with that driver (as each mapping allows). Replaces the previous view. */
  setIommuView(device: string, regions: readonly DmaRegion[], shared?: readonly IommuMapping[]): void;
  /** Reset a device to its power-on state (its driver died or was restarted). */
  resetDevice(device: string): void;
  /** Current level of an interrupt line. */
  irqLevel(line: number): boolean;
  /** Called whenever an interrupt line changes level. */
  onIrqChange(listener: (line: number, level: boolean) => void): void;
  onDeviceEvent(listener: (event: DeviceEvent) => void): void;
  /** Hear every frame a display device shows (its index and pixel hash), in virtual time order;
   *  absent on machines without a display. */
  onDisplayFrame?(listener: (device: string, frame: DisplayFrameInfo) => void): void;
  /** Outside input (the user's keystrokes) for a console device (the UART, virtio-console). */
  consoleInput(device: string, bytes: Uint8Array): void;
}
