// A fault on the timeline says what the run said: its reason in words, its code, the driver's
// TypeScript line and frames (the trace's `pf` line, docs/zlog.md), and a replay passes over that line.
import assert from "node:assert/strict";
import path from "node:path";
import type { TimelineSummary } from "../../timeline/model";
import { buildTimeline } from "../../timeline/scan";
import { details, label, Names } from "../../timeline/view/format";
import { repoRoot, zdsChild } from "../helpers/zds-child";
import { recordTrace } from "./traces";

describe("timeline: a fault's details", function () {
  this.timeout(120_000);

  it("decode the reason and name the code, the driver's line, its frames and the fix", async () => {
    const { file } = recordTrace("test/fixtures/runtime/undeclared-irq.ts");
    const { events, summary } = await buildTimeline(file);
    const fault = events.find((e) => e.kind === "fault")!;
    assert.equal(fault.reason, "capability violation");
    assert.equal(fault.faultKind, "capability-violation");
    assert.equal(fault.diagnostic, "ZDS201");
    const source = path.join(repoRoot, "test/fixtures/runtime/undeclared-irq.ts");
    assert.equal(fault.where, `${source}:16:3`);
    assert.deepEqual(fault.frames, [`waitFor (${source}:16:3)`, `main (${source}:11:5)`]);
    assert.equal(fault.fix, 'Declare "irq: irq()" in the manifest');
    const rows = new Map(details(fault, new Names(summary as TimelineSummary)));
    assert.equal(rows.get("Reason"), "capability violation (3) · capability-violation");
    assert.equal(rows.get("Code"), "ZDS201");
    assert.equal(rows.get("Source"), `${source}:16:3`);
    assert.equal(rows.get("Fix"), 'Declare "irq: irq()" in the manifest');
    assert.equal(label(fault, new Names(summary as TimelineSummary)), "violation ZDS201");
  });

  it("a trace holding `pf` lines replays and verifies", async () => {
    const { file } = recordTrace("test/fixtures/runtime/mmio-outside.ts");
    const r = await zdsChild(["replay", file, "--verify"]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
  });
});
