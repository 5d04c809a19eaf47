// Register maps of the devices a driver talks to, as data: hover names the register at an offset or
// port, completion offers them where an offset is expected. Virtio-mmio from the virtio 1.x spec
// (shared/virtio-reference.md §1.2, numbers from kernel/abi/virtio-mmio.ts); ATA (primary channel)
// and 16550 UART from their datasheets.

import { VIRTIO_MMIO_REGISTERS as ABI_VIRTIO_MMIO_REGISTERS } from "../kernel/abi";

export interface Register {
  /** Offset from the window base (MMIO) or absolute port number (port I/O). */
  at: number;
  name: string;
  /** Direction the driver may use: R read, W write, RW both. */
  dir: "R" | "W" | "RW";
  /** Width in bytes the device expects. */
  width: number;
  meaning: string;
  /** The SDK constant naming it, when there is one (what completion inserts). */
  constant?: string;
}

/** What each virtio-mmio register means, for hover and completion, by its spec name. The offsets,
 *  directions, widths and SDK constants are kernel/abi's (VIRTIO_MMIO_REGISTERS). */
const VIRTIO_MMIO_MEANINGS: Readonly<Record<string, string>> = {
  MagicValue: 'reads 0x74726976 ("virt")',
  Version: "2 for virtio-mmio v2 (1 = legacy)",
  DeviceID: "device type (1 net, 2 block, 3 console, 4 entropy…); 0 = empty slot",
  VendorID: "subsystem vendor id",
  DeviceFeatures: "32 feature bits of the word chosen by DeviceFeaturesSel",
  DeviceFeaturesSel: "selects the word DeviceFeatures shows",
  DriverFeatures: "accepted feature bits of the word chosen by DriverFeaturesSel",
  DriverFeaturesSel: "selects the word DriverFeatures sets",
  QueueSel: "virtqueue index the queue registers refer to",
  QueueSizeMax: "largest size the selected queue accepts; 0 = no such queue",
  QueueSize: "size the driver uses (≤ QueueSizeMax, a power of 2)",
  QueueReady: "1: the device may use the selected queue; 0: stop",
  QueueNotify: "kick: the queue index with new available buffers",
  InterruptStatus: "bit 0 used buffer, bit 1 configuration change",
  InterruptACK: "write-1-to-clear of InterruptStatus bits",
  Status: "device status (ACKNOWLEDGE 1, DRIVER 2, DRIVER_OK 4, FEATURES_OK 8); 0 resets",
  QueueDescLow: "descriptor table address, bits 0–31",
  QueueDescHigh: "descriptor table address, bits 32–63",
  QueueDriverLow: "available ring address, bits 0–31",
  QueueDriverHigh: "available ring address, bits 32–63",
  QueueDeviceLow: "used ring address, bits 0–31",
  QueueDeviceHigh: "used ring address, bits 32–63",
  SHMSel: "shared-memory region id",
  SHMLenLow: "shared-memory region length, bits 0–31",
  SHMLenHigh: "shared-memory region length, bits 32–63",
  SHMBaseLow: "shared-memory region base, bits 0–31",
  SHMBaseHigh: "shared-memory region base, bits 32–63",
  QueueReset: "1 resets the selected queue (VIRTIO_F_RING_RESET)",
  ConfigGeneration: "changes when the device configuration may be torn",
  Config: "start of the device-specific configuration",
};

/** virtio-mmio version 2 registers; 0x000–0x0FC take 32-bit accesses only. */
export const VIRTIO_MMIO_REGISTERS: readonly Register[] = ABI_VIRTIO_MMIO_REGISTERS.map((r) => ({
  at: r.offset,
  name: r.name,
  dir: r.access,
  width: r.width,
  ...(r.constant !== undefined ? { constant: `VirtioReg.${r.constant}` } : {}),
  meaning: VIRTIO_MMIO_MEANINGS[r.name] ?? "",
}));

/** Ports whose meaning differs between reading and writing carry both. */
export interface PortRegister {
  port: number;
  device: "ATA" | "UART";
  read?: { name: string; meaning: string };
  write?: { name: string; meaning: string };
  width: number;
}

/** ATA/IDE primary channel (task file 0x1F0–0x1F7, control block 0x3F6), IRQ 14. */
export const ATA_PORTS: readonly PortRegister[] = [
  {
    port: 0x1f0,
    device: "ATA",
    width: 2,
    read: { name: "Data", meaning: "PIO data, 16 bits per access" },
    write: { name: "Data", meaning: "PIO data, 16 bits per access" },
  },
  {
    port: 0x1f1,
    device: "ATA",
    width: 1,
    read: { name: "Error", meaning: "error bits of the last command (ABRT, IDNF, UNC…)" },
    write: { name: "Features", meaning: "command-specific parameter" },
  },
  {
    port: 0x1f2,
    device: "ATA",
    width: 1,
    read: { name: "Sector Count", meaning: "sectors left" },
    write: { name: "Sector Count", meaning: "sectors to transfer (0 = 256)" },
  },
  {
    port: 0x1f3,
    device: "ATA",
    width: 1,
    read: { name: "LBA Low", meaning: "LBA bits 0–7" },
    write: { name: "LBA Low", meaning: "LBA bits 0–7" },
  },
  {
    port: 0x1f4,
    device: "ATA",
    width: 1,
    read: { name: "LBA Mid", meaning: "LBA bits 8–15" },
    write: { name: "LBA Mid", meaning: "LBA bits 8–15" },
  },
  {
    port: 0x1f5,
    device: "ATA",
    width: 1,
    read: { name: "LBA High", meaning: "LBA bits 16–23" },
    write: { name: "LBA High", meaning: "LBA bits 16–23" },
  },
  {
    port: 0x1f6,
    device: "ATA",
    width: 1,
    read: { name: "Drive/Head", meaning: "bit 4 drive select, bit 6 LBA mode, bits 0–3 LBA bits 24–27" },
    write: { name: "Drive/Head", meaning: "bit 4 drive select, bit 6 LBA mode, bits 0–3 LBA bits 24–27" },
  },
  {
    port: 0x1f7,
    device: "ATA",
    width: 1,
    read: { name: "Status", meaning: "BSY 0x80, DRDY 0x40, DF 0x20, DRQ 0x08, ERR 0x01; reading clears the interrupt" },
    write: {
      name: "Command",
      meaning: "command code (0x20 READ SECTORS, 0x30 WRITE SECTORS, 0xEC IDENTIFY, 0xE7 FLUSH CACHE)",
    },
  },
  {
    port: 0x3f6,
    device: "ATA",
    width: 1,
    read: { name: "Alternate Status", meaning: "Status without clearing the interrupt" },
    write: { name: "Device Control", meaning: "bit 1 nIEN (interrupts off), bit 2 SRST (software reset)" },
  },
];

/** 16550 UART at COM1 (0x3F8–0x3FF), IRQ 4. Offsets 0 and 1 mean the divisor latch when LCR.DLAB = 1. */
export const UART_PORTS: readonly PortRegister[] = [
  {
    port: 0x3f8,
    device: "UART",
    width: 1,
    read: { name: "RBR (DLL when DLAB=1)", meaning: "received byte / divisor latch low" },
    write: { name: "THR (DLL when DLAB=1)", meaning: "byte to transmit / divisor latch low" },
  },
  {
    port: 0x3f9,
    device: "UART",
    width: 1,
    read: {
      name: "IER (DLM when DLAB=1)",
      meaning:
        "interrupt enable: bit 0 data ready, bit 1 THR empty, bit 2 line status, bit 3 modem status / divisor latch high",
    },
    write: {
      name: "IER (DLM when DLAB=1)",
      meaning:
        "interrupt enable: bit 0 data ready, bit 1 THR empty, bit 2 line status, bit 3 modem status / divisor latch high",
    },
  },
  {
    port: 0x3fa,
    device: "UART",
    width: 1,
    read: { name: "IIR", meaning: "interrupt identification (bit 0 = 1: none pending)" },
    write: { name: "FCR", meaning: "FIFO control: bit 0 enable, bits 1–2 clear rx/tx, bits 6–7 trigger level" },
  },
  {
    port: 0x3fb,
    device: "UART",
    width: 1,
    read: { name: "LCR", meaning: "line control: word length, stop bits, parity; bit 7 DLAB" },
    write: { name: "LCR", meaning: "line control: word length, stop bits, parity; bit 7 DLAB" },
  },
  {
    port: 0x3fc,
    device: "UART",
    width: 1,
    read: { name: "MCR", meaning: "modem control: DTR, RTS, OUT2 (gates the IRQ), loopback" },
    write: { name: "MCR", meaning: "modem control: DTR, RTS, OUT2 (gates the IRQ), loopback" },
  },
  {
    port: 0x3fd,
    device: "UART",
    width: 1,
    read: { name: "LSR", meaning: "line status: bit 0 data ready, bit 5 THR empty, bit 6 transmitter empty" },
  },
  {
    port: 0x3fe,
    device: "UART",
    width: 1,
    read: { name: "MSR", meaning: "modem status: CTS, DSR, RI, DCD and their changes" },
  },
  {
    port: 0x3ff,
    device: "UART",
    width: 1,
    read: { name: "SCR", meaning: "scratch byte" },
    write: { name: "SCR", meaning: "scratch byte" },
  },
];

export const PORT_REGISTERS: readonly PortRegister[] = [...ATA_PORTS, ...UART_PORTS];

/** VIRTIO device ids (virtio-reference.md §5), for messages. */
export const VIRTIO_DEVICE_NAMES: Readonly<Record<number, string>> = {
  1: "network",
  2: "block",
  3: "console",
  4: "entropy",
  5: "memory balloon",
  8: "SCSI host",
  9: "9P transport",
  16: "GPU",
  18: "input",
  19: "socket (vsock)",
  20: "crypto",
  26: "file system",
};

/** The virtio-mmio register at `offset`: exact, or inside device configuration. */
export function virtioRegisterAt(offset: number): { register: Register; delta: number } | undefined {
  const exact = VIRTIO_MMIO_REGISTERS.find(
    (r) => r.at === offset || (r.at < offset && offset < r.at + r.width && r.at < 0x100),
  );
  if (exact) return { register: exact, delta: offset - exact.at };
  if (offset >= 0x100)
    return { register: VIRTIO_MMIO_REGISTERS[VIRTIO_MMIO_REGISTERS.length - 1], delta: offset - 0x100 };
  return undefined;
}

export function portRegisterAt(port: number): PortRegister | undefined {
  return PORT_REGISTERS.find((r) => r.port === port);
}
