// The Getting Started sample: it must show ZDS201 until its quick fix's declaration is in, then
// check clean and run with its client. Tested with the real CLI; the quick fix itself is applied in
// real VS Code by test/e2e.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { scaffoldWalkthrough, WALKTHROUGH_LAUNCH } from "../../extension/walkthrough-sample";

const root = path.join(__dirname, "..", "..");
const driversDir = path.join(root, "drivers");
const zds = (cwd: string, ...args: string[]) =>
  spawnSync(process.execPath, [path.join(root, "bin", "zds.js"), ...args], { cwd, encoding: "utf8", timeout: 60_000 });

describe("extension: the walkthrough's sample", function () {
  this.timeout(60_000);
  let workspace: string;
  beforeEach(() => (workspace = fs.mkdtempSync(path.join(os.tmpdir(), "zds-walkthrough-"))));
  afterEach(() => fs.rmSync(workspace, { recursive: true, force: true }));

  it("has one capability mistake (ZDS201); with the declaration it checks clean and runs with rng-cat", () => {
    const files = scaffoldWalkthrough(driversDir, workspace);
    const launch = JSON.parse(fs.readFileSync(files.launch, "utf8")) as { configurations: { name: string }[] };
    assert.deepEqual(launch.configurations, [WALKTHROUGH_LAUNCH]);

    const check = zds(workspace, "check", "--format", "json");
    assert.equal(check.status, 1, check.stderr);
    const report = JSON.parse(check.stdout) as { diagnostics: { code: string; message: string }[] };
    assert.deepEqual([...new Set(report.diagnostics.map((d) => d.code))], ["ZDS201"]);
    assert.match(report.diagnostics[0].message, /capability "irq", which the manifest does not declare/);

    // What the quick fix writes (its edit is the language server's; e2e applies it through VS Code).
    const source = fs.readFileSync(files.driver, "utf8");
    fs.writeFileSync(
      files.driver,
      source.replace("ring: dma({ size: 8192 }),", "ring: dma({ size: 8192 }),\n    irq: irq(),"),
    );
    const clean = zds(workspace, "check", "--format", "json");
    assert.equal(clean.status, 0, clean.stdout);
    const run = zds(workspace, "run", "drivers/walkthrough-rng", "drivers/rng-cat");
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /rng-cat: 32 random bytes/);
  });

  it("leaves the author's work alone when run again, and adds to an existing launch.json", () => {
    fs.mkdirSync(path.join(workspace, ".vscode"));
    fs.writeFileSync(
      path.join(workspace, ".vscode", "launch.json"),
      JSON.stringify({ version: "0.2.0", configurations: [{ name: "mine" }] }),
    );
    const files = scaffoldWalkthrough(driversDir, workspace);
    fs.writeFileSync(files.driver, "// edited\n");
    scaffoldWalkthrough(driversDir, workspace);
    assert.equal(fs.readFileSync(files.driver, "utf8"), "// edited\n");
    const launch = JSON.parse(fs.readFileSync(files.launch, "utf8")) as { configurations: { name: string }[] };
    assert.deepEqual(
      launch.configurations.map((c) => c.name),
      ["mine", WALKTHROUGH_LAUNCH.name],
    );
  });
});
