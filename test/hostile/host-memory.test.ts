// Class 6: host memory a driver can make the host hold. Off-heap allocations count against the
// driver's memory limit; endpoints and queued messages are bounded per process by the machine
// description's "limits"; a device never materialises more than the memory a chain really covers.
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

const E_NOMEM = "-6";

describe("hostile drivers: host memory", function () {
  this.timeout(120_000);

  for (const kind of ["arraybuffer", "float64array", "sharedarraybuffer", "wasm-memory"]) {
    it(`${kind} allocations past a 128 MiB limit end the driver with kind "memory-limit" (or are refused before the limit)`, async () => {
      const run = await runHostile([hostileFixture(`offheap-${kind}.ts`)], { memoryMb: 128 });
      assertHostAlive(run);
      const r = reported(run.console);
      const p = proc(run, `offheap-${kind}`);
      const last = p.faults[p.faults.length - 1];
      if (p.state === "faulted") {
        assert.equal(last.kind, "memory-limit", explain(run));
        assert.match(last.message, /128/, `the message does not name the limit:\n${explain(run)}`);
      } else {
        // A sandbox may instead refuse the allocation itself, before the limit.
        assert.ok(
          r.refused !== undefined && Number(r.allocated_mib) <= 128,
          `${r.allocated_mib} MiB off the heap with a 128 MiB limit:\n${explain(run)}`,
        );
        assertEndedNamed(run, `offheap-${kind}`);
      }
      assertInvariants(run);
      await assertRngCatServed(run);
    });
  }

  it("CREATE_ENDPOINT and SENDs without bound are refused with E_NOMEM at the per-process limit", async () => {
    const run = await runHostile([hostileFixture("flood.ts")]);
    assertHostAlive(run);
    const r = reported(run.console);
    assert.ok(r.queued_mib !== undefined, explain(run));
    assert.ok(
      r.create_refused === E_NOMEM || r.send_refused === E_NOMEM,
      `never refused with E_NOMEM (create ${r.create_refused}, send ${r.send_refused}, ${r.endpoints} endpoints, ${r.queued_mib} MiB queued):\n${explain(run)}`,
    );
    assert.ok(Number(r.queued_mib) < 100, `${r.queued_mib} MiB of messages queued for one process:\n${explain(run)}`);
    assertEndedNamed(run, "flood");
    assertInvariants(run);
    await assertRngCatServed(run);
  });

  it("512 descriptors aliasing 2 MiB (1 GiB offered) make the rng device write no more than the 2 MiB the driver holds", async () => {
    const run = await runHostile([hostileFixture("chain-1gib.ts")]);
    assertHostAlive(run);
    const r = reported(run.console);
    assert.equal(r.offered_bytes, String(2 ** 30), explain(run));
    assert.ok(r.used_idx !== undefined, explain(run));
    assert.ok(
      Number(r.used_len) <= 2 * 1024 * 1024,
      `the device wrote ${r.used_len} bytes for 2 MiB of memory:\n${explain(run)}`,
    );
    assertEndedNamed(run, "chain-1gib");
    assertInvariants(run);
    await assertRngCatServed(run);
  });
});
