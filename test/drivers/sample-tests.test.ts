// npm test runs the sample drivers' own tests (drivers/*/*.test.ts, written with @zds/sdk/test)
// through `zds test`, as a driver author would: every one must pass, faults injected and all.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import path from "node:path";

const root = path.join(__dirname, "..", "..");

describe("the sample drivers' tests (zds test drivers)", function () {
  this.timeout(600_000);
  it("all pass under their injected faults", () => {
    const r = spawnSync(process.execPath, [path.join(root, "bin", "zds.js"), "test", "drivers"], {
      cwd: root,
      encoding: "utf8",
      timeout: 590_000,
    });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /\d+ passing/);
    assert.doesNotMatch(r.stdout, /failing/);
  });
});
