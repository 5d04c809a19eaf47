// Load a test file: bundle it for Node (TypeScript, its relative imports, `@zds/sdk` for constants)
// with `@zds/sdk/test` resolved to the running test API, run it so that it registers its tests,
// and hand them back. Stack frames map to the test file's own lines (inline source map).

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type * as esbuild from "esbuild";
import { bundler } from "../../kernel/loader/bundler";
import { sdkEntry } from "../../kernel/host/paths";
import * as api from "./api";
import { registry, type RegisteredTest } from "./api";

const API_KEY = Symbol.for("zds.test.api");

export class TestLoadError extends Error {}

const testImports: esbuild.Plugin = {
  name: "zds-test-imports",
  setup(build) {
    build.onResolve({ filter: /^@zds\/sdk\/test$/ }, () => ({ path: "zds-test-api", namespace: "zds" }));
    build.onLoad({ filter: /.*/, namespace: "zds" }, () => ({
      contents: `module.exports = globalThis[Symbol.for("zds.test.api")];`,
      loader: "js",
    }));
    build.onResolve({ filter: /^@zds\/sdk$/ }, () => ({ path: sdkEntry() }));
  },
};

/** The tests a file declares (loading it runs its top level once). */
export async function loadTestFile(file: string): Promise<RegisteredTest[]> {
  const abs = path.resolve(file);
  (globalThis as Record<symbol, unknown>)[API_KEY] = api;
  process.setSourceMapsEnabled(true);
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "zds-test-")), `${path.basename(abs)}.js`);
  let code: string;
  try {
    const result = await (
      await bundler()
    ).build({
      entryPoints: [abs],
      outfile: out,
      bundle: true,
      write: false,
      platform: "node",
      format: "cjs",
      target: "es2022",
      sourcemap: "inline",
      logLevel: "silent",
      plugins: [testImports],
    });
    code = result.outputFiles[0].text;
  } catch (error) {
    const failure = error as esbuild.BuildFailure;
    const text = Array.isArray(failure.errors)
      ? failure.errors
          .map(
            (m) => `${m.location ? `${m.location.file}:${m.location.line}:${m.location.column + 1}: ` : ""}${m.text}`,
          )
          .join("\n")
      : String(error);
    throw new TestLoadError(`${file} does not compile:\n${text}`);
  }
  fs.writeFileSync(out, code);
  const r = registry();
  r.tests = [];
  r.file = abs;
  try {
    require(out);
  } catch (error) {
    throw new TestLoadError(
      `${file}: loading it failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
  } finally {
    r.file = undefined;
    fs.rmSync(path.dirname(out), { recursive: true, force: true });
  }
  const tests = r.tests;
  r.tests = [];
  return tests.some((t) => t.only) ? tests.map((t) => (t.only ? t : { ...t, skip: true })) : tests;
}

/** Test files under the paths given (files as they are; folders searched for *.test.ts/js, and
 *  every .ts/.js file in a tests/ folder), node_modules and dot-folders skipped. */
export function findTestFiles(paths: readonly string[]): string[] {
  const found = new Set<string>();
  const walk = (dir: string, inTests: boolean): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (entry.name.startsWith(".") || entry.name === "node_modules" || entry.name === "dist") continue;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full, inTests || entry.name === "tests");
      else if (
        /\.test\.[jt]s$/.test(entry.name) ||
        (inTests && /\.[jt]s$/.test(entry.name) && !entry.name.endsWith(".d.ts"))
      )
        found.add(full);
    }
  };
  for (const p of paths.length > 0 ? paths : ["."]) {
    const abs = path.resolve(p);
    if (!fs.existsSync(abs)) throw new TestLoadError(`${p}: no such file or folder`);
    if (fs.statSync(abs).isDirectory()) walk(abs, path.basename(abs) === "tests");
    else found.add(abs);
  }
  return [...found];
}
