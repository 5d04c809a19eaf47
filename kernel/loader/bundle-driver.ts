// Turns a driver's source (a file or a folder with index.ts) into one script for its worker:
// bundled with esbuild for a neutral platform, with an inline source map (the native esbuild, or its
// WebAssembly build where the native binary cannot run: ./bundler.ts). A driver may import the
// SDK (`@zds/sdk`) and its own relative modules; a Node built-in or any other package is a build
// error that names the import, because a driver reaches the world only through its capabilities.
// A `.wasm` file is a Zero OS WASM program instead: checked and carried as module bytes.

import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { builtinModules } from "node:module";
import type * as esbuild from "esbuild";
import { sdkEntry } from "../host/paths";
import type { WasmImage } from "../worker/wasm-runtime";
import { loadWasmImage, wasmProgramName } from "./wasm-program";
import { bundler, BundlerUnavailableError, type Bundler } from "./bundler";

interface ProgramBase {
  /** The path as given, made absolute (a folder or a file). */
  path: string;
  /** Absolute path of the entry source file (the module itself for WASM). */
  entry: string;
  /** SHA-256 of the bundled code or module bytes: changes whenever anything that runs changes. */
  sha256: string;
  /** Name the bundle's stack frames and the debugger show. */
  filename: string;
}

/** A TypeScript/JavaScript driver bundled for the sandbox. */
export interface ScriptBundle extends ProgramBase {
  kind: "script";
  code: string;
  /** The folder the source map's `sources` are relative to (esbuild's working directory). */
  sourceRoot: string;
}

/** A Zero OS WASM program (kernel/worker/wasm-runtime.ts runs it). */
export interface WasmBundle extends ProgramBase {
  kind: "wasm";
  wasm: WasmImage;
}

export type DriverBundle = ScriptBundle | WasmBundle;

export class DriverLoadError extends Error {
  constructor(
    message: string,
    readonly file: string,
  ) {
    super(message);
    this.name = "DriverLoadError";
  }
}

const ENTRY_NAMES = ["index.ts", "index.js", "main.ts", "main.js"];
const nodeBuiltins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

/** Resolve a path given on the command line to the driver's entry file. */
export function resolveDriverEntry(target: string): string {
  const abs = path.resolve(target);
  if (!fs.existsSync(abs)) throw new DriverLoadError(`${target}: no such driver file or folder`, abs);
  if (fs.statSync(abs).isDirectory()) {
    const found = ENTRY_NAMES.map((n) => path.join(abs, n)).find((f) => fs.existsSync(f));
    if (!found) throw new DriverLoadError(`${target}: the folder has no ${ENTRY_NAMES.join(", ")}`, abs);
    return found;
  }
  return abs;
}

/**
 * Why a driver may not import `spec` (undefined: it may). Relative and absolute paths are files;
 * `@zds/sdk` is resolved before this is asked. An entry point is never refused: on Windows it is an
 * absolute `C:\…` path, which does not start with `.` or `/` and was taken for a package.
 */
export function importProblem(spec: string, kind: esbuild.ImportKind): string | undefined {
  if (kind === "entry-point" || spec.startsWith(".") || path.posix.isAbsolute(spec) || path.win32.isAbsolute(spec))
    return undefined;
  if (nodeBuiltins.has(spec))
    return `driver imports the Node built-in "${spec}": drivers run sandboxed and reach the world only through the SDK ("@zds/sdk") and their capabilities`;
  // The SDK's own imports of kernel/abi are relative, so any other bare import is a driver's.
  return `driver imports the package "${spec}": a driver may import only "@zds/sdk" and its own relative modules`;
}

const sandboxImports: esbuild.Plugin = {
  name: "zds-driver-imports",
  setup(build) {
    build.onResolve({ filter: /^@zds\/sdk$/ }, () => ({ path: sdkEntry() }));
    build.onResolve({ filter: /^[^./]/ }, (args) => {
      const problem = importProblem(args.path, args.kind);
      return problem === undefined ? undefined : { errors: [{ text: problem }] };
    });
  },
};

function formatMessages(messages: esbuild.Message[]): string {
  return messages
    .map((m) => {
      const where = m.location ? `${m.location.file}:${m.location.line}:${m.location.column + 1}: ` : "";
      const line = m.location?.lineText ? `\n    ${m.location.lineText.trim()}` : "";
      return `${where}error: ${m.text}${line}`;
    })
    .join("\n");
}

export async function bundleDriver(target: string): Promise<DriverBundle> {
  const entry = resolveDriverEntry(target);
  if (path.extname(entry).toLowerCase() === ".wasm") return loadWasm(target, entry);
  let api: Bundler;
  try {
    api = await bundler();
  } catch (error) {
    if (error instanceof BundlerUnavailableError) throw new DriverLoadError(`${target}: ${error.message}`, entry);
    throw error;
  }
  let result: esbuild.BuildResult & { outputFiles: esbuild.OutputFile[] };
  const sourceRoot = process.cwd();
  try {
    result = await api.build({
      absWorkingDir: sourceRoot,
      entryPoints: [entry],
      bundle: true,
      write: false,
      platform: "neutral",
      format: "iife",
      globalName: "__zds_module",
      target: "es2022",
      sourcemap: "inline",
      sourcesContent: true,
      logLevel: "silent",
      mainFields: ["module", "main"],
      plugins: [sandboxImports],
    });
  } catch (error) {
    const failure = error as esbuild.BuildFailure;
    if (Array.isArray(failure.errors))
      throw new DriverLoadError(`${target} does not compile:\n${formatMessages(failure.errors)}`, entry);
    throw error;
  }
  const code = result.outputFiles[0].text;
  const base =
    path.basename(entry) === "index.ts" || path.basename(entry) === "index.js"
      ? path.basename(path.dirname(entry))
      : path.basename(entry, path.extname(entry));
  const sha256 = createHash("sha256").update(code).digest("hex");
  return {
    kind: "script",
    path: path.resolve(target),
    entry,
    code,
    sourceRoot,
    sha256,
    filename: `zds-driver:///${base}.js`,
  };
}

function loadWasm(target: string, entry: string): WasmBundle {
  let wasm: WasmImage;
  try {
    wasm = loadWasmImage(entry, target);
  } catch (error) {
    throw new DriverLoadError(error instanceof Error ? error.message : String(error), entry);
  }
  const sha256 = createHash("sha256").update(wasm.bytes).digest("hex");
  return {
    kind: "wasm",
    path: path.resolve(target),
    entry,
    sha256,
    wasm,
    filename: `zds-driver:///${wasmProgramName(entry)}.wasm`,
  };
}
