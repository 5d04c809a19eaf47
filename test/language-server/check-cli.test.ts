// `zds check` as CI runs it: a child process, its output and exit status.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { root } from "./helpers";

const zds = (...args: string[]) =>
  spawnSync(process.execPath, [path.join(root, "bin", "zds.js"), ...args], {
    cwd: root,
    encoding: "utf8",
    timeout: 60_000,
  });

describe("zds check", () => {
  it("exits 0 on the bundled drivers and prints no diagnostics", () => {
    const r = zds("check", "drivers");
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /zds check: \d+ driver files, 0 errors/);
  });

  it("exits 1 on a fixture with violations, printing file:line:col: severity code message", () => {
    const r = zds("check", "test/fixtures/lsp/rights.ts");
    assert.equal(r.status, 1, r.stderr);
    const lines = r.stdout.split("\n").filter((l) => !l.startsWith(" ") && l !== "");
    assert.deepEqual(
      lines.map((l) => l.replace(/ \S+\(.*$/, "")),
      ["test/fixtures/lsp/rights.ts:15:5: error ZDS106", "test/fixtures/lsp/rights.ts:16:5: error ZDS106"],
    );
    assert.match(r.stdout, /^ {2}test\/fixtures\/lsp\/rights\.ts:10:5: note: "status" is declared here/m);
  });

  it("prints JSON with --format json", () => {
    const r = zds("check", "test/fixtures/lsp/dma-buffer.ts", "--format", "json");
    assert.equal(r.status, 1);
    const out = JSON.parse(r.stdout) as {
      files: string[];
      diagnostics: { code: string; line: number; severity: string }[];
      summary: { errors: number };
    };
    assert.deepEqual(out.files, ["test/fixtures/lsp/dma-buffer.ts"]);
    assert.ok(
      out.diagnostics.length > 0 && out.diagnostics.every((d) => d.code === "ZDS103" && d.severity === "error"),
    );
    assert.equal(out.summary.errors, out.diagnostics.length);
  });

  it("exits 0 when there are only warnings", () => {
    const r = zds("check", "test/fixtures/lsp/least-privilege.ts");
    assert.equal(r.status, 0, r.stdout);
    assert.match(r.stdout, /warning ZDS302/);
  });

  it("reports the opt-in hints with --hints", () => {
    assert.doesNotMatch(zds("check", "test/fixtures/lsp/hints-unproven.ts").stdout, /ZDS901/);
    assert.match(zds("check", "test/fixtures/lsp/hints-unproven.ts", "--hints").stdout, /hint ZDS901/);
  });

  it("refuses I/O ports on a virtio-bound driver with ZDS001, as Init does, and no least-privilege advice about them", () => {
    const r = zds("check", "test/fixtures/lsp/ports-on-virtio.ts");
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.equal(
      r.stdout.split("\n")[0],
      "test/fixtures/lsp/ports-on-virtio.ts:11:5: error ZDS001 Init would refuse this manifest: caps.io: ports 0x1f0–0x1f7 are not decoded by the bound device",
    );
    assert.doesNotMatch(r.stdout, /ZDS30\d/);
    assert.match(r.stderr, /1 error, 0 warnings/);
  });

  it("names a path that does not exist, and a bad --format, with exit status 2", () => {
    const missing = zds("check", "drivers/nope");
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /drivers\/nope: no such file or folder/);
    const format = zds("check", "drivers", "--format", "xml");
    assert.equal(format.status, 2);
    assert.match(format.stderr, /--format must be "text" or "json"/);
  });
});
