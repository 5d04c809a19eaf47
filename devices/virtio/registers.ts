// virtio-mmio version 2 numbers (virtio-reference §1.2, §2.1, §4): register offsets, status bits,
// interrupt bits and the transport feature bits this emulator knows. Names follow the 1.3+ spec.

export const MAGIC_VALUE = 0x74726976; // "virt"
export const MMIO_VERSION = 2;
/** "ZDS!" — any fixed value will do; drivers must not depend on it. */
export const VENDOR_ID = 0x5a445321;

export const Reg = {
  MagicValue: 0x000,
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
  Config: 0x100,
} as const;

export type RegisterName = keyof typeof Reg;

const NAMES = new Map<number, RegisterName>(
  Object.entries(Reg).map(([name, offset]) => [offset, name as RegisterName]),
);

/** "Status (0x070)" for a known offset, "offset 0x018" otherwise: the form diagnostics use. */
export function registerLabel(offset: number): string {
  const name = NAMES.get(offset);
  const text = `0x${offset.toString(16).toUpperCase().padStart(3, "0")}`;
  return name === undefined ? `offset ${text}` : `${name} (${text})`;
}

export const Status = {
  Acknowledge: 1,
  Driver: 2,
  DriverOk: 4,
  FeaturesOk: 8,
  Suspend: 16,
  NeedsReset: 64,
  Failed: 128,
} as const;

const STATUS_NAMES: readonly [number, string][] = [
  [Status.Acknowledge, "ACKNOWLEDGE"],
  [Status.Driver, "DRIVER"],
  [Status.DriverOk, "DRIVER_OK"],
  [Status.FeaturesOk, "FEATURES_OK"],
  [Status.Suspend, "SUSPEND"],
  [32, "bit 5"],
  [Status.NeedsReset, "DEVICE_NEEDS_RESET"],
  [Status.Failed, "FAILED"],
];

/** "ACKNOWLEDGE|DRIVER" for a set of status bits. */
export function statusNames(bits: number): string {
  const names = STATUS_NAMES.filter(([bit]) => (bits & bit) !== 0).map(([, name]) => name);
  return names.length === 0 ? "none" : names.join("|");
}

export const Interrupt = {
  UsedBuffer: 1,
  ConfigChange: 2,
} as const;

/** Feature bit numbers (not masks). */
export const Feature = {
  IndirectDesc: 28,
  EventIdx: 29,
  Version1: 32,
  AccessPlatform: 33,
  RingPacked: 34,
  InOrder: 35,
  NotificationData: 38,
  RingReset: 40,
} as const;

export function featureMask(...bits: number[]): bigint {
  return bits.reduce((mask, bit) => mask | (1n << BigInt(bit)), 0n);
}

/** The bit numbers set in `mask`, lowest first. */
export function featureBits(mask: bigint): number[] {
  const bits: number[] = [];
  for (let bit = 0; mask >> BigInt(bit) !== 0n; bit++) if (((mask >> BigInt(bit)) & 1n) === 1n) bits.push(bit);
  return bits;
}
