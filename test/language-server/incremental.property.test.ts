// Incremental reanalysis must say exactly what a full analysis of the same text says. The server's
// path (a LanguageService fed edit snapshots, the shared DocumentRegistry, the file index rebuilt
// from the parts of untouched statements) against a program built from scratch for every text.
// Random edits anywhere in the file, syntax errors included. Plus the warm-up: the SDK's
// SourceFiles it parsed are the ones a later project gets, and the server reports it.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import fc from "fast-check";
import ts from "typescript";
import { generateDriver } from "../../bench/language-server";
import { analyzeSourceFile } from "../../language-server/analysis/analyze";
import { indexStats } from "../../language-server/analysis/file-index";
import { compilerOptions, DriverProject, norm } from "../../language-server/analysis/project";
import { toDiagnostic } from "../../language-server/lsp/convert";
import { bundledSdkEntry, warmUp } from "../../language-server/lsp/warm-up";
import { root } from "./helpers";
import { LspClient } from "./lsp-client";

const sdk = norm(path.join(root, "drivers", "sdk", "index.ts"));
const dir = norm(path.join(root, "test", "fixtures", "lsp", "incremental"));
const options: ts.CompilerOptions = { ...compilerOptions(undefined), baseUrl: dir, paths: { "@zds/sdk": [sdk] } };

/** Files other than the driver, parsed once (plain createSourceFile, no registry). */
const others = new Map<string, ts.SourceFile | undefined>();

/** The full analysis: a new program, the driver parsed from scratch. */
function fullFindings(file: string, text: string): string[] {
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (f, target) => {
    if (norm(f) === file) return ts.createSourceFile(f, text, target, true);
    if (!others.has(f)) others.set(f, getSourceFile(f, target));
    return others.get(f);
  };
  host.fileExists = (f) => norm(f) === file || ts.sys.fileExists(f);
  const program = ts.createProgram([file], options, host);
  const sf = program.getSourceFile(file)!;
  return describe_(analyzeSourceFile(program, sf));
}

function describe_(analysis: ReturnType<typeof analyzeSourceFile> | undefined): string[] {
  if (!analysis) return [];
  return analysis.findings.map((f) => JSON.stringify(toDiagnostic(analysis, f)));
}

const SNIPPETS = [
  "0x300",
  "0",
  "4",
  " ",
  "\n",
  "(",
  ")",
  "{",
  "}",
  ";",
  ",",
  "+ 8",
  "// note\n",
  "/*",
  "`",
  '"',
  "regs.write32(0x400, 1);\n",
  "ring.setU32(9000, 1);\n",
  "const k = 0x20;\n",
  "REG_BASE",
  "size",
  "i",
  "function",
  "return 1;",
];

/** An edit as the editor sends it: a range of the current text replaced. */
const editArb = fc.record({
  at: fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }),
  remove: fc.integer({ min: 0, max: 12 }),
  insert: fc.constantFrom(...SNIPPETS),
});

function apply(text: string, e: { at: number; remove: number; insert: string }): string {
  const start = Math.floor(e.at * (text.length + 1));
  return text.slice(0, start) + e.insert + text.slice(Math.min(text.length, start + e.remove));
}

const BASES: Record<string, string> = {
  generated: generateDriver(320),
  "virtio-rng": fs.readFileSync(path.join(root, "drivers", "virtio-rng", "index.ts"), "utf8"),
};

describe("language server: incremental reanalysis", function () {
  this.timeout(120_000);

  it("after any sequence of edits, the findings equal a full analysis of the same text", () => {
    let run = 0;
    fc.assert(
      fc.property(
        fc.constantFrom(...Object.keys(BASES)),
        fc.array(editArb, { minLength: 1, maxLength: 6 }),
        (base, edits) => {
          const file = norm(path.join(dir, `edited-${run++}.ts`));
          const project = new DriverProject(options, dir);
          let text = BASES[base];
          project.setOverlay(file, text);
          project.analyze(file);
          for (const e of edits) {
            text = apply(text, e);
            project.setOverlay(file, text);
            assert.deepEqual(describe_(project.analyze(file)), fullFindings(file, text), `after ${JSON.stringify(e)}`);
          }
          project.removeOverlay(file);
        },
      ),
      { numRuns: 40, seed: 14 },
    );
  });

  it("an edit inside one helper indexes that top-level statement again and no other", () => {
    const file = norm(path.join(dir, "index-parts.ts"));
    const project = new DriverProject(options, dir);
    let text = generateDriver(600);
    project.setOverlay(file, text);
    assert.equal(project.analyze(file)?.findings.length, 0);
    const before = indexStats.statementsWalked;
    text = text.replace("regs.write32(REG_BASE + 8,", "regs.write32(REG_BASE + 0x300,");
    project.setOverlay(file, text);
    const analysis = project.analyze(file)!;
    assert.deepEqual(
      analysis.findings.map((f) => f.code),
      ["ZDS101"],
    );
    assert.equal(indexStats.statementsWalked - before, 1);
    assert.deepEqual(describe_(analysis), fullFindings(file, text));
  });

  it("the warm-up's SDK SourceFiles are the ones a later project with the same SDK mapping gets", () => {
    const warm = warmUp(bundledSdkEntry(path.join(root, "language-server", "lsp")));
    assert.equal(warm.sdk, sdk);
    assert.ok(warm.files > 30, `${warm.files} files`);
    const project = new DriverProject(options, dir);
    const file = norm(path.join(dir, "after-warm-up.ts"));
    project.setOverlay(file, BASES["virtio-rng"]);
    project.analyze(file);
    const program = project.program();
    for (const f of [sdk, norm(path.join(root, "kernel", "abi", "caps.ts"))])
      assert.equal(program.getSourceFile(f), warm.program!.getSourceFile(f), f);
  });

  it("over stdio: the server warms up before initialize and its incremental diagnostics equal a full analysis", async () => {
    const client = new LspClient();
    const logs: string[] = [];
    client.connection.onNotification("window/logMessage", (m: { message: string }) => logs.push(m.message));
    try {
      await client.initialize();
      const file = norm(path.join(dir, "over-stdio.ts"));
      const uri = pathToFileURL(file).href;
      let text = BASES.generated;
      let version = 1;
      await client.open(uri, text, version);
      const edits = fc.sample(editArb, { numRuns: 8, seed: 5 });
      for (const e of edits) {
        const start = Math.floor(e.at * (text.length + 1));
        const end = Math.min(text.length, start + e.remove);
        const pos = (o: number) => {
          const lines = text.slice(0, o).split("\n");
          return { line: lines.length - 1, character: lines[lines.length - 1].length };
        };
        const range = { start: pos(start), end: pos(end) };
        text = text.slice(0, start) + e.insert + text.slice(end);
        const published = await client.change(uri, ++version, [{ range, text: e.insert }]);
        assert.deepEqual(
          published.diagnostics.map((d) => JSON.stringify(d)).sort(),
          fullFindings(file, text).sort(),
          `after ${JSON.stringify(e)}`,
        );
      }
      assert.ok(
        logs.some((l) => /^warm-up: \d+ ms, \d+ files \(SDK .*drivers\/sdk\/index\.ts\)$/.test(l)),
        logs.join("\n"),
      );
    } finally {
      await client.close();
    }
  });
});
