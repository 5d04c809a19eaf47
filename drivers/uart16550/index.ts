// uart16550: a driver for the 16550 UART on COM1 (ports 0x3F8–0x3FF, IRQ 4), offered to other
// programs as the "console" service (docs/console-protocol.md).
//
// Set-up: 115 200 baud (divisor 1, programmed with LCR.DLAB set), 8 data bits, no parity, 1 stop
// bit; FIFOs on with a receive trigger of 1 byte; MCR.OUT2 set, because on a PC that is what
// connects the UART's interrupt pin to the interrupt controller.
//
// Interrupt-driven both ways:
//   receive   IER.ERBFI + ELSI: each interrupt, drain RBR while LSR.DR into our input buffer.
//   transmit  fill the 16-byte FIFO while LSR.THRE, then enable IER.ETBEI and sleep until the FIFO
//             empties; ETBEI is off again when nothing is left to send, or the interrupt would
//             fire for ever on an idle transmitter.
// One request at a time: a READ with no input yet waits for the receive interrupt. Input that
// arrives between requests waits in the UART's FIFO (16 bytes) and is collected at the next
// request; more than that overruns, which the device counts.

import { ConsoleTag, consoleError, consoleWritten, decodeConsoleRequest, defineDriver, irq, ports, serve, type Irq, type PortRange, type Request, type System } from "@zds/sdk";

const BASE = 0x3f8;
const RBR = BASE + 0; // read, DLAB = 0
const THR = BASE + 0; // write, DLAB = 0
const DLL = BASE + 0; // DLAB = 1
const IER = BASE + 1; // DLAB = 0
const DLM = BASE + 1; // DLAB = 1
const IIR = BASE + 2; // read
const FCR = BASE + 2; // write
const LCR = BASE + 3;
const MCR = BASE + 4;
const LSR = BASE + 5;

const IER_RX = 0x01;
const IER_TX_EMPTY = 0x02;
const IER_LINE_STATUS = 0x04;
const IIR_NONE = 0x01;
const FCR_ENABLE_AND_CLEAR = 0x07;
const LCR_8N1 = 0x03;
const LCR_DLAB = 0x80;
const MCR_DTR_RTS_OUT2 = 0x0b;
const LSR_DR = 0x01;
const LSR_OE = 0x02;
/** Parity, framing and break: the character at the top of the FIFO arrived damaged. */
const LSR_BAD_CHARACTER = 0x04 | 0x08 | 0x10;
const LSR_THRE = 0x20;
const FIFO_BYTES = 16;
/** Input kept for the next READ; beyond this the oldest input is dropped, so a flood cannot
 *  grow the driver's memory. */
const INPUT_LIMIT = 4096;

interface Uart {
  readonly io: PortRange;
  readonly irq: Irq;
  /** Input received and not yet read by a client. */
  readonly input: number[];
  overruns: number;
  /** Characters dropped because they arrived with a parity/framing error or as a break. */
  damaged: number;
  readonly sys: System;
}

/** How long (virtual µs) we wait for an interrupt before looking at the UART anyway. */
const IRQ_TIMEOUT_US = 10_000;

export default defineDriver({
  name: "uart16550",
  device: { ports: { first: 0x3f8, last: 0x3ff } },
  caps: {
    // MSR and SCR (0x3FE–0x3FF) are never touched: ask only for what is used.
    io: ports({ first: 0x3f8, last: 0x3fd }),
    irq: irq(),
    console: serve("console"),
  },
  main({ io, irq, console }, sys) {
    const uart: Uart = { io, irq, input: [], overruns: 0, damaged: 0, sys };
    setUp(uart);
    console.ready();
    sys.debug("uart16550: ready, 115200 8N1, FIFOs on");
    for (;;) {
      // An interrupt that came while we waited for a request: collect its input now.
      if (irq.poll()) serviceInterrupt(uart);
      handleRequest(uart, console.receive());
    }
  },
});

function setUp(uart: Uart): void {
  const { io } = uart;
  io.out8(IER, 0);
  io.out8(LCR, LCR_DLAB);
  io.out8(DLL, 1);
  io.out8(DLM, 0);
  io.out8(LCR, LCR_8N1);
  io.out8(FCR, FCR_ENABLE_AND_CLEAR);
  io.out8(MCR, MCR_DTR_RTS_OUT2);
  io.out8(IER, IER_RX | IER_LINE_STATUS);
}

function handleRequest(uart: Uart, req: Request): void {
  const request = decodeConsoleRequest(req.tag, req.payload);
  switch (request.kind) {
    case "write":
      transmit(uart, request.bytes);
      req.reply(ConsoleTag.WRITTEN, consoleWritten(request.bytes.length));
      return;
    case "read":
      // Something may be waiting in the FIFO already (it arrived while we served others).
      drainReceiver(uart);
      while (uart.input.length === 0) waitForInterrupt(uart);
      req.reply(ConsoleTag.INPUT, Uint8Array.from(uart.input.splice(0, request.max)));
      return;
    case "refused":
      req.reply(ConsoleTag.ERROR, consoleError(request.error));
  }
}

/** Fill the FIFO whenever it is empty; between fills, sleep on the THR-empty interrupt. */
function transmit(uart: Uart, bytes: Uint8Array): void {
  let at = 0;
  while (at < bytes.length) {
    if (takeLineStatus(uart) & LSR_THRE) {
      const end = Math.min(bytes.length, at + FIFO_BYTES);
      for (; at < end; at++) uart.io.out8(THR, bytes[at]);
      continue;
    }
    uart.io.out8(IER, IER_RX | IER_LINE_STATUS | IER_TX_EMPTY);
    waitForInterrupt(uart);
    uart.io.out8(IER, IER_RX | IER_LINE_STATUS);
  }
}

/** Sleep until the UART interrupts, then clear every source it reports before acknowledging the
 *  (level-triggered) line at the kernel. At most IRQ_TIMEOUT_US (virtual): a lost interrupt
 *  (docs/faults.md) must not stall a READ or a WRITE for ever, so after that the UART is looked at
 *  as if it had interrupted; nothing was delivered then, so nothing is acknowledged. */
function waitForInterrupt(uart: Uart): void {
  const interrupted = uart.irq.wait({ timeoutUs: IRQ_TIMEOUT_US });
  serviceInterrupt(uart, interrupted);
}

function serviceInterrupt(uart: Uart, delivered = true): void {
  // IIR names one source at a time, highest priority first; reading it clears THR-empty, reading
  // LSR clears line status, draining RBR clears received data.
  for (let i = 0; i < 8 && (uart.io.in8(IIR) & IIR_NONE) === 0; i++) drainReceiver(uart);
  if (!delivered) drainReceiver(uart);
  if (delivered) uart.irq.ack();
}

function drainReceiver(uart: Uart): void {
  for (;;) if ((takeLineStatus(uart) & LSR_DR) === 0) return;
}

/** Read LSR and deal with what it says about the receiver: an overrun noted, the character at the
 *  top of the FIFO (if any) taken as input or dropped when it came damaged. Every LSR read goes
 *  through here, because reading LSR clears its error bits: a read that only wanted THRE would
 *  otherwise lose the news that the next character is garbage. */
function takeLineStatus(uart: Uart): number {
  const lsr = uart.io.in8(LSR);
  if (lsr & LSR_OE) {
    // Input was lost on the line; the protocol has no way to say so to a reader, the debug log does.
    uart.overruns++;
    uart.sys.debug(`uart16550: receive overrun (${uart.overruns} so far): input was lost`);
  }
  if ((lsr & LSR_DR) === 0) return lsr;
  const byte = uart.io.in8(RBR);
  if (lsr & LSR_BAD_CHARACTER) {
    // The error bits belong to the character just read: it is not what was sent, so a reader must
    // not get it (it would see a 0x00, or some other wrong byte, as input).
    uart.damaged++;
    uart.sys.debug(`uart16550: dropped a character received with a ${lsr & 0x08 ? "framing" : lsr & 0x04 ? "parity" : "break"} error`);
    return lsr;
  }
  uart.input.push(byte);
  if (uart.input.length > INPUT_LIMIT) uart.input.shift();
  return lsr;
}
