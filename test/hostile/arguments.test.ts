// Class 4: syscall arguments that are not 32-bit integers are refused with E_INVAL (-3) before any
// arithmetic, never truncated into (or out of) a grant; the driver carries on and exits.
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
  type HostileRun,
} from "../helpers/hostile-run";

function args(r: Record<string, string>, negative: boolean): Record<string, string> {
  return Object.fromEntries(
    Object.entries(r).filter(([k]) => k.startsWith("arg_") && k.endsWith("_minus_1") === negative),
  );
}

const runs = new Map<string, Promise<HostileRun>>();
/** One run per fixture, shared by the cases that read it. */
const runOf = (fixture: string): Promise<HostileRun> => {
  let run = runs.get(fixture);
  if (!run) runs.set(fixture, (run = runHostile([hostileFixture(fixture)])));
  return run;
};

describe("hostile drivers: unchecked arguments", function () {
  this.timeout(90_000);

  it("MMIO offsets, widths and slots, DMA sizes, lengths and tags of NaN, ∞, 2^53, 0.5 and 2^32 + k are E_INVAL", async () => {
    const run = await runOf("args-mmio.ts");
    assertHostAlive(run);
    const r = reported(run.console);
    assert.equal(r.magic, "74726976", explain(run));
    assert.equal(r.done, "1", `the driver did not survive its attempts:\n${explain(run)}`);
    const refused = args(r, false);
    assert.equal(Object.keys(refused).length, 16, explain(run));
    assert.deepEqual(
      Object.entries(refused).filter(([, v]) => v !== "-3"),
      [],
      `not refused with E_INVAL:\n${explain(run)}`,
    );
    assertInvariants(run);
    await assertRngCatServed(run);
  });

  it("ports and port values of NaN, 2^53, 0.5 and 2^32 + k are E_INVAL, and no truncated value reaches the UART", async () => {
    const run = await runOf("args-ports.ts");
    assertHostAlive(run);
    const r = reported(run.console);
    assert.equal(r.scratch_set, "0", explain(run));
    assert.equal(r.done, "1", `the driver did not survive its attempts:\n${explain(run)}`);
    assert.equal(r.scratch_after, String(0x11), `a truncated OUT8 reached the scratch register:\n${explain(run)}`);
    const refused = args(r, false);
    assert.equal(Object.keys(refused).length, 7, explain(run));
    assert.deepEqual(
      Object.entries(refused).filter(([, v]) => v !== "-3"),
      [],
      `not refused with E_INVAL:\n${explain(run)}`,
    );
    assertInvariants(run);
    await assertRngCatServed(run);
  });

  // docs/abi.md ("Arguments") reads a negative i32 as its two's complement, as the 32-bit mailbox
  // always did, so -1 is offset/port 2^32 - 1: an integer, but outside any grant — refused as a
  // capability violation that ends the driver, never wrapped back into the window.
  for (const [fixture, syscall] of [
    ["args-mmio.ts", "SYS_MMIO_READ"],
    ["args-ports.ts", "SYS_IN8"],
  ] as const) {
    it(`-1 as an offset or port (${fixture}) is 2^32 - 1, outside the grant: a capability violation ends the driver`, async () => {
      const run = await runOf(fixture);
      assertHostAlive(run);
      const r = reported(run.console);
      assert.equal(Object.keys(args(r, true)).length, 0, `the access with -1 returned a value:\n${explain(run)}`);
      assert.equal(r.done_negative, undefined, explain(run));
      const p = proc(run, fixture.replace(".ts", ""));
      assert.equal(p.state, "faulted", explain(run));
      assert.equal(p.faults[0].kind, "capability-violation", explain(run));
      assert.equal(run.summary.violations.length, 1, explain(run));
      assert.equal(run.summary.violations[0].syscall, syscall);
      assertInvariants(run);
      await assertRngCatServed(run);
    });
  }
});
