// A 16550A UART on eight I/O ports (conventionally COM1: 0x3F8–0x3FF, IRQ 4), wired to the machine
// console: what the driver transmits becomes console output, and the user's keystrokes arrive as if
// typed on a terminal at the other end of the line.
//
// What a driver sees, as on real parts (PC16550D data sheet):
//   - Registers by offset: 0 RBR/THR (DLL when LCR.DLAB), 1 IER (DLM when DLAB), 2 IIR (read) / FCR
//     (write), 3 LCR, 4 MCR, 5 LSR, 6 MSR, 7 SCR.
//   - Characters take time on the line: 1 start + 5–8 data + parity + 1–2 stop bits at
//     115 200 / divisor baud, on the virtual clock. That is why THRE and its interrupt exist.
//   - Transmit: a 16-byte FIFO when FCR enables FIFOs, else a single holding register. THRE and its
//     interrupt come when the holding register/FIFO empties; TEMT when the shift register has
//     finished too.
//   - Receive: a 16-byte FIFO (1 byte without FIFOs). A character arriving to a full FIFO is lost:
//     OE in LSR, a line-status interrupt, and the loss is counted.
//   - IIR reports the highest-priority source: line status > received data (or character timeout)
//     > THR empty > modem status. Reading IIR when it reports THRE clears that source.
//   - The IRQ pin reaches the interrupt controller only while MCR.OUT2 is set, as on PCs, and never
//     in loopback mode (OUT2 is then internal).
//   - Loopback (MCR bit 4): transmitted characters come back as received ones, and MSR reflects
//     the MCR outputs.
// Outside input waits on the "wire" in a bounded queue (a flood is cut off and counted, never
// buffered without limit) and enters the receiver one character time apart.
// Register misuse (a divisor never programmed, the line format changed mid-character, a write to a
// read-only register, a full transmit FIFO, a wide access, and registers programmed in the wrong
// order: data or IER written while DLAB still selects the divisor latch, interrupts enabled before
// the line is configured) is counted and reported as a driver-error event; the device carries on
// as the hardware would (a byte written with DLAB set lands in the latch).

import type { AccessWidth, BusDevice } from "./bus-access";
import type { Scheduler, ScheduledEvent } from "./clock";
import type { ConsoleInputDevice, ResettableDevice } from "./device-interfaces";
import { hex } from "./format";
import type { IrqLine } from "./irq";
import type { DeviceEvent } from "./machine-interface";

/** Register offsets from the base port. */
export const UartReg = {
  RBR: 0,
  THR: 0,
  DLL: 0,
  IER: 1,
  DLM: 1,
  IIR: 2,
  FCR: 2,
  LCR: 3,
  MCR: 4,
  LSR: 5,
  MSR: 6,
  SCR: 7,
} as const;
export const UartIer = { ERBFI: 0x01, ETBEI: 0x02, ELSI: 0x04, EDSSI: 0x08 } as const;
/** IIR identification codes (bits 0–3); bit 0 set means "no interrupt pending". */
export const UartIir = {
  NONE: 0x01,
  LINE_STATUS: 0x06,
  RX_DATA: 0x04,
  RX_TIMEOUT: 0x0c,
  THR_EMPTY: 0x02,
  MODEM_STATUS: 0x00,
  FIFOS_ENABLED: 0xc0,
} as const;
export const UartFcr = { ENABLE: 0x01, CLEAR_RX: 0x02, CLEAR_TX: 0x04, DMA_MODE: 0x08, TRIGGER_MASK: 0xc0 } as const;
export const UartLcr = { WORD_MASK: 0x03, STOP2: 0x04, PARITY: 0x08, BREAK: 0x40, DLAB: 0x80 } as const;
export const UartMcr = { DTR: 0x01, RTS: 0x02, OUT1: 0x04, OUT2: 0x08, LOOP: 0x10 } as const;
export const UartLsr = {
  DR: 0x01,
  OE: 0x02,
  PE: 0x04,
  FE: 0x08,
  BI: 0x10,
  THRE: 0x20,
  TEMT: 0x40,
  FIFO_ERROR: 0x80,
} as const;
export const UartMsr = {
  DCTS: 0x01,
  DDSR: 0x02,
  TERI: 0x04,
  DDCD: 0x08,
  CTS: 0x10,
  DSR: 0x20,
  RI: 0x40,
  DCD: 0x80,
} as const;

/** The UART's input clock divided by 16: the baud rate at divisor 1. */
export const UART_BASE_BAUD = 115_200;
export const UART_FIFO_BYTES = 16;
/** Outside input waiting on the wire beyond this is dropped (and counted): a paste or a flood
 *  must not grow host memory without limit. */
export const UART_DEFAULT_WIRE_BYTES = 4096;
/** RX trigger levels selected by FCR bits 6–7. */
const TRIGGER_LEVELS = [1, 4, 8, 14] as const;

export interface UartOptions {
  readonly name: string;
  readonly irq: IrqLine;
  readonly clock: Scheduler;
  readonly emit: (event: DeviceEvent) => void;
  /** Where transmitted characters go: the machine console. */
  readonly output: (bytes: Uint8Array) => void;
  /** Bound of the queue of outside input not yet received (default UART_DEFAULT_WIRE_BYTES). */
  readonly wireBytes?: number;
}

/** Counters for tests and views. */
export interface UartStats {
  txBytes: number;
  rxBytes: number;
  /** Characters lost because the receive FIFO was full (each also set OE). */
  overruns: number;
  /** Outside input dropped because the wire queue was full. */
  inputDropped: number;
  /** Transmit characters dropped because the driver wrote THR with the FIFO full. */
  txDropped: number;
  /** Register misuse noticed (each also reported as a driver-error event). */
  driverErrors: number;
  /** Of those, registers programmed in the wrong order: data or IER written while LCR.DLAB still
   *  selects the divisor latch, interrupts enabled before the line was configured. */
  orderErrors: number;
  /** Rising edges of the IRQ line. */
  interrupts: number;
}

/** The UART's registers and FIFO levels at one moment (see Uart16550.snapshot). */
export interface UartSnapshot {
  ier: number;
  iir: number;
  fcr: number;
  lcr: number;
  mcr: number;
  lsr: number;
  msr: number;
  scr: number;
  divisor: number;
  rxLevel: number;
  txLevel: number;
  wireLevel: number;
  irq: boolean;
}

export class Uart16550 implements ResettableDevice, ConsoleInputDevice {
  readonly name: string;
  readonly stats: UartStats = {
    txBytes: 0,
    rxBytes: 0,
    overruns: 0,
    inputDropped: 0,
    txDropped: 0,
    driverErrors: 0,
    orderErrors: 0,
    interrupts: 0,
  };
  /** The eight registers, for the port bus. */
  readonly registers: BusDevice;

  private readonly irq: IrqLine;
  private readonly clock: Scheduler;
  private readonly emit: (event: DeviceEvent) => void;
  private readonly output: (bytes: Uint8Array) => void;
  private readonly wireLimit: number;

  private ier = 0;
  private fcr = 0;
  private lcr = 0;
  private mcr = 0;
  private lsrErrors = 0;
  private nextLineError: "framing" | "overrun" | undefined;
  /** An injected framing error's character waits in the receive FIFO behind this many others: LSR.FE
   *  shows when it reaches the top (the part reports errors with the character RBR will give next). */
  private garbledBehind: number | undefined;
  private msrDeltas = 0;
  private msrLines = 0;
  private scr = 0;
  private divisor = 0;
  private lastRbr = 0;

  private readonly rx: number[] = [];
  private readonly tx: number[] = [];
  /** Outside input on its way in, one character time apart. */
  private readonly wire: number[] = [];
  private shifting: ScheduledEvent | undefined;
  private receiving: ScheduledEvent | undefined;
  private timeout: ScheduledEvent | undefined;
  private threPending = false;
  private lineStatusPending = false;
  private timeoutPending = false;
  private divisorWarned = false;
  /** Writes to offsets 0 and 1 since DLAB was last set: a divisor takes one each, so a second one
   *  is a character or an IER value meant for the other register bank. */
  private latchWrites = [0, 0];
  /** LCR written (with DLAB clear) since reset: the line format is set. */
  private formatSet = false;
  private earlyIerWarned = false;

  constructor(options: UartOptions) {
    this.name = options.name;
    this.irq = options.irq;
    this.clock = options.clock;
    this.emit = options.emit;
    this.output = options.output;
    this.wireLimit = options.wireBytes ?? UART_DEFAULT_WIRE_BYTES;
    this.registers = {
      read: (offset, width) => this.read(offset, width),
      write: (offset, width, value) => this.write(offset, width, value),
    };
    this.reset();
  }

  /** Master reset: what the machine does when the driver dies. Outside input already typed stays
   *  on the wire (the user typed it; a restarted driver may still read it). */
  reset(): void {
    this.shifting?.cancel();
    this.timeout?.cancel();
    this.shifting = undefined;
    this.timeout = undefined;
    this.ier = 0;
    this.fcr = 0;
    this.lcr = 0;
    this.mcr = 0;
    this.lsrErrors = 0;
    this.nextLineError = undefined;
    this.scr = 0;
    // The divisor latch is not cleared by master reset on the real part; at power-on it is
    // undefined. Zero makes "never programmed" visible.
    this.divisor = 0;
    this.divisorWarned = false;
    this.latchWrites = [0, 0];
    this.formatSet = false;
    this.earlyIerWarned = false;
    this.rx.length = 0;
    this.garbledBehind = undefined;
    this.tx.length = 0;
    this.threPending = false;
    this.lineStatusPending = false;
    this.timeoutPending = false;
    // A terminal is attached and ready: CTS, DSR and DCD asserted, no deltas yet.
    this.msrLines = UartMsr.CTS | UartMsr.DSR | UartMsr.DCD;
    this.msrDeltas = 0;
    this.update();
  }

  /** Outside input (keystrokes): queued on the wire, received one character time apart. */
  input(bytes: Uint8Array): void {
    for (const byte of bytes) {
      if (this.wire.length >= this.wireLimit) this.stats.inputDropped++;
      else this.wire.push(byte);
    }
    this.startReceiving();
  }

  /** An injected line error (devices/faults.ts). Overrun: LSR.OE and a line-status interrupt now,
   *  and the next character received is lost. Framing: the next character received arrives as 0x00,
   *  and LSR.FE with a line-status interrupt come when it is at the top of the FIFO (as on the part,
   *  where the error bits belong to the character RBR gives next), so a driver can tell which to drop. */
  lineError(kind: "framing" | "overrun"): void {
    if (kind === "overrun") {
      this.lsrErrors |= UartLsr.OE;
      this.stats.overruns++;
      this.lineStatusPending = true;
    }
    this.nextLineError = kind;
    this.update();
  }

  private framingErrorAtTop(): void {
    this.garbledBehind = undefined;
    this.lsrErrors |= UartLsr.FE;
    this.lineStatusPending = true;
  }

  /** Bytes received and not yet read by the driver (tests and views). */
  get rxLevel(): number {
    return this.rx.length;
  }

  /** Every register as the driver would read it, without a read's side effects (for the views). */
  snapshot(): UartSnapshot {
    let lsr = this.lsrErrors;
    if (this.rx.length > 0) lsr |= UartLsr.DR;
    if (this.tx.length === 0) lsr |= UartLsr.THRE;
    if (this.tx.length === 0 && this.shifting === undefined) lsr |= UartLsr.TEMT;
    return {
      ier: this.ier,
      iir: this.pendingSource() | (this.fifosEnabled() ? UartIir.FIFOS_ENABLED : 0),
      fcr: this.fcr,
      lcr: this.lcr,
      mcr: this.mcr,
      lsr,
      msr: this.msrLines | this.msrDeltas,
      scr: this.scr,
      divisor: this.divisor,
      rxLevel: this.rx.length,
      txLevel: this.tx.length,
      wireLevel: this.wire.length,
      irq: this.irq.level,
    };
  }

  /** Virtual nanoseconds one character takes on the line with the current format and divisor. */
  characterNs(): number {
    const dataBits = 5 + (this.lcr & UartLcr.WORD_MASK);
    const bits = 1 + dataBits + (this.lcr & UartLcr.PARITY ? 1 : 0) + (this.lcr & UartLcr.STOP2 ? 2 : 1);
    return Math.round((bits * 1e9 * Math.max(1, this.divisor)) / UART_BASE_BAUD);
  }

  // ---- register file ---------------------------------------------------------------------------

  private read(offset: number, width: AccessWidth): number {
    if (width !== 1) this.driverError(`${width}-byte read at offset ${offset}: the UART's registers are 8 bits wide`);
    const dlab = (this.lcr & UartLcr.DLAB) !== 0;
    switch (offset) {
      case UartReg.RBR:
        return dlab ? this.divisor & 0xff : this.readRbr();
      case UartReg.IER:
        return dlab ? this.divisor >> 8 : this.ier;
      case UartReg.IIR:
        return this.readIir();
      case UartReg.LCR:
        return this.lcr;
      case UartReg.MCR:
        return this.mcr;
      case UartReg.LSR:
        return this.readLsr();
      case UartReg.MSR:
        return this.readMsr();
      default:
        return this.scr;
    }
  }

  private write(offset: number, width: AccessWidth, value: number): void {
    if (width !== 1)
      this.driverError(
        `${width}-byte write of ${hex(value)} at offset ${offset}: the UART's registers are 8 bits wide; only the low byte is used`,
      );
    const byte = value & 0xff;
    const dlab = (this.lcr & UartLcr.DLAB) !== 0;
    switch (offset) {
      case UartReg.THR:
        if (dlab) this.writeLatch(0, byte);
        else this.writeThr(byte);
        return;
      case UartReg.IER:
        if (dlab) this.writeLatch(1, byte);
        else this.writeIer(byte);
        return;
      case UartReg.FCR:
        this.writeFcr(byte);
        return;
      case UartReg.LCR:
        if ((byte & ~UartLcr.DLAB & 0xff) !== (this.lcr & ~UartLcr.DLAB & 0xff))
          this.checkLineIdle("changing the line format (LCR)");
        // Setting DLAB opens a new divisor window; clearing it is the end of line configuration.
        if (byte & UartLcr.DLAB && !(this.lcr & UartLcr.DLAB)) this.latchWrites = [0, 0];
        if (!(byte & UartLcr.DLAB)) this.formatSet = true;
        this.lcr = byte;
        return;
      case UartReg.MCR:
        this.writeMcr(byte & 0x1f);
        return;
      case UartReg.LSR:
        return this.driverError(
          `write of ${hex(byte)} to LSR: the line status register is read-only (factory test only)`,
        );
      case UartReg.MSR:
        return this.driverError(`write of ${hex(byte)} to MSR: the modem status register is read-only`);
      default:
        this.scr = byte;
    }
  }

  private readRbr(): number {
    const byte = this.rx.shift();
    // An empty RBR reads as whatever it held last, as on the part.
    if (byte !== undefined) this.lastRbr = byte;
    if (byte !== undefined && this.garbledBehind !== undefined && --this.garbledBehind === 0) this.framingErrorAtTop();
    this.timeoutPending = false;
    this.restartTimeout();
    this.update();
    return this.lastRbr;
  }

  private readIir(): number {
    const id = this.pendingSource();
    // Reading IIR while it names THRE is one of the two ways to clear that source.
    if (id === UartIir.THR_EMPTY) {
      this.threPending = false;
      this.update();
    }
    return id | (this.fifosEnabled() ? UartIir.FIFOS_ENABLED : 0);
  }

  private readLsr(): number {
    let lsr = this.lsrErrors;
    if (this.rx.length > 0) lsr |= UartLsr.DR;
    if (this.tx.length === 0) lsr |= UartLsr.THRE;
    if (this.tx.length === 0 && this.shifting === undefined) lsr |= UartLsr.TEMT;
    // Reading LSR clears the error bits and the line-status interrupt.
    this.lsrErrors = 0;
    this.lineStatusPending = false;
    this.update();
    return lsr;
  }

  private readMsr(): number {
    const msr = this.msrLines | this.msrDeltas;
    this.msrDeltas = 0;
    this.update();
    return msr;
  }

  private writeThr(byte: number): void {
    if (this.divisor === 0 && !this.divisorWarned) {
      // Once per reset: a driver that never sets the baud rate would otherwise flood the log.
      this.divisorWarned = true;
      this.driverError(
        `transmit before the divisor latch was programmed (set LCR.DLAB, write DLL/DLM, clear DLAB); sending at ${UART_BASE_BAUD} baud`,
      );
    }
    this.threPending = false;
    if (this.tx.length >= this.txCapacity()) {
      this.stats.txDropped++;
      this.driverError(
        `write of ${hex(byte)} to THR with the transmitter full (LSR.THRE clear): the character is lost`,
      );
    } else {
      this.tx.push(byte);
      if (this.shifting === undefined) this.startShifting();
    }
    this.update();
  }

  /** DLL (offset 0) or DLM (offset 1) while DLAB is set. As on the part, the byte goes to the
   *  latch; a second write to the same offset in one DLAB window is a driver that forgot to clear
   *  DLAB, writing data or IER into the divisor, and is reported. */
  private writeLatch(offset: 0 | 1, byte: number): void {
    this.latchWrites[offset]++;
    if (this.latchWrites[offset] > 1) {
      const meant = offset === 0 ? "THR (a character to send)" : "IER";
      this.orderError(
        `write of ${hex(byte)} to offset ${offset} with LCR.DLAB still set: it goes to the divisor latch (${offset === 0 ? "DLL" : "DLM"}), not ${meant}; clear DLAB after programming the divisor`,
      );
    }
    this.setDivisor(offset === 0 ? (this.divisor & 0xff00) | byte : (this.divisor & 0xff) | (byte << 8));
  }

  private writeIer(byte: number): void {
    if ((byte & 0x0f) !== 0 && (!this.formatSet || this.divisor === 0) && !this.earlyIerWarned) {
      // Once per reset, as for the divisor warning: the driver's order is wrong once, not per write.
      this.earlyIerWarned = true;
      this.orderError(
        `IER enables interrupts (${hex(byte)}) before the line is configured: program the divisor (LCR.DLAB, DLL/DLM) and the format (LCR) first, then IER`,
      );
    }
    const before = this.ier;
    this.ier = byte & 0x0f;
    // Enabling ETBEI while the holding register is empty interrupts at once (16550 behaviour that
    // drivers rely on to start transmission).
    if (!(before & UartIer.ETBEI) && this.ier & UartIer.ETBEI && this.tx.length === 0) this.threPending = true;
    this.update();
  }

  private writeFcr(byte: number): void {
    const wasEnabled = this.fifosEnabled();
    const enable = (byte & UartFcr.ENABLE) !== 0;
    // Switching FIFO mode on or off empties both FIFOs, as on the part.
    if (wasEnabled !== enable || byte & UartFcr.CLEAR_RX) this.clearRx();
    if (wasEnabled !== enable || byte & UartFcr.CLEAR_TX) {
      this.tx.length = 0;
      if (this.shifting === undefined) this.threPending = (this.ier & UartIer.ETBEI) !== 0;
    }
    // The clear bits self-clear; the rest stays (IIR shows the FIFO state).
    this.fcr = byte & (UartFcr.ENABLE | UartFcr.DMA_MODE | UartFcr.TRIGGER_MASK);
    this.update();
  }

  private writeMcr(byte: number): void {
    const before = this.modemInputs();
    this.mcr = byte;
    const after = this.modemInputs();
    // Delta bits: CTS/DSR/DCD on any change, RI on its trailing edge.
    const changed = before ^ after;
    if (changed & UartMsr.CTS) this.msrDeltas |= UartMsr.DCTS;
    if (changed & UartMsr.DSR) this.msrDeltas |= UartMsr.DDSR;
    if (changed & UartMsr.DCD) this.msrDeltas |= UartMsr.DDCD;
    if (before & UartMsr.RI && !(after & UartMsr.RI)) this.msrDeltas |= UartMsr.TERI;
    this.msrLines = after;
    // Leaving loopback reconnects the receiver to the outside line.
    if (!(byte & UartMcr.LOOP)) this.startReceiving();
    this.update();
  }

  /** The modem inputs: the terminal's, or in loopback the UART's own outputs. */
  private modemInputs(): number {
    if (!(this.mcr & UartMcr.LOOP)) return UartMsr.CTS | UartMsr.DSR | UartMsr.DCD;
    let lines = 0;
    if (this.mcr & UartMcr.RTS) lines |= UartMsr.CTS;
    if (this.mcr & UartMcr.DTR) lines |= UartMsr.DSR;
    if (this.mcr & UartMcr.OUT1) lines |= UartMsr.RI;
    if (this.mcr & UartMcr.OUT2) lines |= UartMsr.DCD;
    return lines;
  }

  private setDivisor(value: number): void {
    if (value !== this.divisor) this.checkLineIdle("changing the divisor latch");
    this.divisor = value;
    this.divisorWarned = false;
  }

  /** Reprogramming the line while a character is on it garbles that character on real hardware;
   *  here it is finished at the old rate, and the driver is told. */
  private checkLineIdle(what: string): void {
    if (this.shifting !== undefined)
      this.driverError(`${what} while a character is being transmitted (wait for LSR.TEMT first)`);
  }

  // ---- the line ---------------------------------------------------------------------------------

  private startShifting(): void {
    const byte = this.tx.shift();
    if (byte === undefined) return;
    // The holding register (or FIFO) just emptied: THRE, and its interrupt.
    if (this.tx.length === 0) this.threPending = true;
    this.shifting = this.clock.schedule({ delay: this.characterNs() }, () => {
      this.shifting = undefined;
      this.stats.txBytes++;
      if (this.mcr & UartMcr.LOOP) this.receive(byte);
      else this.output(Uint8Array.of(byte));
      this.startShifting();
      this.update();
    });
    this.update();
  }

  private startReceiving(): void {
    if (this.receiving !== undefined || this.wire.length === 0) return;
    this.receiving = this.clock.schedule({ delay: this.characterNs() }, () => {
      this.receiving = undefined;
      const byte = this.wire.shift();
      // In loopback the receiver is disconnected from the outside line: the input waits.
      if (byte !== undefined && !(this.mcr & UartMcr.LOOP)) this.receive(byte);
      else if (byte !== undefined) this.wire.unshift(byte);
      if (!(this.mcr & UartMcr.LOOP)) this.startReceiving();
      this.update();
    });
  }

  private receive(byte: number): void {
    const injected = this.nextLineError;
    this.nextLineError = undefined;
    if (injected === "overrun") return this.restartTimeout();
    if (injected === "framing") byte = 0x00;
    if (this.rx.length >= this.rxCapacity()) {
      this.stats.overruns++;
      this.lsrErrors |= UartLsr.OE;
      this.lineStatusPending = true;
    } else {
      this.rx.push(byte);
      this.stats.rxBytes++;
      if (injected === "framing") {
        if (this.rx.length === 1) this.framingErrorAtTop();
        else this.garbledBehind = this.rx.length - 1;
      }
    }
    this.restartTimeout();
  }

  /** Character timeout (FIFO mode): data below the trigger level and nothing received or read for
   *  four character times. */
  private restartTimeout(): void {
    this.timeout?.cancel();
    this.timeout = undefined;
    if (!this.fifosEnabled() || this.rx.length === 0) return;
    this.timeout = this.clock.schedule({ delay: 4 * this.characterNs() }, () => {
      this.timeout = undefined;
      if (this.rx.length > 0) this.timeoutPending = true;
      this.update();
    });
  }

  private clearRx(): void {
    this.rx.length = 0;
    this.garbledBehind = undefined;
    this.timeoutPending = false;
    this.timeout?.cancel();
    this.timeout = undefined;
  }

  // ---- interrupts -------------------------------------------------------------------------------

  private pendingSource(): number {
    if (this.ier & UartIer.ELSI && this.lineStatusPending) return UartIir.LINE_STATUS;
    if (this.ier & UartIer.ERBFI && this.rx.length >= this.triggerLevel()) return UartIir.RX_DATA;
    if (this.ier & UartIer.ERBFI && this.timeoutPending && this.rx.length > 0) return UartIir.RX_TIMEOUT;
    if (this.ier & UartIer.ETBEI && this.threPending) return UartIir.THR_EMPTY;
    if (this.ier & UartIer.EDSSI && this.msrDeltas !== 0) return UartIir.MODEM_STATUS;
    return UartIir.NONE;
  }

  private update(): void {
    const gated = (this.mcr & UartMcr.OUT2) !== 0 && (this.mcr & UartMcr.LOOP) === 0;
    const level = gated && this.pendingSource() !== UartIir.NONE;
    if (level && !this.irq.level) this.stats.interrupts++;
    this.irq.set(level);
  }

  private fifosEnabled(): boolean {
    return (this.fcr & UartFcr.ENABLE) !== 0;
  }

  private rxCapacity(): number {
    return this.fifosEnabled() ? UART_FIFO_BYTES : 1;
  }

  private txCapacity(): number {
    return this.fifosEnabled() ? UART_FIFO_BYTES : 1;
  }

  private triggerLevel(): number {
    return this.fifosEnabled() ? TRIGGER_LEVELS[this.fcr >> 6] : 1;
  }

  private orderError(message: string): void {
    this.stats.orderErrors++;
    this.driverError(message);
  }

  private driverError(message: string): void {
    this.stats.driverErrors++;
    this.emit({ kind: "driver-error", device: this.name, message, at: this.clock.now() });
  }
}
