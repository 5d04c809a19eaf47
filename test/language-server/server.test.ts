// The built server (dist/language-server.js) over stdio with a real LSP client: open, change,
// diagnostics, hover, code action, completion, definition, and bad input that must not crash it.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import {
  CodeActionRequest,
  CompletionRequest,
  DefinitionRequest,
  DiagnosticSeverity,
  HoverRequest,
  type CompletionItem,
  type Location,
  type MarkupContent,
  type TextEdit,
} from "vscode-languageserver-protocol/node";
import { TextDocument } from "vscode-languageserver-textdocument";
import { fixtures } from "./helpers";
import { LspClient, positionOf } from "./lsp-client";

// An unsaved buffer: the file does not exist on disk.
const uri = pathToFileURL(path.join(fixtures, "unsaved-buffer.ts")).href;

const CLEAN = `import { defineDriver, mmio, VirtioDevice, VirtioReg } from "@zds/sdk";

export default defineDriver({
  name: "lsp-buffer",
  device: { virtio: VirtioDevice.Entropy },
  caps: {
    regs: mmio({ size: 0x74, rights: "r" }),
  },
  main({ regs }) {
    regs.read32(0x0);
    regs.read32(VirtioReg.STATUS);
  },
});
`;

describe("language server over stdio", function () {
  this.timeout(60_000);
  let client: LspClient;
  let doc: TextDocument;

  before(async () => {
    client = new LspClient();
    await client.initialize();
  });

  after(async () => {
    await client.close();
  });

  /** Send a full-text replacement as an incremental change of the whole range, like an editor. */
  async function edit(newText: string) {
    const version = doc.version + 1;
    const whole = { start: { line: 0, character: 0 }, end: doc.positionAt(doc.getText().length) };
    doc = TextDocument.update(doc, [{ range: whole, text: newText }], version);
    return client.change(uri, version, [{ range: whole, text: newText }]);
  }

  it("publishes no diagnostics for a clean unsaved buffer", async () => {
    doc = TextDocument.create(uri, "typescript", 1, CLEAN);
    const published = await client.open(uri, CLEAN);
    assert.deepEqual(published.diagnostics, []);
  });

  it("flags an offset outside the window after an incremental edit, with the declaration as related information", async () => {
    const at = positionOf(doc.getText(), "VirtioReg.STATUS)");
    const range = { start: at, end: { line: at.line, character: at.character + "VirtioReg.STATUS".length } };
    const version = doc.version + 1;
    doc = TextDocument.update(doc, [{ range, text: "0x100" }], version);
    const published = await client.change(uri, version, [{ range, text: "0x100" }]);
    assert.equal(published.diagnostics.length, 1, JSON.stringify(published.diagnostics));
    const d = published.diagnostics[0];
    assert.equal(d.code, "ZDS101");
    assert.equal(d.severity, DiagnosticSeverity.Error);
    assert.equal(d.source, "zero-driver");
    assert.match(d.message, /0x100/);
    assert.match(d.message, /"regs"/);
    assert.deepEqual(d.range.start, positionOf(doc.getText(), "regs.read32(0x100)"));
    assert.equal(d.relatedInformation?.length, 1);
    assert.equal(d.relatedInformation![0].location.uri, uri);
    assert.deepEqual(d.relatedInformation![0].location.range.start, positionOf(doc.getText(), "regs: mmio"));
  });

  it("hovers a handle with its grant and an offset with its register", async () => {
    await edit(CLEAN);
    const onHandle = await client.connection.sendRequest(HoverRequest.type, {
      textDocument: { uri },
      position: positionOf(doc.getText(), "regs.read32(0x0)", 1),
    });
    const grant = (onHandle?.contents as MarkupContent).value;
    assert.match(grant, /MMIO window/);
    assert.match(grant, /0x74 bytes/);
    assert.match(grant, /rights r/);
    assert.match(grant, /virtio 4 \(entropy\)/);
    const onOffset = await client.connection.sendRequest(HoverRequest.type, {
      textDocument: { uri },
      position: positionOf(doc.getText(), "VirtioReg.STATUS", 12),
    });
    assert.match((onOffset?.contents as MarkupContent).value, /\*\*Status\*\*/);
    const onMagic = await client.connection.sendRequest(HoverRequest.type, {
      textDocument: { uri },
      position: positionOf(doc.getText(), "0x0)", 1),
    });
    assert.match((onMagic?.contents as MarkupContent).value, /MagicValue/);
  });

  it("hovers a device's configuration field by the device type's layout (virtio-gpu, virtio-blk)", async () => {
    const gpuUri = pathToFileURL(path.join(fixtures, "unsaved-gpu.ts")).href;
    const text = `import { defineDriver, mmio, VirtioDevice } from "@zds/sdk";

export default defineDriver({
  name: "lsp-gpu",
  device: { virtio: VirtioDevice.Gpu },
  caps: { regs: mmio({ size: 0x200 }) },
  main({ regs }) {
    regs.read32(0x108);
    regs.write32(0x104, 1);
  },
});
`;
    await client.open(gpuUri, text);
    const hoverOn = async (needle: string) =>
      (
        (
          await client.connection.sendRequest(HoverRequest.type, {
            textDocument: { uri: gpuUri },
            position: positionOf(text, needle, 1),
          })
        )?.contents as MarkupContent
      ).value;
    assert.match(await hoverOn("0x108"), /\*\*num_scanouts\*\* — GPU configuration \+ 0x8, R, 32-bit/);
    assert.match(await hoverOn("0x104"), /\*\*events_clear\*\* — GPU configuration \+ 0x4, W/);
    const blkUri = pathToFileURL(path.join(fixtures, "unsaved-blk.ts")).href;
    const blk = text.replace("VirtioDevice.Gpu", "VirtioDevice.Block").replace("0x108", "0x114");
    await client.open(blkUri, blk);
    const onBlk = (
      await client.connection.sendRequest(HoverRequest.type, {
        textDocument: { uri: blkUri },
        position: positionOf(blk, "0x114", 1),
      })
    )?.contents as MarkupContent;
    assert.match(onBlk.value, /\*\*blk_size\*\* — block configuration \+ 0x14/);
  });

  it("goes from a handle to its manifest entry", async () => {
    const result = (await client.connection.sendRequest(DefinitionRequest.type, {
      textDocument: { uri },
      position: positionOf(doc.getText(), "regs.read32(0x0)", 2),
    })) as Location[];
    assert.equal(result.length, 1);
    assert.equal(result[0].uri, uri);
    assert.deepEqual(result[0].range.start, positionOf(doc.getText(), "regs: mmio"));
  });

  it("offers a quick fix that declares a missing capability, and the fix clears the diagnostic", async () => {
    const text = CLEAN.replace("main({ regs })", "main({ regs, irq })").replace(
      "regs.read32(0x0);",
      "regs.read32(0x0);\n    irq.wait();",
    );
    const published = await edit(text);
    assert.deepEqual(
      published.diagnostics.map((d) => d.code),
      ["ZDS201"],
    );
    const actions = await client.connection.sendRequest(CodeActionRequest.type, {
      textDocument: { uri },
      range: published.diagnostics[0].range,
      context: { diagnostics: published.diagnostics },
    });
    assert.ok(actions && actions.length === 1, JSON.stringify(actions));
    const action = actions[0];
    assert.ok("edit" in action && action.edit?.changes, "a workspace edit");
    assert.match(action.title, /irq: irq\(\)/);
    const edits: TextEdit[] = action.edit.changes[uri];
    const fixed = TextDocument.applyEdits(doc, edits);
    assert.match(fixed, /import \{ defineDriver, mmio, VirtioDevice, VirtioReg, irq \}/);
    assert.match(fixed, /irq: irq\(\)/);
    const after = await edit(fixed);
    assert.deepEqual(after.diagnostics, []);
  });

  it("completes register offsets the grant covers, with the access's width and direction", async () => {
    const text = CLEAN.replace("regs.read32(0x0);", "regs.read32();");
    await edit(text);
    const items = (await client.connection.sendRequest(CompletionRequest.type, {
      textDocument: { uri },
      position: positionOf(text, "regs.read32()", "regs.read32(".length),
    })) as CompletionItem[];
    const labels = items.map((i) => i.label);
    assert.ok(labels.includes("VirtioReg.MAGIC"), labels.join(", "));
    assert.ok(labels.includes("VirtioReg.STATUS"));
    assert.ok(!labels.includes("VirtioReg.QUEUE_NOTIFY"), "write-only register offered for a read");
    assert.ok(!labels.includes("VirtioReg.CONFIG_GENERATION"), "register beyond the 0x74-byte window offered");
    const status = items.find((i) => i.label === "VirtioReg.STATUS")!;
    assert.match(String(status.detail), /0x70 Status/);
  });

  it("re-analyses an open driver when a workspace file whose constants it folds changes", async () => {
    const constsUri = pathToFileURL(path.join(fixtures, "unsaved-consts.ts")).href;
    const driverUri = pathToFileURL(path.join(fixtures, "unsaved-dependent.ts")).href;
    await client.open(constsUri, "export const OFF = 0x10;\n");
    const driver = CLEAN.replace(
      "import { defineDriver",
      'import { OFF } from "./unsaved-consts";\nimport { defineDriver',
    ).replace("regs.read32(0x0);", "regs.read32(OFF);");
    assert.deepEqual((await client.open(driverUri, driver)).diagnostics, []);
    const republished = client.nextDiagnostics(driverUri);
    const whole = { start: { line: 0, character: 0 }, end: { line: 1, character: 0 } };
    await client.change(constsUri, 2, [{ range: whole, text: "export const OFF = 0x100;\n" }]);
    const after = await republished;
    assert.deepEqual(
      after.diagnostics.map((d) => d.code),
      ["ZDS101"],
    );
    assert.match(after.diagnostics[0].message, /0x100/);
  });

  it("resolves @zds/sdk in a bare folder (no tsconfig, no package), so SDK constants fold", async () => {
    // A folder outside the repository holding one driver: TypeScript alone cannot find @zds/sdk
    // there; the server uses the SDK beside it (language-server/analysis/sdk-entry.ts). Without
    // that, VirtioReg.STATUS would be unknown and the read past the window would go unflagged.
    const bare = fs.mkdtempSync(path.join(os.tmpdir(), "zds-bare-"));
    try {
      const file = path.join(bare, "my-rng", "index.ts");
      fs.mkdirSync(path.dirname(file));
      const text = CLEAN.replace("mmio({ size: 0x74,", "mmio({ size: 0x20,");
      fs.writeFileSync(file, text);
      const published = await client.open(pathToFileURL(file).href, text);
      assert.deepEqual(
        published.diagnostics.map((d) => [d.code, d.range.start.line]),
        [["ZDS101", positionOf(text, "regs.read32(VirtioReg.STATUS)").line]],
        JSON.stringify(published.diagnostics),
      );
      assert.match(published.diagnostics[0].message, /offset 0x70/);
    } finally {
      fs.rmSync(bare, { recursive: true, force: true });
    }
  });

  it("answers and stays up on half-typed code, binary text and a huge buffer", async () => {
    const halfTyped = await edit(CLEAN.replace("regs.read32(0x0);", "regs.read32(0x0 +\n    const = regs.\n    {{{"));
    assert.ok(Array.isArray(halfTyped.diagnostics));
    const binaryUri = pathToFileURL(path.join(fixtures, "unsaved-binary.ts")).href;
    assert.deepEqual((await client.open(binaryUri, "\u0000\u0001defineDriver({ caps: {} })\u0000")).diagnostics, []);
    const hugeUri = pathToFileURL(path.join(fixtures, "unsaved-huge.ts")).href;
    const huge = CLEAN + "\n// " + "x".repeat(3 * 1024 * 1024) + "\n";
    assert.deepEqual((await client.open(hugeUri, huge)).diagnostics, []);
    const hover = await client.connection.sendRequest(HoverRequest.type, {
      textDocument: { uri: hugeUri },
      position: { line: 9, character: 5 },
    });
    assert.equal(hover, null);
    assert.ok(client.alive, client.stderr);
  });
});
