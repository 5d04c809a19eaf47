// Class 4: syscall arguments that are not 32-bit integers are refused with E_INVAL (-3) before any
// arithmetic, never truncated into (or out of) a grant; the driver carries on and exits.
import assert from "node:assert/strict";
import { assertHostAlive, assertInvariants, assertRngCatServed, explain, hostileFixture, proc, reported, runHostile } from "../helpers/hostile-run";

function refusedArgs(r: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(r).filter(([k]) => k.startsWith("arg_")));
}

describe("hostile drivers: unchecked arguments", function () {
  this.timeout(90_000);

  it("MMIO offsets, widths and slots, DMA sizes, lengths and tags of NaN, ∞, 2^53, 0.5, 2^32 + k and -1 are E_INVAL", async () => {
    const run = await runHostile([hostileFixture("args-mmio.ts")]);
    assertHostAlive(run);
    const r = reported(run.console);
    assert.equal(r.magic, "74726976", explain(run));
    assert.equal(r.done, "1", `the driver did not survive its attempts:\n${explain(run)}`);
    const args = refusedArgs(r);
    assert.equal(Object.keys(args).length, 17, explain(run));
    assert.deepEqual(Object.entries(args).filter(([, v]) => v !== "-3"), [], `not refused with E_INVAL:\n${explain(run)}`);
    const p = proc(run, "args-mmio");
    assert.equal(p.state, "exited", explain(run));
    assert.equal(p.exitCode, 7);
    assert.equal(run.summary.violations.length, 0, explain(run));
    assertInvariants(run);
    await assertRngCatServed(run);
  });

  it("ports and port values of NaN, 2^53, 0.5, 2^32 + k and -1 are E_INVAL, and no truncated value reaches the UART", async () => {
    const run = await runHostile([hostileFixture("args-ports.ts")]);
    assertHostAlive(run);
    const r = reported(run.console);
    assert.equal(r.scratch_set, "0", explain(run));
    assert.equal(r.done, "1", `the driver did not survive its attempts:\n${explain(run)}`);
    assert.equal(r.scratch_after, String(0x11), `a truncated OUT8 reached the scratch register:\n${explain(run)}`);
    const args = refusedArgs(r);
    assert.equal(Object.keys(args).length, 8, explain(run));
    assert.deepEqual(Object.entries(args).filter(([, v]) => v !== "-3"), [], `not refused with E_INVAL:\n${explain(run)}`);
    const p = proc(run, "args-ports");
    assert.equal(p.state, "exited", explain(run));
    assert.equal(p.exitCode, 7);
    assertInvariants(run);
    await assertRngCatServed(run);
  });
});
