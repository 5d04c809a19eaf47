// A few hostile cases through the real CLI (`zds run --json` as a child process): the process
// exits normally (status 0 or 1, no signal, no crash report) with its summary as the last line.
import assert from "node:assert/strict";
import { hostileFixture, hostileMachine, markerFiles, rngCatBytes, sample } from "../helpers/hostile-run";
import { zdsRunJson, type HostileChildResult } from "../helpers/hostile-child";

function explainChild(r: HostileChildResult): string {
  return `status ${r.status} signal ${r.signal}\nstderr: ${r.stderr.slice(-2000)}\nstdout: ${r.stdout.slice(-3000)}`;
}

function assertExitedNormally(r: HostileChildResult): NonNullable<HostileChildResult["summary"]> {
  assert.equal(r.signal, null, explainChild(r));
  assert.ok(r.status === 0 || r.status === 1, `zds run ended with status ${r.status}:\n${explainChild(r)}`);
  assert.ok(r.summary, `no summary on the last line:\n${explainChild(r)}`);
  assert.notEqual(r.summary.outcome, "timeout", explainChild(r));
  const cat = r.summary.processes.find((p) => p.name === "rng-cat");
  assert.equal(cat?.exitCode, 0, `rng-cat was not served:\n${explainChild(r)}`);
  return r.summary;
}

describe("hostile drivers through zds run --json", function () {
  this.timeout(180_000);
  const machine = hostileMachine();
  const base = ["--machine", machine, "--timeout", "40", sample("virtio-rng"), sample("rng-cat")];

  it("sandbox escapes: the run ends normally and no file is written on the host", async () => {
    const r = await zdsRunJson([
      "--watchdog-ms",
      "1000",
      ...base,
      hostileFixture("escape-values.ts"),
      hostileFixture("mailbox-capture.ts"),
      hostileFixture("fault-getter.ts"),
    ]);
    const s = assertExitedNormally(r);
    assert.deepEqual(
      [
        ...markerFiles("escape-values", r.pid),
        ...markerFiles("mailbox-capture", r.pid),
        ...markerFiles("fault-path", r.pid),
      ],
      [],
      `a driver wrote on the host:\n${explainChild(r)}`,
    );
    assert.doesNotMatch(r.stdout, /=(\S+: )?process\+|encode process/, explainChild(r));
    assert.ok(rngCatBytes(r.stdout) ?? s.processes.some((p) => p.name === "rng-cat"));
  });

  it("a 2^35-byte indirect chain: the run ends normally", async () => {
    const r = await zdsRunJson([...base, hostileFixture("chain-2e35.ts")]);
    const s = assertExitedNormally(r);
    const p = s.processes.find((x) => x.name === "chain-2e35");
    assert.ok(p && (p.state === "exited" || p.state === "faulted"), explainChild(r));
  });

  it("DMA_FREE of a lent buffer, then the owner's watchdog teardown: the run ends normally", async () => {
    const r = await zdsRunJson([
      "--watchdog-ms",
      "300",
      ...base,
      hostileFixture("lend-owner.ts"),
      hostileFixture("lend-thief.ts"),
      hostileFixture("lend-third.ts"),
    ]);
    const s = assertExitedNormally(r);
    const owner = s.processes.find((x) => x.name === "lend-owner");
    assert.equal(owner?.state, "faulted", explainChild(r));
    assert.equal(owner.faults[owner.faults.length - 1].kind, "watchdog", explainChild(r));
  });
});
