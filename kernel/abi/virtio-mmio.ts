// virtio-mmio version 2, the wire between a virtio driver and its device (virtio-reference.md §1.2,
// §2.1, §3, §4): register offsets, status and interrupt bits, device-independent feature bits and
// the split ring's descriptor flags. The one table of these numbers for everything above devices/:
// the SDK re-exports it (drivers/sdk/virtio/constants.ts), the language server's register tables
// (hover, completion, diagnostics) are built on VIRTIO_MMIO_REGISTERS. devices/ may import nothing
// of ours, so devices/virtio/registers.ts and descriptors.ts keep their own copy, held equal to this
// one entry by entry by test/devices/virtio-abi-equality.test.ts.
// Pure data: no imports. Keep VirtioReg an object literal: the language server folds it.

/** Register offsets from the window base. 0x000–0x0FC are accessed with 32-bit loads/stores only. */
export const VirtioReg = {
  MAGIC: 0x000,
  VERSION: 0x004,
  DEVICE_ID: 0x008,
  VENDOR_ID: 0x00c,
  DEVICE_FEATURES: 0x010,
  DEVICE_FEATURES_SEL: 0x014,
  DRIVER_FEATURES: 0x020,
  DRIVER_FEATURES_SEL: 0x024,
  QUEUE_SEL: 0x030,
  QUEUE_SIZE_MAX: 0x034,
  QUEUE_SIZE: 0x038,
  QUEUE_READY: 0x044,
  QUEUE_NOTIFY: 0x050,
  INTERRUPT_STATUS: 0x060,
  INTERRUPT_ACK: 0x064,
  STATUS: 0x070,
  QUEUE_DESC_LOW: 0x080,
  QUEUE_DESC_HIGH: 0x084,
  QUEUE_DRIVER_LOW: 0x090,
  QUEUE_DRIVER_HIGH: 0x094,
  QUEUE_DEVICE_LOW: 0x0a0,
  QUEUE_DEVICE_HIGH: 0x0a4,
  CONFIG_GENERATION: 0x0fc,
  /** Device-specific configuration starts here. */
  CONFIG: 0x100,
} as const;

export type VirtioRegName = keyof typeof VirtioReg;

/** One virtio-mmio register: its offset, its name in the virtio spec, the direction a driver may
 *  use it, its width, and the VirtioReg constant naming it when the SDK has one. */
export interface VirtioMmioRegister {
  readonly offset: number;
  /** The spec's name (MagicValue, DeviceID, InterruptACK, SHMSel…). */
  readonly name: string;
  /** R read-only, W write-only, RW both, for the driver. */
  readonly access: "R" | "W" | "RW";
  /** Bytes per access the device expects. */
  readonly width: number;
  readonly constant?: VirtioRegName;
}

/** Every virtio-mmio version 2 register, by offset. The shared-memory registers and QueueReset have
 *  no SDK constant: no driver of ours uses them. */
export const VIRTIO_MMIO_REGISTERS: readonly VirtioMmioRegister[] = [
  { offset: VirtioReg.MAGIC, name: "MagicValue", access: "R", width: 4, constant: "MAGIC" },
  { offset: VirtioReg.VERSION, name: "Version", access: "R", width: 4, constant: "VERSION" },
  { offset: VirtioReg.DEVICE_ID, name: "DeviceID", access: "R", width: 4, constant: "DEVICE_ID" },
  { offset: VirtioReg.VENDOR_ID, name: "VendorID", access: "R", width: 4, constant: "VENDOR_ID" },
  { offset: VirtioReg.DEVICE_FEATURES, name: "DeviceFeatures", access: "R", width: 4, constant: "DEVICE_FEATURES" },
  {
    offset: VirtioReg.DEVICE_FEATURES_SEL,
    name: "DeviceFeaturesSel",
    access: "W",
    width: 4,
    constant: "DEVICE_FEATURES_SEL",
  },
  { offset: VirtioReg.DRIVER_FEATURES, name: "DriverFeatures", access: "W", width: 4, constant: "DRIVER_FEATURES" },
  {
    offset: VirtioReg.DRIVER_FEATURES_SEL,
    name: "DriverFeaturesSel",
    access: "W",
    width: 4,
    constant: "DRIVER_FEATURES_SEL",
  },
  { offset: VirtioReg.QUEUE_SEL, name: "QueueSel", access: "W", width: 4, constant: "QUEUE_SEL" },
  { offset: VirtioReg.QUEUE_SIZE_MAX, name: "QueueSizeMax", access: "R", width: 4, constant: "QUEUE_SIZE_MAX" },
  { offset: VirtioReg.QUEUE_SIZE, name: "QueueSize", access: "W", width: 4, constant: "QUEUE_SIZE" },
  { offset: VirtioReg.QUEUE_READY, name: "QueueReady", access: "RW", width: 4, constant: "QUEUE_READY" },
  { offset: VirtioReg.QUEUE_NOTIFY, name: "QueueNotify", access: "W", width: 4, constant: "QUEUE_NOTIFY" },
  { offset: VirtioReg.INTERRUPT_STATUS, name: "InterruptStatus", access: "R", width: 4, constant: "INTERRUPT_STATUS" },
  { offset: VirtioReg.INTERRUPT_ACK, name: "InterruptACK", access: "W", width: 4, constant: "INTERRUPT_ACK" },
  { offset: VirtioReg.STATUS, name: "Status", access: "RW", width: 4, constant: "STATUS" },
  { offset: VirtioReg.QUEUE_DESC_LOW, name: "QueueDescLow", access: "W", width: 4, constant: "QUEUE_DESC_LOW" },
  { offset: VirtioReg.QUEUE_DESC_HIGH, name: "QueueDescHigh", access: "W", width: 4, constant: "QUEUE_DESC_HIGH" },
  { offset: VirtioReg.QUEUE_DRIVER_LOW, name: "QueueDriverLow", access: "W", width: 4, constant: "QUEUE_DRIVER_LOW" },
  {
    offset: VirtioReg.QUEUE_DRIVER_HIGH,
    name: "QueueDriverHigh",
    access: "W",
    width: 4,
    constant: "QUEUE_DRIVER_HIGH",
  },
  { offset: VirtioReg.QUEUE_DEVICE_LOW, name: "QueueDeviceLow", access: "W", width: 4, constant: "QUEUE_DEVICE_LOW" },
  {
    offset: VirtioReg.QUEUE_DEVICE_HIGH,
    name: "QueueDeviceHigh",
    access: "W",
    width: 4,
    constant: "QUEUE_DEVICE_HIGH",
  },
  { offset: 0x0ac, name: "SHMSel", access: "W", width: 4 },
  { offset: 0x0b0, name: "SHMLenLow", access: "R", width: 4 },
  { offset: 0x0b4, name: "SHMLenHigh", access: "R", width: 4 },
  { offset: 0x0b8, name: "SHMBaseLow", access: "R", width: 4 },
  { offset: 0x0bc, name: "SHMBaseHigh", access: "R", width: 4 },
  { offset: 0x0c0, name: "QueueReset", access: "RW", width: 4 },
  {
    offset: VirtioReg.CONFIG_GENERATION,
    name: "ConfigGeneration",
    access: "R",
    width: 4,
    constant: "CONFIG_GENERATION",
  },
  { offset: VirtioReg.CONFIG, name: "Config", access: "RW", width: 1, constant: "CONFIG" },
];

/** "virt" read as a little-endian u32. */
export const VIRTIO_MAGIC = 0x74726976;
export const VIRTIO_MMIO_VERSION = 2;

/** Device status bits (register 0x070). The driver only ever adds bits; writing 0 resets. */
export const VirtioStatus = {
  ACKNOWLEDGE: 1,
  DRIVER: 2,
  DRIVER_OK: 4,
  FEATURES_OK: 8,
  /** virtio 1.4, only with VIRTIO_F_SUSPEND (43). */
  SUSPEND: 16,
  DEVICE_NEEDS_RESET: 64,
  FAILED: 128,
} as const;

/** InterruptStatus / InterruptACK bits. */
export const VirtioInterrupt = {
  /** A queue has new used buffers (check every active queue). */
  USED_BUFFER: 1,
  /** The device configuration changed. */
  CONFIG_CHANGE: 2,
} as const;

/** Device-independent feature bits, as bit numbers. Device-specific bits (0–23) belong to each
 *  device type. */
export const VirtioFeatureBit = {
  INDIRECT_DESC: 28,
  EVENT_IDX: 29,
  VERSION_1: 32,
  ACCESS_PLATFORM: 33,
  RING_PACKED: 34,
  IN_ORDER: 35,
  ORDER_PLATFORM: 36,
  NOTIFICATION_DATA: 38,
  RING_RESET: 40,
} as const;

/** The same feature bits as 64-bit masks (what a driver ORs together and negotiates). */
export const VirtioFeature = {
  INDIRECT_DESC: 1n << BigInt(VirtioFeatureBit.INDIRECT_DESC),
  EVENT_IDX: 1n << BigInt(VirtioFeatureBit.EVENT_IDX),
  VERSION_1: 1n << BigInt(VirtioFeatureBit.VERSION_1),
  ACCESS_PLATFORM: 1n << BigInt(VirtioFeatureBit.ACCESS_PLATFORM),
  RING_PACKED: 1n << BigInt(VirtioFeatureBit.RING_PACKED),
  IN_ORDER: 1n << BigInt(VirtioFeatureBit.IN_ORDER),
  ORDER_PLATFORM: 1n << BigInt(VirtioFeatureBit.ORDER_PLATFORM),
  NOTIFICATION_DATA: 1n << BigInt(VirtioFeatureBit.NOTIFICATION_DATA),
  RING_RESET: 1n << BigInt(VirtioFeatureBit.RING_RESET),
} as const;

/** Bytes of one split-ring descriptor: addr u64, len u32, flags u16, next u16. */
export const VIRTQ_DESC_BYTES = 16;

/** Descriptor flags (split ring). */
export const DescFlag = {
  NEXT: 1,
  WRITE: 2,
  INDIRECT: 4,
} as const;

/** avail.flags: the driver asks not to be interrupted (ignored with EVENT_IDX). */
export const VIRTQ_AVAIL_F_NO_INTERRUPT = 1;
/** used.flags: the device asks not to be notified (ignored with EVENT_IDX). */
export const VIRTQ_USED_F_NO_NOTIFY = 1;
