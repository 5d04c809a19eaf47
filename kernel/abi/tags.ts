// Message tags (zos-ipc §7.8) and the ZDS tags placed in ranges zos-ipc leaves free.

export const Tag = {
  CONSOLE_INPUT: 0x0002,
  // Init service protocol (to Init's input endpoint, slot 2)
  REGISTER_SERVICE: 0x1000,
  LOOKUP_SERVICE: 0x1001,
  LOOKUP_RESPONSE: 0x1002,
  SERVICE_READY: 0x1005,
  /** Kernel notification: a capability was revoked. */
  CAP_REVOKED: 0x3010,
  /** ZDS: the machine is shutting down; sent by PID 0 to every process blocked in RECV_WAIT once
   *  the machine is otherwise idle. A driver ends its loop and exits 0. */
  SHUTDOWN: 0x3011,
  /** ZDS: reply from the kernel when a CALL could not be answered (server died, endpoint gone). */
  CALL_FAILED: 0x3020,
} as const;

/** Reasons carried by a CAP_REVOKED message (payload [slot u32][object_type u8][object_id u64][reason u8]). */
export const RevokeReason = {
  EXPLICIT: 1,
  EXPIRED: 2,
  PROCESS_EXIT: 3,
} as const;

/** Interrupt notification tag for a line (v0.1.2: 0x0100 | irq), sent by PID 0 with payload [irq u8]. */
export const IRQ_TAG_BASE = 0x0100;
export function irqTag(line: number): number {
  return IRQ_TAG_BASE | (line & 0xff);
}
export function isIrqTag(tag: number): boolean {
  return (tag & 0xff00) === IRQ_TAG_BASE;
}

/** Block-, entropy- and console-service protocols are ours; their tags live in 0x6000–0x6FFF. */
export const RngTag = {
  /** Request: [count u32]. Reply: RNG_BYTES with the bytes, or RNG_ERROR [errno u32]. */
  GET_BYTES: 0x6000,
  BYTES: 0x6001,
  ERROR: 0x600f,
} as const;

/** Largest number of bytes one RNG_GET_BYTES request may ask for. */
export const RNG_MAX_REQUEST = 1024;
