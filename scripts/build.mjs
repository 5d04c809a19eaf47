// Bundles every entry point with esbuild into dist/: the extension, the language server, the CLI
// and the worker bootstrap that hosts a driver process. Drivers themselves are bundled at run time.
import * as esbuild from "esbuild";

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
  // The bootstrap's sandbox runtime is serialised with toString(): keep names as written.
  { entryPoints: ["kernel/worker/bootstrap.ts"], outfile: "dist/worker.js", minify: false },
  // The timeline view runs in a browser page or a webview, inlined into the HTML: one minified
  // script without a source map.
  { entryPoints: ["timeline/view/main.ts"], outfile: "dist/timeline-view.js", platform: "browser", format: "iife", target: "es2022", minify: true, sourcemap: false },
];

if (watch) {
  for (const e of entries) await (await esbuild.context({ ...common, ...e })).watch();
} else {
  await Promise.all(entries.map((e) => esbuild.build({ ...common, ...e })));
}
