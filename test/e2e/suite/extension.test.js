// Runs inside a real VS Code (code-server 4.100.3 via ../shared/vscode-e2e) against the real
// extension and the workspace in test/e2e/workspace. No mock of `vscode` anywhere.
const assert = require("assert");
const path = require("path");
const vscode = require("vscode");

const EXTENSION_ID = "zero-driver-studio.zero-driver-studio";

async function waitFor(what, probe, ms = 45000) {
  const end = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

suite("Zero Driver Studio in VS Code", () => {
  let api;

  suiteSetup(async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} is not installed`);
    api = await ext.activate();
  });

  test("activates, and the language client comes up", async () => {
    assert.ok(vscode.extensions.getExtension(EXTENSION_ID).isActive);
    const readyMs = await api.languageClientReady;
    console.log(`[zds e2e] activate() took ${api.activationMs.toFixed(1)} ms; language client ready after ${readyMs.toFixed(0)} ms`);
    const commands = await vscode.commands.getCommands(true);
    for (const c of ["zeroDriver.runSampleDriver", "zeroDriver.runDriver", "zeroDriver.checkWorkspace", "zeroDriver.newDriver", "zeroDriver.openTrace"]) assert.ok(commands.includes(c), c);
  });

  test("the language server flags the fixture's read outside its MMIO window (ZDS101)", async () => {
    const folder = vscode.workspace.workspaceFolders[0].uri.fsPath;
    const uri = vscode.Uri.file(path.join(folder, "drivers", "bad-rng", "index.ts"));
    await vscode.window.showTextDocument(uri);
    const diagnostics = await waitFor("a ZDS101 diagnostic", () => {
      const found = vscode.languages.getDiagnostics(uri).filter((d) => String(typeof d.code === "object" ? d.code.value : d.code) === "ZDS101");
      return found.length > 0 ? found : undefined;
    });
    assert.equal(diagnostics[0].range.start.line, 8);
    assert.match(diagnostics[0].message, /outside the MMIO window "regs"/);
  });

  test("Run Sample Driver… runs virtio-rng + rng-cat in a terminal titled by the machine", async () => {
    const run = await vscode.commands.executeCommand("zeroDriver.runSampleDriver", "virtio-rng + rng-cat");
    assert.ok(run, "the command returned no run (is the workspace trusted?)");
    assert.equal(run.terminal.name, "Zero Driver: virt");
    assert.equal(await run.done, 0);
  });

  test("Check Capabilities in Workspace counts the fixture's error", async () => {
    const totals = await vscode.commands.executeCommand("zeroDriver.checkWorkspace");
    assert.deepEqual(totals, { files: 1, errors: 1, warnings: 1 });
  });
});
