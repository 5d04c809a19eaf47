// virtio-blk: a driver for the virtio block device, offered to other programs as the "blk" service
// (docs/block-protocol.md). xv6's virtio_disk.c is the model.
//
// Every disk request is a chain of three descriptors (virtio-reference §6.4):
//
//   header  16 bytes the device reads: type (IN = read, OUT = write, FLUSH), reserved, sector
//   data    the sectors: device-writable for a read, device-readable for a write (none for FLUSH)
//   status  1 byte the device writes last: 0 OK, 1 IOERR, 2 UNSUPP
//
// With INDIRECT_DESC (the device offers it) the three live in a small table of the request's own
// and the ring holds one descriptor pointing at it (§2.7.5.3), so 128 requests fit in flight.
//
// Unlike virtio-rng, this driver keeps several requests in flight. Clients CALL us and wait, so
// while the device works on some requests, others queue up at our endpoint; we take them (poll)
// as long as we have a free slot, give the device everything at once with one kick, and sleep on the
// interrupt only when something is in flight. One interrupt may report many completions.
//
// Two ways data travels (docs/block-protocol.md):
//   messages   READ/WRITE of ≤ 4 KiB: the data rides in the message, through a bounce buffer here.
//   bulk path  a client lends a DMA buffer (ATTACH) and sends a BATCH of up to 128 transfers of up to
//              1 MiB each; the device moves the sectors straight between the disk and that buffer
//              (the kernel put it in the device's IOMMU view), and one reply answers the batch.
// Either way a request becomes a Job; jobs wait in a backlog until a slot is free.

import {
  BLK_MAX_READ_SECTORS,
  BLK_SECTOR_SIZE,
  BlkError,
  BlkTag,
  LentBuffers,
  Reader,
  VirtioDevice,
  VirtioError,
  VirtioFeature,
  VirtioMmio,
  VirtioStatus,
  batchDonePayload,
  blockError,
  blockInfoPayload,
  decodeBatch,
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
  type DriverSplitQueue,
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

// DMA layout. Page 0: the virtqueue. Pages 1–4: per slot, a 16-byte header, a status byte and (with
// INDIRECT_DESC) the request's 3-entry indirect table. Then 32 bounce buffers of 4 KiB, for requests
// whose data rides in a message (one message holds at most 4 KiB); bulk transfers use the client's
// buffer instead.
const QUEUE_SIZE = 128;
const SLOT_BYTES = 128;
const SLOTS_OFFSET = 4096;
const SLOT_TABLE = 32;
const BOUNCES = 32;
const BOUNCE_OFFSET = SLOTS_OFFSET + QUEUE_SIZE * SLOT_BYTES;
const BOUNCE_BYTES = BLK_MAX_READ_SECTORS * BLK_SECTOR_SIZE;

const headerAt = (slot: number): number => SLOTS_OFFSET + SLOT_BYTES * slot;
const statusAt = (slot: number): number => headerAt(slot) + 16;
const tableAt = (slot: number): number => headerAt(slot) + SLOT_TABLE;
const bounceAt = (bounce: number): number => BOUNCE_OFFSET + BOUNCE_BYTES * bounce;

/** One virtio-blk request to make: what, where its data is, and what to do when it is done. */
interface Job {
  readonly type: number;
  readonly sector: number;
  /** The data: `phys` in a lent buffer (bulk), else a bounce buffer, filled from `fill` for a
   *  write. Absent for FLUSH. */
  readonly data?: { readonly bytes: number; readonly phys?: number; readonly fill?: Uint8Array };
  /** Called when the device finished it, with the status byte and the bounce buffer's offset in
   *  our DMA memory (it holds a read's data until we return), if it had one. */
  done(status: number, bounce: number | undefined): void;
}

/** A job on the device: its slot, and its bounce buffer if it has one. */
interface Started {
  readonly job: Job;
  readonly slot: number;
  readonly bounce: number | undefined;
}

/** Everything the handlers need once the device is up (xv6 keeps this in `disk`). */
interface Disk {
  readonly dev: VirtioMmio;
  /** Replaced when the device is reset (DEVICE_NEEDS_RESET, or it stopped answering). */
  queue: DriverSplitQueue;
  readonly irq: Irq;
  readonly mem: DmaBuffer;
  readonly info: BlockInfo;
  readonly buffers: LentBuffers;
  readonly freeSlots: number[];
  readonly freeBounces: number[];
  /** Jobs waiting for a free slot (and bounce buffer, if they need one), oldest first. */
  readonly backlog: Job[];
  /** By head descriptor index: popUsed() tells us the head of each finished chain. */
  readonly inFlight: Map<number, Started>;
  /** Interrupt waits in a row that timed out with nothing completed. */
  silentWaits: number;
  debug(text: string): void;
}

// Faults (docs/faults.md): a lost interrupt must not leave callers waiting forever, so the driver
// waits for the interrupt at most IRQ_TIMEOUT_US (virtual µs) and then looks at the used ring as if
// it had come. A device that completes nothing for SILENT_WAITS_BEFORE_RESET such waits (a lost
// completion), or that sets DEVICE_NEEDS_RESET, is reset and given the requests it held again.
const IRQ_TIMEOUT_US = 10_000;
const SILENT_WAITS_BEFORE_RESET = 3;
const WANTED_FEATURES =
  VirtioFeature.VERSION_1 | VirtioFeature.EVENT_IDX | VirtioFeature.INDIRECT_DESC | VIRTIO_BLK_F_FLUSH | VIRTIO_BLK_F_RO | VIRTIO_BLK_F_BLK_SIZE | VIRTIO_BLK_F_SEG_MAX;

export default defineDriver({
  name: "virtio-blk",
  device: { virtio: VirtioDevice.Block },
  caps: {
    regs: mmio({ size: 0x200 }),
    irq: irq(),
    mem: dma({ size: BOUNCE_OFFSET + BOUNCES * BOUNCE_BYTES }),
    blk: serve("blk"),
  },
  main({ regs, irq, mem, blk }, sys) {
    // Bring the device up (virtio 1.x §3.1). FLUSH lets us promise durability only when asked
    // (without it every write is write-through); RO tells us the disk refuses writes; EVENT_IDX
    // lets the device hold back interrupts while we are still collecting completions.
    const dev = VirtioMmio.probe(regs, VirtioDevice.Block);
    // INDIRECT_DESC puts each request in a table of its own, so all 128 ring entries can be
    // requests in flight (three descriptors each would allow 42).
    const features = dev.init(WANTED_FEATURES);
    const sectors = Number(dev.config64(CONFIG_CAPACITY));
    const queue = dev.setupQueue(0, { dma: mem, offset: 0, maxSize: QUEUE_SIZE });
    dev.driverOk();

    // FLUSH is durable either way: negotiated, it is a real cache flush; if the device lacked it,
    // every write would already be write-through (virtio-reference §6.6).
    const info: BlockInfo = { sectors, readOnly: (features & VIRTIO_BLK_F_RO) !== 0n, flush: true, bulk: true };
    const disk: Disk = {
      dev,
      queue,
      irq,
      mem,
      info,
      buffers: new LentBuffers(sys),
      freeSlots: [...Array(queue.indirect ? QUEUE_SIZE : Math.floor(QUEUE_SIZE / 3)).keys()].reverse(),
      freeBounces: [...Array(BOUNCES).keys()].reverse(),
      backlog: [],
      inFlight: new Map(),
      silentWaits: 0,
      debug: (text) => sys.debug(text),
    };
    blk.ready();
    sys.debug(`virtio-blk: ready, ${sectors} sectors${info.readOnly ? " (read-only)" : ""}, queue of ${queue.size}, ${disk.freeSlots.length} requests in flight at most${queue.indirect ? " (indirect descriptors)" : ""}`);

    for (;;) {
      // Sleep on the endpoint only when the device has nothing of ours; otherwise take whatever
      // requests are already waiting, as long as there is a free slot.
      if (disk.inFlight.size === 0 && disk.backlog.length === 0) handleRequest(disk, blk.receive());
      for (;;) {
        startBacklog(disk);
        if (disk.backlog.length > 0) break;
        const req = blk.poll();
        if (!req) break;
        handleRequest(disk, req);
      }
      // One kick for everything added since the last one (none if the device said it is busy).
      disk.queue.kick();
      if (disk.inFlight.size > 0) collectCompletions(disk);
    }
  },
});

/** Answer a request at once, or turn it into jobs for the device. */
function handleRequest(disk: Disk, req: Request): void {
  switch (req.tag) {
    case BlkTag.ATTACH: {
      const refused = disk.buffers.attach(req);
      if (refused !== undefined) {
        disk.debug(`virtio-blk: ATTACH from pid ${req.sender} refused: ${refused}`);
        req.reply(BlkTag.ERROR, blockError(BlkError.INVALID)); // only reaches a caller that CALLed
      }
      return;
    }
    case BlkTag.DETACH: {
      const known = req.payload.length === 4 && disk.buffers.detach(req.sender, new Reader(req.payload).u32());
      req.reply(known ? BlkTag.DONE : BlkTag.ERROR, known ? undefined : blockError(BlkError.BUFFER));
      return;
    }
    case BlkTag.BATCH:
      return startBatch(disk, req);
  }
  const request = decodeBlockRequest(req.tag, req.payload, disk.info);
  switch (request.kind) {
    case "info":
      req.reply(BlkTag.INFO_REPLY, blockInfoPayload(disk.info));
      return;
    case "refused":
      req.reply(BlkTag.ERROR, blockError(request.error));
      return;
    case "read": {
      const bytes = request.count * BLK_SECTOR_SIZE;
      disk.backlog.push({
        type: VIRTIO_BLK_T_IN,
        sector: request.sector,
        data: { bytes },
        done: (status, bounce) => (status === VIRTIO_BLK_S_OK ? req.reply(BlkTag.DATA, disk.mem.read(bounce as number, bytes)) : replyFailed(req, status)),
      });
      return;
    }
    case "write":
      disk.backlog.push({ type: VIRTIO_BLK_T_OUT, sector: request.sector, data: { bytes: request.data.length, fill: request.data }, done: (status) => replyDone(req, status) });
      return;
    case "flush":
      disk.backlog.push({ type: VIRTIO_BLK_T_FLUSH, sector: 0, done: (status) => replyDone(req, status) });
      return;
  }
}

/** A BATCH: one job per good entry, one reply when the last of them is done. */
function startBatch(disk: Disk, req: Request): void {
  const batch = decodeBatch(req.payload, disk.info, disk.buffers, req.sender);
  if (batch.kind === "refused") {
    disk.debug(`virtio-blk: BATCH from pid ${req.sender} refused: ${batch.reason}`);
    req.reply(BlkTag.ERROR, blockError(BlkError.INVALID));
    return;
  }
  const statuses = batch.entries.map((e) => (e.kind === "refused" ? e.status : 0));
  let remaining = batch.entries.filter((e) => e.kind !== "refused").length;
  if (remaining === 0) {
    req.reply(BlkTag.BATCH_DONE, batchDonePayload(statuses));
    return;
  }
  batch.entries.forEach((entry, i) => {
    if (entry.kind === "refused") return;
    disk.backlog.push({
      type: entry.kind === "read" ? VIRTIO_BLK_T_IN : VIRTIO_BLK_T_OUT,
      sector: entry.sector,
      data: { bytes: entry.sectors * BLK_SECTOR_SIZE, phys: entry.phys },
      done: (status) => {
        statuses[i] = blkStatus(status);
        if (--remaining === 0) req.reply(BlkTag.BATCH_DONE, batchDonePayload(statuses));
      },
    });
  });
}

/** Give the device waiting jobs, in order, while slots (and bounce buffers) are free. */
function startBacklog(disk: Disk): void {
  for (;;) {
    const job = disk.backlog[0];
    if (job === undefined || disk.freeSlots.length === 0) return;
    const needsBounce = job.data !== undefined && job.data.phys === undefined;
    if (needsBounce && disk.freeBounces.length === 0) return;
    disk.backlog.shift();
    start(disk, job, needsBounce ? disk.freeBounces.pop() : undefined);
  }
}

/** Fill a slot's header, chain header → data → status, and queue it (the kick comes later). */
function start(disk: Disk, job: Job, bounce: number | undefined): void {
  const slot = disk.freeSlots.pop() as number; // startBacklog only starts a job when a slot is free
  const { mem } = disk;
  mem.setU32(headerAt(slot), job.type);
  mem.setU32(headerAt(slot) + 4, 0);
  mem.setU64(headerAt(slot) + 8, job.sector);
  // A status the device never wrote must not read as OK.
  mem.setU8(statusAt(slot), 0xff);

  const header = { addr: mem.physAt(headerAt(slot)), len: 16 };
  const status = { addr: mem.physAt(statusAt(slot)), len: 1 };
  const readable: BufferRef[] = [header];
  const writable: BufferRef[] = [];
  if (job.data) {
    if (job.data.fill && bounce !== undefined) mem.write(bounceAt(bounce), job.data.fill);
    const data = { addr: job.data.phys ?? mem.physAt(bounceAt(bounce as number)), len: job.data.bytes };
    (job.type === VIRTIO_BLK_T_IN ? writable : readable).push(data);
  }
  writable.push(status);

  const head = disk.queue.add({ readable, writable }, disk.queue.indirect ? tableAt(slot) : undefined);
  disk.inFlight.set(head, { job, slot, bounce });
}

/** Sleep until the device interrupts (or the wait times out), then finish every request it completed. */
function collectCompletions(disk: Disk): void {
  const interrupted = disk.irq.wait({ timeoutUs: IRQ_TIMEOUT_US });
  // Clear the device's interrupt before the kernel's: the line is level-triggered.
  const why = disk.dev.interruptStatus();
  disk.dev.ackInterrupt(why);
  if (interrupted) disk.irq.ack();
  if (disk.dev.status() & VirtioStatus.DEVICE_NEEDS_RESET) {
    // The device gave up (on our ring, or on its own): reset it and hand it the requests again.
    disk.debug("virtio-blk: the device set DEVICE_NEEDS_RESET; resetting it and resubmitting the requests in flight");
    return resetDevice(disk);
  }
  let completed = 0;
  for (let used = disk.queue.popUsed(); used; used = disk.queue.popUsed()) {
    completed++;
    const done = disk.inFlight.get(used.id);
    if (!done) throw new VirtioError(`the device completed chain ${used.id}, which is not one of ours`);
    disk.inFlight.delete(used.id);
    done.job.done(disk.mem.getU8(statusAt(done.slot)), done.bounce === undefined ? undefined : bounceAt(done.bounce));
    disk.freeSlots.push(done.slot);
    if (done.bounce !== undefined) disk.freeBounces.push(done.bounce);
  }
  if (!interrupted && completed > 0) disk.debug(`virtio-blk: no interrupt within ${IRQ_TIMEOUT_US} µs, but ${completed} request(s) had completed (a lost interrupt)`);
  disk.silentWaits = completed > 0 || interrupted ? 0 : disk.silentWaits + 1;
  if (disk.silentWaits >= SILENT_WAITS_BEFORE_RESET) {
    disk.debug(`virtio-blk: the device completed nothing in ${SILENT_WAITS_BEFORE_RESET * IRQ_TIMEOUT_US} µs; resetting it and resubmitting ${disk.inFlight.size} request(s)`);
    resetDevice(disk);
  }
}

/** Reset the device and bring it up again; the requests it held go back to the front of the
 *  backlog, in the order they were started, and are started again by the main loop. */
function resetDevice(disk: Disk): void {
  const held = [...disk.inFlight.values()];
  disk.inFlight.clear();
  for (const started of held) {
    disk.freeSlots.push(started.slot);
    if (started.bounce !== undefined) disk.freeBounces.push(started.bounce);
  }
  disk.backlog.unshift(...held.map((started) => started.job));
  disk.dev.init(WANTED_FEATURES);
  disk.queue = disk.dev.setupQueue(0, { dma: disk.mem, offset: 0, maxSize: QUEUE_SIZE });
  disk.dev.driverOk();
  disk.silentWaits = 0;
}

/** The protocol's status for a device status byte: 0 for OK, else a BlkError. */
function blkStatus(status: number): number {
  return status === VIRTIO_BLK_S_OK ? 0 : status === VIRTIO_BLK_S_UNSUPP ? BlkError.UNSUPPORTED : BlkError.IO;
}

function replyFailed(req: Request, status: number): void {
  req.reply(BlkTag.ERROR, blockError(blkStatus(status)));
}

function replyDone(req: Request, status: number): void {
  if (status === VIRTIO_BLK_S_OK) req.reply(BlkTag.DONE);
  else replyFailed(req, status);
}
