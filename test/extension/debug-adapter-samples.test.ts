// Every bundled sample runs under the debugger as it runs in `npm start`: launched through DAP
// (`zds dap`), with a line breakpoint in the driver that must be hit, then to a clean end (exit 0)
// with the client's success line in the output. The build must be current (`npm run build`).

import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import type { DebugClient } from "@vscode/debugadapter-testsupport";
import type { DebugProtocol } from "@vscode/debugprotocol";
import { launchLikeVsCode, repoRoot, startDapClient } from "../helpers/dap-client";

const drivers = path.join(repoRoot, "drivers");

interface Sample {
  driver: string;
  /** The client that uses it; none for a driver that works alone (fb-demo draws on the display). */
  client?: string;
  /** What the client prints when it worked. */
  success: RegExp;
  extra?: Record<string, unknown>;
}

const samples: Sample[] = [
  { driver: "virtio-rng", client: "rng-cat", success: /rng-cat: 32 random bytes/ },
  { driver: "virtio-blk", client: "blk-check", success: /blk-check: PASS/ },
  { driver: "ata-pio", client: "blk-check", success: /blk-check: PASS/ },
  { driver: "nvme", client: "blk-check", success: /blk-check: PASS/ },
  { driver: "ahci", client: "blk-check", success: /blk-check: PASS/ },
  { driver: "uart16550", client: "hello-console", success: /hello from Zero OS through the console service/ },
  { driver: "virtio-console", client: "hello-console", success: /hello from Zero OS through the console service/ },
  { driver: "virtio-net", client: "ping", success: /4 packets transmitted, 4 received, 0% packet loss/ },
  { driver: "e1000", client: "ping", success: /4 packets transmitted, 4 received, 0% packet loss/ },
  { driver: "fb-demo", success: /fb-demo: drew 40 frames on a 640×480 display/ },
];

describe("debug adapter: every bundled sample under the debugger (zds dap)", function () {
  this.timeout(60_000);
  let dc: DebugClient;

  beforeEach(async () => {
    dc = await startDapClient();
  });

  afterEach(async () => {
    await dc.stop();
  });

  for (const sample of samples) {
    it(`${sample.driver}${sample.client ? ` with ${sample.client}` : ""}: a breakpoint in the driver is hit, then a clean end`, async () => {
      const file = path.join(drivers, sample.driver, "index.ts");
      const lines = fs.readFileSync(file, "utf8").split("\n");
      // The first line of the driver's main() (found by its text, so edits keep the test valid).
      const index = lines.findIndex((l) => /^\s*(async\s+)?main\(/.test(l)) + 1;
      assert.ok(index > 0, `no main( in ${file}`);
      let output = "";
      dc.on("output", (e: DebugProtocol.OutputEvent) => (output += e.body.output));
      const stopped = dc.waitForEvent("stopped") as Promise<DebugProtocol.StoppedEvent>;
      await launchLikeVsCode(
        dc,
        {
          programs: [sample.driver, ...(sample.client ? [sample.client] : [])].map((p) => path.join(drivers, p)),
          ...sample.extra,
        },
        async () => {
          const set = await dc.setBreakpointsRequest({ source: { path: file }, breakpoints: [{ line: index + 1 }] });
          assert.equal(set.body.breakpoints.length, 1);
        },
      );
      const event = await stopped;
      assert.equal(event.body.reason, "breakpoint", JSON.stringify(event.body));
      const top = (await dc.stackTraceRequest({ threadId: event.body.threadId as number })).body.stackFrames[0];
      assert.equal(top.source?.path, file);
      assert.ok(Math.abs((top.line ?? 0) - (index + 1)) <= 5, `stopped at ${top.line}, breakpoint on ${index + 1}`);
      await dc.setBreakpointsRequest({ source: { path: file }, breakpoints: [] });
      const exited = dc.waitForEvent("exited") as Promise<DebugProtocol.ExitedEvent>;
      await dc.continueRequest({ threadId: event.body.threadId as number });
      assert.equal((await exited).body.exitCode, 0, output);
      assert.match(output, sample.success);
    });
  }
});
