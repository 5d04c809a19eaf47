// A fault in a debug session is reported as `zds run` reports it (issue 19): the debug console gets
// the driver's TypeScript line in the form of `zds check` (a link VS Code opens), the code and the
// fix; a stop on the fault names its code and line. Real client, `zds dap` over stdio; the build must
// be current (`npm run build`).

import assert from "node:assert/strict";
import path from "node:path";
import type { DebugClient } from "@vscode/debugadapter-testsupport";
import type { DebugProtocol } from "@vscode/debugprotocol";
import { launchLikeVsCode, repoRoot, startDapClient } from "../helpers/dap-client";

const runtime = path.join(repoRoot, "test/fixtures/runtime");

describe("debug adapter: faults in the words of zds check (zds dap)", function () {
  this.timeout(30_000);
  let dc: DebugClient;

  beforeEach(async () => {
    dc = await startDapClient();
  });

  afterEach(async () => {
    await dc.stop();
  });

  it("prints the fault at the driver's line, with its code and fix, in the debug console", async () => {
    const program = path.join(runtime, "undeclared-irq.ts");
    const output: string[] = [];
    dc.on("output", (e: DebugProtocol.OutputEvent) => output.push(e.body.output));
    const terminated = dc.waitForEvent("terminated");
    await launchLikeVsCode(dc, { program, trace: false });
    await terminated;
    const text = output.join("");
    assert.ok(text.includes(`${program}:16:3: error ZDS201 wait() uses capability "irq"`), text);
    assert.ok(text.includes(`    at waitFor (${program}:16:3)`), text);
    assert.ok(text.includes('  fix: Declare "irq: irq()" in the manifest'), text);
    assert.doesNotMatch(text, /zds-driver:\/\/\//);
  });

  it("a stop on a driver fault says its code and line", async () => {
    const program = path.join(runtime, "wrong-method.ts");
    const stopped = dc.waitForEvent("stopped");
    await launchLikeVsCode(dc, { program, trace: false }, () =>
      dc.setExceptionBreakpointsRequest({ filters: ["driver-fault"] }),
    );
    const event = await stopped;
    const threadId = event.body.threadId as number;
    const info = await dc.exceptionInfoRequest({ threadId });
    assert.match(String(info.body.description), /^Driver fault \(panic ZDS202\): "regs" is an mmio capability/);
    assert.equal(info.body.exceptionId, "driver-fault");
    const terminated = dc.waitForEvent("terminated");
    await dc.setExceptionBreakpointsRequest({ filters: [] });
    await dc.continueRequest({ threadId });
    await terminated;
  });
});
