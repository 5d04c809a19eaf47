// The New Driver… scaffolder and the sample pairing behind Run Sample Driver…: plain Node modules of
// the extension, tested with the real CLI (`zds check`, `zds run` as child processes) because the
// promise to the user is "the new driver checks clean and runs".
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { scaffoldDriver, ScaffoldError, TEMPLATES, validateDriverName } from "../../extension/scaffold";
import { samplePairings, servicesOf } from "../../runner/samples";

const root = path.join(__dirname, "..", "..");
const driversDir = path.join(root, "drivers");
const zds = (cwd: string, ...args: string[]) =>
  spawnSync(process.execPath, [path.join(root, "bin", "zds.js"), ...args], { cwd, encoding: "utf8", timeout: 60_000 });

describe("extension: New Driver… scaffolder", function () {
  this.timeout(60_000);
  let workspace: string;
  beforeEach(() => {
    workspace = fs.mkdtempSync(path.join(os.tmpdir(), "zds-scaffold-"));
  });
  afterEach(() => fs.rmSync(workspace, { recursive: true, force: true }));

  for (const template of TEMPLATES) {
    it(`${template.device}: writes a driver that zds check passes and zds run runs with ${template.client}`, () => {
      const name = `my-${template.device}`;
      const result = scaffoldDriver({ driversDir, workspace, device: template.device, name });
      assert.equal(result.entry, path.join(workspace, "drivers", name, "index.ts"));
      assert.match(fs.readFileSync(result.entry, "utf8"), new RegExp(`name: "${name}"`));
      // Nothing but the driver: `@zds/sdk` resolves to the SDK beside the tools, no tsconfig needed.
      assert.deepEqual(fs.readdirSync(workspace), ["drivers"]);

      const check = zds(workspace, "check", "--format", "json");
      assert.equal(check.status, 0, check.stdout + check.stderr);
      const report = JSON.parse(check.stdout) as { files: string[]; summary: { errors: number; warnings: number } };
      assert.deepEqual(report.files, [`drivers/${name}/index.ts`]);
      assert.equal(report.summary.errors, 0);
      assert.equal(report.summary.warnings, 0);

      const run = zds(workspace, "run", `drivers/${name}`, path.join(driversDir, template.client), "--json");
      assert.equal(run.status, 0, run.stderr);
      const summary = JSON.parse(run.stdout.trim().split("\n").pop()!) as {
        processes: { name: string; state: string; exitCode: number }[];
        violations: unknown[];
      };
      assert.deepEqual(
        summary.processes.map((p) => [p.name, p.state, p.exitCode]),
        [
          [name, "exited", 0],
          [template.client, "exited", 0],
        ],
      );
      assert.deepEqual(summary.violations, []);
    });
  }

  it("refuses bad names, unknown devices and overwriting, and leaves an existing tsconfig.json alone", () => {
    assert.ok(validateDriverName("Bad Name"));
    assert.equal(validateDriverName("ok-name2"), undefined);
    assert.throws(() => scaffoldDriver({ driversDir, workspace, device: "virtio-gpu", name: "x" }), ScaffoldError);
    fs.writeFileSync(path.join(workspace, "tsconfig.json"), "{}\n");
    scaffoldDriver({ driversDir, workspace, device: "virtio-rng", name: "twice" });
    assert.equal(fs.readFileSync(path.join(workspace, "tsconfig.json"), "utf8"), "{}\n");
    assert.throws(
      () => scaffoldDriver({ driversDir, workspace, device: "virtio-rng", name: "twice" }),
      /already exists/,
    );
  });
});

describe("extension: sample pairings", () => {
  it("pairs each serving sample driver with the clients of its service", () => {
    assert.deepEqual(
      samplePairings(driversDir).map((p) => p.label),
      [
        "ahci + blk-check",
        "ata-pio + blk-check",
        "e1000 + ping",
        "nvme + blk-check",
        "uart16550 + echo-shell",
        "uart16550 + hello-console",
        "virtio-blk + blk-check",
        "virtio-console + echo-shell",
        "virtio-console + hello-console",
        "virtio-net + ping",
        "virtio-rng + rng-cat",
      ],
    );
  });

  it("reads serve() and client() from manifest text", () => {
    assert.deepEqual(servicesOf(`caps: { a: serve("rng"), b: client('blk'), c: serve("rng") }`), {
      serves: ["rng"],
      clientOf: ["blk"],
    });
  });
});
