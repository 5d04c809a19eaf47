// `zds trace` as a user runs it: the text and JSON summaries, the HTML file, and clear errors.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { recordTrace, tempDir, zds } from "./traces";

describe("zds trace", function () {
  this.timeout(120_000);

  it("prints a lane per process with its counts", () => {
    const { file, summary } = recordTrace("drivers/virtio-rng", "drivers/rng-cat");
    const r = zds("trace", file);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`${path.basename(file)}: virt, seed 1, completed`));
    assert.match(r.stdout, /pid 3 +rng-cat +sent 2, received 1, 0 IRQs/);
    assert.match(r.stdout, new RegExp(`${summary.irqs} interrupts`));
  });

  it("--json prints the summary as one object", () => {
    const { file, summary } = recordTrace("drivers/virtio-rng", "drivers/rng-cat");
    const r = zds("trace", file, "--json");
    assert.equal(r.status, 0, r.stderr);
    const json = JSON.parse(r.stdout) as { lanes: { name: string }[]; byKind: Record<string, number>; outcome: string };
    assert.deepEqual(
      json.lanes.map((l) => l.name),
      ["kernel", "init", "virtio-rng", "rng-cat"],
    );
    assert.equal(json.byKind.irq, summary.irqs);
    assert.equal(json.outcome, "completed");
  });

  it("names what is wrong: no such file, not a trace, no file given, an unwritable output", () => {
    const missing = zds("trace", path.join(tempDir(), "nope.zlog"));
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /nope\.zlog: cannot read the trace/);
    const notTrace = path.join(tempDir(), "readme.zlog");
    fs.writeFileSync(notTrace, "# not json\n");
    const bad = zds("trace", notTrace);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /readme\.zlog:1: not a \.zlog trace/);
    const none = zds("trace");
    assert.equal(none.status, 2);
    assert.match(none.stderr, /give exactly one trace file/);
    const { file } = recordTrace("drivers/virtio-rng", "drivers/rng-cat");
    const unwritable = zds("trace", file, "--html", path.join(tempDir(), "no-such-dir", "out.html"));
    assert.equal(unwritable.status, 2);
    assert.match(unwritable.stderr, /cannot write .*out\.html/);
  });
});
