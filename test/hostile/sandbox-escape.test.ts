// Class 1 of "A hostile driver must not get out": sandbox escapes. Each hostile driver runs beside
// drivers/virtio-rng + drivers/rng-cat; none may reach `process`, `require`, a host Function or its
// mailbox, none may write the host file it names (lib.ts, prove()), and the others are served.
import assert from "node:assert/strict";
import {
  assertEndedNamed,
  assertHostAlive,
  assertInvariants,
  assertRngCatServed,
  clearMarkers,
  escapes,
  explain,
  hostileFixture,
  markerFiles,
  proc,
  reported,
  runHostile,
} from "../helpers/hostile-run";

describe("hostile drivers: sandbox escapes", function () {
  this.timeout(90_000);

  it("values handed back by the gate and the SDK's helpers (encode results, response(), DMA memory, errors, stack overflows, callers, call sites, the global object) lead to no host Function", async () => {
    clearMarkers("escape-values");
    const run = await runHostile([hostileFixture("escape-values.ts")]);
    const r = reported(run.console);
    assertHostAlive(run);
    assert.deepEqual(escapes(r, "esc_"), [], `a driver reached the host:\n${explain(run)}`);
    assert.deepEqual(markerFiles("escape-values"), [], "the driver wrote a file on the host");
    assert.equal(r.done, "1", `the probe did not finish:\n${explain(run)}`);
    assertEndedNamed(run, "escape-values");
    assertInvariants(run);
    await assertRngCatServed(run);
  });

  for (const mode of ["proxy", "getter", "tostring"]) {
    it(`a thrown ${mode === "proxy" ? "Proxy" : mode === "getter" ? "error with stack/message getters" : "object with toString/valueOf/toPrimitive"} runs no driver code that reaches the worker while the fault path describes it`, async () => {
      clearMarkers("fault-path");
      const run = await runHostile([hostileFixture(`fault-${mode}.ts`)]);
      const r = reported(run.console);
      assertHostAlive(run);
      assert.equal(r.thrown, "1", `the driver did not get to throw:\n${explain(run)}`);
      assert.deepEqual(escapes(r, "fault_"), [], `the fault path let driver code reach the host:\n${explain(run)}`);
      assert.deepEqual(markerFiles("fault-path"), [], "the driver wrote a file on the host");
      const p = proc(run, `fault-${mode}`);
      assert.equal(p.state, "faulted", `a driver that throws is faulted:\n${explain(run)}`);
      assertEndedNamed(run, `fault-${mode}`);
      assertInvariants(run);
      await assertRngCatServed(run);
    });
  }

  it("replacing the built-ins the gate calls (Atomics.*, typed array methods, Math, Date, Object) never hands driver code its mailbox", async () => {
    clearMarkers("mailbox-capture");
    const run = await runHostile([hostileFixture("mailbox-capture.ts")]);
    const r = reported(run.console);
    assertHostAlive(run);
    assert.equal(r.done, "1", `the probe did not finish:\n${explain(run)}`);
    assert.equal(r.mailbox_via, "[]", `the gate handed over its mailbox:\n${explain(run)}`);
    assert.equal(r.mailbox_bytes, "0");
    assert.deepEqual(markerFiles("mailbox-capture"), []);
    assertEndedNamed(run, "mailbox-capture");
    assertInvariants(run);
    await assertRngCatServed(run);
  });
});
