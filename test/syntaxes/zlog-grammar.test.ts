// The .zlog grammar, checked with vscode-tmgrammar-test (vscode-textmate + oniguruma, the engine VS
// Code highlights with) against the annotated cases in test/syntaxes/cases/.

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const root = path.resolve(__dirname, "../..");
const runner = require.resolve("vscode-tmgrammar-test/dist/unit.js");
const grammar = path.join(root, "syntaxes/zlog.tmLanguage.json");

function runCases(files: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [runner, "--compact", "-g", grammar, ...files],
      { cwd: root, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : -1) : 0;
        resolve({ code, output: stdout + stderr });
      },
    );
  });
}

describe("syntaxes: zlog grammar (vscode-tmgrammar-test)", () => {
  const dir = path.join(root, "test/syntaxes/cases");
  const cases = fs.readdirSync(dir).filter((f) => f.endsWith(".test.zlog"));

  it("has annotated cases for syscalls, commits, header and end lines", () => {
    assert.deepEqual(cases.sort(), ["commits.test.zlog", "header-end.test.zlog", "syscalls.test.zlog"]);
  });

  for (const file of cases) {
    it(`scopes every annotated token of ${file}`, async () => {
      const { code, output } = await runCases([path.join(dir, file)]);
      assert.equal(code, 0, output);
      assert.match(output, /run successfuly/);
    });
  }

  it("fails a case whose assertion is wrong (the runner really checks)", async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "zlog-grammar-"));
    const file = path.join(tmp, "wrong.test.zlog");
    // A hash is not a commit type: this assertion must fail.
    fs.writeFileSync(file, '# SYNTAX TEST "source.zlog"\n{"h":"abcd"}\n#    ^^^^^^ entity.name.type.commit.zlog\n');
    const { code, output } = await runCases([file]);
    fs.rmSync(tmp, { recursive: true, force: true });
    assert.notEqual(code, 0);
    assert.match(output, /comment\.hash\.zlog/);
  });
});
