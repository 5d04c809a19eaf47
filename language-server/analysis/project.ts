// The TypeScript program the analysis runs on: driver files (open buffers first, then disk) plus
// what they import (the SDK, kernel/abi, workspace constants). A LanguageService keeps it
// incremental: after an edit only the edited file is re-parsed and the program's structure, every
// other SourceFile and their bindings are reused.

import fs from "node:fs";
import path from "node:path";
import ts from "typescript";
import { analyzeSourceFile, type AnalysisOptions, type FileAnalysis } from "./analyze";
import { bundledSdkEntry, SDK_SPECIFIER } from "./sdk-entry";

/** Bigger files, or files holding NUL bytes, are not analysed: no driver looks like that. */
export const MAX_FILE_BYTES = 2 * 1024 * 1024;

export function isAnalysable(text: string): boolean {
  return text.length <= MAX_FILE_BYTES && !text.includes("\u0000");
}

export function isDriverSourceName(fileName: string): boolean {
  return /\.(ts|tsx|mts|cts|js|jsx|mjs|cjs)$/.test(fileName) && !/\.d\.[mc]?ts$/.test(fileName);
}

const registry = ts.createDocumentRegistry();
/** Buffer versions for the shared registry: unique across projects and across editors' own
 *  version numbers, so that two buffers of the same file never pass for the same text. */
let overlayGeneration = 0;

/** One program per tsconfig.json (its paths map `@zds/sdk`). */
export class DriverProject {
  private readonly overlay = new Map<string, { text: string; generation: number; snapshot?: EditSnapshot }>();
  private readonly roots = new Set<string>();
  private readonly service: ts.LanguageService;
  private diskVersions = new Map<string, string>();

  constructor(
    readonly options: ts.CompilerOptions,
    readonly directory: string,
  ) {
    const host: ts.LanguageServiceHost = {
      getCompilationSettings: () => this.options,
      getScriptFileNames: () => [...this.roots],
      getScriptVersion: (f) => this.versionOf(f),
      getScriptSnapshot: (f) => {
        const open = this.overlay.get(norm(f));
        if (open) return (open.snapshot ??= new EditSnapshot(open.text));
        const text = this.textOf(f);
        return text === undefined ? undefined : ts.ScriptSnapshot.fromString(text);
      },
      getCurrentDirectory: () => this.directory,
      getDefaultLibFileName: (o) => ts.getDefaultLibFilePath(o),
      fileExists: (f) => this.overlay.has(norm(f)) || ts.sys.fileExists(f),
      readFile: (f) => this.textOf(f),
      readDirectory: ts.sys.readDirectory,
      directoryExists: ts.sys.directoryExists,
      getDirectories: ts.sys.getDirectories,
      realpath: ts.sys.realpath,
      resolveModuleNameLiterals: (literals, containingFile, _redirect, options) =>
        literals.map((literal) => this.resolve(host, literal.text, containingFile, options)),
    };
    this.resolutionCache = ts.createModuleResolutionCache(this.directory, (f) => f, this.options);
    this.service = ts.createLanguageService(host, registry);
  }

  private readonly resolutionCache: ts.ModuleResolutionCache;

  /** TypeScript's own resolution; `@zds/sdk` that it cannot find is the SDK beside the server
   *  (sdk-entry.ts says why). A tsconfig's paths or a real package win. */
  private resolve(
    host: ts.ModuleResolutionHost,
    name: string,
    containingFile: string,
    options: ts.CompilerOptions,
  ): ts.ResolvedModuleWithFailedLookupLocations {
    const found = ts.resolveModuleName(name, containingFile, options, host, this.resolutionCache);
    if (found.resolvedModule || name !== SDK_SPECIFIER) return found;
    const sdk = bundledSdkEntry();
    return sdk
      ? {
          ...found,
          resolvedModule: { resolvedFileName: sdk, extension: ts.Extension.Ts, isExternalLibraryImport: false },
        }
      : found;
  }

  /** Put an editor buffer in the program (a new version replaces the old one). */
  setOverlay(fileName: string, text: string): void {
    const f = norm(fileName);
    const old = this.overlay.get(f);
    if (old && old.text === text) return;
    this.overlay.set(f, { text, generation: ++overlayGeneration });
    this.roots.add(f);
  }

  removeOverlay(fileName: string): void {
    const f = norm(fileName);
    this.overlay.delete(f);
    this.roots.delete(f);
  }

  addRoot(fileName: string): void {
    this.roots.add(norm(fileName));
  }

  hasRoot(fileName: string): boolean {
    return this.roots.has(norm(fileName));
  }

  /** Forget cached disk versions (files may have changed on disk). */
  refreshDisk(): void {
    this.diskVersions = new Map();
  }

  program(): ts.Program {
    const program = this.service.getProgram();
    if (!program) throw new Error("the TypeScript language service produced no program");
    return program;
  }

  analyze(fileName: string, options: AnalysisOptions = {}): FileAnalysis | undefined {
    const f = norm(fileName);
    const text = this.textOf(f);
    if (text === undefined || !isAnalysable(text)) return undefined;
    const program = this.program();
    const sourceFile = program.getSourceFile(f);
    if (!sourceFile) return undefined;
    return analyzeSourceFile(program, sourceFile, options);
  }

  /** Root files whose imports resolve to `fileName` (they fold its constants). */
  dependentsOf(fileName: string): string[] {
    const target = norm(fileName);
    const program = this.program();
    const checker = program.getTypeChecker();
    const out: string[] = [];
    for (const root of this.roots) {
      if (root === target) continue;
      const sf = program.getSourceFile(root);
      if (!sf) continue;
      const imports = sf.statements.filter(
        (s): s is ts.ImportDeclaration | ts.ExportDeclaration =>
          (ts.isImportDeclaration(s) || ts.isExportDeclaration(s)) && s.moduleSpecifier !== undefined,
      );
      if (
        imports.some((s) =>
          checker
            .getSymbolAtLocation(s.moduleSpecifier!)
            ?.declarations?.some((d) => norm(d.getSourceFile().fileName) === target),
        )
      )
        out.push(root);
    }
    return out;
  }

  private versionOf(fileName: string): string {
    const f = norm(fileName);
    const open = this.overlay.get(f);
    if (open) return `open:${open.generation}`;
    let v = this.diskVersions.get(f);
    if (v === undefined) {
      try {
        v = `disk:${fs.statSync(f).mtimeMs}`;
      } catch {
        v = "missing";
      }
      this.diskVersions.set(f, v);
    }
    return v;
  }

  private textOf(fileName: string): string | undefined {
    const f = norm(fileName);
    const open = this.overlay.get(f);
    if (open) return open.text;
    try {
      const stat = fs.statSync(f);
      if (!stat.isFile() || stat.size > MAX_FILE_BYTES) return stat.isFile() ? "" : undefined;
      return fs.readFileSync(f, "utf8");
    } catch {
      return undefined;
    }
  }
}

/** A buffer's text that can tell the compiler what changed since the previous version (the common
 *  prefix and suffix), so that an edit re-parses only around the edit instead of the whole file. */
class EditSnapshot implements ts.IScriptSnapshot {
  constructor(private readonly text: string) {}

  getText(start: number, end: number): string {
    return this.text.substring(start, end);
  }

  getLength(): number {
    return this.text.length;
  }

  getChangeRange(old: ts.IScriptSnapshot): ts.TextChangeRange | undefined {
    if (!(old instanceof EditSnapshot)) return undefined;
    const a = old.text;
    const b = this.text;
    const max = Math.min(a.length, b.length);
    let prefix = 0;
    while (prefix < max && a.charCodeAt(prefix) === b.charCodeAt(prefix)) prefix++;
    let suffix = 0;
    while (suffix < max - prefix && a.charCodeAt(a.length - 1 - suffix) === b.charCodeAt(b.length - 1 - suffix))
      suffix++;
    return ts.createTextChangeRange(ts.createTextSpan(prefix, a.length - prefix - suffix), b.length - prefix - suffix);
  }
}

/** Projects by tsconfig.json: the nearest one above a file decides how it imports. */
export class Workspace {
  private readonly projects = new Map<string, DriverProject>();
  private readonly configFor = new Map<string, string | undefined>();

  projectFor(fileName: string): DriverProject {
    const dir = path.dirname(norm(fileName));
    const config = this.findConfig(dir);
    const key = config ?? "(none)";
    let project = this.projects.get(key);
    if (!project) {
      project = new DriverProject(compilerOptions(config), config ? path.dirname(config) : dir);
      this.projects.set(key, project);
    }
    return project;
  }

  allProjects(): DriverProject[] {
    return [...this.projects.values()];
  }

  private findConfig(dir: string): string | undefined {
    if (this.configFor.has(dir)) return this.configFor.get(dir);
    const candidate = path.join(dir, "tsconfig.json");
    let found: string | undefined;
    if (ts.sys.fileExists(candidate)) found = norm(candidate);
    else {
      const parent = path.dirname(dir);
      found = parent === dir ? undefined : this.findConfig(parent);
    }
    this.configFor.set(dir, found);
    return found;
  }
}

/** The tsconfig's module resolution (baseUrl, paths) with what the analysis needs: no lib files
 *  and no @types (symbols, not types, are what it resolves), JavaScript allowed. */
export function compilerOptions(configPath: string | undefined): ts.CompilerOptions {
  const base: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    esModuleInterop: true,
    resolveJsonModule: true,
  };
  let fromConfig: ts.CompilerOptions = {};
  if (configPath) {
    const read = ts.readConfigFile(configPath, ts.sys.readFile);
    if (!read.error)
      fromConfig = ts.convertCompilerOptionsFromJson(
        (read.config as { compilerOptions?: unknown }).compilerOptions ?? {},
        path.dirname(configPath),
        "tsconfig.json",
      ).options;
  }
  return {
    ...base,
    ...pick(fromConfig, [
      "baseUrl",
      "paths",
      "module",
      "moduleResolution",
      "target",
      "esModuleInterop",
      "resolveJsonModule",
      "jsx",
    ]),
    allowJs: true,
    checkJs: false,
    noLib: true,
    types: [],
    noEmit: true,
    skipLibCheck: true,
    isolatedModules: false,
  };
}

function pick(o: ts.CompilerOptions, keys: string[]): ts.CompilerOptions {
  const out: ts.CompilerOptions = {};
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k];
  return out;
}

export function norm(fileName: string): string {
  return path.resolve(fileName).replace(/\\/g, "/");
}
