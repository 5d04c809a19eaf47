// Where the built pieces live, both when running from the bundled dist/ and from sources (tests).

import fs from "node:fs";
import path from "node:path";

let root: string | undefined;

/** The folder holding this project's package.json (the extension's root when installed). */
export function packageRoot(): string {
  if (root) return root;
  let dir = __dirname;
  for (;;) {
    const manifest = path.join(dir, "package.json");
    if (fs.existsSync(manifest)) {
      const pkg = JSON.parse(fs.readFileSync(manifest, "utf8")) as { name?: string };
      if (pkg.name === "zero-driver-studio") return (root = dir);
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`cannot find the zero-driver-studio package root above ${__dirname}`);
    dir = parent;
  }
}

/** The bundled worker bootstrap (built by `npm run build`). */
export function bootstrapPath(): string {
  const file = path.join(packageRoot(), "dist", "worker.js");
  if (!fs.existsSync(file)) throw new Error(`${file} is missing: run \`npm run build\` first`);
  return file;
}

/** The driver SDK entry that `@zds/sdk` resolves to when drivers are bundled. */
export function sdkEntry(): string {
  return path.join(packageRoot(), "drivers", "sdk", "index.ts");
}

/** The folder of the bundled sample drivers. */
export function samplesRoot(): string {
  return path.join(packageRoot(), "drivers");
}

/** The driver SDK's declarations with their doc comments, built by `npm run build` into dist/types/
 *  (`drivers/sdk/*.d.ts` and the `kernel/abi/*.d.ts` they import): what editors get for `@zds/sdk`
 *  outside this repository (docs/sdk-types.md). */
export function sdkTypesRoot(): string {
  return path.join(packageRoot(), "dist", "types");
}

/** Where `@zds/sdk`'s declarations sit inside sdkTypesRoot() (or a copy of it). */
export const SDK_TYPES_ENTRY = "drivers/sdk/index.d.ts";
