// Bundles every entry point with esbuild into dist/: the extension, the language server, the CLI
// and the worker bootstrap that hosts a driver process. Drivers themselves are bundled at run time.
// Also writes the driver SDK's declarations (dist/types/, see emitSdkTypes below).
import fs from "node:fs";
import * as esbuild from "esbuild";
import ts from "typescript";

const watch = process.argv.includes("--watch");
// --production (the vsix, via vscode:prepublish): minified, no source maps. Not keepNames: its
// __name() helper would break the functions the kernel sends to workers as source text.
const production = process.argv.includes("--production");
const common = {
  bundle: true,
  platform: "node",
  target: "node20",
  format: "cjs",
  sourcemap: !production,
  minify: production,
  logLevel: "info",
  // esbuild ships a native binary per platform (and esbuild-wasm a .wasm file it runs); load them
  // from node_modules, never bundle them.
  external: ["vscode", "esbuild", "esbuild-wasm"],
};

const entries = [
  // The banner notes when the bundle starts evaluating: activation time includes loading its modules.
  { entryPoints: ["extension/extension.ts"], outfile: "dist/extension.js", banner: { js: "var __zdsBundleStart = performance.now();" } },
  { entryPoints: ["language-server/server.ts"], outfile: "dist/language-server.js" },
  { entryPoints: ["cli/zds.ts"], outfile: "dist/cli.js" },
  // The TypeScript server plugin VS Code's TypeScript extension loads (package.json
  // typescriptServerPlugins, through node_modules/zds-tsserver-plugin): resolves `@zds/sdk` to dist/types.
  { entryPoints: ["extension/tsserver-plugin/index.ts"], outfile: "dist/tsserver-plugin.js" },
  // The bootstrap's sandbox runtime is serialised with toString(): keep names as written.
  { entryPoints: ["kernel/worker/bootstrap.ts"], outfile: "dist/worker.js", minify: false },
  // The timeline view runs in a browser page or a webview, inlined into the HTML: one minified
  // script without a source map.
  { entryPoints: ["timeline/view/main.ts"], outfile: "dist/timeline-view.js", platform: "browser", format: "iife", target: "es2022", minify: true, sourcemap: false },
];

/**
 * The driver SDK's declarations, `drivers/sdk/*.d.ts` and the `kernel/abi/*.d.ts` they import, with
 * their doc comments, into dist/types/ (the folders as in the sources, so the SDK's relative imports
 * of kernel/abi resolve there too). They are what the TypeScript server plugin and `zds init` give
 * editors for `@zds/sdk` outside this repository (docs/sdk-types.md). No lib beyond ES2022 and no
 * @types: the declarations must stand alone in a folder holding nothing else.
 */
function emitSdkTypes() {
  // Written beside and swapped in, so that a concurrent reader never sees the folder half-written.
  const outDir = `dist/types.${process.pid}.tmp`;
  fs.rmSync(outDir, { recursive: true, force: true });
  const options = {
    declaration: true,
    emitDeclarationOnly: true,
    outDir,
    rootDir: ".",
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    lib: ["lib.es2022.d.ts"],
    types: [],
    strict: true,
    skipLibCheck: true,
  };
  const program = ts.createProgram(["drivers/sdk/index.ts"], options);
  const result = program.emit();
  const problems = [...ts.getPreEmitDiagnostics(program), ...result.diagnostics];
  if (problems.length > 0 || result.emitSkipped) {
    const host = { getCanonicalFileName: (f) => f, getCurrentDirectory: () => process.cwd(), getNewLine: () => "\n" };
    fs.rmSync(outDir, { recursive: true, force: true });
    throw new Error(`SDK declarations: ${ts.formatDiagnostics(problems, host)}`);
  }
  fs.rmSync("dist/types", { recursive: true, force: true });
  fs.renameSync(outDir, "dist/types");
}

emitSdkTypes();
if (watch) {
  for (const e of entries) await (await esbuild.context({ ...common, ...e })).watch();
} else {
  await Promise.all(entries.map((e) => esbuild.build({ ...common, ...e })));
}
