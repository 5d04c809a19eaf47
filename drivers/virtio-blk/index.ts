// virtio-blk: a driver for the virtio block device, offered to other programs as the "blk" service
// (docs/block-protocol.md). xv6's virtio_disk.c is the model.
//
// Every disk request is a chain of three descriptors (virtio-reference §6.4):
//
//   header  16 bytes the device reads: type (IN = read, OUT = write, FLUSH), reserved, sector
//   data    the sectors: device-writable for a read, device-readable for a write (none for FLUSH)
//   status  1 byte the device writes last: 0 OK, 1 IOERR, 2 UNSUPP
//
// Unlike virtio-rng, this driver keeps several requests in flight. Clients CALL us and wait, so
// while the device works on some requests, others queue up at our endpoint; we take them (poll)
// as long as we have a free slot, give the device everything at once with one kick, and sleep on the
// interrupt only when something is in flight. One interrupt may report many completions.

import {
  BLK_MAX_READ_SECTORS,
  BLK_SECTOR_SIZE,
  BlkError,
  BlkTag,
  VirtioDevice,
  VirtioError,
  VirtioFeature,
  VirtioInterrupt,
  VirtioMmio,
  VirtioStatus,
  blockError,
  blockInfoPayload,
  decodeBlockRequest,
  defineDriver,
  dma,
  irq,
  mmio,
  serve,
  type BlockInfo,
  type BufferRef,
  type DmaBuffer,
  type Irq,
  type Request,
  type SplitQueue,
} from "@zds/sdk";

// virtio-blk feature bits and numbers (virtio-reference §6.1, §6.2, §6.4).
const VIRTIO_BLK_F_SEG_MAX = 1n << 2n;
const VIRTIO_BLK_F_RO = 1n << 5n;
const VIRTIO_BLK_F_BLK_SIZE = 1n << 6n;
const VIRTIO_BLK_F_FLUSH = 1n << 9n;
const CONFIG_CAPACITY = 0;
const VIRTIO_BLK_T_IN = 0;
const VIRTIO_BLK_T_OUT = 1;
const VIRTIO_BLK_T_FLUSH = 4;
const VIRTIO_BLK_S_OK = 0;
const VIRTIO_BLK_S_UNSUPP = 2;

// DMA layout. Page 0: the virtqueue. Page 1: a 16-byte header and a status byte per slot.
// Pages 2…: a 4 KiB data buffer per slot (one block-protocol message holds at most 4 KiB).
const QUEUE_SIZE = 128;
/** Requests in flight at most: three descriptors each, so 32 use 96 of the queue's 128. */
const SLOTS = 32;
const HEADERS_OFFSET = 4096;
const SLOT_HEADER_BYTES = 32;
const DATA_OFFSET = 8192;
const DATA_BYTES = BLK_MAX_READ_SECTORS * BLK_SECTOR_SIZE;

const headerAt = (slot: number): number => HEADERS_OFFSET + SLOT_HEADER_BYTES * slot;
const statusAt = (slot: number): number => headerAt(slot) + 16;
const dataAt = (slot: number): number => DATA_OFFSET + DATA_BYTES * slot;

/** A request the device is working on: who to answer, and how. */
interface InFlight {
  readonly req: Request;
  readonly slot: number;
  /** Bytes to return for a read; 0 for a write or flush. */
  readonly readBytes: number;
}

/** Everything the handlers need once the device is up (xv6 keeps this in `disk`). */
interface Disk {
  readonly dev: VirtioMmio;
  readonly queue: SplitQueue;
  readonly irq: Irq;
  readonly mem: DmaBuffer;
  readonly info: BlockInfo;
  readonly freeSlots: number[];
  /** By head descriptor index: popUsed() tells us the head of each finished chain. */
  readonly inFlight: Map<number, InFlight>;
}

export default defineDriver({
  name: "virtio-blk",
  device: { virtio: VirtioDevice.Block },
  caps: {
    regs: mmio({ size: 0x200 }),
    irq: irq(),
    mem: dma({ size: DATA_OFFSET + SLOTS * DATA_BYTES }),
    blk: serve("blk"),
  },
  main({ regs, irq, mem, blk }, sys) {
    // Bring the device up (virtio 1.x §3.1). FLUSH lets us promise durability only when asked
    // (without it every write is write-through); RO tells us the disk refuses writes; EVENT_IDX
    // lets the device hold back interrupts while we are still collecting completions.
    const dev = VirtioMmio.probe(regs, VirtioDevice.Block);
    const features = dev.init(VirtioFeature.VERSION_1 | VirtioFeature.EVENT_IDX | VIRTIO_BLK_F_FLUSH | VIRTIO_BLK_F_RO | VIRTIO_BLK_F_BLK_SIZE | VIRTIO_BLK_F_SEG_MAX);
    const sectors = Number(dev.config64(CONFIG_CAPACITY));
    const queue = dev.setupQueue(0, { dma: mem, offset: 0, maxSize: QUEUE_SIZE });
    dev.driverOk();

    // FLUSH is durable either way: negotiated, it is a real cache flush; if the device lacked it,
    // every write would already be write-through (virtio-reference §6.6).
    const info: BlockInfo = { sectors, readOnly: (features & VIRTIO_BLK_F_RO) !== 0n, flush: true };
    const disk: Disk = { dev, queue, irq, mem, info, freeSlots: [...Array(SLOTS).keys()].reverse(), inFlight: new Map() };
    blk.ready();
    sys.debug(`virtio-blk: ready, ${sectors} sectors${info.readOnly ? " (read-only)" : ""}, queue of ${queue.size}, ${SLOTS} requests in flight at most`);

    for (;;) {
      // Sleep on the endpoint only when the device has nothing of ours; otherwise take whatever
      // requests are already waiting, as long as there is a free slot.
      if (disk.inFlight.size === 0) handleRequest(disk, blk.receive());
      for (let req = nextIfRoom(disk, blk); req; req = nextIfRoom(disk, blk)) handleRequest(disk, req);
      // One kick for everything added since the last one (none if the device said it is busy).
      queue.kick();
      if (disk.inFlight.size > 0) collectCompletions(disk);
    }
  },
});

function nextIfRoom(disk: Disk, blk: { poll(): Request | undefined }): Request | undefined {
  return disk.freeSlots.length > 0 ? blk.poll() : undefined;
}

/** Answer a request at once, or start it on the device. */
function handleRequest(disk: Disk, req: Request): void {
  const request = decodeBlockRequest(req.tag, req.payload, disk.info);
  switch (request.kind) {
    case "info":
      req.reply(BlkTag.INFO_REPLY, blockInfoPayload(disk.info));
      return;
    case "refused":
      req.reply(BlkTag.ERROR, blockError(request.error));
      return;
    case "read":
      return start(disk, req, VIRTIO_BLK_T_IN, request.sector, { writable: request.count * BLK_SECTOR_SIZE });
    case "write":
      return start(disk, req, VIRTIO_BLK_T_OUT, request.sector, { readable: request.data });
    case "flush":
      return start(disk, req, VIRTIO_BLK_T_FLUSH, 0, {});
  }
}

/** Fill a slot's header, chain header → data → status, and queue it (the kick comes later). */
function start(disk: Disk, req: Request, type: number, sector: number, data: { readable?: Uint8Array; writable?: number }): void {
  const slot = disk.freeSlots.pop() as number; // the main loop only takes requests when a slot is free
  const { mem } = disk;
  mem.setU32(headerAt(slot), type);
  mem.setU32(headerAt(slot) + 4, 0);
  mem.setU64(headerAt(slot) + 8, sector);
  // A status the device never wrote must not read as OK.
  mem.setU8(statusAt(slot), 0xff);

  const header = { addr: mem.physAt(headerAt(slot)), len: 16 };
  const status = { addr: mem.physAt(statusAt(slot)), len: 1 };
  const readable: BufferRef[] = [header];
  const writable: BufferRef[] = [];
  if (data.readable) {
    mem.write(dataAt(slot), data.readable);
    readable.push({ addr: mem.physAt(dataAt(slot)), len: data.readable.length });
  }
  if (data.writable) writable.push({ addr: mem.physAt(dataAt(slot)), len: data.writable });
  writable.push(status);

  const head = disk.queue.add({ readable, writable });
  disk.inFlight.set(head, { req, slot, readBytes: data.writable ?? 0 });
}

/** Sleep until the device interrupts, then answer every request it finished. */
function collectCompletions(disk: Disk): void {
  disk.irq.wait();
  // Clear the device's interrupt before the kernel's: the line is level-triggered.
  const why = disk.dev.interruptStatus();
  disk.dev.ackInterrupt(why);
  disk.irq.ack();
  if (why & VirtioInterrupt.CONFIG_CHANGE && disk.dev.status() & VirtioStatus.DEVICE_NEEDS_RESET) {
    // The device gave up on our ring (a driver bug, see the device events). Faulting makes the
    // supervisor reset it, and the kernel answers every caller still waiting.
    throw new VirtioError("the device set DEVICE_NEEDS_RESET; requests in flight are lost");
  }
  for (let used = disk.queue.popUsed(); used; used = disk.queue.popUsed()) {
    const done = disk.inFlight.get(used.id);
    if (!done) throw new VirtioError(`the device completed chain ${used.id}, which is not one of ours`);
    disk.inFlight.delete(used.id);
    finish(disk, done);
    disk.freeSlots.push(done.slot);
  }
}

function finish(disk: Disk, done: InFlight): void {
  const status = disk.mem.getU8(statusAt(done.slot));
  if (status !== VIRTIO_BLK_S_OK) {
    done.req.reply(BlkTag.ERROR, blockError(status === VIRTIO_BLK_S_UNSUPP ? BlkError.UNSUPPORTED : BlkError.IO));
  } else if (done.readBytes > 0) {
    done.req.reply(BlkTag.DATA, disk.mem.read(dataAt(done.slot), done.readBytes));
  } else {
    done.req.reply(BlkTag.DONE);
  }
}
