// virtio-console: a driver for the virtio console device (port 0 only), offered to other programs
// as the "console" service (docs/console-protocol.md), the same protocol as drivers/uart16550.
//
// Two virtqueues: receiveq (0), on which we keep one device-writable buffer posted for the device
// to fill with the user's input, and transmitq (1), on which each WRITE goes out as one
// device-readable buffer. Input the device delivers is collected at every interrupt, and the
// buffer is posted again at once, so the device always has somewhere to put keystrokes; what
// arrives while no READ is waiting is kept (bounded) for the next READ.
//
// Bad days (docs/faults.md): every wait for the interrupt is bounded (IRQ_TIMEOUT_US), after which
// the rings are looked at as if it had come, so a lost interrupt costs time, not the console; a
// device that sets DEVICE_NEEDS_RESET is reset and set up again, and a WRITE it held is sent again.

import {
  ConsoleTag,
  VirtioDevice,
  VirtioFeature,
  VirtioMmio,
  VirtioStatus,
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
  type System,
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
/** How long (virtual µs) we wait for an interrupt before looking at the rings anyway. */
const IRQ_TIMEOUT_US = 10_000;
const WANTED_FEATURES = VirtioFeature.VERSION_1 | FEATURE_SIZE;

interface Console {
  readonly dev: VirtioMmio;
  readonly sys: System;
  /** Replaced when the device is reset (DEVICE_NEEDS_RESET). */
  rxq: DriverSplitQueue;
  txq: DriverSplitQueue;
  readonly irq: Irq;
  readonly ring: DmaBuffer;
  readonly input: number[];
  /** Head of the transmit chain in flight, if any. */
  txHead: number | undefined;
  /** Its length (the bytes are in TX_BUF), to send again after a reset. */
  txLength: number;
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
    const features = dev.init(WANTED_FEATURES);
    const rxq = dev.setupQueue(0, { dma: ring, offset: RXQ_OFFSET, maxSize: QUEUE_SIZE });
    const txq = dev.setupQueue(1, { dma: ring, offset: TXQ_OFFSET, maxSize: QUEUE_SIZE });
    dev.driverOk();
    const con: Console = { dev, sys, rxq, txq, irq, ring, input: [], txHead: undefined, txLength: 0 };
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
  con.txLength = bytes.length;
  sendTxBuffer(con);
  while (con.txHead !== undefined) waitForInterrupt(con);
}

function sendTxBuffer(con: Console): void {
  con.txHead = con.txq.add({ readable: [{ addr: con.ring.physAt(TX_BUF), len: con.txLength }] });
  con.txq.kick();
}

/** Sleep until the device interrupts, at most IRQ_TIMEOUT_US (virtual): a lost interrupt must not
 *  hold a READ or a WRITE for ever, so after that the rings are looked at anyway. */
function waitForInterrupt(con: Console): void {
  const interrupted = con.irq.wait({ timeoutUs: IRQ_TIMEOUT_US });
  serviceInterrupt(con, interrupted);
}

/** Clear the interrupt at the device before acknowledging the kernel (the line is level-triggered;
 *  after a timeout nothing was delivered, so nothing is acknowledged), then collect what the device
 *  finished, or reset a device that gave up. */
function serviceInterrupt(con: Console, delivered = true): void {
  con.dev.ackInterrupt(con.dev.interruptStatus());
  if (delivered) {
    // Until the ack the line is masked, so a second notification waiting now is this same
    // interrupt delivered twice (docs/faults.md): take it, or the next wait would "see" an
    // interrupt and ack one the kernel no longer holds (E_INVAL, a panic).
    while (con.irq.poll()) continue;
    con.irq.ack();
  }
  if (con.dev.status() & VirtioStatus.DEVICE_NEEDS_RESET) return resetDevice(con);
  collect(con);
}

/** DEVICE_NEEDS_RESET: the device will use neither queue again until reset. Reset it, set it up as
 *  at the start (the receive buffer posted again), and send the WRITE it held again: the device may
 *  have printed part of it, but losing it would be worse than a line printed twice. */
function resetDevice(con: Console): void {
  con.sys.debug(`virtio-console: the device set DEVICE_NEEDS_RESET; resetting it${con.txHead !== undefined ? " and sending the WRITE it held again" : ""}`);
  con.dev.init(WANTED_FEATURES);
  con.rxq = con.dev.setupQueue(0, { dma: con.ring, offset: RXQ_OFFSET, maxSize: QUEUE_SIZE });
  con.txq = con.dev.setupQueue(1, { dma: con.ring, offset: TXQ_OFFSET, maxSize: QUEUE_SIZE });
  con.dev.driverOk();
  postReceiveBuffer(con);
  if (con.txHead !== undefined) sendTxBuffer(con);
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
