// 16550 UART device duties, through the port bus as a driver would reach it: ports 0x3F8–0x3FF,
// IRQ 4, characters timed on the virtual clock.
import assert from "node:assert/strict";
import {
  createMachine,
  InterruptLines,
  loadMachineDescription,
  PortBus,
  Uart16550,
  UART_BASE_BAUD,
  UartFcr,
  UartIer,
  UartIir,
  UartLcr,
  UartLsr,
  UartMcr,
  UartMsr,
  VirtualClock,
  type DeviceEvent,
} from "../../devices";

const BASE = 0x3f8;
const IRQ = 4;
const P = {
  data: BASE,
  ier: BASE + 1,
  iir: BASE + 2,
  fcr: BASE + 2,
  lcr: BASE + 3,
  mcr: BASE + 4,
  lsr: BASE + 5,
  msr: BASE + 6,
  scr: BASE + 7,
} as const;
/** 8N1 at 115 200 baud: 10 bits per character. */
const CHAR_NS = Math.round((10 * 1e9) / UART_BASE_BAUD);

function rig(wireBytes?: number) {
  const clock = new VirtualClock();
  const lines = new InterruptLines();
  const events: DeviceEvent[] = [];
  const out: number[] = [];
  const uart = new Uart16550({
    name: "uart0",
    irq: lines.line(IRQ),
    clock,
    emit: (e) => events.push(e),
    output: (b) => out.push(...b),
    wireBytes,
  });
  const bus = new PortBus();
  bus.map("uart0", BASE, BASE + 7, uart.registers);
  const in8 = (port: number): number => bus.read(port, 1);
  const out8 = (port: number, value: number): void => bus.write(port, 1, value);
  return {
    uart,
    clock,
    events,
    out,
    irq: (): boolean => lines.level(IRQ),
    in8,
    out8,
    /** What a driver does first: 115 200 8N1, FIFOs on (trigger 1), OUT2 so the IRQ reaches the PIC. */
    init(ier = 0): void {
      out8(P.lcr, UartLcr.DLAB);
      out8(P.data, 1);
      out8(P.ier, 0);
      out8(P.lcr, 0x03);
      out8(P.fcr, UartFcr.ENABLE | UartFcr.CLEAR_RX | UartFcr.CLEAR_TX);
      out8(P.mcr, UartMcr.DTR | UartMcr.RTS | UartMcr.OUT2);
      out8(P.ier, ier);
    },
    text: (): string => String.fromCharCode(...out),
  };
}

describe("16550 UART", () => {
  it("powers up idle: THRE and TEMT set, no interrupt pending, IIR without FIFO bits", () => {
    const r = rig();
    assert.equal(r.in8(P.lsr), UartLsr.THRE | UartLsr.TEMT);
    assert.equal(r.in8(P.iir), UartIir.NONE);
    assert.equal(r.in8(P.lcr), 0);
    assert.equal(r.in8(P.msr) & 0xf0, UartMsr.CTS | UartMsr.DSR | UartMsr.DCD);
    assert.equal(r.irq(), false);
  });

  it("DLAB switches offsets 0/1 to the divisor latch; the divisor sets the character time", () => {
    const r = rig();
    r.out8(P.lcr, UartLcr.DLAB | 0x03);
    r.out8(P.data, 0x0c);
    r.out8(P.ier, 0x00);
    assert.equal(r.in8(P.data), 0x0c);
    assert.equal(r.in8(P.ier), 0);
    r.out8(P.lcr, 0x03);
    assert.equal(r.uart.characterNs(), Math.round((10 * 1e9 * 12) / UART_BASE_BAUD));
    r.out8(P.ier, UartIer.ERBFI);
    assert.equal(r.in8(P.ier), UartIer.ERBFI, "IER is back at offset 1 once DLAB is clear");
    r.out8(P.scr, 0x5a);
    assert.equal(r.in8(P.scr), 0x5a);
  });

  it("transmits to the console on the virtual clock: THRE at once with the FIFO, TEMT after the last character", () => {
    const r = rig();
    r.init();
    for (const c of "hi!") r.out8(P.data, c.charCodeAt(0));
    assert.equal(r.in8(P.lsr) & (UartLsr.THRE | UartLsr.TEMT), 0, "two characters still wait in the FIFO");
    r.clock.advance(CHAR_NS);
    assert.equal(r.text(), "h");
    r.clock.advance(CHAR_NS);
    assert.equal(r.in8(P.lsr) & (UartLsr.THRE | UartLsr.TEMT), UartLsr.THRE, "FIFO empty, last character on the line");
    r.clock.advance(CHAR_NS);
    assert.equal(r.text(), "hi!");
    assert.equal(r.in8(P.lsr) & (UartLsr.THRE | UartLsr.TEMT), UartLsr.THRE | UartLsr.TEMT);
    assert.equal(r.uart.stats.txBytes, 3);
    assert.deepEqual(r.events, []);
  });

  it("THR-empty interrupt: raised when ETBEI is enabled with THR empty and when the FIFO empties; cleared by reading IIR or writing THR", () => {
    const r = rig();
    r.init(UartIer.ETBEI);
    assert.equal(r.irq(), true);
    assert.equal(r.in8(P.iir), UartIir.FIFOS_ENABLED | UartIir.THR_EMPTY);
    assert.equal(r.irq(), false, "reading IIR naming THRE cleared it");
    assert.equal(r.in8(P.iir), UartIir.FIFOS_ENABLED | UartIir.NONE);
    r.out8(P.data, 0x41);
    r.out8(P.data, 0x42);
    assert.equal(r.irq(), false);
    r.clock.advance(CHAR_NS);
    assert.equal(r.irq(), true, "the FIFO emptied into the shift register");
    r.out8(P.data, 0x43);
    assert.equal(r.irq(), false, "writing THR clears it");
  });

  it("OUT2 gates the IRQ pin, as on PCs; IER still shows the source in IIR", () => {
    const r = rig();
    r.init(UartIer.ETBEI);
    r.out8(P.mcr, UartMcr.DTR | UartMcr.RTS);
    assert.equal(r.irq(), false);
    assert.equal(r.in8(P.iir) & 0x0f, UartIir.THR_EMPTY);
  });

  it("receives outside input one character time apart; RX-data interrupt at the trigger level, cleared by reading RBR", () => {
    const r = rig();
    r.init(UartIer.ERBFI);
    r.out8(P.fcr, UartFcr.ENABLE | 0x40); // trigger level 4
    r.uart.input(new TextEncoder().encode("abcd"));
    r.clock.advance(3 * CHAR_NS);
    assert.equal(r.uart.rxLevel, 3);
    assert.equal(r.in8(P.lsr) & UartLsr.DR, UartLsr.DR);
    assert.equal(r.irq(), false, "below the trigger level");
    r.clock.advance(CHAR_NS);
    assert.equal(r.irq(), true);
    assert.equal(r.in8(P.iir), UartIir.FIFOS_ENABLED | UartIir.RX_DATA);
    assert.equal(String.fromCharCode(r.in8(P.data)), "a");
    assert.equal(r.irq(), false);
    r.clock.advance(4 * CHAR_NS);
    assert.equal(
      r.in8(P.iir),
      UartIir.FIFOS_ENABLED | UartIir.RX_TIMEOUT,
      "data below the trigger, idle four character times",
    );
    assert.equal(String.fromCharCode(r.in8(P.data), r.in8(P.data), r.in8(P.data)), "bcd");
    assert.equal(r.in8(P.iir), UartIir.FIFOS_ENABLED | UartIir.NONE);
    assert.equal(r.in8(P.lsr) & UartLsr.DR, 0);
  });

  it("overrun: a character arriving to a full receiver is lost, counted, OE set, line-status interrupt first; reading LSR clears it", () => {
    const r = rig();
    r.out8(P.mcr, UartMcr.OUT2);
    r.out8(P.ier, UartIer.ERBFI | UartIer.ELSI | UartIer.ETBEI); // no FIFOs: a one-byte receiver
    r.uart.input(Uint8Array.of(1, 2, 3));
    r.clock.advance(3 * CHAR_NS);
    assert.equal(r.uart.stats.overruns, 2);
    assert.equal(r.in8(P.iir), UartIir.LINE_STATUS, "line status outranks RX data and THRE");
    const lsr = r.in8(P.lsr);
    assert.equal(lsr & (UartLsr.OE | UartLsr.DR), UartLsr.OE | UartLsr.DR);
    assert.equal(r.in8(P.lsr) & UartLsr.OE, 0, "OE clears on read");
    assert.equal(r.in8(P.iir), UartIir.RX_DATA);
    assert.equal(r.in8(P.data), 1, "the first character survived");
    assert.equal(r.in8(P.iir), UartIir.THR_EMPTY, "then the lowest-but-one priority");
  });

  it("a flood of outside input is bounded: what the wire cannot hold is dropped and counted", () => {
    const r = rig(8);
    r.init();
    r.uart.input(new Uint8Array(100).fill(0x61));
    assert.equal(r.uart.stats.inputDropped, 92);
    r.clock.advance(100 * CHAR_NS);
    assert.equal(r.uart.stats.rxBytes, 8);
  });

  it("loopback: transmitted characters come back received, MSR mirrors MCR, nothing reaches the console or the IRQ pin", () => {
    const r = rig();
    r.init(UartIer.ERBFI);
    r.in8(P.msr);
    r.out8(P.mcr, UartMcr.LOOP | UartMcr.RTS | UartMcr.OUT2);
    const msr = r.in8(P.msr);
    assert.equal(msr & 0xf0, UartMsr.CTS | UartMsr.DCD);
    assert.equal(msr & UartMsr.DDSR, UartMsr.DDSR, "DSR dropped with DTR");
    r.out8(P.data, 0x7e);
    r.clock.advance(CHAR_NS);
    assert.deepEqual(r.out, []);
    assert.equal(r.irq(), false);
    assert.equal(r.in8(P.iir) & 0x0f, UartIir.RX_DATA);
    assert.equal(r.in8(P.data), 0x7e);
  });

  it("modem-status interrupt on a delta, lowest priority, cleared by reading MSR", () => {
    const r = rig();
    r.init(UartIer.EDSSI);
    r.out8(P.mcr, UartMcr.LOOP | UartMcr.DTR); // in loopback the IRQ pin is off, IIR still tells
    assert.equal(r.in8(P.iir) & 0x0f, UartIir.MODEM_STATUS);
    r.in8(P.msr);
    assert.equal(r.in8(P.iir) & 0x0f, UartIir.NONE);
  });

  it("register writes in the wrong order are counted and reported, never fatal", () => {
    const r = rig();
    r.out8(P.data, 0x41); // divisor never programmed
    r.out8(P.data, 0x42); // the one-byte holding register is full (no FIFOs)
    r.out8(P.data, 0x43);
    r.out8(P.lcr, 0x07); // format change mid-character
    r.out8(P.lsr, 0xff); // read-only
    r.out8(P.msr, 0xff); // read-only
    r.uart.registers.write(0, 2, 0x4444); // wide access
    const messages = r.events.map((e) => (e.kind === "driver-error" ? e.message : e.kind));
    assert.equal(r.uart.stats.driverErrors, messages.length);
    assert.ok(
      messages.some((m) => m.includes("divisor latch was programmed")),
      messages.join("\n"),
    );
    assert.ok(messages.some((m) => m.includes("transmitter full")));
    assert.ok(messages.some((m) => m.includes("LCR")));
    assert.ok(messages.some((m) => m.includes("LSR")));
    assert.ok(messages.some((m) => m.includes("MSR")));
    assert.ok(messages.some((m) => m.includes("8 bits wide")));
    assert.ok(r.uart.stats.txDropped >= 1);
    r.clock.advance(10 * CHAR_NS);
    assert.ok(r.out.length >= 1, "the device carried on transmitting");
  });

  it("registers programmed out of order: data and IER written with DLAB still set land in the latch and are reported", () => {
    const r = rig();
    r.out8(P.lcr, UartLcr.DLAB | 0x03);
    r.out8(P.data, 1); // DLL: right
    r.out8(P.ier, 0); // DLM: right
    // Forgot to clear DLAB: this "IER" is a second DLM write, this "character" a second DLL write.
    r.out8(P.ier, UartIer.ERBFI);
    r.out8(P.data, 0x48);
    assert.equal(r.uart.stats.orderErrors, 2);
    const messages = r.events.map((e) => (e.kind === "driver-error" ? e.message : e.kind));
    assert.ok(
      messages.some((m) => m.includes("offset 1 with LCR.DLAB still set") && m.includes("not IER")),
      messages.join("\n"),
    );
    assert.ok(
      messages.some((m) => m.includes("offset 0 with LCR.DLAB still set") && m.includes("not THR")),
      messages.join("\n"),
    );
    // As on the part: the bytes went to the divisor (0x0148), nothing was transmitted, IER is 0.
    assert.equal(r.uart.snapshot().divisor, 0x0148);
    assert.equal(r.uart.snapshot().ier, 0);
    r.clock.advance(100 * CHAR_NS);
    assert.deepEqual(r.out, []);
    // Clearing DLAB and writing again works, and a fresh DLAB window starts counting anew.
    r.out8(P.lcr, 0x03);
    r.out8(P.data, 0x41);
    r.out8(P.lcr, UartLcr.DLAB | 0x03);
    r.out8(P.data, 1);
    r.out8(P.lcr, 0x03);
    assert.equal(r.uart.stats.orderErrors, 2);
    assert.equal(r.uart.stats.driverErrors, r.events.length);
  });

  it("IER before LCR: interrupts enabled before the line is configured are reported once per reset", () => {
    const r = rig();
    r.out8(P.ier, UartIer.ERBFI | UartIer.ELSI);
    r.out8(P.ier, UartIer.ERBFI);
    assert.equal(r.uart.stats.orderErrors, 1);
    assert.match(
      r.events.map((e) => (e.kind === "driver-error" ? e.message : "")).join("\n"),
      /IER enables interrupts \(0x5\) before the line is configured/,
    );
    // The interrupt is enabled all the same (as on the part): input raises it.
    r.out8(P.mcr, UartMcr.OUT2);
    r.uart.input(Uint8Array.of(0x61));
    r.clock.advance(2 * 5_000_000);
    assert.equal(r.irq(), true);
    // Writing IER = 0 first (disabling) is not an error; after reset the right order is silent.
    r.uart.reset();
    r.out8(P.ier, 0);
    r.init(UartIer.ERBFI);
    assert.equal(r.uart.stats.orderErrors, 1);
  });

  it("reset returns to power-on state and drops queued transmit", () => {
    const r = rig();
    r.init(UartIer.ETBEI);
    r.out8(P.data, 0x41);
    r.uart.reset();
    r.clock.advance(10 * CHAR_NS);
    assert.deepEqual(r.out, []);
    assert.equal(r.irq(), false);
    assert.equal(r.in8(P.lsr), UartLsr.THRE | UartLsr.TEMT);
  });

  it("sits in the virt machine at 0x3F8 IRQ 4; its output reaches onConsoleOutput and consoleInput reaches RBR", () => {
    const machine = createMachine(loadMachineDescription("virt"), { seed: 1 });
    const info = machine.devices.find((d) => d.name === "uart0");
    assert.deepEqual(info, { name: "uart0", kind: "uart16550", ports: [{ first: 0x3f8, last: 0x3ff }], irq: 4 });
    const seen: string[] = [];
    machine.onConsoleOutput((device, bytes) => seen.push(`${device}:${String.fromCharCode(...bytes)}`));
    machine.portWrite(P.data, 1, 0x5a);
    machine.clock.advance(CHAR_NS);
    assert.deepEqual(seen, ["uart0:Z"]);
    machine.consoleInput("uart0", Uint8Array.of(0x71));
    machine.clock.advance(CHAR_NS);
    assert.equal(machine.portRead(P.data, 1), 0x71);
    assert.throws(() => machine.consoleInput("ata0", Uint8Array.of(1)), /not a console device/);
    machine.close();
  });
});
