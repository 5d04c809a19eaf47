// The full stack: the virtio-rng sample driver and its client on the emulated machine.
import assert from "node:assert/strict";
import { VirtioRng } from "../../devices";
import { fixture, runPrograms, sample } from "../helpers/run-session";

const LINE = /^rng-cat: 32 random bytes: ([0-9a-f]{64})$/m;

function hex(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

describe("virtio-rng driver + rng-cat on the virt machine", () => {
  it("prints exactly the bytes the device produced, and both programs exit 0", async () => {
    const run = await runPrograms([sample("virtio-rng"), sample("rng-cat")]);
    const m = LINE.exec(run.console);
    assert.ok(m, `unexpected console output: ${run.console}`);
    const produced = run.machine.backend("virtio-rng0", VirtioRng).producedBytes();
    assert.equal(produced.length, 32);
    assert.equal(m[1], hex(produced));
    assert.equal(run.summary.outcome, "completed");
    for (const p of run.summary.processes) {
      assert.equal(p.state, "exited", `${p.name} ${p.state}: ${JSON.stringify(p.faults)}`);
      assert.equal(p.exitCode, 0);
    }
    assert.deepEqual(run.summary.violations, []);
    assert.ok(run.summary.irqs >= 1, "the driver waited for the device's interrupt");
    assert.equal(run.summary.processes[0].device, "virtio-rng0");
  });

  it("is deterministic: the same seed gives the same bytes and syslog hash, another seed different ones", async () => {
    const a = await runPrograms([sample("virtio-rng"), sample("rng-cat")], { seed: 7 });
    const b = await runPrograms([sample("virtio-rng"), sample("rng-cat")], { seed: 7 });
    const c = await runPrograms([sample("virtio-rng"), sample("rng-cat")], { seed: 8 });
    assert.equal(a.summary.syslogHash, b.summary.syslogHash);
    assert.equal(a.console, b.console);
    assert.notEqual(a.summary.syslogHash, c.summary.syslogHash);
    assert.notEqual(LINE.exec(a.console)?.[1], LINE.exec(c.console)?.[1]);
  });

  it("a hostile driver touching MMIO outside its grant is terminated while rng-cat still gets its bytes", async () => {
    const run = await runPrograms([sample("virtio-rng"), fixture("raw", "hostile-mmio.ts"), sample("rng-cat")], {
      machine: fixture("machines", "two-rngs.json"),
    });
    assert.match(run.console, LINE);
    const byName = new Map(run.summary.processes.map((p) => [p.name, p]));
    assert.equal(byName.get("hostile-mmio")?.state, "faulted");
    assert.equal(byName.get("hostile-mmio")?.device, "virtio-rng1");
    assert.equal(byName.get("rng-cat")?.exitCode, 0);
    assert.equal(byName.get("virtio-rng")?.exitCode, 0);
    assert.equal(run.summary.violations.length, 1);
    assert.equal(run.summary.violations[0].address, 0x10005100);
  });

  it("a client whose driver is missing waits, and the run ends idle instead of hanging", async () => {
    const run = await runPrograms([sample("rng-cat")]);
    assert.equal(run.summary.outcome, "idle");
    assert.equal(run.summary.processes[0].state, "blocked");
  });
});
