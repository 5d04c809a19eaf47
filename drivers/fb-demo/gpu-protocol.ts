// The virtio-gpu 2D protocol as fb-demo uses it (virtio 1.2 §5.7.6): every request and response
// starts with the 24-byte control header `virtio_gpu_ctrl_hdr` { type u32, flags u32, fence_id u64,
// ctx_id u32, ring_idx u8, padding[3] }; the rest of each structure is u32 fields, little-endian.

export const HDR_BYTES = 24;

/** Request types (the header's `type`). */
export const Cmd = {
  GET_DISPLAY_INFO: 0x0100,
  RESOURCE_CREATE_2D: 0x0101,
  SET_SCANOUT: 0x0103,
  RESOURCE_FLUSH: 0x0104,
  TRANSFER_TO_HOST_2D: 0x0105,
  RESOURCE_ATTACH_BACKING: 0x0106,
} as const;

/** Response types: 0x11xx success, 0x12xx errors. */
export const Resp = {
  OK_NODATA: 0x1100,
  OK_DISPLAY_INFO: 0x1101,
  ERR_UNSPEC: 0x1200,
  ERR_OUT_OF_MEMORY: 0x1201,
  ERR_INVALID_SCANOUT_ID: 0x1202,
  ERR_INVALID_RESOURCE_ID: 0x1203,
  ERR_INVALID_CONTEXT_ID: 0x1204,
  ERR_INVALID_PARAMETER: 0x1205,
} as const;

/** Pixel formats: the order of a pixel's bytes in memory. */
export const Format = { B8G8R8X8_UNORM: 2 } as const;

export function commandName(type: number): string {
  return nameOf(Cmd, type, "command");
}

export function responseName(type: number): string {
  return nameOf(Resp, type, "response");
}

function nameOf(table: Readonly<Record<string, number>>, type: number, what: string): string {
  for (const [name, value] of Object.entries(table)) if (value === type) return name;
  return `${what} 0x${type.toString(16)}`;
}
