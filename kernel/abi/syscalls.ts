// Syscall numbers. Zero OS core numbers are exactly those of zos-ipc; the driver syscalls (marked
// "ZDS") use blocks zos-ipc leaves free (zero-os-abi.md §10).

export const Sys = {
  // 0x00–0x0F misc
  NOP: 0x00,
  DEBUG: 0x01,
  YIELD: 0x02,
  EXIT: 0x03,
  TIME: 0x04,
  RANDOM: 0x05,
  WALLCLOCK: 0x06,
  CONSOLE_WRITE: 0x07,
  // 0x10–0x1F process
  CREATE_ENDPOINT: 0x11,
  DELETE_ENDPOINT: 0x12,
  KILL: 0x13,
  REGISTER_PROCESS: 0x14,
  CREATE_ENDPOINT_FOR: 0x15,
  LOAD_BINARY: 0x16,
  SPAWN_PROCESS: 0x17,
  // 0x20–0x2F ZDS: memory-mapped I/O and DMA (v0.1.2's memory block)
  MMIO_READ: 0x20,
  MMIO_WRITE: 0x21,
  DMA_ALLOC: 0x22,
  DMA_FREE: 0x23,
  // 0x30–0x3F capabilities
  CAP_GRANT: 0x30,
  CAP_REVOKE: 0x31,
  CAP_DELETE: 0x32,
  CAP_INSPECT: 0x33,
  CAP_DERIVE: 0x34,
  CAP_LIST: 0x35,
  // 0x40–0x4F IPC
  SEND: 0x40,
  RECV: 0x41,
  CALL: 0x42,
  REPLY: 0x43,
  SEND_CAP: 0x44,
  RECV_WAIT: 0x45, // ZDS: blocking receive
  // 0x50–0x5F system; ZDS IRQ control in v0.1.2's IRQ block
  PS: 0x50,
  IRQ_ACK: 0x51,
  IRQ_MASK: 0x52,
  IRQ_UNMASK: 0x53,
  // 0x60–0x6F ZDS: port I/O, v0.1.2 numbering
  IN8: 0x60,
  IN16: 0x61,
  IN32: 0x62,
  OUT8: 0x63,
  OUT16: 0x64,
  OUT32: 0x65,
  // 0x70–0x7F platform storage, async: each returns a request id, the result comes as a message
  STORAGE_READ: 0x70,
  STORAGE_WRITE: 0x71,
  STORAGE_DELETE: 0x72,
  STORAGE_LIST: 0x73,
  STORAGE_EXISTS: 0x74,
  // 0x90–0x9F network, async
  NETWORK_FETCH: 0x90,
  // 0xF0–0xFF ZDS internal: spoken only by the worker bootstrap, never by driver code
  STARTUP: 0xf0,
  FAULT: 0xf1,
} as const;

export type SyscallName = keyof typeof Sys;
export type SyscallNumber = (typeof Sys)[SyscallName];

const namesByNumber = new Map<number, SyscallName>(
  (Object.keys(Sys) as SyscallName[]).map((name) => [Sys[name], name]),
);

/** "SYS_SEND" for 0x40; "SYS_0x99" for a number nobody defined. */
export function syscallName(num: number): string {
  const name = namesByNumber.get(num);
  return name ? `SYS_${name}` : `SYS_0x${num.toString(16).padStart(2, "0")}`;
}

export function isKnownSyscall(num: number): num is SyscallNumber {
  return namesByNumber.has(num);
}

/** Widths (bytes) accepted by SYS_MMIO_READ / SYS_MMIO_WRITE. */
export const MMIO_WIDTHS = [1, 2, 4, 8] as const;
export type MmioWidth = (typeof MMIO_WIDTHS)[number];
/** Widths accepted by port I/O (IN8/16/32, OUT8/16/32). */
export const PORT_WIDTHS = [1, 2, 4] as const;
export type PortWidth = (typeof PORT_WIDTHS)[number];

/** Largest payload a message may carry (v0.1.3 spec / kernel-core). */
export const MAX_MESSAGE_BYTES = 4096;
/** Largest number of capabilities one message may transfer (v0.1.3 spec / kernel-core). */
export const MAX_MESSAGE_CAPS = 4;
/** Size of the mailbox data area shared by request and response payloads. */
export const MAILBOX_DATA_BYTES = 16356;
/** Largest text accepted by SYS_DEBUG / SYS_CONSOLE_WRITE in one call. */
export const MAX_TEXT_BYTES = MAILBOX_DATA_BYTES;

/** Conventional slots every process starts with (zero-os-abi.md §4.3). */
export const Slot = {
  OUTPUT_ENDPOINT: 0,
  INPUT_ENDPOINT: 1,
  INIT_ENDPOINT: 2,
  /** First slot of the capabilities the manifest asks for, in declaration order. */
  FIRST_MANIFEST: 3,
} as const;

/** Well-known PIDs. */
export const Pid = {
  KERNEL: 0,
  INIT: 1,
} as const;

/** DMA memory is handed out in pages of this size. */
export const DMA_PAGE_BYTES = 4096;
