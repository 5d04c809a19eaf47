import assert from "node:assert/strict";
import { bundleDriver, DriverLoadError, importProblem } from "../../kernel/loader/bundle-driver";
import { fixture } from "../helpers/run-session";

describe("driver loader", () => {
  it("names the file of a driver that does not exist", async () => {
    await assert.rejects(
      bundleDriver("no/such/driver"),
      (e: unknown) => e instanceof DriverLoadError && /no\/such\/driver: no such driver/.test(e.message),
    );
  });

  it("reports a syntax error with file, line and the compiler's message", async () => {
    await assert.rejects(bundleDriver(fixture("broken-syntax")), (e: unknown) => {
      assert.ok(e instanceof DriverLoadError);
      assert.match(e.message, /broken-syntax.*does not compile/);
      assert.match(e.message, /index\.ts:\d+:\d+: error:/);
      return true;
    });
  });

  it("refuses a Node built-in import, naming it", async () => {
    await assert.rejects(
      bundleDriver(fixture("uses-fs")),
      (e: unknown) => e instanceof DriverLoadError && /Node built-in "fs"/.test(e.message),
    );
  });
});

describe("driver imports", () => {
  it("an entry point or an absolute path is a file, on Windows too (C:\\…, \\\\server\\…)", () => {
    assert.equal(importProblem("C:\\Users\\dev\\drivers\\rng-cat\\index.ts", "entry-point"), undefined);
    assert.equal(importProblem("C:\\Users\\dev\\shared\\util.ts", "import-statement"), undefined);
    assert.equal(importProblem("c:/Users/dev/shared/util.ts", "import-statement"), undefined);
    assert.equal(importProblem("\\\\server\\share\\util.ts", "import-statement"), undefined);
    assert.equal(importProblem("./util", "import-statement"), undefined);
  });

  it("a bare import is a package or a Node built-in, and refused", () => {
    assert.match(importProblem("fs", "import-statement") ?? "", /Node built-in "fs"/);
    assert.match(importProblem("node:fs", "require-call") ?? "", /Node built-in "node:fs"/);
    assert.match(importProblem("lodash", "import-statement") ?? "", /the package "lodash"/);
    assert.match(importProblem("C", "import-statement") ?? "", /the package "C"/);
  });
});
