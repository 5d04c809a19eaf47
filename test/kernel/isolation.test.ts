import assert from "node:assert/strict";
import { fixture, reported, runPrograms } from "../helpers/run-session";

describe("fault isolation", () => {
  it("keeps driver code away from Node: no process, require, Buffer, timers, and no realm escape", async () => {
    const run = await runPrograms([fixture("raw", "sandbox-probe.ts")]);
    const r = reported(run.console);
    assert.equal(r.process, "undefined");
    assert.equal(r.require, "undefined");
    assert.equal(r.Buffer, "undefined");
    assert.equal(r.fetch, "undefined");
    assert.equal(r.setTimeout, "threw Error");
    // Each escape path ends in the compartment: a tamed Function constructor (TypeError) or no `process`.
    for (const path of ["via_gate", "via_response", "via_dma", "via_error"])
      assert.match(r[path], /^(undefined|threw (ReferenceError|TypeError))$/, `${path} reached process`);
    assert.equal(r.dma_buffer, "4096");
    assert.equal(r.dma_free, "0");
    assert.equal(r.dma_free_again, "-7");
    assert.equal(r.dma_realloc, "true", "freed DMA returns to the driver's budget");
    assert.equal(run.summary.processes[0].exitCode, 0);
  });

  it("an MMIO read outside the grant is a recorded capability violation that ends only that driver", async () => {
    const run = await runPrograms([fixture("raw", "hostile-mmio.ts"), fixture("raw", "syscalls.ts")]);
    const r = reported(run.console);
    assert.equal(r.magic, "74726976");
    assert.equal(r.misaligned, "-3");
    assert.equal(r.bad_width, "-3");
    assert.equal(r.about_to_overrun, "1");
    assert.equal(r.survived, undefined);
    const hostile = run.summary.processes.find((p) => p.name === "hostile-mmio")!;
    assert.equal(hostile.state, "faulted");
    assert.equal(hostile.faults[0].kind, "capability-violation");
    assert.equal(run.summary.violations.length, 1);
    const v = run.summary.violations[0];
    assert.equal(v.process, "hostile-mmio");
    assert.equal(v.syscall, "SYS_MMIO_READ");
    assert.equal(v.address, 0x10003100);
    assert.match(v.grant, /MMIO 0x10003000\+0x100 r--/);
    const other = run.summary.processes.find((p) => p.name === "raw-syscalls")!;
    assert.equal(other.state, "exited");
    assert.equal(other.exitCode, 3);
  });

  it("a write through a read-only grant is a violation too", async () => {
    const run = await runPrograms([fixture("raw", "hostile-write.ts")]);
    assert.equal(run.summary.violations.length, 1);
    assert.match(run.summary.violations[0].message, /no write right/);
    assert.equal(run.summary.processes[0].state, "faulted");
  });

  it("the watchdog ends a driver that never makes a syscall, and the host keeps running", async () => {
    const run = await runPrograms([fixture("raw", "spin.ts"), fixture("raw", "syscalls.ts")], { watchdogMs: 300 });
    const spin = run.summary.processes.find((p) => p.name === "spin")!;
    assert.equal(spin.state, "faulted");
    assert.equal(spin.faults[0].kind, "watchdog");
    // Its name before STARTUP would be the file's ("syscalls"): it must have started and run.
    const other = run.summary.processes.find((p) => p.name === "raw-syscalls");
    assert.ok(other, JSON.stringify({ processes: run.summary.processes, console: run.console }));
    assert.equal(other.exitCode, 3);
  });
});

describe("calls to a driver that dies", () => {
  it("end with CALL_FAILED (E_NOENT) instead of hanging the client", async () => {
    const run = await runPrograms([fixture("raw", "echo-client.ts"), fixture("raw", "dying-server.ts")]);
    const r = reported(run.console);
    assert.equal(r.undeclared_lookup, "not found");
    assert.equal(r.call_result, "1");
    assert.equal(r.call_failed, "true");
    assert.equal(r.errno, "2");
    const server = run.summary.processes.find((p) => p.name === "dying-server")!;
    assert.equal(server.state, "faulted");
    assert.match(server.faults[0].message, /gave up mid-request/);
    assert.equal(run.summary.processes.find((p) => p.name === "echo-client")!.exitCode, 0);
  });
});
