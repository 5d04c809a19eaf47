// The display under the debugger, through DAP with a real client (`zds dap` over stdio): a breakpoint
// in drivers/fb-demo's frame loop is hit and the Display scope names its resource, the scanout and
// the frames shown so far; the virtio registers and the controlq are in their scopes too. The build
// must be current (`npm run build`).

import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import type { DebugClient } from "@vscode/debugadapter-testsupport";
import type { DebugProtocol } from "@vscode/debugprotocol";
import { launchLikeVsCode, repoRoot, startDapClient } from "../helpers/dap-client";

const driver = path.join(repoRoot, "drivers", "fb-demo", "index.ts");

describe("debug adapter: the display (zds dap)", function () {
  this.timeout(60_000);
  let dc: DebugClient;

  beforeEach(async () => {
    dc = await startDapClient();
  });

  afterEach(async () => {
    await dc.stop();
  });

  it("stops in fb-demo's frame loop and reads the Display scope: resource, scanout, frames", async () => {
    const line =
      fs
        .readFileSync(driver, "utf8")
        .split("\n")
        .findIndex((l) => /show\(gpu, union\(old, box\)\);/.test(l)) + 1;
    assert.ok(line > 0, "no show(gpu, union(old, box)) line in fb-demo");
    const stopped = dc.waitForEvent("stopped") as Promise<DebugProtocol.StoppedEvent>;
    await launchLikeVsCode(dc, { programs: [path.dirname(driver)] }, async () => {
      const set = await dc.setBreakpointsRequest({ source: { path: driver }, breakpoints: [{ line }] });
      assert.equal(set.body.breakpoints.length, 1);
    });
    const event = await stopped;
    assert.equal(event.body.reason, "breakpoint");
    const threadId = event.body.threadId as number;
    const frames = (await dc.stackTraceRequest({ threadId })).body.stackFrames;
    assert.equal(frames[0].source?.path, driver);
    const scopes = (await dc.scopesRequest({ frameId: frames[0].id })).body.scopes;
    assert.ok(
      ["Device registers", "Virtqueues", "Display"].every((n) => scopes.some((s) => s.name === n)),
      scopes.map((s) => s.name).join(", "),
    );
    const display = scopes.find((s) => s.name === "Display")!;
    const items = (await dc.variablesRequest({ variablesReference: display.variablesReference })).body.variables;
    const value = (name: string) => items.find((v) => v.name === name)?.value ?? "";
    assert.equal(value("device"), "virtio-gpu0: scanout 0 640×480");
    assert.equal(value("scanout 0"), "resource 1, 640×480 at (0, 0)");
    // Stopped before the second frame's show(): the first frame (the whole screen) is out.
    assert.match(value("frames"), /^1 shown; last: frame 0, 640×480, sha256 [0-9a-f]{16}…$/);
    const resources = items.find((v) => v.name === "resources")!;
    const list = (await dc.variablesRequest({ variablesReference: resources.variablesReference })).body.variables;
    assert.deepEqual(
      list.map((r) => [r.name, r.value]),
      [["resource 1", "640×480 B8G8R8X8, 1228800 bytes of backing"]],
    );

    const terminated = dc.waitForEvent("terminated");
    await dc.setBreakpointsRequest({ source: { path: driver }, breakpoints: [] });
    await dc.continueRequest({ threadId });
    await terminated;
  });
});
