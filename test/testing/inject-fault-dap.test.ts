// Injecting a fault from a debug session (docs/faults.md): the custom DAP request
// zeroDriver/injectFault, sent by a real DAP client to `node bin/zds.js dap` (run `npm run build`),
// puts the fault in at the kernel's next input point or after the next event; the run meets it, the
// trace records where it went in (an `fi` line), and a replay of that trace meets it at the same
// place: the same SysLog hash, event for event.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { DebugClient } from "@vscode/debugadapter-testsupport";
import type { DebugProtocol } from "@vscode/debugprotocol";
import { launchLikeVsCode, repoRoot, startDapClient } from "../helpers/dap-client";
import { readZlog } from "../../kernel/trace/zlog-reader";
import { replayTrace } from "../../kernel/trace/replay";

const programs = [path.join(repoRoot, "drivers/virtio-blk"), path.join(repoRoot, "drivers/blk-check")];

describe("debug adapter: injecting a fault (zeroDriver/injectFault)", function () {
  this.timeout(120_000);
  let dc: DebugClient;
  let dir: string;
  let output: string;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "zds-inject-"));
    dc = await startDapClient();
    output = "";
    dc.on("output", (e: DebugProtocol.OutputEvent) => (output += e.body.output));
  });

  afterEach(async () => {
    await dc.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Launch stopped on entry, recording a trace; resolves with the entry stop. */
  async function launchStopped(trace: string): Promise<DebugProtocol.StoppedEvent> {
    const stopped = dc.waitForEvent("stopped") as Promise<DebugProtocol.StoppedEvent>;
    await launchLikeVsCode(dc, { programs, cwd: repoRoot, stopOnEntry: true, trace });
    return stopped;
  }

  for (const when of ["now", "next-event"] as const) {
    it(`"${when}": the run meets the fault, and the recorded injection replays exactly`, async () => {
      const trace = path.join(dir, `inject-${when}.zlog`);
      const entry = await launchStopped(trace);
      await dc.customRequest("zeroDriver/injectFault", { spec: "io-error,sector=16370", when });
      const terminated = dc.waitForEvent("terminated", 60_000);
      await dc.continueRequest({ threadId: entry.body.threadId as number });
      await terminated;
      assert.match(output, /injecting io-error,sector=16370/);
      assert.match(output, /blk-check: FAIL WRITE of sectors 16368\+7: IO/);
      const recorded = readZlog(trace);
      assert.equal(recorded.faultInputs.length, 1, "the trace records the injection");
      assert.equal(recorded.faultInputs[0].spec, "io-error,sector=16370");
      let replayed = "";
      const report = await replayTrace(trace, {
        verify: true,
        output: { console: (_p, text) => (replayed += text), debug: () => undefined },
      });
      assert.equal(report.match, true, report.divergence?.message);
      assert.match(replayed, /blk-check: FAIL WRITE of sectors 16368\+7: IO/);
    });
  }

  it("refuses a spec the machine cannot have, saying why", async () => {
    const entry = await launchStopped(path.join(dir, "refused.zlog"));
    await assert.rejects(
      dc.customRequest("zeroDriver/injectFault", { spec: "irq-lost@nvme9" }),
      /the machine has no device "nvme9" \(devices: .*virtio-blk0/,
    );
    await assert.rejects(dc.customRequest("zeroDriver/injectFault", { spec: "melt" }), /unknown fault "melt"/);
    await assert.rejects(dc.customRequest("zeroDriver/injectFault", {}), /injectFault needs \{ spec/);
    const terminated = dc.waitForEvent("terminated", 60_000);
    await dc.continueRequest({ threadId: entry.body.threadId as number });
    await terminated;
    assert.match(output, /blk-check: PASS/, "nothing was injected");
  });
});
