// Class 2: a hostile driver must not take the whole run down. Each case ends with the summary
// returned, no error at the host's top level, the hostile driver ended with a named reason, the
// invariants intact and rng-cat served.
import assert from "node:assert/strict";
import {
  assertEndedNamed,
  assertHostAlive,
  assertInvariants,
  assertRngCatServed,
  explain,
  hostileFixture,
  proc,
  reported,
  runHostile,
} from "../helpers/hostile-run";

describe("hostile drivers: host crashes", function () {
  this.timeout(120_000);

  it("an indirect descriptor table claiming a 2^35-byte chain breaks only that driver's device", async () => {
    const run = await runHostile([hostileFixture("chain-2e35.ts")]);
    assertHostAlive(run);
    const r = reported(run.console);
    assert.equal(r.offered_bytes, String(2 ** 35), explain(run));
    assert.ok(
      Number(r.used_len ?? 0) <= 2 * 1024 * 1024,
      `the device claims to have written ${r.used_len} bytes:\n${explain(run)}`,
    );
    assertEndedNamed(run, "chain-2e35");
    assertInvariants(run);
    await assertRngCatServed(run);
  });

  it("DMA_FREE of a buffer lent to the caller leaves the owner's buffer alone, and the owner's teardown (watchdog) does not throw", async () => {
    const run = await runHostile(
      [hostileFixture("lend-owner.ts"), hostileFixture("lend-thief.ts"), hostileFixture("lend-third.ts")],
      { watchdogMs: 300 },
    );
    assertHostAlive(run);
    const r = reported(run.console);
    assert.equal(r.owner_lend, "0", explain(run));
    assert.ok(r.thief_free_lent !== undefined, `the thief never tried:\n${explain(run)}`);
    assert.equal(r.owner_memory_intact, "true", explain(run));
    const owner = proc(run, "lend-owner");
    assert.equal(owner.state, "faulted", explain(run));
    assert.equal(owner.faults[owner.faults.length - 1].kind, "watchdog", explain(run));
    assert.ok(
      !run.faults.some((f) => /panic|kernel error/.test(f)),
      `a kernel error ended a process:\n${explain(run)}`,
    );
    assertEndedNamed(run, "lend-thief");
    assertEndedNamed(run, "lend-third");
    assertInvariants(run);
    await assertRngCatServed(run);
  });
});
