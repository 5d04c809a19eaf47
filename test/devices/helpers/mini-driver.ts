// A minimal virtio-mmio driver that talks to the machine only through MachineHandle, exactly as a
// driver process would through its syscalls: init sequence, feature negotiation, queue bring-up.

import type { MachineHandle } from "../../../devices";
import type { RingLayout } from "./driver-ring";

export const R = {
  Magic: 0x000,
  Version: 0x004,
  DeviceId: 0x008,
  VendorId: 0x00c,
  DeviceFeatures: 0x010,
  DeviceFeaturesSel: 0x014,
  DriverFeatures: 0x020,
  DriverFeaturesSel: 0x024,
  QueueSel: 0x030,
  QueueSizeMax: 0x034,
  QueueSize: 0x038,
  QueueReady: 0x044,
  QueueNotify: 0x050,
  InterruptStatus: 0x060,
  InterruptAck: 0x064,
  Status: 0x070,
  QueueDescLow: 0x080,
  QueueDescHigh: 0x084,
  QueueDriverLow: 0x090,
  QueueDriverHigh: 0x094,
  QueueDeviceLow: 0x0a0,
  QueueDeviceHigh: 0x0a4,
  ShmSel: 0x0ac,
  ShmLenLow: 0x0b0,
  ShmLenHigh: 0x0b4,
  ShmBaseLow: 0x0b8,
  ShmBaseHigh: 0x0bc,
  QueueReset: 0x0c0,
  ConfigGeneration: 0x0fc,
} as const;

export const ACK = 1;
export const DRIVER = 2;
export const DRIVER_OK = 4;
export const FEATURES_OK = 8;
export const NEEDS_RESET = 64;
export const FAILED = 128;

export const BIT = (n: number): bigint => 1n << BigInt(n);
export const VERSION_1 = BIT(32);
export const INDIRECT_DESC = BIT(28);
export const EVENT_IDX = BIT(29);

/** The two calls a driver's register accesses turn into. */
export type RegisterAccess = Pick<MachineHandle, "mmioRead" | "mmioWrite">;

export class MiniDriver {
  constructor(
    readonly machine: RegisterAccess,
    readonly base: number,
  ) {}

  read(offset: number): number {
    return Number(this.machine.mmioRead(this.base + offset, 4));
  }

  write(offset: number, value: number): void {
    this.machine.mmioWrite(this.base + offset, 4, value);
  }

  deviceFeatures(): bigint {
    let features = 0n;
    for (let word = 0; word < 4; word++) {
      this.write(R.DeviceFeaturesSel, word);
      features |= BigInt(this.read(R.DeviceFeatures)) << BigInt(32 * word);
    }
    return features;
  }

  writeDriverFeatures(features: bigint): void {
    for (let word = 0; word < 4; word++) {
      this.write(R.DriverFeaturesSel, word);
      this.write(R.DriverFeatures, Number((features >> BigInt(32 * word)) & 0xffff_ffffn));
    }
  }

  /** Reset, ACKNOWLEDGE, DRIVER, features, FEATURES_OK. Returns whether FEATURES_OK stuck. */
  negotiate(features: bigint): boolean {
    this.write(R.Status, 0);
    this.write(R.Status, ACK);
    this.write(R.Status, ACK | DRIVER);
    this.writeDriverFeatures(features);
    this.write(R.Status, ACK | DRIVER | FEATURES_OK);
    return (this.read(R.Status) & FEATURES_OK) !== 0;
  }

  setupQueue(index: number, ring: RingLayout): void {
    this.write(R.QueueSel, index);
    this.write(R.QueueSize, ring.size);
    this.write64(R.QueueDescLow, ring.descAddr);
    this.write64(R.QueueDriverLow, ring.availAddr);
    this.write64(R.QueueDeviceLow, ring.usedAddr);
    this.write(R.QueueReady, 1);
  }

  driverOk(): void {
    this.write(R.Status, this.read(R.Status) | DRIVER_OK);
  }

  kick(queue: number): void {
    this.write(R.QueueNotify, queue);
  }

  /** Read InterruptStatus and acknowledge all of it, as an interrupt handler does. */
  ackInterrupt(): number {
    const status = this.read(R.InterruptStatus);
    this.write(R.InterruptAck, status);
    return status;
  }

  private write64(lowOffset: number, value: number): void {
    this.write(lowOffset, value % 2 ** 32);
    this.write(lowOffset + 4, Math.floor(value / 2 ** 32));
  }
}
