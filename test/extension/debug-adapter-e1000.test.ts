// The e1000 under the debugger, through DAP with a real client (`zds dap` over stdio): a breakpoint in
// drivers/e1000 is hit and the e1000 scope reads its registers decoded and both descriptor rings; a
// data breakpoint on TDT (the transmit doorbell) stops the write; the device-error exception filter
// stops on a ring set up wrong. The build must be current (`npm run build`).

import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import type { DebugClient } from "@vscode/debugadapter-testsupport";
import type { DebugProtocol } from "@vscode/debugprotocol";
import { launchLikeVsCode, repoRoot, startDapClient } from "../helpers/dap-client";

const drivers = path.join(repoRoot, "drivers");
const driver = path.join(drivers, "e1000", "index.ts");

describe("debug adapter: the e1000 (zds dap)", function () {
  this.timeout(60_000);
  let dc: DebugClient;

  beforeEach(async () => {
    dc = await startDapClient();
  });

  afterEach(async () => {
    await dc.stop();
  });

  const lineOf = (pattern: RegExp): number => {
    const index = fs
      .readFileSync(driver, "utf8")
      .split("\n")
      .findIndex((l) => pattern.test(l));
    assert.ok(index >= 0, `no line matching ${pattern} in ${driver}`);
    return index + 1;
  };

  async function scope(frameId: number, name: string): Promise<DebugProtocol.Variable[]> {
    const scopes = (await dc.scopesRequest({ frameId })).body.scopes;
    const found = scopes.find((s) => s.name === name);
    assert.ok(found, `no ${name} scope in ${scopes.map((s) => s.name).join(", ")}`);
    return (await dc.variablesRequest({ variablesReference: found.variablesReference })).body.variables;
  }

  async function children(v: DebugProtocol.Variable): Promise<DebugProtocol.Variable[]> {
    assert.ok(v.variablesReference > 0, `${v.name} has no children`);
    return (await dc.variablesRequest({ variablesReference: v.variablesReference })).body.variables;
  }

  it("stops at a breakpoint in drivers/e1000 and reads the e1000's registers and rings", async () => {
    // The line after the receive descriptor is handed back: a frame (the ARP reply) was received.
    const line = lineOf(/nic\.rxNext = \(i \+ 1\) % RING_SIZE;/);
    const stopped = dc.waitForEvent("stopped") as Promise<DebugProtocol.StoppedEvent>;
    await launchLikeVsCode(dc, { programs: [path.join(drivers, "e1000"), path.join(drivers, "ping")] }, async () => {
      const set = await dc.setBreakpointsRequest({ source: { path: driver }, breakpoints: [{ line }] });
      assert.equal(set.body.breakpoints.length, 1);
    });
    const event = await stopped;
    assert.equal(event.body.reason, "breakpoint");
    const threadId = event.body.threadId as number;
    const frames = (await dc.stackTraceRequest({ threadId })).body.stackFrames;
    assert.equal(frames[0].source?.path, driver);
    assert.equal(frames[0].line, line);

    const regs = await scope(frames[0].id, "Device registers");
    assert.match(regs.find((r) => r.name === "device")?.value ?? "", /^e1000-0 \(e1000\) at 0x10020000, MAC 52:54:00:/);
    assert.match(regs.find((r) => r.name === "STATUS")?.value ?? "", /LU/);
    assert.match(regs.find((r) => r.name === "RCTL")?.value ?? "", /EN\|BAM\|SECRC, buffers 2048 bytes/);
    assert.match(regs.find((r) => r.name === "IMS")?.value ?? "", /TXDW\|LSC\|RXDMT0\|RXO\|RXT0/);
    assert.match(regs.find((r) => r.name === "RDLEN")?.value ?? "", /256 bytes, 16 descriptors/);
    assert.match(
      regs.find((r) => r.name === "RDT")?.value ?? "",
      /^0x0 \(the receive doorbell\)$/,
      "RDT just moved onto descriptor 0",
    );

    const rings = await scope(frames[0].id, "Descriptor rings");
    assert.deepEqual(
      rings.map((r) => r.name),
      ["receive ring", "transmit ring"],
    );
    assert.match(rings[0].value, /^16 descriptors at 0x[0-9a-f]+, RDH 1, RDT 0, the card owns 15; enabled$/);
    assert.match(rings[1].value, /^16 descriptors at 0x[0-9a-f]+, TDH 1, TDT 1, the card owns 0; enabled$/);
    const rx = await children(rings[0]);
    // Descriptor 0 held the 60-byte ARP reply; the driver cleared its status and moved RDT onto it, so
    // it is the one descriptor the card does not own (a full ring and an empty one would look alike).
    assert.match(rx.find((d) => d.name === "[0]")?.value ?? "", /^driver: addr 0x[0-9a-f]+ len 60 status -$/);
    assert.match(rx.find((d) => d.name === "[1]")?.value ?? "", /^device: addr 0x[0-9a-f]+ len 0 status -$/);
    const tx = await children(rings[1]);
    assert.match(
      tx.find((d) => d.name === "[0]")?.value ?? "",
      /^driver: addr 0x[0-9a-f]+ len 42 cmd EOP\|IFCS\|RS status DD$/,
    );

    const terminated = dc.waitForEvent("terminated");
    await dc.setBreakpointsRequest({ source: { path: driver }, breakpoints: [] });
    await dc.continueRequest({ threadId });
    await terminated;
  });

  it("a data breakpoint on TDT (the transmit doorbell) stops the driver's write", async () => {
    let stopped = dc.waitForEvent("stopped") as Promise<DebugProtocol.StoppedEvent>;
    await launchLikeVsCode(dc, { programs: [path.join(drivers, "e1000"), path.join(drivers, "ping")] }, () =>
      dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: "irq:11" }] }),
    );
    const first = await stopped;
    const pid = first.body.threadId as number;
    const frames = (await dc.stackTraceRequest({ threadId: pid })).body.stackFrames;
    const scopes = (await dc.scopesRequest({ frameId: frames.at(-1)!.id })).body.scopes;
    const regs = scopes.find((s) => s.name === "Device registers");
    assert.ok(regs);
    const info = await dc.dataBreakpointInfoRequest({ variablesReference: regs.variablesReference, name: "TDT" });
    assert.ok(info.body.dataId, info.body.description);
    assert.match(info.body.description, /TDT/);
    const set = await dc.setDataBreakpointsRequest({
      breakpoints: [{ dataId: info.body.dataId, accessType: "write" }],
    });
    assert.equal(set.body.breakpoints[0].verified, true);
    await dc.setFunctionBreakpointsRequest({ breakpoints: [] });
    stopped = dc.waitForEvent("stopped") as Promise<DebugProtocol.StoppedEvent>;
    await dc.continueRequest({ threadId: pid });
    const hit = await stopped;
    assert.equal(hit.body.reason, "data breakpoint");
    assert.equal(hit.body.threadId, pid);
    const hitFrames = (await dc.stackTraceRequest({ threadId: pid })).body.stackFrames;
    assert.match(hitFrames.at(-1)?.name ?? "", /^SYS_MMIO_WRITE 0x3818 \(TDT\) ← 0x2 on e1000-0/);
    const terminated = dc.waitForEvent("terminated");
    await dc.setDataBreakpointsRequest({ breakpoints: [] });
    await dc.continueRequest({ threadId: pid });
    await terminated;
  });

  it("the device-error exception filter stops on a receive ring whose length is not a multiple of 128", async () => {
    const stopped = dc.waitForEvent("stopped") as Promise<DebugProtocol.StoppedEvent>;
    await launchLikeVsCode(dc, { program: path.join(repoRoot, "test/fixtures/debug/e1000-bad-ring.ts") }, () =>
      dc.setExceptionBreakpointsRequest({ filters: ["device-error"] }),
    );
    const event = await stopped;
    assert.match(
      String(event.body.description),
      /^Device error on e1000-0: the receive ring stopped: RDLEN = 100 bytes is not a multiple of 128/,
    );
    const threadId = event.body.threadId as number;
    assert.equal((await dc.exceptionInfoRequest({ threadId })).body.exceptionId, "device-error");
    const terminated = dc.waitForEvent("terminated");
    await dc.setExceptionBreakpointsRequest({ filters: [] });
    await dc.continueRequest({ threadId });
    await terminated;
  });
});
