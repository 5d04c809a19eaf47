import assert from "node:assert/strict";
import { fixture, runPrograms, sample } from "../helpers/run-session";

const LINE = /^rng-cat: 32 random bytes: [0-9a-f]{64}$/m;

describe("fault isolation: memory and stack", () => {
  for (const shape of ["array", "map", "object", "string"] as const) {
    it(`a driver growing ${shape === "object" ? "an object's keys" : `a ${shape}`} without bound hits its memory limit; the host and rng-cat carry on`, async () => {
      const run = await runPrograms([sample("virtio-rng"), fixture("raw", `bomb-${shape}.ts`), sample("rng-cat")], { memoryMb: 24, timeoutSeconds: 60 });
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
