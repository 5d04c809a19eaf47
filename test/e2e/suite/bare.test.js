// Runs inside a real VS Code with Zero Driver Studio installed (from its .vsix in CI) on a bare folder:
// one driver copied from the virtio-rng sample, no tsconfig.json, no package.json, no node_modules —
// what a new user has. VS Code's own TypeScript extension must resolve "@zds/sdk" through the
// extension's TypeScript server plugin: no ts(2307) on the import, and hovering an SDK call shows
// the SDK's documentation (docs/sdk-types.md).
const assert = require("assert");
const fs = require("fs");
const path = require("path");
const vscode = require("vscode");

async function waitFor(what, probe, ms = 90000) {
  const end = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

const folder = () => vscode.workspace.workspaceFolders[0].uri.fsPath;
const codeOf = (d) => String(typeof d.code === "object" ? d.code.value : d.code);
const typescriptErrors = (uri) => vscode.languages.getDiagnostics(uri).filter((d) => d.source === "ts" && d.severity === vscode.DiagnosticSeverity.Error);
const describe = (ds) => ds.map((d) => `${d.range.start.line + 1}: ts(${codeOf(d)}) ${d.message}`).join("\n");
const hoverText = (hovers) => hovers.flatMap((h) => h.contents.map((c) => (typeof c === "string" ? c : c.value))).join("\n");

suite("SDK types in a bare folder (VS Code's TypeScript, no tsconfig, no npm install)", () => {
  const driver = () => vscode.Uri.file(path.join(folder(), "my-rng", "index.ts"));

  test("the folder is bare: one driver and nothing else", () => {
    assert.deepEqual(fs.readdirSync(folder()).filter((f) => f !== ".vscode"), ["my-rng"]);
    assert.deepEqual(fs.readdirSync(path.join(folder(), "my-rng")), ["index.ts"]);
    assert.ok(vscode.extensions.getExtension("vscode.typescript-language-features"), "VS Code's TypeScript extension is missing");
    const zds = vscode.extensions.getExtension("zero-driver-studio.zero-driver-studio");
    assert.ok(zds, "Zero Driver Studio is not installed");
    assert.ok(zds.packageJSON.contributes.typescriptServerPlugins.some((p) => p.name === "zds-tsserver-plugin"));
    console.log(`[zds e2e] extension at ${zds.extensionPath}`);
  });

  test("hovering an SDK call shows its documentation from the shipped declarations", async () => {
    const uri = driver();
    const editor = await vscode.window.showTextDocument(uri);
    const text = editor.document.getText();
    const hoverAt = async (needle, offset = 1) => {
      const at = text.indexOf(needle);
      assert.ok(at >= 0, needle);
      return hoverText(await vscode.commands.executeCommand("vscode.executeHoverProvider", uri, editor.document.positionAt(at + offset)));
    };
    // The TypeScript server takes a while to start; until then hovers are empty.
    const started = Date.now();
    const define = await waitFor("a hover on defineDriver with the SDK's doc comment", async () => {
      const h = await hoverAt("defineDriver({");
      return /Define a driver/.test(h) ? h : undefined;
    });
    console.log(`[zds e2e] TypeScript hover with the SDK docs after ${Date.now() - started} ms`);
    assert.match(define, /defineDriver</);
    assert.match(define, /what the module's default export must be/);
    const probe = await hoverAt("probe(regs");
    assert.match(probe, /VirtioMmio\.probe\(regs: MmioRegion, deviceId: number\): VirtioMmio/);
    assert.match(probe, /modern virtio-mmio device/);
    const mmio = await hoverAt("mmio({ size: 0x200 })");
    assert.match(mmio, /MMIO register window/);
  });

  test("no ts(2307) on the import, no TypeScript error at all; a wrong SDK call is flagged", async () => {
    const uri = driver();
    // A canary beside the driver proves TypeScript's diagnostics arrive here and type-check SDK
    // calls: its one error names the SDK's type. By then the driver's diagnostics are in too.
    const canary = vscode.Uri.file(path.join(folder(), "my-rng", "canary.ts"));
    fs.writeFileSync(canary.fsPath, 'import { mmio } from "@zds/sdk";\n\nexport const regs = mmio({ size: "big" });\n');
    await vscode.window.showTextDocument(canary);
    const flagged = await waitFor("TypeScript's diagnostic on the canary's wrong SDK call", () => {
      const found = typescriptErrors(canary);
      return found.length > 0 ? found : undefined;
    });
    assert.deepEqual(flagged.map(codeOf), ["2322"], describe(flagged));
    assert.match(flagged[0].message, /Type 'string' is not assignable to type 'number'/);
    await vscode.window.showTextDocument(uri);
    await new Promise((r) => setTimeout(r, 3000));
    const all = vscode.languages.getDiagnostics(uri);
    assert.equal(all.filter((d) => codeOf(d) === "2307").length, 0, describe(all));
    assert.deepEqual(describe(typescriptErrors(uri)), "");
    console.log(`[zds e2e] diagnostics on the copied driver: ${all.length ? describe(all) : "none"}`);
    fs.rmSync(canary.fsPath);
  });

  test("the capability checks see the SDK too: an SDK register past a small window is ZDS101", async () => {
    // The extension's language server resolves @zds/sdk to the SDK it ships when the folder does not
    // (language-server/analysis/sdk-entry.ts); without that, VirtioReg.STATUS is an unknown offset.
    const file = vscode.Uri.file(path.join(folder(), "my-rng", "small-window.ts"));
    fs.writeFileSync(
      file.fsPath,
      [
        'import { defineDriver, mmio, VirtioDevice, VirtioReg } from "@zds/sdk";',
        "export default defineDriver({",
        '  name: "small-window",',
        "  device: { virtio: VirtioDevice.Entropy },",
        '  caps: { regs: mmio({ size: 0x20, rights: "r" }) },',
        "  main({ regs }) {",
        "    regs.read32(VirtioReg.STATUS);",
        "  },",
        "});",
        "",
      ].join("\n"),
    );
    try {
      await vscode.window.showTextDocument(file);
      const flagged = await waitFor("ZDS101 from Zero Driver Studio's language server", () => {
        const found = vscode.languages.getDiagnostics(file).filter((d) => codeOf(d) === "ZDS101");
        return found.length > 0 ? found : undefined;
      });
      assert.equal(flagged[0].range.start.line, 6);
      assert.match(flagged[0].message, /offset 0x70 is outside the MMIO window "regs"/);
    } finally {
      fs.rmSync(file.fsPath);
    }
  });
});
