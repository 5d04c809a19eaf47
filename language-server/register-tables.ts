// Register maps of the devices a driver talks to, as data: hover names the register at an offset or
// port, completion offers them where an offset is expected. Virtio-mmio from the virtio 1.x spec
// (shared/virtio-reference.md §1.2); ATA (primary channel) and 16550 UART from their datasheets.

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

/** virtio-mmio version 2 registers; 0x000–0x0FC take 32-bit accesses only. */
export const VIRTIO_MMIO_REGISTERS: readonly Register[] = [
  { at: 0x000, name: "MagicValue", dir: "R", width: 4, constant: "VirtioReg.MAGIC", meaning: 'reads 0x74726976 ("virt")' },
  { at: 0x004, name: "Version", dir: "R", width: 4, constant: "VirtioReg.VERSION", meaning: "2 for virtio-mmio v2 (1 = legacy)" },
  { at: 0x008, name: "DeviceID", dir: "R", width: 4, constant: "VirtioReg.DEVICE_ID", meaning: "device type (1 net, 2 block, 3 console, 4 entropy…); 0 = empty slot" },
  { at: 0x00c, name: "VendorID", dir: "R", width: 4, constant: "VirtioReg.VENDOR_ID", meaning: "subsystem vendor id" },
  { at: 0x010, name: "DeviceFeatures", dir: "R", width: 4, constant: "VirtioReg.DEVICE_FEATURES", meaning: "32 feature bits of the word chosen by DeviceFeaturesSel" },
  { at: 0x014, name: "DeviceFeaturesSel", dir: "W", width: 4, constant: "VirtioReg.DEVICE_FEATURES_SEL", meaning: "selects the word DeviceFeatures shows" },
  { at: 0x020, name: "DriverFeatures", dir: "W", width: 4, constant: "VirtioReg.DRIVER_FEATURES", meaning: "accepted feature bits of the word chosen by DriverFeaturesSel" },
  { at: 0x024, name: "DriverFeaturesSel", dir: "W", width: 4, constant: "VirtioReg.DRIVER_FEATURES_SEL", meaning: "selects the word DriverFeatures sets" },
  { at: 0x030, name: "QueueSel", dir: "W", width: 4, constant: "VirtioReg.QUEUE_SEL", meaning: "virtqueue index the queue registers refer to" },
  { at: 0x034, name: "QueueSizeMax", dir: "R", width: 4, constant: "VirtioReg.QUEUE_SIZE_MAX", meaning: "largest size the selected queue accepts; 0 = no such queue" },
  { at: 0x038, name: "QueueSize", dir: "W", width: 4, constant: "VirtioReg.QUEUE_SIZE", meaning: "size the driver uses (≤ QueueSizeMax, a power of 2)" },
  { at: 0x044, name: "QueueReady", dir: "RW", width: 4, constant: "VirtioReg.QUEUE_READY", meaning: "1: the device may use the selected queue; 0: stop" },
  { at: 0x050, name: "QueueNotify", dir: "W", width: 4, constant: "VirtioReg.QUEUE_NOTIFY", meaning: "kick: the queue index with new available buffers" },
  { at: 0x060, name: "InterruptStatus", dir: "R", width: 4, constant: "VirtioReg.INTERRUPT_STATUS", meaning: "bit 0 used buffer, bit 1 configuration change" },
  { at: 0x064, name: "InterruptACK", dir: "W", width: 4, constant: "VirtioReg.INTERRUPT_ACK", meaning: "write-1-to-clear of InterruptStatus bits" },
  { at: 0x070, name: "Status", dir: "RW", width: 4, constant: "VirtioReg.STATUS", meaning: "device status (ACKNOWLEDGE 1, DRIVER 2, DRIVER_OK 4, FEATURES_OK 8); 0 resets" },
  { at: 0x080, name: "QueueDescLow", dir: "W", width: 4, constant: "VirtioReg.QUEUE_DESC_LOW", meaning: "descriptor table address, bits 0–31" },
  { at: 0x084, name: "QueueDescHigh", dir: "W", width: 4, constant: "VirtioReg.QUEUE_DESC_HIGH", meaning: "descriptor table address, bits 32–63" },
  { at: 0x090, name: "QueueDriverLow", dir: "W", width: 4, constant: "VirtioReg.QUEUE_DRIVER_LOW", meaning: "available ring address, bits 0–31" },
  { at: 0x094, name: "QueueDriverHigh", dir: "W", width: 4, constant: "VirtioReg.QUEUE_DRIVER_HIGH", meaning: "available ring address, bits 32–63" },
  { at: 0x0a0, name: "QueueDeviceLow", dir: "W", width: 4, constant: "VirtioReg.QUEUE_DEVICE_LOW", meaning: "used ring address, bits 0–31" },
  { at: 0x0a4, name: "QueueDeviceHigh", dir: "W", width: 4, constant: "VirtioReg.QUEUE_DEVICE_HIGH", meaning: "used ring address, bits 32–63" },
  { at: 0x0ac, name: "SHMSel", dir: "W", width: 4, meaning: "shared-memory region id" },
  { at: 0x0b0, name: "SHMLenLow", dir: "R", width: 4, meaning: "shared-memory region length, bits 0–31" },
  { at: 0x0b4, name: "SHMLenHigh", dir: "R", width: 4, meaning: "shared-memory region length, bits 32–63" },
  { at: 0x0b8, name: "SHMBaseLow", dir: "R", width: 4, meaning: "shared-memory region base, bits 0–31" },
  { at: 0x0bc, name: "SHMBaseHigh", dir: "R", width: 4, meaning: "shared-memory region base, bits 32–63" },
  { at: 0x0c0, name: "QueueReset", dir: "RW", width: 4, meaning: "1 resets the selected queue (VIRTIO_F_RING_RESET)" },
  { at: 0x0fc, name: "ConfigGeneration", dir: "R", width: 4, constant: "VirtioReg.CONFIG_GENERATION", meaning: "changes when the device configuration may be torn" },
  { at: 0x100, name: "Config", dir: "RW", width: 1, constant: "VirtioReg.CONFIG", meaning: "start of the device-specific configuration" },
];

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
  { port: 0x1f0, device: "ATA", width: 2, read: { name: "Data", meaning: "PIO data, 16 bits per access" }, write: { name: "Data", meaning: "PIO data, 16 bits per access" } },
  { port: 0x1f1, device: "ATA", width: 1, read: { name: "Error", meaning: "error bits of the last command (ABRT, IDNF, UNC…)" }, write: { name: "Features", meaning: "command-specific parameter" } },
  { port: 0x1f2, device: "ATA", width: 1, read: { name: "Sector Count", meaning: "sectors left" }, write: { name: "Sector Count", meaning: "sectors to transfer (0 = 256)" } },
  { port: 0x1f3, device: "ATA", width: 1, read: { name: "LBA Low", meaning: "LBA bits 0–7" }, write: { name: "LBA Low", meaning: "LBA bits 0–7" } },
  { port: 0x1f4, device: "ATA", width: 1, read: { name: "LBA Mid", meaning: "LBA bits 8–15" }, write: { name: "LBA Mid", meaning: "LBA bits 8–15" } },
  { port: 0x1f5, device: "ATA", width: 1, read: { name: "LBA High", meaning: "LBA bits 16–23" }, write: { name: "LBA High", meaning: "LBA bits 16–23" } },
  { port: 0x1f6, device: "ATA", width: 1, read: { name: "Drive/Head", meaning: "bit 4 drive select, bit 6 LBA mode, bits 0–3 LBA bits 24–27" }, write: { name: "Drive/Head", meaning: "bit 4 drive select, bit 6 LBA mode, bits 0–3 LBA bits 24–27" } },
  { port: 0x1f7, device: "ATA", width: 1, read: { name: "Status", meaning: "BSY 0x80, DRDY 0x40, DF 0x20, DRQ 0x08, ERR 0x01; reading clears the interrupt" }, write: { name: "Command", meaning: "command code (0x20 READ SECTORS, 0x30 WRITE SECTORS, 0xEC IDENTIFY, 0xE7 FLUSH CACHE)" } },
  { port: 0x3f6, device: "ATA", width: 1, read: { name: "Alternate Status", meaning: "Status without clearing the interrupt" }, write: { name: "Device Control", meaning: "bit 1 nIEN (interrupts off), bit 2 SRST (software reset)" } },
];

/** 16550 UART at COM1 (0x3F8–0x3FF), IRQ 4. Offsets 0 and 1 mean the divisor latch when LCR.DLAB = 1. */
export const UART_PORTS: readonly PortRegister[] = [
  { port: 0x3f8, device: "UART", width: 1, read: { name: "RBR (DLL when DLAB=1)", meaning: "received byte / divisor latch low" }, write: { name: "THR (DLL when DLAB=1)", meaning: "byte to transmit / divisor latch low" } },
  { port: 0x3f9, device: "UART", width: 1, read: { name: "IER (DLM when DLAB=1)", meaning: "interrupt enable: bit 0 data ready, bit 1 THR empty, bit 2 line status, bit 3 modem status / divisor latch high" }, write: { name: "IER (DLM when DLAB=1)", meaning: "interrupt enable: bit 0 data ready, bit 1 THR empty, bit 2 line status, bit 3 modem status / divisor latch high" } },
  { port: 0x3fa, device: "UART", width: 1, read: { name: "IIR", meaning: "interrupt identification (bit 0 = 1: none pending)" }, write: { name: "FCR", meaning: "FIFO control: bit 0 enable, bits 1–2 clear rx/tx, bits 6–7 trigger level" } },
  { port: 0x3fb, device: "UART", width: 1, read: { name: "LCR", meaning: "line control: word length, stop bits, parity; bit 7 DLAB" }, write: { name: "LCR", meaning: "line control: word length, stop bits, parity; bit 7 DLAB" } },
  { port: 0x3fc, device: "UART", width: 1, read: { name: "MCR", meaning: "modem control: DTR, RTS, OUT2 (gates the IRQ), loopback" }, write: { name: "MCR", meaning: "modem control: DTR, RTS, OUT2 (gates the IRQ), loopback" } },
  { port: 0x3fd, device: "UART", width: 1, read: { name: "LSR", meaning: "line status: bit 0 data ready, bit 5 THR empty, bit 6 transmitter empty" } },
  { port: 0x3fe, device: "UART", width: 1, read: { name: "MSR", meaning: "modem status: CTS, DSR, RI, DCD and their changes" } },
  { port: 0x3ff, device: "UART", width: 1, read: { name: "SCR", meaning: "scratch byte" }, write: { name: "SCR", meaning: "scratch byte" } },
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
  const exact = VIRTIO_MMIO_REGISTERS.find((r) => r.at === offset || (r.at < offset && offset < r.at + r.width && r.at < 0x100));
  if (exact) return { register: exact, delta: offset - exact.at };
  if (offset >= 0x100) return { register: VIRTIO_MMIO_REGISTERS[VIRTIO_MMIO_REGISTERS.length - 1], delta: offset - 0x100 };
  return undefined;
}

export function portRegisterAt(port: number): PortRegister | undefined {
  return PORT_REGISTERS.find((r) => r.port === port);
}
