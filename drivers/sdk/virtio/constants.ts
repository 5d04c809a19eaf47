// virtio-mmio version 2 numbers (virtio-reference.md §1.2, §2.1, §3, §4).

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

/** "virt" read as a little-endian u32. */
export const VIRTIO_MAGIC = 0x74726976;
export const VIRTIO_MMIO_VERSION = 2;

/** Device status bits (register 0x070). The driver only ever adds bits; writing 0 resets. */
export const VirtioStatus = {
  ACKNOWLEDGE: 1,
  DRIVER: 2,
  DRIVER_OK: 4,
  FEATURES_OK: 8,
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

/** Device-independent feature bits, as 64-bit masks. Device-specific bits (0–23) are defined by each
 *  device's driver. */
export const VirtioFeature = {
  INDIRECT_DESC: 1n << 28n,
  EVENT_IDX: 1n << 29n,
  VERSION_1: 1n << 32n,
  ACCESS_PLATFORM: 1n << 33n,
  RING_PACKED: 1n << 34n,
  IN_ORDER: 1n << 35n,
  ORDER_PLATFORM: 1n << 36n,
  NOTIFICATION_DATA: 1n << 38n,
  RING_RESET: 1n << 40n,
} as const;

/** Ring features the SDK's SplitQueue does not implement: asking for them is refused up front
 *  rather than negotiated and then silently broken. */
export const UNSUPPORTED_RING_FEATURES = VirtioFeature.RING_PACKED | VirtioFeature.IN_ORDER | VirtioFeature.NOTIFICATION_DATA;

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

/** Render a feature mask as hex for error messages. */
export function featureHex(features: bigint): string {
  return `0x${features.toString(16)}`;
}
