// `zds bench --only timeline`: the large-trace figures are there, each with its same-run baseline.
// Speed is not asserted; memory growth is only checked to be a figure, not a limit.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { BenchReport } from "../../bench/run";

const root = path.join(__dirname, "..", "..");

describe("zds bench: timeline", function () {
  this.timeout(180_000);
  it("--quick reports summarising a synthetic trace against reading its lines, and a window load", () => {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "zds-bench-tl-")), "bench.json");
    const r = spawnSync(
      process.execPath,
      [path.join(root, "bin", "zds.js"), "bench", "--quick", "--only", "timeline", "--out", out],
      { cwd: root, encoding: "utf8", timeout: 170_000 },
    );
    assert.equal(r.status, 0, r.stderr + r.stdout);
    const report = JSON.parse(fs.readFileSync(out, "utf8")) as BenchReport;
    const result = report.results.find((x) => x.name.startsWith("timeline"))!;
    assert.equal(result.error, undefined);
    const figure = (start: string) => result.figures.find((f) => f.label.startsWith(start))!;
    const time = figure("summarise 0.1M-line trace");
    assert.ok(time.value > 0 && time.baseline!.value > 0 && time.ratio! > 0, JSON.stringify(time));
    for (const label of [
      "summarise: peak heap growth",
      "summarise: peak RSS growth",
      "summarise: longest event-loop stall",
    ]) {
      assert.equal(typeof figure(label).value, "number", label);
      assert.equal(figure(label).baseline?.label, "read its lines, no parsing");
    }
    assert.match(figure("load a 1% window").label, /\(\d[\d,]* events\)/);
    assert.match(r.stdout, /summarise 0\.1M-line trace/);
  });
});
