// Class 5: a driver that posts a blocking syscall through its own mailbox and keeps running
// (the kernel believing it blocked) must still end faulted by the watchdog.
import assert from "node:assert/strict";
import {
  assertHostAlive,
  assertInvariants,
  assertRngCatServed,
  explain,
  hostileFixture,
  proc,
  runHostile,
} from "../helpers/hostile-run";

describe("hostile drivers: watchdog bypass", function () {
  this.timeout(90_000);

  it("spinning for seconds behind a self-posted RECV_WAIT is caught by a 300 ms watchdog", async () => {
    const run = await runHostile([hostileFixture("mailbox-spin.ts")], { watchdogMs: 300 });
    assertHostAlive(run);
    const p = proc(run, "mailbox-spin");
    assert.equal(p.state, "faulted", `the spinning driver was not faulted:\n${explain(run)}`);
    assert.equal(p.faults[p.faults.length - 1].kind, "watchdog", explain(run));
    assertInvariants(run);
    await assertRngCatServed(run);
  });
});
