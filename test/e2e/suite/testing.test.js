// Driver tests in a real VS Code's Test Explorer (issue 16): the extension's TestController finds a
// test file that imports @zds/sdk/test, shows its tests with gutter ranges, runs one (a pass), runs a
// failing one (a TestMessage with expected/actual at the expect's line), and debugs the failing one:
// the zero-driver debugger starts on its trace and stops at the failure.
const assert = require("assert");
const fs = require("fs");
const path = require("path");
const vscode = require("vscode");

const EXTENSION_ID = "zero-driver-studio.zero-driver-studio";

async function waitFor(what, probe, ms = 90000) {
  const end = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

suite("Test Explorer: driver tests", function () {
  this.timeout(180000);
  let api;
  let file;
  suiteSetup(async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    api = await ext.activate();
    const ws = vscode.workspace.workspaceFolders[0].uri.fsPath;
    file = path.join(ws, "tests", "rng.ts");
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const rng = JSON.stringify(path.join(ext.extensionPath, "drivers", "virtio-rng"));
    const cat = JSON.stringify(path.join(ext.extensionPath, "drivers", "rng-cat"));
    fs.writeFileSync(
      file,
      [
        'import { describe, expect, test } from "@zds/sdk/test";',
        "",
        'describe("rng", () => {',
        `  test("serves rng-cat", { driver: ${rng}, client: ${cat} }, (run) => {`,
        "    expect(run.client.exitCode).toBe(0);",
        "  });",
        `  test("fails on purpose", { driver: ${rng}, client: ${cat} }, (run) => {`,
        "    expect(run.client.exitCode).toBe(42);",
        "  });",
        "});",
        "",
      ].join("\n"),
    );
  });

  const items = () => {
    const out = [];
    api.tests.items.forEach((f) => f.children.forEach((t) => out.push(t)));
    return out;
  };
  const run = (kind, item) => {
    const profile = [...(api.testProfiles ?? [])].find((p) => p.kind === kind);
    return profile.runHandler(new vscode.TestRunRequest([item], undefined, profile), new vscode.CancellationTokenSource().token);
  };

  test("the test file's tests appear in the Test Explorer, each at its line", async () => {
    await vscode.commands.executeCommand("workbench.view.testing.focus");
    await api.tests.resolveHandler?.(undefined);
    const found = await waitFor("the two tests", () => (items().length === 2 ? items() : undefined));
    assert.deepStrictEqual(found.map((t) => t.label).sort(), ["rng › fails on purpose", "rng › serves rng-cat"]);
    assert.deepStrictEqual(found.map((t) => t.range.start.line).sort(), [3, 6]);
  });

  test("Run: a passing test passes, a failing one fails at its expect's line", async () => {
    const [pass, fail] = ["rng › serves rng-cat", "rng › fails on purpose"].map((l) => items().find((t) => t.label === l));
    await run(vscode.TestRunProfileKind.Run, pass);
    assert.strictEqual(api.testOutcomes.get(pass.id)?.state, "passed");
    await run(vscode.TestRunProfileKind.Run, fail);
    const outcome = api.testOutcomes.get(fail.id);
    assert.strictEqual(outcome?.state, "failed");
    assert.strictEqual(outcome.message, "expected 0 to be 42");
    assert.strictEqual(outcome.line, 8);
    assert.ok(outcome.trace && fs.existsSync(outcome.trace), "the failure kept its trace");
  });

  test("Debug: the failing test opens in the debugger, stopped at the failure", async () => {
    const fail = items().find((t) => t.label === "rng › fails on purpose");
    const started = new Promise((resolve) => {
      const d = vscode.debug.onDidStartDebugSession((s) => {
        d.dispose();
        resolve(s);
      });
    });
    await run(vscode.TestRunProfileKind.Debug, fail);
    const session = await started;
    assert.strictEqual(session.type, "zero-driver");
    assert.ok(session.configuration.replay.endsWith(".zlog"), session.configuration.replay);
    const recorded = fs.readFileSync(session.configuration.replay, "utf8").trim().split("\n").pop();
    const debugEvent = JSON.parse(recorded).debugEvent;
    const position = await waitFor("the stop at the failure", () =>
      session.customRequest("zeroDriver/position").then((p) => p, () => undefined),
    );
    assert.strictEqual(position.event, debugEvent);
    await vscode.debug.stopDebugging(session);
  });
});
