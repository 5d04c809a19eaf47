// A failing test's trace opens in the debugger at the failure (issue 16): a deliberately broken
// driver (virtio-rng with its interrupt timeout taken out) fails its lost-interrupt test under
// `zds test`, which keeps the trace; a DAP session launched with "replay" on that trace injects the
// recorded fault again and stops at the last event before the failing assertion, and step back goes
// on from there. Drives `node bin/zds.js dap` with a real DAP client (run `npm run build`).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { DebugClient } from "@vscode/debugadapter-testsupport";
import type { DebugProtocol } from "@vscode/debugprotocol";
import { launchLikeVsCode, repoRoot, startDapClient } from "../helpers/dap-client";
import { readZlog } from "../../kernel/trace/zlog-reader";

const TEST_FILE = `import { expect, faults, test } from "@zds/sdk/test";

test("a lost interrupt is recovered by the driver's timeout", { driver: "../broken-rng", client: ${JSON.stringify(
  path.join(repoRoot, "drivers/rng-cat"),
)}, faults: [faults.irqLost("virtio-rng0")] }, (run) => {
  expect(run.faults).toHaveLength(1);
  expect(run.client.exitCode).toBe(0);
});
`;

describe("a failing test's trace under the debugger (zds test, then replay)", function () {
  this.timeout(120_000);
  let dir: string;
  let trace: string;
  let dc: DebugClient | undefined;
  const traces: string[] = [];

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "zds-broken-"));
    const driver = fs.readFileSync(path.join(repoRoot, "drivers/virtio-rng/index.ts"), "utf8");
    const broken = driver.replace("rng.irq.wait({ timeoutUs: IRQ_TIMEOUT_US })", "(rng.irq.wait(), true)");
    assert.notEqual(broken, driver, "the driver's timed wait is where this test expects it");
    fs.mkdirSync(path.join(dir, "broken-rng"));
    fs.writeFileSync(path.join(dir, "broken-rng", "index.ts"), broken);
    fs.mkdirSync(path.join(dir, "tests"));
    fs.writeFileSync(path.join(dir, "tests", "rng.ts"), TEST_FILE);
  });

  after(async () => {
    await dc?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
    for (const t of traces) fs.rmSync(t, { force: true });
  });

  it("the broken driver's test fails and keeps a trace with the failure in it", () => {
    // From the adapter's folder: a bundle's content hash (which a replay checks) covers source-map
    // paths relative to the bundling process's folder, so a trace replays from where it was recorded.
    const r = spawnSync(process.execPath, [path.join(repoRoot, "bin/zds.js"), "test", dir], {
      cwd: repoRoot,
      encoding: "utf8",
      timeout: 100_000,
    });
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /1 failing/);
    assert.match(r.stdout, /expected null to be 0/);
    const m = /trace: (\S+\.zlog)/.exec(r.stdout);
    assert.ok(m, r.stdout);
    trace = path.resolve(repoRoot, m[1]);
    traces.push(trace);
    const a = readZlog(trace).assertion as { assert: string; line?: number; debugEvent?: number } | undefined;
    assert.equal(a?.assert, "expected null to be 0");
    assert.equal(a?.line, 5);
    assert.ok((a?.debugEvent ?? 0) > 0, "the debugger's event index of the failure is recorded");
  });

  it('a DAP session launched with "replay" on the trace stops at the failure, and steps back from it', async () => {
    assert.ok(trace, "the previous test wrote the trace");
    const debugEvent = (readZlog(trace).assertion as { debugEvent?: number } | undefined)?.debugEvent ?? -1;
    dc = await startDapClient();
    let output = "";
    dc.on("output", (e: DebugProtocol.OutputEvent) => (output += e.body.output));
    const stopped = dc.waitForEvent("stopped") as Promise<DebugProtocol.StoppedEvent>;
    await launchLikeVsCode(dc, { replay: trace, cwd: dir });
    const stop = await stopped;
    const description = String(stop.body.description);
    assert.match(description, /^Test failed at rng\.ts:5: expected null to be 0 \("a lost interrupt is recovered/);
    assert.match(description, new RegExp(`last event before the assertion is event #${debugEvent}: `));
    assert.doesNotMatch(description, /did not come again/, "the replay met the same run, fault and all");
    const threads = (await dc.threadsRequest()).body.threads.map((t) => t.name.replace(/:.*/, ""));
    assert.ok(threads.includes("rng-cat (pid 3)"), threads.join(", "));
    const threadId = stop.body.threadId as number;
    const back = dc.waitForEvent("stopped") as Promise<DebugProtocol.StoppedEvent>;
    await dc.stepBackRequest({ threadId });
    const earlier = await back;
    const at = /event #(\d+)/.exec(String(earlier.body.description));
    assert.ok(at && Number(at[1]) < debugEvent, String(earlier.body.description));
    assert.match(output, /replaying .*\.zlog/);
    await dc.terminateRequest();
  });
});
