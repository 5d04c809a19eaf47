// virtio-gpu's 2D command set (virtio 1.2 §5.7): what travels on the controlq. Little-endian
// structures; every request starts with the 24-byte control header. kernel/abi/virtio-gpu.ts holds
// the same numbers for drivers (devices/ imports nothing of ours; a test keeps the two equal).

export const VIRTIO_ID_GPU = 16;

/** struct virtio_gpu_ctrl_hdr: type u32 @0, flags u32 @4, fence_id u64 @8, ctx_id u32 @16,
 *  ring_idx u8 @20, 3 bytes padding. */
export const GPU_HDR_BYTES = 24;
/** flags: the driver wants the response to carry its fence id (completion ordering). */
export const GPU_FLAG_FENCE = 1;

export const GpuCmd = {
  GET_DISPLAY_INFO: 0x0100,
  RESOURCE_CREATE_2D: 0x0101,
  RESOURCE_UNREF: 0x0102,
  SET_SCANOUT: 0x0103,
  RESOURCE_FLUSH: 0x0104,
  TRANSFER_TO_HOST_2D: 0x0105,
  RESOURCE_ATTACH_BACKING: 0x0106,
  RESOURCE_DETACH_BACKING: 0x0107,
  UPDATE_CURSOR: 0x0300,
  MOVE_CURSOR: 0x0301,
} as const;

export const GpuResp = {
  OK_NODATA: 0x1100,
  OK_DISPLAY_INFO: 0x1101,
  ERR_UNSPEC: 0x1200,
  ERR_OUT_OF_MEMORY: 0x1201,
  ERR_INVALID_SCANOUT_ID: 0x1202,
  ERR_INVALID_RESOURCE_ID: 0x1203,
  ERR_INVALID_CONTEXT_ID: 0x1204,
  ERR_INVALID_PARAMETER: 0x1205,
} as const;

/** enum virtio_gpu_formats: the order of the four bytes of a pixel in memory. */
export const GpuFormat = {
  B8G8R8A8_UNORM: 1,
  B8G8R8X8_UNORM: 2,
  A8R8G8B8_UNORM: 3,
  X8R8G8B8_UNORM: 4,
  R8G8B8A8_UNORM: 67,
  X8B8G8R8_UNORM: 68,
  A8B8G8R8_UNORM: 121,
  R8G8B8X8_UNORM: 134,
} as const;

/** For each format: the byte index of red, green, blue in a pixel, and of alpha (-1: opaque). */
export const FORMAT_LAYOUT: Readonly<Record<number, readonly [number, number, number, number]>> = {
  [GpuFormat.B8G8R8A8_UNORM]: [2, 1, 0, 3],
  [GpuFormat.B8G8R8X8_UNORM]: [2, 1, 0, -1],
  [GpuFormat.A8R8G8B8_UNORM]: [1, 2, 3, 0],
  [GpuFormat.X8R8G8B8_UNORM]: [1, 2, 3, -1],
  [GpuFormat.R8G8B8A8_UNORM]: [0, 1, 2, 3],
  [GpuFormat.X8B8G8R8_UNORM]: [3, 2, 1, -1],
  [GpuFormat.A8B8G8R8_UNORM]: [3, 2, 1, 0],
  [GpuFormat.R8G8B8X8_UNORM]: [0, 1, 2, -1],
};

/** Request sizes (header included), for the length check every command gets. */
export const GPU_REQUEST_BYTES: Readonly<Record<number, number>> = {
  [GpuCmd.GET_DISPLAY_INFO]: GPU_HDR_BYTES,
  [GpuCmd.RESOURCE_CREATE_2D]: 40,
  [GpuCmd.RESOURCE_UNREF]: 32,
  [GpuCmd.SET_SCANOUT]: 48,
  [GpuCmd.RESOURCE_FLUSH]: 48,
  [GpuCmd.TRANSFER_TO_HOST_2D]: 56,
  [GpuCmd.RESOURCE_ATTACH_BACKING]: 32,
  [GpuCmd.RESOURCE_DETACH_BACKING]: 32,
  [GpuCmd.UPDATE_CURSOR]: 56,
  [GpuCmd.MOVE_CURSOR]: 56,
};

/** struct virtio_gpu_mem_entry: addr u64, length u32, padding u32. */
export const GPU_MEM_ENTRY_BYTES = 16;
/** QEMU's bound on backing entries per ATTACH_BACKING. */
export const GPU_MAX_BACKING_ENTRIES = 16384;
/** VIRTIO_GPU_MAX_SCANOUTS: the display-info response always has 16 modes. */
export const GPU_MAX_SCANOUTS = 16;
/** resp_display_info: header + 16 × (rect 16 bytes, enabled u32, flags u32). */
export const GPU_DISPLAY_INFO_BYTES = GPU_HDR_BYTES + GPU_MAX_SCANOUTS * 24;

/** Config space (§5.7.4): events_read u32 @0 (ro), events_clear u32 @4 (write 1 to clear),
 *  num_scanouts u32 @8, num_capsets u32 @12. */
export const GpuConfig = { EventsRead: 0, EventsClear: 4, NumScanouts: 8, NumCapsets: 12 } as const;
/** events_read bit: the display configuration changed (the driver should ask GET_DISPLAY_INFO). */
export const GPU_EVENT_DISPLAY = 1;
