import assert from "node:assert/strict";
import { bundleDriver, DriverLoadError } from "../../kernel/loader/bundle-driver";
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
