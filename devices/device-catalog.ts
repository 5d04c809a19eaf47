// The device types a machine description may name, and what each needs from the description.
// Data only: the description validator reads it, the machine builds devices from it.

export const deviceCatalog = {
  "virtio-rng": { kind: "virtio-mmio", virtioId: 4 },
} as const;

export type DeviceType = keyof typeof deviceCatalog;

export function isDeviceType(name: string): name is DeviceType {
  return Object.prototype.hasOwnProperty.call(deviceCatalog, name);
}

/** Registers take 0x000–0x0FF; a window smaller than that cannot hold a virtio-mmio device. */
export const VIRTIO_MMIO_MIN_WINDOW = 0x100;
