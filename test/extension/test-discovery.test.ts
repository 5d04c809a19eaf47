// How the Test Explorer finds driver tests in a file's text (extension/testing/discover.ts): the
// files it takes, the tests and their suites, and the line of each test( call (the gutter button's).
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { findTests, importsTestApi, isTestFilePath } from "../../extension/testing/discover";

describe("Test Explorer: finding driver tests", () => {
  it("takes *.test.ts beside a driver and files in a tests/ folder, if they import @zds/sdk/test", () => {
    assert.equal(isTestFilePath("/w/drivers/virtio-blk/virtio-blk.test.ts"), true);
    assert.equal(isTestFilePath("/w/tests/rng.ts"), true);
    assert.equal(isTestFilePath("/w/drivers/virtio-blk/index.ts"), false);
    assert.equal(importsTestApi(`import { test } from "@zds/sdk/test";`), true);
    assert.equal(importsTestApi(`import { describe } from "mocha";`), false);
  });

  it("finds each test with its describe suites and its line, past braces in options and bodies", () => {
    const text = [
      'import { describe, expect, test } from "@zds/sdk/test";',
      'test("top", { driver: "." }, (run) => {',
      "  if (run) { expect(1).toBe(1); }",
      "});",
      'describe("outer", () => {',
      "  describe('inner', () => {",
      "    test.only(`deep \\` one`, {}, () => {});",
      "  });",
      '  test.skip("after inner", {}, () => {});',
      "});",
      'test("last", {}, () => {});',
    ].join("\n");
    assert.deepEqual(findTests(text), [
      { title: ["top"], line: 1, column: 0 },
      { title: ["outer", "inner", "deep ` one"], line: 6, column: 4 },
      { title: ["outer", "after inner"], line: 8, column: 2 },
      { title: ["last"], line: 10, column: 0 },
    ]);
  });

  it("finds every test of the sample drivers' own test files", () => {
    const file = path.join(__dirname, "../../drivers/virtio-blk/virtio-blk.test.ts");
    const text = fs.readFileSync(file, "utf8");
    const titles = findTests(text).map((t) => t.title.join(" › "));
    assert.equal(titles.length, (text.match(/^test\(/gm) ?? []).length);
    assert.ok(titles.includes("passes on a healthy disk"));
  });
});
