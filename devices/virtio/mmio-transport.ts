// The virtio-mmio transport, version 2 (virtio-reference §1, §2, §9 items 1–18 and 31–33): the
// register file, the status state machine, feature negotiation, queue bring-up, notifications and
// the interrupt line. Device types plug in as a VirtioBackend. Driver mistakes never throw: each
// is logged as a device event and the access is dropped (reads give 0), and ring-structure
// violations put the device in DEVICE_NEEDS_RESET until the driver resets it.

import type { AccessWidth, BusDevice } from "../bus-access";
import type { Scheduler } from "../clock";
import type { ResettableDevice } from "../device-interfaces";
import { hex } from "../format";
import { IommuView } from "../iommu";
import type { IrqLine } from "../irq";
import type { DeviceEvent } from "../machine-interface";
import type { VirtioBackend, VirtioDeviceContext } from "./backend";
import { Align } from "./descriptors";
import { DriverFeatures } from "./driver-features";
import { describeQueueError, type QueueError } from "./queue-error";
import { Feature, Interrupt, MAGIC_VALUE, MMIO_VERSION, Reg, registerLabel, Status, VENDOR_ID } from "./registers";
import { SplitQueue, type SplitQueueState } from "./split-queue";
import { decideStatusWrite } from "./status";

export interface TransportOptions {
  readonly name: string;
  readonly backend: VirtioBackend;
  readonly irq: IrqLine;
  readonly clock: Scheduler;
  readonly emit: (event: DeviceEvent) => void;
}

/** Per-queue registers as the driver wrote them, plus the live queue once QueueReady = 1. */
interface QueueRegisters {
  size: number;
  ready: boolean;
  desc: [number, number];
  driver: [number, number];
  device: [number, number];
  /** A kick that arrived before DRIVER_OK, serviced right after it (§9 item 17). */
  kickLatched: boolean;
  live: SplitQueue | undefined;
}

/** The transport's registers and queues, for the debugger's device views. */
export interface VirtioTransportSnapshot {
  readonly status: number;
  readonly interruptStatus: number;
  readonly configGeneration: number;
  readonly needsReset: boolean;
  readonly offeredFeatures: bigint;
  readonly driverFeatures: bigint;
  readonly queueSel: number;
  readonly queues: readonly {
    readonly name: string;
    readonly maxSize: number;
    readonly size: number;
    readonly ready: boolean;
    readonly descAddr: number;
    readonly driverAddr: number;
    readonly deviceAddr: number;
    readonly ring: SplitQueueState | undefined;
  }[];
}

const WORD = 2 ** 32;
const WRITE_ONLY = new Set<number>([
  Reg.DeviceFeaturesSel,
  Reg.DriverFeatures,
  Reg.DriverFeaturesSel,
  Reg.QueueSel,
  Reg.QueueSize,
  Reg.QueueNotify,
  Reg.InterruptAck,
  Reg.QueueDescLow,
  Reg.QueueDescHigh,
  Reg.QueueDriverLow,
  Reg.QueueDriverHigh,
  Reg.QueueDeviceLow,
  Reg.QueueDeviceHigh,
  Reg.ShmSel,
]);
const READ_ONLY = new Set<number>([
  Reg.MagicValue,
  Reg.Version,
  Reg.DeviceId,
  Reg.VendorId,
  Reg.DeviceFeatures,
  Reg.QueueSizeMax,
  Reg.InterruptStatus,
  Reg.ShmLenLow,
  Reg.ShmLenHigh,
  Reg.ShmBaseLow,
  Reg.ShmBaseHigh,
  Reg.ConfigGeneration,
]);

export class VirtioMmioTransport implements BusDevice, VirtioDeviceContext, ResettableDevice {
  readonly deviceName: string;
  readonly clock: Scheduler;
  private readonly backend: VirtioBackend;
  private readonly irq: IrqLine;
  private readonly emit: (event: DeviceEvent) => void;

  private view = IommuView.empty;
  private status = 0;
  private interruptStatus = 0;
  /** Never decreases, not even across resets, so a driver can never see an old value again. */
  private configGeneration = 0;
  private needsReset = false;
  private deviceFeaturesSel = 0;
  private driverFeaturesSel = 0;
  private readonly driverFeatures = new DriverFeatures();
  private queueSel = 0;
  private queues: QueueRegisters[];

  constructor(options: TransportOptions) {
    this.deviceName = options.name;
    this.backend = options.backend;
    this.irq = options.irq;
    this.clock = options.clock;
    this.emit = options.emit;
    if ((this.backend.features & (1n << BigInt(Feature.Version1))) === 0n)
      throw new Error(`${this.deviceName}: a version-2 device must offer VIRTIO_F_VERSION_1`);
    if ((this.backend.features & (1n << BigInt(Feature.RingReset))) !== 0n)
      throw new Error(`${this.deviceName}: VIRTIO_F_RING_RESET is not implemented by the transport`);
    for (const spec of this.backend.queues) {
      if (!isPowerOfTwo(spec.maxSize) || spec.maxSize > 32768)
        throw new Error(
          `${this.deviceName}: queue ${spec.name} max size ${spec.maxSize} is not a power of two ≤ 32768`,
        );
    }
    this.queues = this.freshQueues();
    this.backend.attach(this);
  }

  /** The guest memory the device may reach; replaced whenever its driver's DMA grants change. */
  setIommuView(view: IommuView): void {
    this.view = view;
  }

  /** Power-on reset; the same as the driver writing 0 to Status. */
  reset(): void {
    this.backend.reset();
    this.status = 0;
    this.needsReset = false;
    this.deviceFeaturesSel = 0;
    this.driverFeaturesSel = 0;
    this.driverFeatures.clear();
    this.queueSel = 0;
    this.queues = this.freshQueues();
    this.setInterruptStatus(0);
  }

  snapshot(): VirtioTransportSnapshot {
    return {
      status: this.status,
      interruptStatus: this.interruptStatus,
      configGeneration: this.configGeneration,
      needsReset: this.needsReset,
      offeredFeatures: this.backend.features,
      driverFeatures: this.driverFeatures.mask(),
      queueSel: this.queueSel,
      queues: this.queues.map((q, i) => ({
        name: this.backend.queues[i].name,
        maxSize: this.backend.queues[i].maxSize,
        size: q.size,
        ready: q.ready,
        descAddr: address(q.desc),
        driverAddr: address(q.driver),
        deviceAddr: address(q.device),
        ring: q.live?.state(),
      })),
    };
  }

  // ---- BusDevice ------------------------------------------------------------------------------

  read(offset: number, width: AccessWidth): number {
    if (offset >= Reg.Config) return this.readConfig(offset - Reg.Config, width);
    if (!this.registerAccessOk(offset, width, "read")) return 0;
    switch (offset) {
      case Reg.MagicValue:
        return MAGIC_VALUE;
      case Reg.Version:
        return MMIO_VERSION;
      case Reg.DeviceId:
        return this.backend.deviceId;
      case Reg.VendorId:
        return VENDOR_ID;
      case Reg.DeviceFeatures:
        return Number((this.backend.features >> BigInt(32 * this.deviceFeaturesSel)) & 0xffff_ffffn);
      case Reg.QueueSizeMax:
        return this.backend.queues[this.queueSel]?.maxSize ?? 0;
      case Reg.QueueReady:
        return this.queues[this.queueSel]?.ready === true ? 1 : 0;
      case Reg.InterruptStatus:
        return this.interruptStatus;
      case Reg.Status:
        return this.status;
      case Reg.ShmLenLow:
      case Reg.ShmLenHigh:
      case Reg.ShmBaseLow:
      case Reg.ShmBaseHigh:
        // No shared-memory regions: every id reads length −1 and base all ones (§1.2).
        return 0xffff_ffff;
      case Reg.ConfigGeneration:
        return this.configGeneration;
      default:
        this.driverError(
          WRITE_ONLY.has(offset)
            ? `read of write-only register ${registerLabel(offset)}; reads as 0`
            : this.undefinedOffset(offset, "read"),
        );
        return 0;
    }
  }

  write(offset: number, width: AccessWidth, value: number): void {
    if (offset >= Reg.Config) return this.writeConfig(offset - Reg.Config, width, value);
    if (!this.registerAccessOk(offset, width, "write")) return;
    switch (offset) {
      case Reg.DeviceFeaturesSel:
        this.deviceFeaturesSel = value;
        return;
      case Reg.DriverFeatures:
        return this.writeDriverFeatures(value);
      case Reg.DriverFeaturesSel:
        this.driverFeaturesSel = value;
        return;
      case Reg.QueueSel:
        this.queueSel = value;
        return;
      case Reg.QueueSize:
        return this.writeQueueSize(value);
      case Reg.QueueReady:
        return this.writeQueueReady(value);
      case Reg.QueueNotify:
        return this.notify(value);
      case Reg.InterruptAck:
        return this.acknowledge(value);
      case Reg.Status:
        return this.writeStatus(value);
      case Reg.QueueDescLow:
      case Reg.QueueDescHigh:
      case Reg.QueueDriverLow:
      case Reg.QueueDriverHigh:
      case Reg.QueueDeviceLow:
      case Reg.QueueDeviceHigh:
        return this.writeQueueAddress(offset, value);
      case Reg.ShmSel:
        // Accepted and remembered nowhere: with no regions every id reads the same.
        return;
      default:
        this.driverError(
          READ_ONLY.has(offset)
            ? `write of 0x${value.toString(16)} to read-only register ${registerLabel(offset)}; ignored`
            : this.undefinedOffset(offset, "write"),
        );
    }
  }

  // ---- VirtioDeviceContext --------------------------------------------------------------------

  memory(): IommuView {
    return this.view;
  }

  liveQueue(index: number): SplitQueue | undefined {
    if (this.needsReset || (this.status & Status.DriverOk) === 0) return undefined;
    const q = this.queues[index];
    return q?.ready === true ? q.live : undefined;
  }

  usedBuffersAdded(index: number, queue: SplitQueue): void {
    if (this.liveQueue(index) !== queue) return;
    const decision = queue.shouldNotify();
    if (typeof decision !== "boolean") return this.queueFailed(index, decision);
    if (decision) this.setInterruptStatus(this.interruptStatus | Interrupt.UsedBuffer);
  }

  driverError(message: string): void {
    this.emit({ kind: "driver-error", device: this.deviceName, message, at: this.clock.now() });
  }

  hostError(message: string): void {
    this.emit({ kind: "host-error", device: this.deviceName, message, at: this.clock.now() });
  }

  queueFailed(index: number, error: QueueError): void {
    if (this.needsReset) return;
    const reason = `queue ${index} (${this.backend.queues[index]?.name ?? "?"}): ${describeQueueError(error)}`;
    if (error.kind === "dma") {
      const { address, length, write } = error.fault;
      this.emit({
        kind: "dma-fault",
        device: this.deviceName,
        address,
        length,
        write,
        detail: reason,
        at: this.clock.now(),
      });
    }
    this.enterNeedsReset(reason);
  }

  configChanged(): void {
    this.configGeneration = (this.configGeneration + 1) >>> 0;
    if ((this.status & Status.DriverOk) !== 0) this.setInterruptStatus(this.interruptStatus | Interrupt.ConfigChange);
  }

  // ---- registers ------------------------------------------------------------------------------

  private registerAccessOk(offset: number, width: AccessWidth, direction: "read" | "write"): boolean {
    if (width === 4 && offset % 4 === 0) return true;
    const effect = direction === "read" ? "reads as 0" : "dropped";
    this.driverError(
      `${width}-byte ${direction} at ${registerLabel(offset - (offset % 4))}${offset % 4 === 0 ? "" : ` + ${offset % 4}`}: registers 0x000–0x0FC take aligned 32-bit accesses only; ${effect}`,
    );
    return false;
  }

  private undefinedOffset(offset: number, direction: "read" | "write"): string {
    const effect = direction === "read" ? "reads as 0" : "ignored";
    if (offset === Reg.QueueReset)
      return `${direction} of QueueReset (0x0C0), which exists only with VIRTIO_F_RING_RESET (40), not offered by this device; ${effect}`;
    return `${direction} at ${registerLabel(offset)}, which is not a virtio-mmio version 2 register; ${effect}`;
  }

  private writeDriverFeatures(value: number): void {
    const negotiating =
      (this.status & Status.Driver) !== 0 &&
      (this.status & (Status.FeaturesOk | Status.Failed | Status.NeedsReset)) === 0;
    if (!negotiating) {
      this.driverError(
        `DriverFeatures ← 0x${value.toString(16)} with Status ${hex(this.status)}: features are written after DRIVER and before FEATURES_OK; ignored`,
      );
      return;
    }
    this.driverFeatures.setWord(this.driverFeaturesSel, value);
  }

  negotiated(bit: number): boolean {
    return (this.status & Status.FeaturesOk) !== 0 && this.driverFeatures.has(bit);
  }

  private writeStatus(value: number): void {
    const decision = decideStatusWrite(this.status, value, () => this.driverFeatures.problem(this.backend.features));
    switch (decision.kind) {
      case "reset":
        // Synchronous (§2.5): the driver's next read of Status already sees 0.
        return this.reset();
      case "ignored":
        return this.driverError(`${decision.reason}; ignored`);
      case "set": {
        if (decision.refusal !== undefined) this.driverError(decision.refusal);
        const wasLive = (this.status & Status.DriverOk) !== 0;
        this.status = decision.status;
        if (!wasLive && (this.status & Status.DriverOk) !== 0) this.serviceLatchedKicks();
        return;
      }
    }
  }

  private serviceLatchedKicks(): void {
    this.queues.forEach((q, index) => {
      if (!q.kickLatched) return;
      q.kickLatched = false;
      if (this.liveQueue(index) !== undefined) this.backend.queueNotify(index);
    });
  }

  /** The selected queue if the driver may reconfigure it now (§9 items 9–11), else logs why not. */
  private queueForSetup(register: number, requireNotReady: boolean): QueueRegisters | undefined {
    const label = registerLabel(register);
    const q = this.queues[this.queueSel];
    if (q === undefined) {
      this.driverError(
        `${label} written with QueueSel = ${this.queueSel}, which selects no queue (the device has ${this.queues.length}); ignored`,
      );
      return undefined;
    }
    const blocking =
      (this.status & Status.FeaturesOk) === 0
        ? "before FEATURES_OK"
        : (this.status & Status.DriverOk) !== 0
          ? "after DRIVER_OK"
          : (this.status & (Status.Failed | Status.NeedsReset)) !== 0
            ? "after FAILED or DEVICE_NEEDS_RESET"
            : requireNotReady && q.ready
              ? `while queue ${this.queueSel} is ready (write 0 to QueueReady first)`
              : undefined;
    if (blocking !== undefined) {
      this.driverError(`${label} written ${blocking}; ignored`);
      return undefined;
    }
    return q;
  }

  private writeQueueSize(value: number): void {
    const q = this.queueForSetup(Reg.QueueSize, true);
    if (q === undefined) return;
    const max = this.backend.queues[this.queueSel].maxSize;
    if (value === 0 || value > max || !isPowerOfTwo(value)) {
      this.driverError(
        `QueueSize (0x038) ← ${value} for queue ${this.queueSel}: must be a power of two between 1 and QueueSizeMax ${max}; kept ${q.size}`,
      );
      return;
    }
    q.size = value;
  }

  private writeQueueAddress(register: number, value: number): void {
    const q = this.queueForSetup(register, true);
    if (q === undefined) return;
    const half = register % 8 === 0 ? 0 : 1;
    const area = register < Reg.QueueDriverLow ? q.desc : register < Reg.QueueDeviceLow ? q.driver : q.device;
    area[half] = value >>> 0;
  }

  private writeQueueReady(value: number): void {
    if (value === 0) {
      // Stopping a queue is always allowed (§1.2); in-flight work for it is dropped.
      const q = this.queues[this.queueSel];
      if (q === undefined)
        return this.driverError(
          `QueueReady (0x044) written with QueueSel = ${this.queueSel}, which selects no queue; ignored`,
        );
      q.ready = false;
      q.live = undefined;
      q.kickLatched = false;
      return;
    }
    if (value !== 1) return this.driverError(`QueueReady (0x044) ← ${value}: only 0 and 1 are defined; ignored`);
    const q = this.queueForSetup(Reg.QueueReady, false);
    if (q === undefined || q.ready) return;
    const layout = {
      size: q.size,
      descAddr: address(q.desc),
      availAddr: address(q.driver),
      usedAddr: address(q.device),
    };
    const misaligned = [
      layout.descAddr % Align.desc !== 0
        ? `descriptor table ${hex(layout.descAddr)} is not ${Align.desc}-byte aligned`
        : undefined,
      layout.availAddr % Align.avail !== 0
        ? `available ring ${hex(layout.availAddr)} is not ${Align.avail}-byte aligned`
        : undefined,
      layout.usedAddr % Align.used !== 0
        ? `used ring ${hex(layout.usedAddr)} is not ${Align.used}-byte aligned`
        : undefined,
    ].filter((problem): problem is string => problem !== undefined);
    if (misaligned.length > 0) {
      this.driverError(
        `QueueReady (0x044) ← 1 for queue ${this.queueSel}: ${misaligned.join("; ")}; the queue stays not ready`,
      );
      return;
    }
    q.ready = true;
    q.live = new SplitQueue(
      layout,
      { indirectDesc: this.negotiated(Feature.IndirectDesc), eventIdx: this.negotiated(Feature.EventIdx) },
      () => this.view,
    );
  }

  private notify(value: number): void {
    if (value > 0xffff)
      return this.driverError(
        `QueueNotify (0x050) ← 0x${value.toString(16)}: bits above 15 are only defined with VIRTIO_F_NOTIFICATION_DATA, not offered; ignored`,
      );
    const q = this.queues[value];
    if (q === undefined)
      return this.driverError(
        `QueueNotify (0x050) for queue ${value}, which does not exist (the device has ${this.queues.length}); ignored`,
      );
    if (this.needsReset) return;
    if (!q.ready) return this.driverError(`QueueNotify (0x050) for queue ${value}, which is not ready; ignored`);
    if ((this.status & Status.DriverOk) === 0) {
      this.driverError(
        `QueueNotify (0x050) for queue ${value} before DRIVER_OK; latched and serviced once DRIVER_OK is set`,
      );
      q.kickLatched = true;
      return;
    }
    this.backend.queueNotify(value);
  }

  private acknowledge(value: number): void {
    const defined = Interrupt.UsedBuffer | Interrupt.ConfigChange;
    if ((value & ~defined) !== 0)
      this.driverError(
        `InterruptACK (0x064) ← 0x${value.toString(16)} sets undefined bits (only 0 and 1 exist); those are ignored`,
      );
    this.setInterruptStatus(this.interruptStatus & ~(value & defined));
  }

  private setInterruptStatus(bits: number): void {
    this.interruptStatus = bits;
    // Level-triggered: the line follows InterruptStatus ≠ 0 (§1.1).
    this.irq.set(bits !== 0);
  }

  /** An injected fault (devices/faults.ts): the device gives up as if it had met a broken ring. */
  injectNeedsReset(reason: string): void {
    if (!this.needsReset) this.enterNeedsReset(reason);
  }

  private enterNeedsReset(reason: string): void {
    this.needsReset = true;
    this.status |= Status.NeedsReset;
    this.emit({ kind: "needs-reset", device: this.deviceName, reason, at: this.clock.now() });
    // The config-change interrupt is how a live driver learns of it (§2.4).
    if ((this.status & Status.DriverOk) !== 0) this.setInterruptStatus(this.interruptStatus | Interrupt.ConfigChange);
  }

  // ---- configuration space --------------------------------------------------------------------

  private configAccessOk(offset: number, width: AccessWidth, direction: "read" | "write"): boolean {
    if (offset % width === 0) return true;
    this.driverError(
      `${width}-byte config ${direction} at ${hex(Reg.Config + offset, 3)} is not naturally aligned; ${direction === "read" ? "reads as 0" : "ignored"}`,
    );
    return false;
  }

  private readConfig(offset: number, width: AccessWidth): number {
    if (!this.configAccessOk(offset, width, "read")) return 0;
    const value = this.backend.config.read(offset, width);
    if (value === undefined) {
      this.driverError(
        `${width}-byte config read at ${hex(Reg.Config + offset, 3)} is beyond the ${this.backend.config.size}-byte config space; reads as 0`,
      );
      return 0;
    }
    return value;
  }

  private writeConfig(offset: number, width: AccessWidth, value: number): void {
    if (!this.configAccessOk(offset, width, "write")) return;
    const at = hex(Reg.Config + offset, 3);
    // A field the device type lets the driver write at any time (virtio-console's emerg_wr) skips the rule.
    if ((this.status & Status.FeaturesOk) === 0 && this.backend.config.writableBeforeFeaturesOk?.(offset) !== true)
      return this.driverError(`config write at ${at} before FEATURES_OK; ignored`);
    const result = this.backend.config.write(offset, width, value);
    if (result === "read-only") this.driverError(`config write at ${at} to a read-only field; ignored`);
    else if (result === "out-of-range")
      this.driverError(`config write at ${at} is beyond the ${this.backend.config.size}-byte config space; ignored`);
  }

  private freshQueues(): QueueRegisters[] {
    // Each queue comes back at its maximum size, so a driver that never writes QueueSize is fine.
    return this.backend.queues.map((spec) => ({
      size: spec.maxSize,
      ready: false,
      desc: [0, 0],
      driver: [0, 0],
      device: [0, 0],
      kickLatched: false,
      live: undefined,
    }));
  }
}

function address([low, high]: readonly [number, number]): number {
  return high * WORD + low;
}

function isPowerOfTwo(value: number): boolean {
  return Number.isInteger(value) && value > 0 && (value & (value - 1)) === 0;
}
