// Class 8: a client of a driver the supervisor gave up on gets an error, not a wait forever.
import assert from "node:assert/strict";
import {
  assertHostAlive,
  assertInvariants,
  assertRngCatServed,
  explain,
  hostileFixture,
  hostileMachine,
  proc,
  reported,
  runHostile,
} from "../helpers/hostile-run";

describe("hostile drivers: supervision", function () {
  this.timeout(90_000);

  it("after flaky-server reaches its restart limit, patient-client's next lookup or call ends with an error", async () => {
    const machine = hostileMachine({
      supervision: { drivers: { "flaky-server": { restart: "on-failure", limit: 2, backoffUs: 100 } } },
    });
    const run = await runHostile([hostileFixture("flaky-server.ts"), hostileFixture("patient-client.ts")], { machine });
    assertHostAlive(run);
    const r = reported(run.console);
    const record = run.summary.supervision.find((s) => s.name === "flaky-server" || s.program === "flaky-server");
    assert.ok(record?.gaveUp, `the supervisor did not give up on flaky-server:\n${explain(run)}`);
    assert.equal(record.restarts, 2);
    assert.equal(r.attempt_1, "CALL_FAILED", explain(run));
    const client = proc(run, "patient-client");
    assert.equal(client.state, "exited", `the client still waits:\n${explain(run)}`);
    assert.equal(client.exitCode, 0);
    assert.ok(
      r.final !== undefined && /error|CALL_FAILED|-\d/.test(r.final),
      `the client's last request did not end with an error: ${r.final}\n${explain(run)}`,
    );
    assertInvariants(run);
    await assertRngCatServed(run, machine);
  });
});
