// Class 3: DMA isolation between processes. A page another process still holds is never handed
// out again, and a lend that expired no longer lets the borrower's device write.
import assert from "node:assert/strict";
import {
  assertEndedNamed,
  assertHostAlive,
  assertInvariants,
  assertRngCatServed,
  explain,
  hostileFixture,
  reported,
  runHostile,
} from "../helpers/hostile-run";

describe("hostile drivers: DMA isolation", function () {
  this.timeout(120_000);

  it("after a borrower's DMA_FREE of a lent buffer, a third process is not given the page the owner still holds", async () => {
    const run = await runHostile(
      [hostileFixture("lend-owner.ts"), hostileFixture("lend-thief.ts"), hostileFixture("lend-third.ts")],
      { watchdogMs: 300 },
    );
    assertHostAlive(run);
    const r = reported(run.console);
    assert.ok(
      r.third_phys !== undefined || r.third_alloc !== undefined,
      `the third process never allocated:\n${explain(run)}`,
    );
    assert.notEqual(
      r.third_same_page,
      "true",
      `the third process got the owner's page ${r.owner_phys}:\n${explain(run)}`,
    );
    assertEndedNamed(run, "lend-third");
    assertInvariants(run);
    await assertRngCatServed(run);
  });

  it("a lend that expired (30 µs) no longer lets the borrower's device write the owner's buffer", async () => {
    const run = await runHostile([hostileFixture("expire-owner.ts"), hostileFixture("expire-writer.ts")]);
    assertHostAlive(run);
    const r = reported(run.console);
    assert.equal(r.owner_lend, "0", explain(run));
    assert.ok(r.written_after_expiry !== undefined, `the owner never checked:\n${explain(run)}`);
    assert.equal(
      r.written_after_expiry,
      "0",
      `the device wrote ${r.written_after_expiry} bytes through an expired lend:\n${explain(run)}`,
    );
    assertEndedNamed(run, "expire-writer");
    assertEndedNamed(run, "expire-owner");
    assertInvariants(run);
    await assertRngCatServed(run);
  });
});
