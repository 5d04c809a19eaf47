// Bundles every entry point with esbuild into dist/: the extension, the language server, the CLI
// and the worker bootstrap that hosts a driver process. Drivers themselves are bundled at run time.
import * as esbuild from "esbuild";

const watch = process.argv.includes("--watch");
const common = {
  bundle: true,
  platform: "node",
  target: "node20",
  format: "cjs",
  sourcemap: true,
  logLevel: "info",
  // esbuild ships a native binary per platform; load it from node_modules, never bundle it.
  external: ["vscode", "esbuild"],
};

const entries = [
  { entryPoints: ["extension/extension.ts"], outfile: "dist/extension.js" },
  { entryPoints: ["language-server/server.ts"], outfile: "dist/language-server.js" },
  { entryPoints: ["cli/zds.ts"], outfile: "dist/cli.js" },
  // The bootstrap's sandbox runtime is serialised with toString(): keep names as written.
  { entryPoints: ["kernel/worker/bootstrap.ts"], outfile: "dist/worker.js", minify: false },
];

if (watch) {
  for (const e of entries) await (await esbuild.context({ ...common, ...e })).watch();
} else {
  await Promise.all(entries.map((e) => esbuild.build({ ...common, ...e })));
}
