// Source-level debugging through DAP: line breakpoints in driver TypeScript, frames mapped through
// the bundle's inline source map, locals from the worker's V8 inspector, stepping and evaluate.
// Drives `node bin/zds.js dap` with DebugClient (the build must be current: `npm run build`).

import assert from "node:assert/strict";
import path from "node:path";
import type { DebugClient } from "@vscode/debugadapter-testsupport";
import { repoRoot, startDapClient } from "../helpers/dap-client";
import type { DebugProtocol } from "@vscode/debugprotocol";

const root = repoRoot;
const fixture = path.join(root, "test/fixtures/debug/locals.ts");

describe("debug adapter: driver source (zds dap)", function () {
  this.timeout(30_000);
  let dc: DebugClient;

  beforeEach(async () => {
    dc = await startDapClient();
  });

  afterEach(async () => {
    await dc.stop();
  });

  async function launchWithBreakpoint(
    line: number,
    extra: Record<string, unknown> = {},
  ): Promise<DebugProtocol.StoppedEvent> {
    const stopped = dc.waitForEvent("stopped") as Promise<DebugProtocol.StoppedEvent>;
    // Set before launch has bundled anything, the breakpoint is verified by a later "changed" event.
    const changed = dc.waitForEvent("breakpoint") as Promise<DebugProtocol.BreakpointEvent>;
    await dc.initializeRequest({
      adapterID: "zero-driver",
      linesStartAt1: true,
      columnsStartAt1: true,
      pathFormat: "path",
    });
    await Promise.all([
      dc.waitForEvent("initialized").then(async () => {
        const bps = await dc.setBreakpointsRequest({ source: { path: fixture }, breakpoints: [{ line }] });
        assert.equal(bps.body.breakpoints.length, 1);
        await dc.configurationDoneRequest();
      }),
      dc.launch({ program: fixture, ...extra } as DebugProtocol.LaunchRequestArguments),
    ]);
    const bp = (await changed).body.breakpoint;
    assert.equal(bp.verified, true);
    assert.equal(bp.line, line);
    return stopped;
  }

  async function topFrame(threadId: number): Promise<DebugProtocol.StackFrame> {
    const frames = (await dc.stackTraceRequest({ threadId })).body.stackFrames;
    // Driver frames first, the kernel's syscall frame last.
    assert.ok(frames.length >= 2);
    assert.equal(frames[frames.length - 1].presentationHint, "label");
    return frames[0];
  }

  it("hits a TS line breakpoint, shows locals, steps over, evaluates and runs to a clean end", async () => {
    const event = await launchWithBreakpoint(11);
    assert.equal(event.body.reason, "breakpoint");
    const threadId = event.body.threadId as number;
    let top = await topFrame(threadId);
    assert.equal(top.source?.path, fixture);
    assert.equal(top.line, 11);
    assert.equal(top.name, "main");

    const scopes = (await dc.scopesRequest({ frameId: top.id })).body.scopes;
    const local = scopes.find((s) => s.name === "Local");
    assert.ok(local, `scopes: ${scopes.map((s) => s.name).join(", ")}`);
    const vars = (await dc.variablesRequest({ variablesReference: local.variablesReference })).body.variables;
    assert.equal(vars.find((v) => v.name === "count")?.value, "3");
    const point = vars.find((v) => v.name === "point");
    assert.ok(point && point.variablesReference > 0, "point is expandable");
    const fields = (await dc.variablesRequest({ variablesReference: point.variablesReference })).body.variables;
    assert.equal(fields.find((v) => v.name === "x")?.value, "4");

    const stepped = dc.waitForEvent("stopped") as Promise<DebugProtocol.StoppedEvent>;
    await dc.nextRequest({ threadId });
    assert.equal((await stepped).body.reason, "step");
    top = await topFrame(threadId);
    assert.equal(top.line, 12);

    const value = await dc.evaluateRequest({ expression: "total + count", frameId: top.id, context: "watch" });
    assert.equal(value.body.result, "9");

    const exited = dc.waitForEvent("exited");
    await dc.continueRequest({ threadId });
    assert.equal((await exited).body.exitCode, 0);
  });

  it("steps into a helper and out again", async () => {
    const event = await launchWithBreakpoint(11);
    const threadId = event.body.threadId as number;
    let stepped = dc.waitForEvent("stopped");
    await dc.stepInRequest({ threadId });
    await stepped;
    let top = await topFrame(threadId);
    assert.equal(top.name, "twice");
    assert.equal(top.line, 19);
    stepped = dc.waitForEvent("stopped");
    await dc.stepOutRequest({ threadId });
    await stepped;
    top = await topFrame(threadId);
    assert.equal(top.name, "main");
    // Back in main: on the call's line, or the next statement when the assignment has no pause point.
    assert.ok(top.line === 11 || top.line === 12, `line ${top.line}`);
    const exited = dc.waitForEvent("exited");
    await dc.continueRequest({ threadId });
    assert.equal((await exited).body.exitCode, 0);
  });

  it("holds the machine while paused in driver code without the watchdog firing", async () => {
    const event = await launchWithBreakpoint(12, { watchdogMs: 1000 });
    const threadId = event.body.threadId as number;
    await new Promise((r) => setTimeout(r, 2500));
    const threads = (await dc.threadsRequest()).body.threads;
    assert.ok(
      threads.some((t) => t.id === threadId),
      "the paused process is alive",
    );
    assert.equal((await topFrame(threadId)).line, 12);
    // A watchdog fault would end the run with a non-zero status.
    const exited = dc.waitForEvent("exited");
    await dc.continueRequest({ threadId });
    assert.equal((await exited).body.exitCode, 0);
  });

  it("terminates a worker paused in driver code", async () => {
    await launchWithBreakpoint(12);
    const terminated = dc.waitForEvent("terminated");
    await dc.terminateRequest();
    await terminated;
  });

  it("answers a line with no code and a file outside the programs as unverified", async () => {
    await dc.initializeRequest({
      adapterID: "zero-driver",
      linesStartAt1: true,
      columnsStartAt1: true,
      pathFormat: "path",
    });
    const stopped = dc.waitForEvent("stopped");
    await dc.launch({ program: fixture, stopOnEntry: true } as DebugProtocol.LaunchRequestArguments);
    await stopped;
    const other = await dc.setBreakpointsRequest({
      source: { path: path.join(root, "drivers/rng-cat/index.ts") },
      breakpoints: [{ line: 14 }],
    });
    assert.equal(other.body.breakpoints[0].verified, false);
    assert.match(String(other.body.breakpoints[0].message), /no driver code/);
    // A blank line binds to the next line with code.
    const moved = await dc.setBreakpointsRequest({ source: { path: fixture }, breakpoints: [{ line: 17 }] });
    assert.equal(moved.body.breakpoints[0].verified, true);
    assert.equal(moved.body.breakpoints[0].line, 18);
  });
});
