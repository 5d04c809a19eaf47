// The full stack: the uart16550 sample driver and console clients on the virt machine's COM1.
import assert from "node:assert/strict";
import { Uart16550 } from "../../devices";
import { fixture, runPrograms, sample, type SessionResult } from "../helpers/run-session";

function byName(run: SessionResult, name: string) {
  const p = run.summary.processes.find((x) => x.name === name);
  assert.ok(p, `no process ${name}`);
  return p;
}

describe("uart16550 driver + console clients on the virt machine", () => {
  it("hello-console's line goes out through the UART to the machine console; both programs exit 0", async () => {
    const run = await runPrograms([sample("uart16550"), sample("hello-console")]);
    assert.equal(run.deviceConsole.uart0, "hello from Zero OS through the console service\n");
    assert.equal(run.summary.outcome, "completed");
    for (const p of run.summary.processes)
      assert.equal(p.exitCode, 0, `${p.name} ${p.state}: ${JSON.stringify(p.faults)}`);
    assert.equal(byName(run, "uart16550").device, "uart0");
    assert.deepEqual(run.summary.violations, []);
    const uart = run.machine.backend("uart0", Uart16550);
    assert.equal(uart.stats.driverErrors, 0, "the driver programs the UART in the right order");
    assert.ok(uart.stats.interrupts >= 2, "transmit waited on THR-empty interrupts");
    assert.ok(run.summary.irqs >= 2);
  });

  it("typed input reaches a READ, in order, without overrun; a malformed WRITE is refused", async () => {
    const run = await runPrograms([sample("uart16550"), fixture("console", "read-line.ts")], {
      consoleInput: [
        { at: 2_000_000, device: "uart0", text: "hel" },
        { at: 5_000_000, device: "uart0", text: "lo uart\n" },
      ],
    });
    assert.match(run.console, /^line="hello uart\\n"$/m);
    assert.match(run.console, /^empty-write=1$/m);
    assert.equal(byName(run, "read-line").exitCode, 0);
    const uart = run.machine.backend("uart0", Uart16550);
    assert.equal(uart.stats.rxBytes, 11);
    assert.equal(uart.stats.overruns, 0);
  });

  it("replays identically: same input, same syslog hash and console", async () => {
    const opts = { consoleInput: [{ at: 3_000_000, device: "uart0", text: "again\n" }] };
    const a = await runPrograms([sample("uart16550"), fixture("console", "read-line.ts")], opts);
    const b = await runPrograms([sample("uart16550"), fixture("console", "read-line.ts")], opts);
    assert.equal(a.summary.syslogHash, b.summary.syslogHash);
    assert.equal(a.console, b.console);
    assert.match(a.console, /^line="again\\n"$/m);
  });
});
