// The NVMe controller under the debugger (`zds dap` over stdio): a line breakpoint in drivers/nvme,
// its NVMe scope (registers decoded, queues with head/tail/phase, commands in flight), a data
// breakpoint on a doorbell taken from that scope, and the "Device error" exception filter stopping
// on controller fatal status (CSTS.CFS). The build must be current (`npm run build`).

import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import type { DebugClient } from "@vscode/debugadapter-testsupport";
import type { DebugProtocol } from "@vscode/debugprotocol";
import { launchLikeVsCode, repoRoot, startDapClient } from "../helpers/dap-client";

const driver = path.join(repoRoot, "drivers/nvme/index.ts");
const blkCheck = path.join(repoRoot, "drivers/blk-check");
/** collectCompletions' first line: the doorbell has rung, the commands are in flight. */
const collectLine =
  fs
    .readFileSync(driver, "utf8")
    .split("\n")
    .findIndex((l) => l.includes("function collectCompletions")) + 2;

describe("debug adapter: the NVMe controller (zds dap)", function () {
  this.timeout(30_000);
  let dc: DebugClient;

  beforeEach(async () => {
    dc = await startDapClient();
  });

  afterEach(async () => {
    await dc.stop();
  });

  async function variables(ref: number): Promise<DebugProtocol.Variable[]> {
    return (await dc.variablesRequest({ variablesReference: ref })).body.variables;
  }

  async function endRun(threadId: number): Promise<void> {
    const terminated = dc.waitForEvent("terminated");
    await dc.setBreakpointsRequest({ source: { path: driver }, breakpoints: [] });
    await dc.setExceptionBreakpointsRequest({ filters: [] });
    await dc.setDataBreakpointsRequest({ breakpoints: [] });
    await dc.continueRequest({ threadId });
    await terminated;
  }

  it("stops at a breakpoint in drivers/nvme and shows its NVMe scope; a doorbell data breakpoint from it stops", async () => {
    let stopped = dc.waitForEvent("stopped") as Promise<DebugProtocol.StoppedEvent>;
    await launchLikeVsCode(dc, { programs: [path.dirname(driver), blkCheck] }, () =>
      dc.setBreakpointsRequest({ source: { path: driver }, breakpoints: [{ line: collectLine }] }),
    );
    const hit = await stopped;
    assert.equal(hit.body.reason, "breakpoint");
    const threadId = hit.body.threadId as number;
    const [top] = (await dc.stackTraceRequest({ threadId })).body.stackFrames;
    assert.equal(top.source?.path, driver);
    assert.equal(top.line, collectLine);

    const scopes = (await dc.scopesRequest({ frameId: top.id })).body.scopes;
    const nvme = scopes.find((s) => s.name === "NVMe");
    assert.ok(nvme, `scopes: ${scopes.map((s) => s.name).join(", ")}`);
    const items = await variables(nvme.variablesReference);
    const value = (name: string) => items.find((v) => v.name === name)?.value ?? `(no ${name})`;
    assert.match(value("device"), /^nvme0 at 0x10010000/);
    assert.match(value("CAP"), /MQES 1023: queues of up to 1024 entries, CQR 1, TO 500 ms, DSTRD 0/);
    assert.match(value("CC"), /^0x460001 \(EN, .*IOSQES 6 = 64 B, IOCQES 4 = 16 B\)/);
    assert.match(value("CSTS"), /^0x1 \(RDY\)/);
    assert.match(value("AQA"), /admin SQ 16 entries, CQ 16/);

    const sqs = await variables(items.find((v) => v.name === "submission queues")!.variablesReference);
    assert.deepEqual(
      sqs.map((v) => v.name),
      ["SQ 0", "SQ 1"],
    );
    assert.match(
      sqs[1].value,
      /^head (\d+), tail \1, 256 entries at 0x[0-9a-f]+, completes into CQ 1; tail doorbell 0x10011008$/,
    );
    const cqs = await variables(items.find((v) => v.name === "completion queues")!.variablesReference);
    assert.match(cqs[1].value, /^head \d+, tail \d+, phase 1, 256 entries .*interrupts on/);
    const inFlight = items.find((v) => v.name === "commands in flight")!;
    assert.ok(Number.parseInt(inFlight.value, 10) >= 1, inFlight.value);
    const commands = await variables(inFlight.variablesReference);
    assert.match(commands[0].name, /^SQ 1 CID \d+$/);
    assert.match(commands[0].value, /^(READ|WRITE|FLUSH) \(0x0[012]\)/);

    // The SQ 1 tail doorbell, from the scope, as a data breakpoint: the next ring stops the driver.
    const queues = items.find((v) => v.name === "submission queues")!.variablesReference;
    const sqVar = (await dc.dataBreakpointInfoRequest({ variablesReference: queues, name: "SQ 1" })).body;
    assert.ok(sqVar.dataId, sqVar.description);
    assert.match(sqVar.description, /SQ 1 tail doorbell/);
    await dc.setDataBreakpointsRequest({ breakpoints: [{ dataId: sqVar.dataId, accessType: "write" }] });
    await dc.setBreakpointsRequest({ source: { path: driver }, breakpoints: [] });
    stopped = dc.waitForEvent("stopped") as Promise<DebugProtocol.StoppedEvent>;
    await dc.continueRequest({ threadId });
    const rang = await stopped;
    assert.equal(rang.body.reason, "data breakpoint");
    assert.match(String(rang.body.description), /SQ 1 tail doorbell/);
    await endRun(threadId);
  });

  it("the Device error exception filter stops when the controller sets CSTS.CFS", async () => {
    const stopped = dc.waitForEvent("stopped") as Promise<DebugProtocol.StoppedEvent>;
    await launchLikeVsCode(dc, { program: path.join(repoRoot, "test/fixtures/nvme/bad-enable.ts") }, () =>
      dc.setExceptionBreakpointsRequest({ filters: ["device-error"] }),
    );
    const hit = await stopped;
    assert.equal(hit.body.reason, "exception");
    const threadId = hit.body.threadId as number;
    const info = (await dc.exceptionInfoRequest({ threadId })).body;
    assert.equal(info.exceptionId, "device-error");
    assert.match(info.description ?? "", /nvme0 .*controller fatal status \(CSTS\.CFS\): CC\.EN = 1 with CC\.MPS = 1/);
    await endRun(threadId);
  });
});
