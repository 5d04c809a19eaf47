// The port-I/O devices under arbitrary register access (fast-check, fixed seeds): any sequence of
// in/out on any of their ports, at any width, with any value, interleaved with virtual time (and,
// for the UART, outside input). Whatever the driver does, the device never throws, its snapshot is
// a picture of 8-bit registers, and what it buffers stays within its FIFOs and queues.
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  AtaCommand,
  AtaDevice,
  InterruptLines,
  PortBus,
  Uart16550,
  UART_DEFAULT_WIRE_BYTES,
  UART_FIFO_BYTES,
  VirtualClock,
  type DeviceEvent,
} from "../../devices";
import { CountingDisk } from "./helpers/blk-rig";

type Step =
  | { readonly op: "in"; readonly port: number; readonly width: 1 | 2 | 4 }
  | { readonly op: "out"; readonly port: number; readonly width: 1 | 2 | 4; readonly value: number }
  | { readonly op: "time"; readonly ns: number }
  | { readonly op: "input"; readonly bytes: number };

function steps(ports: readonly number[], values: fc.Arbitrary<number>): fc.Arbitrary<Step[]> {
  const port = fc.constantFrom(...ports);
  const width = fc.constantFrom<1 | 2 | 4>(1, 1, 1, 2, 4);
  const step: fc.Arbitrary<Step> = fc.oneof(
    { arbitrary: fc.record({ op: fc.constant("in" as const), port, width }), weight: 4 },
    { arbitrary: fc.record({ op: fc.constant("out" as const), port, width, value: values }), weight: 5 },
    {
      arbitrary: fc.record({
        op: fc.constant("time" as const),
        ns: fc.oneof(fc.integer({ min: 0, max: 100_000 }), fc.integer({ min: 0, max: 10_000_000 })),
      }),
      weight: 1,
    },
    { arbitrary: fc.record({ op: fc.constant("input" as const), bytes: fc.integer({ min: 0, max: 64 }) }), weight: 1 },
  );
  return fc.array(step, { maxLength: 400, size: "max" });
}

const anyValue = fc.oneof(
  fc.integer({ min: 0, max: 0xff }),
  fc.integer({ min: 0, max: 0xffff_ffff }),
  fc.constantFrom(-1, 2 ** 40, 0.5, Number.NaN),
);

function play(bus: PortBus, clock: VirtualClock, step: Step, input: (n: number) => void): void {
  switch (step.op) {
    case "in": {
      const value = bus.read(step.port, step.width);
      assert.ok(
        Number.isInteger(value) && value >= 0 && value < 2 ** (8 * step.width),
        `in ${step.port.toString(16)} gave ${value}`,
      );
      break;
    }
    case "out":
      bus.write(step.port, step.width, step.value);
      break;
    case "time":
      clock.advance(step.ns);
      break;
    case "input":
      input(step.bytes);
      break;
  }
}

describe("port devices under arbitrary register access (property)", () => {
  it("ATA PIO: never throws, registers stay 8-bit, the IRQ line stays a boolean", () => {
    const ports = [0x1f0, 0x1f1, 0x1f2, 0x1f3, 0x1f4, 0x1f5, 0x1f6, 0x1f7, 0x3f6];
    // Commands the device knows, and any byte, so the state machine is driven and not only refused.
    const values = fc.oneof(fc.constantFrom(...Object.values(AtaCommand), 0xe0, 0x04, 0x02, 0x00), anyValue);
    const reached = { commands: 0, sectors: 0 };
    fc.assert(
      fc.property(steps(ports, values), (sequence) => {
        const clock = new VirtualClock();
        const lines = new InterruptLines();
        const events: DeviceEvent[] = [];
        const ata = new AtaDevice({
          name: "ata0",
          disk: new CountingDisk(64),
          irq: lines.line(14),
          clock,
          emit: (e) => events.push(e),
          sectorNs: 1000,
          resetNs: 5000,
        });
        const bus = new PortBus();
        bus.map("ata0", 0x1f0, 0x1f7, ata.commandBlock);
        bus.map("ata0 control", 0x3f6, 0x3f6, ata.controlBlock);
        for (const step of sequence) play(bus, clock, step, () => undefined);
        for (let due = clock.nextEventAt(); due !== undefined; due = clock.nextEventAt())
          clock.advance(due - clock.now());
        const snapshot = ata.snapshot();
        assert.ok(JSON.stringify(snapshot).length < 4096, "a snapshot is a small picture, not a buffer");
        assert.equal(typeof lines.level(14), "boolean");
        reached.commands += ata.stats.commands;
        reached.sectors += ata.stats.sectorsRead + ata.stats.sectorsWritten;
      }),
      { seed: 0xa7a, numRuns: 300 },
    );
    assert.ok(
      reached.commands > 0 && reached.sectors > 0,
      `the sequences drove the state machine: ${JSON.stringify(reached)}`,
    );
  });

  it("16550 UART: never throws, FIFOs and the input queue stay within their bounds", () => {
    const ports = [0x3f8, 0x3f9, 0x3fa, 0x3fb, 0x3fc, 0x3fd, 0x3fe, 0x3ff];
    const values = fc.oneof(fc.constantFrom(0x80, 0x03, 0x01, 0x0f, 0x07, 0xc7, 0x08, 0x0b, 0x10), anyValue);
    fc.assert(
      fc.property(steps(ports, values), (sequence) => {
        const clock = new VirtualClock();
        const lines = new InterruptLines();
        const uart = new Uart16550({
          name: "uart0",
          irq: lines.line(4),
          clock,
          emit: () => undefined,
          output: () => undefined,
        });
        const bus = new PortBus();
        bus.map("uart0", 0x3f8, 0x3ff, uart.registers);
        for (const step of sequence) {
          play(bus, clock, step, (n) => uart.input(new Uint8Array(n).fill(0x41)));
          const s = uart.snapshot();
          assert.ok(
            s.rxLevel <= UART_FIFO_BYTES && s.txLevel <= UART_FIFO_BYTES,
            `FIFO levels ${s.rxLevel}/${s.txLevel}`,
          );
          assert.ok(s.wireLevel <= UART_DEFAULT_WIRE_BYTES, `input queue ${s.wireLevel}`);
          for (const r of [s.ier, s.iir, s.fcr, s.lcr, s.mcr, s.lsr, s.msr, s.scr])
            assert.ok(Number.isInteger(r) && r >= 0 && r <= 0xff);
        }
      }),
      { seed: 0x16550, numRuns: 300 },
    );
  });
});
