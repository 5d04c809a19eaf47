// Message tags (zos-ipc §7.8) and the ZDS tags placed in ranges zos-ipc leaves free.

export const Tag = {
  CONSOLE_INPUT: 0x0002,
  // Init service protocol (to Init's input endpoint, slot 2)
  REGISTER_SERVICE: 0x1000,
  LOOKUP_SERVICE: 0x1001,
  LOOKUP_RESPONSE: 0x1002,
  SERVICE_READY: 0x1005,
  /** Result of a SYS_STORAGE_* request, from Init (PID 1) on the requester's input endpoint:
   *  [request_id u32][result_type u8][data_len u32][data] (kernel/abi/adapters.ts). */
  STORAGE_RESULT: 0x0080,
  /** Result of a SYS_NETWORK_FETCH request, same framing; result_type 0, the HttpResponse JSON as data. */
  NET_RESULT: 0x9002,
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

/** The block-device protocol ("blk" service; docs/block-protocol.md). Every request is a CALL;
 *  every reply is the matching answer or BLK_ERROR [status u32] (BlkError). Sectors are 512 bytes. */
export const BlkTag = {
  /** Request: empty. Reply INFO_REPLY: [sectors u64][sector_size u32][max_read u32][max_write u32][flags u32]. */
  INFO: 0x6100,
  INFO_REPLY: 0x6101,
  /** Request: [sector u64][count u32], 1 ≤ count ≤ BLK_MAX_READ_SECTORS. Reply DATA: count·512 bytes. */
  READ: 0x6102,
  DATA: 0x6103,
  /** Request: [sector u64][data], data = 1 … BLK_MAX_WRITE_SECTORS whole sectors. Reply DONE. */
  WRITE: 0x6104,
  DONE: 0x6105,
  /** Request: empty. Reply DONE once everything written before is on stable storage. */
  FLUSH: 0x6106,
  ERROR: 0x610f,
  // The bulk path (drivers whose INFO sets BlkInfoFlag.BULK): data moves by device DMA into and out
  // of a buffer the client lends, and one message carries many requests.
  /** One-way SEND_CAP, no reply: [buffer u32] with caps[0] = a Dma capability, which lends that
   *  buffer to the driver under the client's number `buffer`. Its rights say what the device may
   *  do: write (READs land there), read (WRITEs come from there). */
  ATTACH: 0x6108,
  /** Request: [buffer u32]. Reply DONE: the driver gave the capability up; ERROR BUFFER if unknown. */
  DETACH: 0x610a,
  /** Request: [count u32] then count × [op u32][buffer u32][offset u32][sectors u32][sector u64],
   *  1 ≤ count ≤ BLK_MAX_BATCH. Reply BATCH_DONE: [count u32] then count × [status u32], 0 = done,
   *  else a BlkError, in request order, once every entry has finished. */
  BATCH: 0x6110,
  BATCH_DONE: 0x6111,
} as const;

/** BATCH entry operations. */
export const BlkBatchOp = {
  /** Sectors from the disk into the buffer. */
  READ: 0,
  /** Sectors from the buffer onto the disk. */
  WRITE: 1,
} as const;

/** Entries one BATCH may carry: the virtio-blk driver's requests in flight (its 128-entry queue,
 *  one indirect descriptor per request). */
export const BLK_MAX_BATCH = 128;
/** Sectors one BATCH entry may move: 1 MiB. */
export const BLK_MAX_BULK_SECTORS = 2048;
export const BLK_BATCH_ENTRY_BYTES = 24;

export const BLK_SECTOR_SIZE = 512;
/** A reply carries at most 4 096 bytes: 8 sectors. */
export const BLK_MAX_READ_SECTORS = 8;
/** A WRITE carries its 8-byte sector number too: 4 088 bytes leave room for 7 sectors. */
export const BLK_MAX_WRITE_SECTORS = 7;

/** INFO_REPLY flags. */
export const BlkInfoFlag = {
  READ_ONLY: 1,
  /** FLUSH reaches stable storage (otherwise it is accepted and does nothing). */
  FLUSH: 2,
  /** ATTACH, DETACH and BATCH are served (the bulk path). */
  BULK: 4,
} as const;

/** The status of BLK_ERROR. */
export const BlkError = {
  /** Malformed request: wrong payload length, count 0 or above the maximum. */
  INVALID: 1,
  /** The sectors lie beyond the end of the disk. */
  RANGE: 2,
  READ_ONLY: 3,
  /** The device failed the request. */
  IO: 4,
  /** Unknown request tag. */
  UNSUPPORTED: 5,
  /** A BATCH entry names a buffer this client did not attach, runs past its end, or needs a right
   *  the lent capability lacks (write for a READ, read for a WRITE). */
  BUFFER: 6,
} as const;

export function describeBlkError(status: number): string {
  const names: Record<number, string> = {
    [BlkError.INVALID]: "INVALID (malformed request)",
    [BlkError.RANGE]: "RANGE (beyond the end of the disk)",
    [BlkError.READ_ONLY]: "READ_ONLY (the disk is read-only)",
    [BlkError.IO]: "IO (the device failed the request)",
    [BlkError.UNSUPPORTED]: "UNSUPPORTED (unknown request)",
    [BlkError.BUFFER]: "BUFFER (no such attached buffer, outside it, or without the right)",
  };
  return names[status] ?? `status ${status}`;
}

/** The console protocol ("console" service; docs/console-protocol.md), served by the UART and the
 *  virtio-console drivers. Every request is a CALL; every reply is the matching answer or
 *  CONSOLE_ERROR [status u32] (ConsoleError). */
export const ConsoleTag = {
  /** Request: the bytes to print, 1 … CONSOLE_MAX_WRITE. Reply WRITTEN [count u32] once the device
   *  has taken every byte. */
  WRITE: 0x6200,
  WRITTEN: 0x6201,
  /** Request: [max u32], 1 ≤ max ≤ CONSOLE_MAX_READ. Reply INPUT: 1 … max bytes of input, sent once
   *  at least one byte has arrived (a READ waits for the user). */
  READ: 0x6202,
  INPUT: 0x6203,
  ERROR: 0x620f,
} as const;

/** A message carries at most 4 096 bytes. */
export const CONSOLE_MAX_WRITE = 4096;
export const CONSOLE_MAX_READ = 4096;

/** The status of CONSOLE_ERROR. */
export const ConsoleError = {
  /** Malformed request: empty WRITE, READ payload not 4 bytes, max 0 or above the maximum. */
  INVALID: 1,
  /** Unknown request tag. */
  UNSUPPORTED: 2,
} as const;

/** The network protocol ("net" service; docs/net-protocol.md), served by drivers/virtio-net. Every
 *  request is a CALL; every reply is the matching answer or NET_ERROR [status u32] (NetError).
 *  Frames are Ethernet II frames without FCS: 14 … NET_MAX_FRAME bytes. */
export const NetTag = {
  /** Request: empty. Reply MAC_ADDRESS: [mac 6 bytes]. */
  MAC: 0x6300,
  MAC_ADDRESS: 0x6301,
  /** Request: empty. Reply LINK_STATUS: [up u8][reserved u8][mtu u16]. */
  LINK: 0x6302,
  LINK_STATUS: 0x6303,
  /** Request: one frame. Reply SENT (empty) once the device has taken it. */
  SEND: 0x6304,
  SENT: 0x6305,
  /** Request: [flags u32] (NetReceiveFlag). Reply FRAME: the oldest frame received and not yet
   *  handed out; without NOWAIT the reply waits for one, with NOWAIT it is NO_FRAME (empty). */
  RECEIVE: 0x6306,
  FRAME: 0x6307,
  NO_FRAME: 0x6308,
  ERROR: 0x630f,
} as const;

export const NetReceiveFlag = {
  /** Answer NO_FRAME at once rather than wait for a frame. */
  NOWAIT: 1,
} as const;

/** An Ethernet header: the shortest frame SEND takes. */
export const NET_MIN_FRAME = 14;
/** mtu 1500 + the 14-byte header: the longest frame SEND takes and FRAME carries. */
export const NET_MAX_FRAME = 1514;

/** The status of NET_ERROR. */
export const NetError = {
  /** Malformed request: a frame shorter than 14 or longer than NET_MAX_FRAME bytes, a RECEIVE
   *  payload that is not 4 bytes, unknown flags. */
  INVALID: 1,
  /** The link is down: nothing can be sent. */
  LINK_DOWN: 2,
  /** Unknown request tag. */
  UNSUPPORTED: 3,
} as const;
