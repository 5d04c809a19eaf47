// virtio-rng: a driver for the virtio entropy device, offered to other programs as the "rng" service.
//
// The device has one virtqueue. The driver posts empty, device-writable buffers on it; the device
// fills them with random bytes and returns them on the used ring, saying how many bytes it wrote
// (at least one, maybe fewer than the buffer holds). So serving a request for `count` bytes means:
// post a buffer, kick, sleep until the interrupt, collect what was written — until we have `count`.
//
// Protocol (kernel/abi tags.ts): RngTag.GET_BYTES [count u32] → RngTag.BYTES [count bytes]
// or RngTag.ERROR [errno u32]; 1 ≤ count ≤ RNG_MAX_REQUEST.

import {
  Errno,
  RNG_MAX_REQUEST,
  Reader,
  RngTag,
  VirtioDevice,
  VirtioFeature,
  VirtioMmio,
  Writer,
  defineDriver,
  dma,
  irq,
  mmio,
  serve,
  type DmaBuffer,
  type Irq,
  type Request,
  type DriverSplitQueue,
} from "@zds/sdk";

// The DMA area is two pages: the virtqueue's rings in the first, the buffer the device fills in the
// second. One buffer of RNG_MAX_REQUEST bytes is enough, because we keep one request in flight.
const QUEUE_OFFSET = 0;
const DATA_OFFSET = 4096;
const QUEUE_SIZE = 16;

/** A device that keeps completing buffers without writing a byte is broken; stop asking after this. */
const MAX_EMPTY_COMPLETIONS = 8;

/** Everything the request handlers need, gathered once the device is up (xv6 keeps this in `disk`). */
interface Rng {
  dev: VirtioMmio;
  queue: DriverSplitQueue;
  irq: Irq;
  ring: DmaBuffer;
}

export default defineDriver({
  name: "virtio-rng",
  device: { virtio: VirtioDevice.Entropy },
  caps: {
    regs: mmio({ size: 0x200 }),
    irq: irq(),
    ring: dma({ size: 8192 }),
    rng: serve("rng"),
  },
  main({ regs, irq, ring, rng }, sys) {
    // Bring the device up (virtio 1.x §3.1): check what it is, negotiate features — the entropy
    // device has none of its own, so VERSION_1 is all we accept — then give it its queue.
    const dev = VirtioMmio.probe(regs, VirtioDevice.Entropy);
    dev.init(VirtioFeature.VERSION_1);
    const queue = dev.setupQueue(0, { dma: ring, offset: QUEUE_OFFSET, maxSize: QUEUE_SIZE });
    dev.driverOk();

    // Only now that the device works do clients get to find us.
    rng.ready();
    sys.debug(`virtio-rng: ready, queue of ${queue.size} at ${hex(queue.descPhys)}`);

    const state: Rng = { dev, queue, irq, ring };
    for (;;) handleRequest(state, rng.receive());
  },
});

/** Answer one request. */
function handleRequest(rng: Rng, req: Request): void {
  if (req.tag !== RngTag.GET_BYTES) {
    req.reply(RngTag.ERROR, errno(Errno.E_NOSYS));
    return;
  }
  const count = req.payload.length === 4 ? new Reader(req.payload).u32() : 0;
  if (count === 0 || count > RNG_MAX_REQUEST) {
    req.reply(RngTag.ERROR, errno(Errno.E_INVAL));
    return;
  }
  const bytes = readEntropy(rng, count);
  if (bytes) req.reply(RngTag.BYTES, bytes);
  else req.reply(RngTag.ERROR, errno(Errno.E_AGAIN));
}

/** Collect exactly `count` random bytes from the device, or undefined if it stops producing any. */
function readEntropy(rng: Rng, count: number): Uint8Array | undefined {
  const out = new Uint8Array(count);
  let have = 0;
  let empty = 0;
  while (have < count) {
    const written = fillOnce(rng, count - have);
    out.set(rng.ring.read(DATA_OFFSET, written), have);
    have += written;
    empty = written === 0 ? empty + 1 : 0;
    if (empty === MAX_EMPTY_COMPLETIONS) return undefined;
  }
  return out;
}

/** Post one buffer of `len` bytes, wait until the device returns it, and say how much it wrote. */
function fillOnce(rng: Rng, len: number): number {
  rng.queue.add({ writable: [{ addr: rng.ring.physAt(DATA_OFFSET), len }] });
  rng.queue.kick();
  for (;;) {
    // Every completion raises the interrupt (we never asked the device to hold it back), so sleep
    // first; an interrupt with nothing on the used ring (a config change) just means sleep again.
    waitForInterrupt(rng);
    const done = rng.queue.popUsed();
    // Trust the device's count only up to what we offered, so we never copy stale memory.
    if (done) return Math.min(done.len, len);
  }
}

/** Sleep until the device interrupts, then clear the interrupt at the device and at the kernel.
 *  The order matters: the line is level-triggered, so acknowledging the kernel first would deliver
 *  the same, still-asserted interrupt again. */
function waitForInterrupt(rng: Rng): void {
  // At most IRQ_TIMEOUT_US (virtual) µs: a lost interrupt (docs/faults.md) must not stall the
  // caller for ever, so after that the used ring is looked at as if the interrupt had come.
  const interrupted = rng.irq.wait({ timeoutUs: IRQ_TIMEOUT_US });
  rng.dev.ackInterrupt(rng.dev.interruptStatus());
  if (interrupted) rng.irq.ack();
}

const IRQ_TIMEOUT_US = 10_000;

function errno(code: number): Uint8Array {
  return new Writer().u32(code).finish();
}

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}
