// virtio-console: a driver for the virtio console device (port 0 only), offered to other programs
// as the "console" service (docs/console-protocol.md), the same protocol as drivers/uart16550.
//
// Two virtqueues: receiveq (0), on which we keep one device-writable buffer posted for the device
// to fill with the user's input, and transmitq (1), on which each WRITE goes out as one
// device-readable buffer. Input the device delivers is collected at every interrupt, and the
// buffer is posted again at once, so the device always has somewhere to put keystrokes; what
// arrives while no READ is waiting is kept (bounded) for the next READ.

import {
  ConsoleTag,
  VirtioDevice,
  VirtioFeature,
  VirtioMmio,
  consoleError,
  consoleWritten,
  decodeConsoleRequest,
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

// DMA layout, one page each: the two queues' rings, the receive buffer, the transmit buffer.
const RXQ_OFFSET = 0;
const TXQ_OFFSET = 4096;
const RX_BUF = 8192;
const TX_BUF = 12288;
const BUF_BYTES = 4096;
const QUEUE_SIZE = 8;
/** virtio-console feature bit 0: cols/rows in config are valid. */
const FEATURE_SIZE = 1n << 0n;
/** Input kept for the next READ; beyond this the oldest is dropped. */
const INPUT_LIMIT = 4096;

interface Console {
  readonly dev: VirtioMmio;
  readonly rxq: DriverSplitQueue;
  readonly txq: DriverSplitQueue;
  readonly irq: Irq;
  readonly ring: DmaBuffer;
  readonly input: number[];
  /** Head of the transmit chain in flight, if any. */
  txHead: number | undefined;
}

export default defineDriver({
  name: "virtio-console",
  device: { virtio: VirtioDevice.Console },
  caps: {
    regs: mmio({ size: 0x200 }),
    irq: irq(),
    ring: dma({ size: 16384 }),
    console: serve("console"),
  },
  main({ regs, irq, ring, console }, sys) {
    const dev = VirtioMmio.probe(regs, VirtioDevice.Console);
    const features = dev.init(VirtioFeature.VERSION_1 | FEATURE_SIZE);
    const rxq = dev.setupQueue(0, { dma: ring, offset: RXQ_OFFSET, maxSize: QUEUE_SIZE });
    const txq = dev.setupQueue(1, { dma: ring, offset: TXQ_OFFSET, maxSize: QUEUE_SIZE });
    dev.driverOk();
    const con: Console = { dev, rxq, txq, irq, ring, input: [], txHead: undefined };
    postReceiveBuffer(con);
    console.ready();
    const size = features & FEATURE_SIZE ? `, ${dev.config16(0)}x${dev.config16(2)}` : "";
    sys.debug(`virtio-console: ready${size}`);
    for (;;) {
      // An interrupt that came while we waited for a request: collect its input now.
      if (irq.poll()) serviceInterrupt(con);
      handleRequest(con, console.receive());
    }
  },
});

function handleRequest(con: Console, req: Request): void {
  const request = decodeConsoleRequest(req.tag, req.payload);
  switch (request.kind) {
    case "write":
      transmit(con, request.bytes);
      req.reply(ConsoleTag.WRITTEN, consoleWritten(request.bytes.length));
      return;
    case "read":
      collect(con);
      while (con.input.length === 0) waitForInterrupt(con);
      req.reply(ConsoleTag.INPUT, Uint8Array.from(con.input.splice(0, request.max)));
      return;
    case "refused":
      req.reply(ConsoleTag.ERROR, consoleError(request.error));
  }
}

function postReceiveBuffer(con: Console): void {
  con.rxq.add({ writable: [{ addr: con.ring.physAt(RX_BUF), len: BUF_BYTES }] });
  con.rxq.kick();
}

/** One WRITE = one readable buffer on the transmitq; wait until the device has consumed it. */
function transmit(con: Console, bytes: Uint8Array): void {
  con.ring.write(TX_BUF, bytes);
  con.txHead = con.txq.add({ readable: [{ addr: con.ring.physAt(TX_BUF), len: bytes.length }] });
  con.txq.kick();
  while (con.txHead !== undefined) waitForInterrupt(con);
}

/** Sleep until the device interrupts; clear it at the device before acknowledging the kernel (the
 *  line is level-triggered), then collect what the device finished. */
function waitForInterrupt(con: Console): void {
  con.irq.wait();
  serviceInterrupt(con);
}

function serviceInterrupt(con: Console): void {
  con.dev.ackInterrupt(con.dev.interruptStatus());
  con.irq.ack();
  collect(con);
}

function collect(con: Console): void {
  for (let done = con.rxq.popUsed(); done; done = con.rxq.popUsed()) {
    // Trust the device's count only up to what we offered.
    for (const byte of con.ring.read(RX_BUF, Math.min(done.len, BUF_BYTES))) con.input.push(byte);
    if (con.input.length > INPUT_LIMIT) con.input.splice(0, con.input.length - INPUT_LIMIT);
    postReceiveBuffer(con);
  }
  for (let done = con.txq.popUsed(); done; done = con.txq.popUsed()) {
    if (done.id === con.txHead) con.txHead = undefined;
  }
}
