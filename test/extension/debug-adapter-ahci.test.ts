// The AHCI HBA under the debugger (`zds dap` over stdio): a line breakpoint in drivers/ahci while
// commands are issued, its AHCI scope (HBA and port 0 registers decoded, the slots in PxCI), and a
// data breakpoint on P0CI taken from that scope. The build must be current (`npm run build`).

import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import type { DebugClient } from "@vscode/debugadapter-testsupport";
import type { DebugProtocol } from "@vscode/debugprotocol";
import { launchLikeVsCode, repoRoot, startDapClient } from "../helpers/dap-client";

const driver = path.join(repoRoot, "drivers/ahci/index.ts");
const blkCheck = path.join(repoRoot, "drivers/blk-check");
/** collectCompletions' first line: PxCI has been written, the commands are issued. */
const collectLine =
  fs
    .readFileSync(driver, "utf8")
    .split("\n")
    .findIndex((l) => l.includes("function collectCompletions")) + 2;

describe("debug adapter: the AHCI HBA (zds dap)", function () {
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

  it("stops at a breakpoint in drivers/ahci and shows its AHCI scope; a P0CI data breakpoint from it stops", async () => {
    let stopped = dc.waitForEvent("stopped") as Promise<DebugProtocol.StoppedEvent>;
    await launchLikeVsCode(dc, { programs: [path.dirname(driver), blkCheck] }, () =>
      dc.setBreakpointsRequest({ source: { path: driver }, breakpoints: [{ line: collectLine }] }),
    );
    const hit = await stopped;
    assert.equal(hit.body.reason, "breakpoint");
    const threadId = hit.body.threadId as number;
    const [top] = (await dc.stackTraceRequest({ threadId })).body.stackFrames;
    assert.equal(top.source?.path, driver);

    const scopes = (await dc.scopesRequest({ frameId: top.id })).body.scopes;
    const ahci = scopes.find((s) => s.name === "AHCI");
    assert.ok(ahci, `scopes: ${scopes.map((s) => s.name).join(", ")}`);
    const items = await variables(ahci.variablesReference);
    const value = (name: string) => items.find((v) => v.name === name)?.value ?? `(no ${name})`;
    assert.match(value("device"), /^ahci0 at 0x10040000/);
    assert.match(value("CAP"), /32 command slots, 1 port, NCQ, 64-bit, Gen 1/);
    assert.match(value("GHC"), /\(AE, IE\)/);
    assert.match(value("P0CMD"), /\(ST \| FRE \| FR \| CR\)/);
    assert.match(value("P0TFD"), /status/);
    assert.match(value("commands"), /working on slot \d+|link idle/);

    const ci = (await dc.dataBreakpointInfoRequest({ variablesReference: ahci.variablesReference, name: "P0CI" })).body;
    assert.ok(ci.dataId, ci.description);
    await dc.setDataBreakpointsRequest({ breakpoints: [{ dataId: ci.dataId, accessType: "write" }] });
    await dc.setBreakpointsRequest({ source: { path: driver }, breakpoints: [] });
    stopped = dc.waitForEvent("stopped") as Promise<DebugProtocol.StoppedEvent>;
    await dc.continueRequest({ threadId });
    const issued = await stopped;
    assert.equal(issued.body.reason, "data breakpoint");
    assert.match(String(issued.body.description), /P0CI/);

    const terminated = dc.waitForEvent("terminated");
    await dc.setDataBreakpointsRequest({ breakpoints: [] });
    await dc.continueRequest({ threadId });
    await terminated;
  });
});
