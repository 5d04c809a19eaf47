// The allowed arrows between the project's folders (docs/architecture.md, "Invariants"), and a checker
// that reads every TypeScript file's imports with the compiler's own pre-processor (import, export
// from, import(), require, import type) and reports each import whose arrow is not in the table.
// Pure over a set of files so that the test can also run it on a small invented tree.

import path from "node:path";
import ts from "typescript";

/** An area: a top-level folder, or one of the three sub-folders with rules of their own. */
export type Area =
  | "devices"
  | "kernel/abi"
  | "kernel"
  | "drivers/sdk"
  | "drivers"
  | "language-server"
  | "timeline/view"
  | "timeline"
  | "runner"
  | "debug-adapter"
  | "extension"
  | "cli"
  | "bench"
  | "scripts"
  | "test";

/** Longest first, so that kernel/abi is not taken for kernel. */
const AREAS: readonly Area[] = [
  "kernel/abi",
  "drivers/sdk",
  "timeline/view",
  "devices",
  "kernel",
  "drivers",
  "language-server",
  "timeline",
  "runner",
  "debug-adapter",
  "extension",
  "cli",
  "bench",
  "scripts",
  "test",
];

export interface AreaRule {
  /** Areas this one may import (its own is always allowed). */
  imports: readonly Area[];
  /** Where an arrow may only land on these files (the narrow interfaces). */
  through?: Partial<Record<Area, readonly string[]>>;
  /** npm packages and Node built-ins (never `vscode`, which has its own flag). */
  packages: boolean;
  vscode: boolean;
  /** Each subfolder is on its own: imports inside the area must stay in the importer's subfolder. */
  ownFolderOnly?: boolean;
  /** Imports of `to` must use this specifier (the SDK as `@zds/sdk`, never a relative path). */
  bySpecifier?: Partial<Record<Area, string>>;
}

const EVERYTHING: readonly Area[] = AREAS;

/** The table. Read it as "from → may import". */
export const RULES: Readonly<Record<Area, AreaRule>> = {
  // The emulated machine imports nothing of ours.
  devices: { imports: [], packages: true, vscode: false },
  // The one table: pure, bundled into every driver (neutral platform, no packages).
  "kernel/abi": { imports: [], packages: false, vscode: false },
  // The kernel reaches the machine through one narrow interface (and the devices index for building one).
  kernel: {
    imports: ["kernel/abi", "devices"],
    through: { devices: ["devices/index.ts", "devices/machine-interface.ts"] },
    packages: true,
    vscode: false,
  },
  // What a driver imports; bundled into drivers: kernel/abi only.
  "drivers/sdk": { imports: ["kernel/abi"], packages: false, vscode: false },
  // A driver: the SDK (as @zds/sdk) and its own files.
  drivers: {
    imports: ["drivers/sdk"],
    bySpecifier: { "drivers/sdk": "@zds/sdk" },
    ownFolderOnly: true,
    packages: false,
    vscode: false,
  },
  // The language server: the ABI table and shared rules, and the machine descriptions (data) to know
  // what a driver can bind to; never the emulator itself.
  "language-server": {
    imports: ["kernel/abi", "devices"],
    through: { devices: ["devices/device-catalog.ts", "devices/machine-description.ts", "devices/machine-loader.ts"] },
    packages: true,
    vscode: false,
  },
  // Browser code (canvas), bundled on its own: the timeline's pure model modules only.
  "timeline/view": { imports: ["timeline"], packages: false, vscode: false },
  timeline: { imports: ["timeline/view", "kernel", "kernel/abi"], packages: true, vscode: false },
  // One run of programs on a machine (`zds run`, the extension's terminals).
  runner: { imports: ["kernel", "kernel/abi", "devices"], packages: true, vscode: false },
  // The DAP session: translates between DAP and kernel/debug; no VS Code.
  "debug-adapter": { imports: ["kernel", "kernel/abi", "devices", "runner"], packages: true, vscode: false },
  // VS Code glue. Never cli/ or bench/ (tools beside it), never language-server/ (its own process).
  extension: {
    imports: ["debug-adapter", "runner", "timeline", "kernel", "kernel/abi", "devices"],
    packages: true,
    vscode: true,
  },
  // `zds`: everything except the VS Code glue.
  cli: {
    imports: [
      "runner",
      "debug-adapter",
      "language-server",
      "timeline",
      "timeline/view",
      "bench",
      "kernel",
      "kernel/abi",
      "devices",
    ],
    packages: true,
    vscode: false,
  },
  // Benchmarks (bench/programs are driver programs, hence the SDK, and may reuse a sample driver's
  // modules, e.g. fb-demo's control queue, to drive its device as the sample does); never cli/.
  bench: {
    imports: ["language-server", "timeline", "kernel", "kernel/abi", "devices", "drivers/sdk", "drivers"],
    packages: true,
    vscode: false,
  },
  scripts: { imports: EVERYTHING.filter((a) => a !== "scripts"), packages: true, vscode: false },
  test: { imports: EVERYTHING.filter((a) => a !== "test"), packages: true, vscode: true },
};

export interface Violation {
  file: string;
  line: number;
  specifier: string;
  message: string;
}

/** Project-relative, forward slashes. */
export function areaOf(rel: string): Area | undefined {
  return AREAS.find((a) => rel === a || rel.startsWith(`${a}/`) || rel.startsWith(`${a}.`));
}

const SOURCE = /\.(ts|tsx|mts|cts)$/;

/**
 * Check `files` (project-relative path → text; every TypeScript source of the project) against RULES.
 * Relative imports are resolved against the same set (x, x.ts, x/index.ts), so the narrow interfaces
 * are checked by file.
 */
export function checkBoundaries(files: ReadonlyMap<string, string>): Violation[] {
  const violations: Violation[] = [];
  const resolve = (target: string): string => {
    for (const candidate of [target, `${target}.ts`, `${target}.tsx`, `${target}/index.ts`])
      if (files.has(candidate)) return candidate;
    return target;
  };
  for (const [file, text] of files) {
    if (!SOURCE.test(file)) continue;
    const report = (specifier: string, pos: number, message: string) =>
      violations.push({
        file,
        line: ts.getLineAndCharacterOfPosition(ts.createSourceFile(file, text, ts.ScriptTarget.Latest), pos).line + 1,
        specifier,
        message,
      });
    const from = areaOf(file);
    const info = ts.preProcessFile(text, true, true);
    if (!from) {
      report(
        "",
        0,
        `${file} is in no folder of the table (test/architecture/boundaries.ts): add the folder and its arrows deliberately`,
      );
      continue;
    }
    const rule = RULES[from];
    for (const imported of info.importedFiles) {
      const spec = imported.fileName;
      const fail = (why: string) => report(spec, imported.pos, `${file} imports "${spec}": ${why}`);
      if (spec === "vscode" || spec.startsWith("vscode/")) {
        if (!rule.vscode) fail(`${from}/ never imports vscode`);
        continue;
      }
      let to: Area | undefined;
      let target: string | undefined;
      if (spec.startsWith(".")) {
        const joined = path.posix.normalize(path.posix.join(path.posix.dirname(file), spec));
        if (joined.startsWith("..")) {
          fail("it leaves the project");
          continue;
        }
        target = resolve(joined);
        to = areaOf(target);
        if (!to) {
          fail(`"${target}" is in no folder of the table`);
          continue;
        }
      } else if (spec === "@zds/sdk" || spec.startsWith("@zds/sdk/")) {
        to = "drivers/sdk";
      } else {
        if (!rule.packages) fail(`${from}/ imports no packages (it is bundled on its own: ours only)`);
        continue;
      }
      if (to === from) {
        if (rule.ownFolderOnly && target !== undefined && subfolder(target) !== subfolder(file))
          fail(`each of ${from}/ stands alone: ${subfolder(file)}/ may not import ${subfolder(target)}/`);
        continue;
      }
      if (!rule.imports.includes(to)) {
        fail(`${from} → ${to} is not an allowed arrow`);
        continue;
      }
      const through = rule.through?.[to];
      if (through && target !== undefined && !through.includes(target))
        fail(`${from} reaches ${to}/ only through ${through.join(", ")} (not ${target})`);
      const specifier = rule.bySpecifier?.[to];
      if (specifier && spec !== specifier && !spec.startsWith(`${specifier}/`))
        fail(`${from}/ imports ${to}/ as "${specifier}"`);
    }
  }
  return violations;
}

/** drivers/virtio-rng/index.ts → drivers/virtio-rng */
function subfolder(rel: string): string {
  return rel.split("/").slice(0, 2).join("/");
}
