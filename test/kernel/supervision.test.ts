import assert from "node:assert/strict";
import { fixture, runPrograms, sample } from "../helpers/run-session";

const LINE = /^rng-cat: 32 random bytes: [0-9a-f]{64}$/m;

describe("fault isolation: memory and stack", () => {
  for (const shape of ["array", "map", "object", "string"] as const) {
    it(`a driver growing ${shape === "object" ? "an object's keys" : `a ${shape}`} without bound hits its memory limit; the host and rng-cat carry on`, async () => {
      const run = await runPrograms([sample("virtio-rng"), fixture("raw", `bomb-${shape}.ts`), sample("rng-cat")], {
        memoryMb: 24,
        timeoutSeconds: 60,
      });
      const bomb = run.summary.processes.find((p) => p.name === `bomb-${shape}`)!;
      assert.equal(bomb.state, "faulted");
      assert.equal(bomb.faults[0].kind, "memory-limit", JSON.stringify(bomb.faults));
      assert.match(run.console, LINE);
      assert.equal(run.summary.processes.find((p) => p.name === "rng-cat")!.exitCode, 0);
    });
  }

  it("a driver overflowing its stack is faulted as a stack overflow", async () => {
    const run = await runPrograms([fixture("raw", "bomb-recursion.ts")]);
    const p = run.summary.processes[0];
    assert.equal(p.state, "faulted");
    assert.equal(p.faults[0].kind, "stack-overflow");
  });
});

describe("supervisor: restarts per policy", () => {
  it("a driver looping forever is faulted by the watchdog and restarted up to its limit; other clients are unaffected", async () => {
    const run = await runPrograms([sample("virtio-rng"), fixture("raw", "spin.ts"), sample("rng-cat")], {
      machine: fixture("machines", "supervised.json"),
    });
    assert.match(run.console, LINE);
    const spins = run.summary.processes.filter((p) => p.name === "spin");
    assert.equal(spins.length, 3, "the first run and two restarts");
    for (const p of spins) assert.equal(p.faults[0].kind, "watchdog");
    assert.equal(spins[1].restartOf, spins[0].pid);
    assert.equal(spins[2].restartOf, spins[1].pid);
    const record = run.summary.supervision.find((r) => r.name === "spin")!;
    assert.equal(record.restarts, 2);
    assert.match(record.gaveUp ?? "", /restart limit reached.*staying down/);
    assert.equal(run.summary.processes.find((p) => p.name === "rng-cat")!.exitCode, 0);
    assert.equal(run.summary.processes.find((p) => p.name === "virtio-rng")!.exitCode, 0);
  });

  it("a clean exit is not restarted; a non-zero exit is, under on-failure, up to the machine's default limit of 3", async () => {
    const run = await runPrograms([fixture("raw", "syscalls.ts"), sample("virtio-rng"), sample("rng-cat")], {
      machine: fixture("machines", "supervised.json"),
    });
    assert.equal(run.summary.processes.filter((p) => p.name === "rng-cat").length, 1);
    const raw = run.summary.processes.filter((p) => p.name === "raw-syscalls");
    assert.equal(raw.length, 4);
    assert.ok(raw.every((p) => p.exitCode === 3));
    assert.match(
      run.summary.supervision.find((r) => r.name === "raw-syscalls")?.gaveUp ?? "",
      /3 restarts allowed, last end exit 3/,
    );
  });
});
