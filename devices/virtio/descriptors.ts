// Split-ring memory layout (virtio-reference §3.1–§3.4): where each field lives, so that the walker
// and the queue never spell an offset twice.

export const DESC_SIZE = 16;

export const DescFlag = {
  Next: 1,
  Write: 2,
  Indirect: 4,
} as const;

export const AvailFlag = { NoInterrupt: 1 } as const;

/** Alignment the driver must give each area (bytes). */
export const Align = { desc: 16, avail: 2, used: 4 } as const;

export const Avail = {
  flags: (base: number) => base,
  idx: (base: number) => base + 2,
  ring: (base: number, slot: number) => base + 4 + 2 * slot,
  usedEvent: (base: number, size: number) => base + 4 + 2 * size,
} as const;

export const Used = {
  flags: (base: number) => base,
  idx: (base: number) => base + 2,
  id: (base: number, slot: number) => base + 4 + 8 * slot,
  len: (base: number, slot: number) => base + 8 + 8 * slot,
  availEvent: (base: number, size: number) => base + 4 + 8 * size,
} as const;
