// The TypeScript server plugin (extension/tsserver-plugin): loaded the way VS Code's TypeScript
// extension has it loaded — a global plugin of a real ts.server.ProjectService, the compiler options
// VS Code gives a file outside any tsconfig — on a folder holding nothing but a copied sample driver.
// No ts(2307) for "@zds/sdk", and hovering an SDK call shows its doc comment from the shipped
// declarations (dist/types, written by `npm run build`).
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import ts from "typescript";
import init from "../../extension/tsserver-plugin";
import { SDK_TYPES_ENTRY, sdkTypesRoot } from "../../kernel/host/paths";

const root = path.join(__dirname, "..", "..");
const PLUGIN = "zds-tsserver-plugin";

/** VS Code 1.100's options for a file no tsconfig covers (typescript-language-features, TypeScript ≥ 5.4). */
const VSCODE_INFERRED: ts.server.protocol.CompilerOptions = {
  module: ts.ModuleKind.Preserve,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  target: ts.ScriptTarget.ES2022,
  jsx: ts.JsxEmit.ReactJSX,
  allowImportingTsExtensions: true,
  strictNullChecks: true,
  strictFunctionTypes: true,
  allowJs: true,
  allowSyntheticDefaultImports: true,
  allowNonTsExtensions: true,
  resolveJsonModule: true,
};

function projectService(withPlugin: boolean, messages: string[]): ts.server.ProjectService {
  const noWatch = { close: () => {} };
  const host: ts.server.ServerHost = {
    ...ts.sys,
    watchFile: () => noWatch,
    watchDirectory: () => noWatch,
    setTimeout,
    clearTimeout,
    setImmediate,
    clearImmediate,
    // How tsserver loads a global plugin: by package name from a probe location's node_modules.
    require: (initialDir: string, moduleName: string) =>
      moduleName === PLUGIN
        ? { module: init, error: undefined }
        : { module: undefined, error: { message: `no ${moduleName} in ${initialDir}` } },
  };
  const logger: ts.server.Logger = {
    close: () => {},
    hasLevel: () => true,
    loggingEnabled: () => true,
    perftrc: () => {},
    info: (s: string) => void messages.push(s),
    startGroup: () => {},
    endGroup: () => {},
    msg: (s: string) => void messages.push(s),
    getLogFileName: () => undefined,
  };
  const service = new ts.server.ProjectService({
    host,
    logger,
    cancellationToken: ts.server.nullCancellationToken,
    useSingleInferredProject: false,
    useInferredProjectPerProjectRoot: false,
    session: undefined,
    globalPlugins: withPlugin ? [PLUGIN] : [],
    pluginProbeLocations: [root],
  });
  service.setCompilerOptionsForInferredProjects(VSCODE_INFERRED);
  return service;
}

function open(service: ts.server.ProjectService, file: string) {
  service.openClientFile(file, fs.readFileSync(file, "utf8"), ts.ScriptKind.TS);
  const project = service.getDefaultProjectForFile(ts.server.toNormalizedPath(file), true);
  assert.ok(project, `no project for ${file}`);
  const ls = project.getLanguageService();
  const diagnostics = [...ls.getSyntacticDiagnostics(file), ...ls.getSemanticDiagnostics(file)];
  return { project, ls, diagnostics };
}

const describeAll = (ds: readonly ts.Diagnostic[]) =>
  ds.map((d) => `TS${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`);

describe("extension: TypeScript server plugin (@zds/sdk in any folder)", function () {
  this.timeout(60_000);
  let folder: string;
  let driver: string;
  before(() => {
    assert.ok(
      fs.existsSync(path.join(sdkTypesRoot(), SDK_TYPES_ENTRY)),
      "dist/types is missing: run `npm run build` first",
    );
  });
  beforeEach(() => {
    // A bare folder: one driver copied from a sample, no tsconfig, no package.json, no node_modules.
    folder = fs.mkdtempSync(path.join(os.tmpdir(), "zds-tsplugin-"));
    driver = path.join(folder, "my-rng", "index.ts");
    fs.mkdirSync(path.dirname(driver));
    fs.copyFileSync(path.join(root, "drivers", "virtio-rng", "index.ts"), driver);
  });
  afterEach(() => fs.rmSync(folder, { recursive: true, force: true }));

  it("without it, the bare folder's import of @zds/sdk is TypeScript's ts(2307)", () => {
    const { diagnostics } = open(projectService(false, []), driver);
    assert.ok(
      diagnostics.some((d) => d.code === 2307 && /@zds\/sdk/.test(ts.flattenDiagnosticMessageText(d.messageText, ""))),
      describeAll(diagnostics).join("\n"),
    );
  });

  it("with it, @zds/sdk resolves to the shipped declarations: no error at all in the copied sample", () => {
    const messages: string[] = [];
    const { project, ls, diagnostics } = open(projectService(true, messages), driver);
    assert.equal(project.projectKind, ts.server.ProjectKind.Inferred);
    assert.deepEqual(describeAll(diagnostics), []);
    assert.ok(
      messages.some((m) => m.includes('zds-tsserver-plugin: "@zds/sdk" resolves to')),
      messages.filter((m) => /plugin/i.test(m)).join("\n"),
    );
    const program = ls.getProgram()!;
    const sdk = program.getSourceFiles().find((f) => f.fileName.endsWith("/drivers/sdk/index.d.ts"));
    assert.ok(sdk, "the SDK's declarations are not in the program");
    assert.equal(path.resolve(sdk.fileName), path.join(sdkTypesRoot(), SDK_TYPES_ENTRY));
    // The SDK's own imports of kernel/abi resolve inside the shipped tree.
    assert.ok(
      program
        .getSourceFiles()
        .some((f) => path.resolve(f.fileName) === path.join(sdkTypesRoot(), "kernel/abi/index.d.ts")),
    );
  });

  it("hover on SDK calls shows their documentation; completion lists SDK members", () => {
    const { ls } = open(projectService(true, []), driver);
    const text = fs.readFileSync(driver, "utf8");
    const hover = (needle: string) => {
      const at = text.indexOf(needle);
      assert.ok(at >= 0, needle);
      const info = ls.getQuickInfoAtPosition(driver, at + 1);
      assert.ok(info, `no quick info at ${needle}`);
      return {
        signature: ts.displayPartsToString(info.displayParts),
        docs: ts.displayPartsToString(info.documentation),
      };
    };
    const define = hover("defineDriver({");
    assert.match(define.signature, /^\(alias\) defineDriver<[^]*>\(def: DriverDefinition<[^]*\): Driver/);
    assert.match(define.docs, /Define a driver: what the module's default export must be/);
    const mmio = hover("mmio({ size: 0x200 })");
    assert.match(mmio.docs, /MMIO register window/);
    const probe = hover("probe(regs");
    assert.match(probe.signature, /VirtioMmio\.probe\(regs: MmioRegion, deviceId: number\): VirtioMmio/);
    assert.match(probe.docs, /modern virtio-mmio device/);

    // Completion after `dev.` (a VirtioMmio) offers the transport's methods.
    const completions = ls.getCompletionsAtPosition(driver, text.indexOf("dev.driverOk()") + 4, {});
    const offered = completions?.entries.map((e) => e.name) ?? [];
    for (const method of ["init", "setupQueue", "driverOk"]) assert.ok(offered.includes(method), offered.join(", "));
  });

  it("type-checks SDK calls: a wrong argument is TypeScript's error, not silence", () => {
    fs.appendFileSync(driver, `\nimport { mmio as mmio2 } from "@zds/sdk";\nmmio2({ size: "big" });\n`);
    const { diagnostics } = open(projectService(true, []), driver);
    assert.deepEqual(
      diagnostics.map((d) => d.code),
      [2322],
      describeAll(diagnostics).join("\n"),
    );
  });

  it("leaves a resolution TypeScript found alone: a tsconfig's paths win", () => {
    const stub = path.join(folder, "my-sdk.d.ts");
    fs.writeFileSync(stub, "export declare function defineDriver(def: unknown): unknown;\n");
    fs.writeFileSync(
      path.join(folder, "tsconfig.json"),
      JSON.stringify({ compilerOptions: { strict: true, noEmit: true, paths: { "@zds/sdk": ["./my-sdk.d.ts"] } } }),
    );
    fs.writeFileSync(driver, `import { defineDriver } from "@zds/sdk";\nexport default defineDriver({});\n`);
    const { project, ls, diagnostics } = open(projectService(true, []), driver);
    assert.equal(project.projectKind, ts.server.ProjectKind.Configured);
    assert.deepEqual(describeAll(diagnostics), []);
    const files = ls
      .getProgram()!
      .getSourceFiles()
      .map((f) => path.resolve(f.fileName));
    assert.ok(files.includes(stub));
    assert.ok(!files.some((f) => f.startsWith(sdkTypesRoot())), "the plugin replaced the tsconfig's mapping");
  });
});
