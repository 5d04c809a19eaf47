// The line between the virtio-mmio transport (registers, status, negotiation, interrupts, queue
// bring-up: the same for every device type) and a device type (what a request means). A backend
// sees its queues only once the driver made them live and reports trouble through the context,
// which applies the emulator's policy for broken drivers.

import type { Scheduler } from "../clock";
import type { ResettableDevice } from "../device-interfaces";
import type { IommuView } from "../iommu";
import type { SplitQueue } from "./split-queue";
import type { QueueError } from "./queue-error";

export interface VirtioQueueSpec {
  readonly name: string;
  /** QueueSizeMax; a power of two so that the default QueueSize (= max) is valid. */
  readonly maxSize: number;
}

export type ConfigWriteResult = "ok" | "read-only" | "out-of-range";

/** The device-specific configuration structure at 0x100+ (offsets here are relative to 0x100). */
export interface ConfigSpace {
  readonly size: number;
  /** The field value at a naturally aligned offset, or undefined past the structure. */
  read(offset: number, width: 1 | 2 | 4): number | undefined;
  write(offset: number, width: 1 | 2 | 4, value: number): ConfigWriteResult;
  /** Fields the driver may write before FEATURES_OK (virtio-console's emerg_wr, §8.2); absent:
   *  none, and such writes are refused as the general rule says. */
  writableBeforeFeaturesOk?(offset: number): boolean;
}

/** A device type without configuration fields (virtio-rng). */
export const emptyConfig: ConfigSpace = {
  size: 0,
  read: () => undefined,
  write: () => "out-of-range",
};

export interface VirtioBackend extends ResettableDevice {
  readonly deviceId: number;
  /** Offered feature bits, VERSION_1 included. */
  readonly features: bigint;
  readonly queues: readonly VirtioQueueSpec[];
  readonly config: ConfigSpace;
  /** Called once, before any other call. */
  attach(context: VirtioDeviceContext): void;
  /** The driver kicked a live queue (DRIVER_OK set, queue ready, device not broken). */
  queueNotify(queue: number): void;
  /** Device reset: drop in-flight work without completing it (§9 item 33). */
  reset(): void;
}

export interface VirtioDeviceContext {
  readonly deviceName: string;
  readonly clock: Scheduler;
  /** Guest memory as this device may reach it: its driver's DMA regions only. */
  memory(): IommuView;
  /** Whether the driver accepted feature `bit` (a bit number) and FEATURES_OK stuck. */
  negotiated(bit: number): boolean;
  /** The queue if the device may use it right now: ready, DRIVER_OK, not DEVICE_NEEDS_RESET. */
  liveQueue(index: number): SplitQueue | undefined;
  /** After pushing used entries: apply §3.6 and raise the used-buffer interrupt if wanted. */
  usedBuffersAdded(index: number, queue: SplitQueue): void;
  /** The driver broke a rule; the device carries on. */
  driverError(message: string): void;
  /** The host failed the device (e.g. a disk image read failed); not the driver's fault. */
  hostError(message: string): void;
  /** A ring-structure violation or DMA fault: DEVICE_NEEDS_RESET, stop until reset. */
  queueFailed(index: number, error: QueueError): void;
  /** The backend changed its config space: bump ConfigGeneration, config-change interrupt. */
  configChanged(): void;
}
