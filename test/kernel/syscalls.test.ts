import assert from "node:assert/strict";
import { fixture, reported, runPrograms, type SessionResult } from "../helpers/run-session";

describe("kernel syscalls through the worker mailbox", () => {
  let run: SessionResult;
  let r: Record<string, string>;
  before(async () => {
    run = await runPrograms([fixture("raw", "syscalls.ts")]);
    r = reported(run.console);
  });

  it("starts once and refuses a second STARTUP with E_EXIST", () => {
    assert.equal(r.startup, "0");
    assert.equal(r.startup_again, "-9");
  });

  it("DEBUG takes UTF-8 whose length matches a0, else E_INVAL", () => {
    assert.equal(r.debug, "0");
    assert.ok(run.debug.includes("raw-syscalls: hello"));
    assert.equal(r.debug_len_mismatch, "-3");
    assert.equal(r.debug_bad_utf8, "-3");
  });

  it("TIME is virtual, advances with syscalls, and rejects an unknown selector", () => {
    assert.equal(r.time_advances, "true");
    assert.equal(r.time_bad_selector, "-3");
    assert.equal(r.yield, "0");
  });

  it("CREATE_ENDPOINT returns slot·2³² + id with the slot after the three conventional ones", () => {
    assert.equal(r.endpoint_slot, "3");
  });

  it("SEND/RECV move a message in the Zero OS wire format; RECV on an empty queue returns 0", () => {
    assert.equal(r.recv_empty, "0");
    assert.equal(r.send, "0");
    assert.deepEqual(JSON.parse(r.recv), { got: 1, sender: 2, tag: 0x6abc, text: "ping" });
  });

  it("fails closed: bad slot E_BADF, missing right E_PERM, bad length or oversize E_INVAL", () => {
    assert.equal(r.send_bad_slot, "-7");
    assert.equal(r.recv_wait_bad_slot, "-7");
    assert.equal(r.recv_on_init_endpoint, "-1");
    assert.equal(r.send_len_mismatch, "-3");
    assert.equal(r.send_too_big, "-3");
    assert.equal(r.reply_not_owed, "-2");
    assert.equal(r.mmio_no_cap, "-7");
    assert.equal(r.irq_ack_no_cap, "-7");
    assert.equal(r.dma_over_budget, "-6");
    assert.equal(r.unknown_syscall, "-4");
  });

  it("CAP_LIST, CAP_INSPECT and PS describe the process", () => {
    assert.deepEqual(JSON.parse(r.caps), [
      [0, 1],
      [1, 1],
      [2, 1],
      [3, 1],
    ]);
    assert.equal(r.inspect, "1");
    assert.equal(r.inspect_perms, "2"); // write-only to Init
    assert.equal(r.inspect_empty, "-7");
    assert.deepEqual(JSON.parse(r.ps), ["init", "raw-syscalls"]);
  });

  it("replaces Math.random and Date with deterministic versions", () => {
    assert.equal(r.random_is_deterministic, "true");
    assert.equal(r.date_is_virtual, "true");
  });

  it("EXIT ends the process with its code and the run completes", () => {
    const p = run.summary.processes[0];
    assert.equal(p.state, "exited");
    assert.equal(p.exitCode, 3);
    assert.equal(run.summary.outcome, "completed");
    assert.ok(run.summary.syscalls > 30);
  });
});
