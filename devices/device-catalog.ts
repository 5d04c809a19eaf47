// The device types a machine description may name, and what each needs from the description.
// Data only: the description validator reads it, the machine builds devices from it.
//
//   kind "virtio-mmio": fields base, size (the MMIO window), irq
//   kind "mmio":        fields base, size (the MMIO window), irq: a device with its own register map
//                       (not virtio-mmio); `minWindow` is the least window its registers need
//   kind "ata":         fields command (first of 8 command-block ports), control (the control port), irq
//   kind "uart16550":   fields base (first of 8 ports), irq
//   disk: true          the device is a disk controller and takes an optional "disk" field, the name
//                       of the disk slot it is attached to (default "disk0")

export const deviceCatalog = {
  "virtio-rng": { kind: "virtio-mmio", virtioId: 4, disk: false },
  "virtio-blk": { kind: "virtio-mmio", virtioId: 2, disk: true },
  "virtio-console": { kind: "virtio-mmio", virtioId: 3, disk: false },
  "virtio-net": { kind: "virtio-mmio", virtioId: 1, disk: false },
  // The display: virtio-gpu's 2D command set, one scanout (devices/virtio/gpu.ts, docs/display.md).
  "virtio-gpu": { kind: "virtio-mmio", virtioId: 16, disk: false },
  // `ports`: where an ATA channel conventionally sits (the primary IDE channel), for tools that check
  // a driver's binding without a machine; a description may place a channel elsewhere.
  ata: {
    kind: "ata",
    disk: true,
    ports: [
      { first: 0x1f0, last: 0x1f7 },
      { first: 0x3f6, last: 0x3f6 },
    ],
  },
  // NVM Express controller (NVMe Base 2.0) on its own MMIO window: registers 0x0000–0x0FFF, doorbells
  // from 0x1000 (devices/nvme/).
  nvme: { kind: "mmio", disk: true, minWindow: 0x2000 },
  // AHCI 1.3 host bus adapter with one SATA port and a disk, as QEMU's ich9-ahci: generic host
  // control 0x000–0x0FF, port 0's registers 0x100–0x17F (devices/ahci/).
  ahci: { kind: "mmio", disk: true, minWindow: 0x180 },
  // Intel 82540EM gigabit Ethernet (e1000) on the 128 KiB register window of the real card's BAR0
  // (devices/e1000/).
  e1000: { kind: "mmio", disk: false, minWindow: 0x20000 },
  // `ports`: COM1, where a PC's first serial port sits; a description may place a UART elsewhere.
  uart16550: { kind: "uart16550", disk: false, ports: [{ first: 0x3f8, last: 0x3ff }] },
} as const;

export type DeviceType = keyof typeof deviceCatalog;
export type VirtioDeviceType = {
  [K in DeviceType]: (typeof deviceCatalog)[K]["kind"] extends "virtio-mmio" ? K : never;
}[DeviceType];
/** Device types with an MMIO window and a register map of their own (kind "mmio"). */
export type MmioDeviceType = {
  [K in DeviceType]: (typeof deviceCatalog)[K]["kind"] extends "mmio" ? K : never;
}[DeviceType];

export function isDeviceType(name: string): name is DeviceType {
  return Object.prototype.hasOwnProperty.call(deviceCatalog, name);
}

/** Registers take 0x000–0x0FF; a window smaller than that cannot hold a virtio-mmio device. */
export const VIRTIO_MMIO_MIN_WINDOW = 0x100;

/** An ATA channel decodes eight command-block ports (data … status/command). */
export const ATA_COMMAND_PORTS = 8;

/** A 16550 decodes eight ports (RBR/THR … SCR). */
export const UART_PORTS = 8;

/** The disk slot a disk controller uses when its description names none. */
export const DEFAULT_DISK_SLOT = "disk0";
