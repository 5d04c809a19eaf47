// VirtioMmio: the virtio-mmio (version 2) transport, driver side. It owns the device's generic
// registers: probing, the status handshake, feature negotiation, queue setup, notifications and
// interrupt acknowledgement. What a device DOES is the driver's business; how every virtio device is
// brought up is here, once (virtio-reference.md §1.2–§2.2).

import type { DmaBuffer } from "../dma";
import type { MmioRegion } from "../mmio";
import {
  UNSUPPORTED_RING_FEATURES,
  VIRTIO_MAGIC,
  VIRTIO_MMIO_VERSION,
  VirtioFeature,
  VirtioReg,
  VirtioStatus,
  featureHex,
} from "./constants";
import { VirtioError } from "./errors";
import { DriverSplitQueue } from "./split-queue";

const DEVICE_NAMES: Record<number, string> = {
  1: "network",
  2: "block",
  3: "console",
  4: "entropy",
  5: "balloon",
  8: "SCSI",
  16: "GPU",
};
/** Status reads to wait for a reset to complete (ours completes at once; real ones take a while). */
const RESET_POLLS = 1000;

const hex = (n: number): string => `0x${n.toString(16)}`;
const deviceName = (id: number): string => `device id ${id} (${DEVICE_NAMES[id] ?? "unknown type"})`;

export interface QueueSetup {
  /** Memory for the rings (DriverSplitQueue.bytesFor(size) bytes from `offset`). */
  dma: DmaBuffer;
  offset?: number;
  /** Largest size the driver wants; the queue gets the largest power of two ≤ min(this, device max). */
  maxSize?: number;
}

export class VirtioMmio {
  private accepted: bigint | undefined;

  private constructor(
    /** The device's register window. */
    readonly regs: MmioRegion,
    readonly deviceId: number,
    readonly vendorId: number,
  ) {}

  /** Check that `regs` holds a modern virtio-mmio device of type `deviceId` (VirtioDevice.*). */
  static probe(regs: MmioRegion, deviceId: number): VirtioMmio {
    const where = `at ${hex(regs.base)}`;
    const magic = regs.read32(VirtioReg.MAGIC);
    if (magic !== VIRTIO_MAGIC)
      throw new VirtioError(
        `no virtio-mmio device ${where}: magic value ${hex(magic)}, expected ${hex(VIRTIO_MAGIC)} ("virt")`,
      );
    const version = regs.read32(VirtioReg.VERSION);
    if (version !== VIRTIO_MMIO_VERSION) {
      throw new VirtioError(
        `virtio-mmio device ${where} has interface version ${version}; the SDK drives version ${VIRTIO_MMIO_VERSION} (modern) only`,
      );
    }
    const found = regs.read32(VirtioReg.DEVICE_ID);
    if (found === 0) throw new VirtioError(`the virtio-mmio slot ${where} is empty (device id 0)`);
    if (found !== deviceId)
      throw new VirtioError(
        `the virtio-mmio device ${where} has ${deviceName(found)}; this driver expects ${deviceName(deviceId)}`,
      );
    return new VirtioMmio(regs, found, regs.read32(VirtioReg.VENDOR_ID));
  }

  /** The initialisation handshake up to FEATURES_OK (§2.2 steps 1–6): reset, ACKNOWLEDGE, DRIVER,
   *  accept the features in `wanted` that the device offers, FEATURES_OK, check the device agreed.
   *  `wanted` must include VERSION_1. Returns the accepted features. */
  init(wanted: bigint): bigint {
    if (!(wanted & VirtioFeature.VERSION_1))
      throw new VirtioError(
        "wanted features must include VirtioFeature.VERSION_1: the SDK speaks the modern interface only",
      );
    if (wanted & UNSUPPORTED_RING_FEATURES) {
      throw new VirtioError(
        `the SDK's split queue does not implement features ${featureHex(wanted & UNSUPPORTED_RING_FEATURES)}; do not ask for them`,
      );
    }
    this.reset();
    this.addStatus(VirtioStatus.ACKNOWLEDGE);
    this.addStatus(VirtioStatus.DRIVER);
    const offered = this.deviceFeatures();
    if (!(offered & VirtioFeature.VERSION_1))
      this.fail(`the device does not offer VERSION_1 (features ${featureHex(offered)})`);
    const accepted = offered & wanted;
    this.writeDriverFeatures(accepted);
    this.addStatus(VirtioStatus.FEATURES_OK);
    if (!(this.status() & VirtioStatus.FEATURES_OK)) this.fail(`the device refused features ${featureHex(accepted)}`);
    this.accepted = accepted;
    return accepted;
  }

  /** Features agreed by init(). */
  get features(): bigint {
    if (this.accepted === undefined) throw new VirtioError("features are not negotiated yet: call init() first");
    return this.accepted;
  }

  hasFeature(feature: bigint): boolean {
    return (this.features & feature) === feature;
  }

  /** Bring queue `index` up (§1.3) with its rings in `setup.dma`; returns the driver's side of it, a DriverSplitQueue. */
  setupQueue(index: number, setup: QueueSetup): DriverSplitQueue {
    const eventIdx = this.hasFeature(VirtioFeature.EVENT_IDX);
    this.regs.write32(VirtioReg.QUEUE_SEL, index);
    if (this.regs.read32(VirtioReg.QUEUE_READY) !== 0) this.fail(`queue ${index} is already in use`);
    const max = this.regs.read32(VirtioReg.QUEUE_SIZE_MAX);
    if (max === 0) this.fail(`the device has no queue ${index}`);
    const size = largestPowerOfTwo(Math.min(max, setup.maxSize ?? max, 32768));
    const indirect = this.hasFeature(VirtioFeature.INDIRECT_DESC);
    const queue = new DriverSplitQueue({
      dma: setup.dma,
      offset: setup.offset,
      size,
      eventIdx,
      indirect,
      notify: () => this.notify(index),
    });
    this.regs.write32(VirtioReg.QUEUE_SIZE, size);
    this.write64(VirtioReg.QUEUE_DESC_LOW, queue.descPhys);
    this.write64(VirtioReg.QUEUE_DRIVER_LOW, queue.availPhys);
    this.write64(VirtioReg.QUEUE_DEVICE_LOW, queue.usedPhys);
    this.regs.write32(VirtioReg.QUEUE_READY, 1);
    return queue;
  }

  /** The driver is set up: the device goes live (§2.2 step 8). */
  driverOk(): void {
    this.addStatus(VirtioStatus.DRIVER_OK);
  }

  /** Tell the device queue `index` has new buffers. DriverSplitQueue.kick() calls this when needed. */
  notify(index: number): void {
    this.regs.write32(VirtioReg.QUEUE_NOTIFY, index);
  }

  /** Why the device interrupted (VirtioInterrupt bits). */
  interruptStatus(): number {
    return this.regs.read32(VirtioReg.INTERRUPT_STATUS);
  }

  /** Clear the interrupt reasons handled, which lowers the (level-triggered) line. */
  ackInterrupt(bits: number): void {
    if (bits !== 0) this.regs.write32(VirtioReg.INTERRUPT_ACK, bits);
  }

  status(): number {
    return this.regs.read32(VirtioReg.STATUS);
  }

  /** Write 0 to Status and wait until the device reads back 0. */
  reset(): void {
    this.accepted = undefined;
    this.regs.write32(VirtioReg.STATUS, 0);
    for (let i = 0; i < RESET_POLLS; i++) if (this.status() === 0) return;
    throw new VirtioError(`the device at ${hex(this.regs.base)} did not finish its reset`);
  }

  /** Give up on the device: set FAILED (a reset is needed before trying again) and throw. */
  fail(reason: string): never {
    this.addStatus(VirtioStatus.FAILED);
    throw new VirtioError(`virtio-mmio device at ${hex(this.regs.base)}, ${deviceName(this.deviceId)}: ${reason}`);
  }

  // Device-specific configuration, at its natural width (offsets from the start of config space).
  config8(offset: number): number {
    return this.regs.read8(VirtioReg.CONFIG + offset);
  }

  config16(offset: number): number {
    return this.regs.read16(VirtioReg.CONFIG + offset);
  }

  config32(offset: number): number {
    return this.regs.read32(VirtioReg.CONFIG + offset);
  }

  /** A 64-bit field is read as two 32-bit halves, so read it within one config generation. */
  config64(offset: number): bigint {
    return this.consistentConfig(() => {
      const low = this.config32(offset);
      const high = this.config32(offset + 4);
      return (BigInt(high) << 32n) | BigInt(low);
    });
  }

  writeConfig8(offset: number, value: number): void {
    this.regs.write8(VirtioReg.CONFIG + offset, value);
  }

  writeConfig16(offset: number, value: number): void {
    this.regs.write16(VirtioReg.CONFIG + offset, value);
  }

  writeConfig32(offset: number, value: number): void {
    this.regs.write32(VirtioReg.CONFIG + offset, value);
  }

  /** Run `read` until ConfigGeneration is the same before and after, so several fields (or halves)
   *  come from one version of the configuration (§2.7). */
  consistentConfig<T>(read: () => T): T {
    for (;;) {
      const before = this.regs.read32(VirtioReg.CONFIG_GENERATION);
      const value = read();
      if (this.regs.read32(VirtioReg.CONFIG_GENERATION) === before) return value;
    }
  }

  /** The driver only ever adds status bits (§2.1), so read, OR, write. */
  private addStatus(bit: number): void {
    this.regs.write32(VirtioReg.STATUS, this.status() | bit);
  }

  private deviceFeatures(): bigint {
    this.regs.write32(VirtioReg.DEVICE_FEATURES_SEL, 0);
    const low = this.regs.read32(VirtioReg.DEVICE_FEATURES);
    this.regs.write32(VirtioReg.DEVICE_FEATURES_SEL, 1);
    const high = this.regs.read32(VirtioReg.DEVICE_FEATURES);
    return (BigInt(high) << 32n) | BigInt(low);
  }

  private writeDriverFeatures(features: bigint): void {
    this.regs.write32(VirtioReg.DRIVER_FEATURES_SEL, 0);
    this.regs.write32(VirtioReg.DRIVER_FEATURES, Number(features & 0xffffffffn));
    this.regs.write32(VirtioReg.DRIVER_FEATURES_SEL, 1);
    this.regs.write32(VirtioReg.DRIVER_FEATURES, Number((features >> 32n) & 0xffffffffn));
  }

  /** A 64-bit ring address goes to a Low/High register pair, low half first. */
  private write64(lowReg: number, value: number): void {
    this.regs.write32(lowReg, value % 2 ** 32);
    this.regs.write32(lowReg + 4, Math.floor(value / 2 ** 32));
  }
}

function largestPowerOfTwo(n: number): number {
  let p = 1;
  while (p * 2 <= n) p *= 2;
  return p;
}
