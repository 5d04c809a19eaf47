// Class 7: one driver must not deny service to the others: not by taking the whole DMA window, not
// by registering a service another device's driver fronts.
import assert from "node:assert/strict";
import {
  assertHostAlive,
  assertInvariants,
  assertRngCatServed,
  explain,
  hostileFixture,
  proc,
  reported,
  runHostile,
} from "../helpers/hostile-run";

describe("hostile drivers: denial of service between drivers", function () {
  this.timeout(90_000);

  it("a manifest asking for the whole DMA window is refused at STARTUP by the per-driver DMA limit; virtio-rng still gets its DMA", async () => {
    const run = await runHostile([hostileFixture("dma-hog.ts")], { hostileFirst: true });
    assertHostAlive(run);
    const r = reported(run.console);
    const hog = proc(run, "dma-hog");
    assert.equal(hog.state, "faulted", `the hog was not refused (it took ${r.hogged_mib} MiB):\n${explain(run)}`);
    assert.equal(hog.faults[0].kind, "startup", explain(run));
    assert.match(hog.faults[0].message, /dma/i, explain(run));
    assert.equal(r.hogged_mib, undefined, explain(run));
    assertInvariants(run);
    await assertRngCatServed(run);
  });

  it('an impostor registering "rng" before drivers/virtio-rng is refused, and rng-cat gets virtio-rng\'s bytes', async () => {
    const run = await runHostile([hostileFixture("impostor.ts")], { hostileFirst: true });
    assertHostAlive(run);
    const r = reported(run.console);
    assert.equal(r.impostor_served, undefined, `the impostor served rng requests:\n${explain(run)}`);
    const impostor = proc(run, "impostor");
    assert.ok(
      impostor.state === "faulted" || (impostor.state === "exited" && r.impostor_register !== "0"),
      `the impostor was not refused:\n${explain(run)}`,
    );
    if (impostor.state === "faulted") assert.ok(impostor.faults[0].message.length > 0);
    assertInvariants(run);
    await assertRngCatServed(run);
  });
});
