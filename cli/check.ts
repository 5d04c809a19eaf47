// `zds check [paths…] [--format text|json] [--hints]`: the language server's analysis over a
// workspace, for people and CI. Exit status 1 when any error is found.

import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import type { FileAnalysis } from "../language-server/analysis/analyze";
import { isAnalysable, isDriverSourceName, norm, Workspace } from "../language-server/analysis/project";
import type { CheckedDiagnostic, CheckResult } from "../runner/check-report";
import { CliError, type Io } from "../runner/io";

export const CHECK_USAGE = `usage: zds check [path]... [--format text|json] [--hints]

Checks driver sources (every .ts/.js file holding a defineDriver manifest under the given files and
folders; default ".") against their manifests: accesses outside a grant, bad widths, rights, undeclared
and unused capabilities, impossible device bindings. Prints file:line:col: severity code message.
Exit status 1 when there are errors. Codes are explained in docs/diagnostics.md.
  --format  text (default) or json
  --hints   also report what could not be proven (ZDS901, ZDS902)`;

const SKIP_DIRS = new Set(["node_modules", "dist", "out", "coverage"]);

export async function checkCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      format: { type: "string", default: "text" },
      hints: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    io.out(CHECK_USAGE + "\n");
    return 0;
  }
  const format = values.format ?? "text";
  if (format !== "text" && format !== "json") throw new CliError(`--format must be "text" or "json" (got "${format}")`);
  const result = checkPaths(positionals.length > 0 ? positionals : ["."], { hints: values.hints ?? false });
  const errors = result.diagnostics.filter((d) => d.severity === "error").length;
  const warnings = result.diagnostics.filter((d) => d.severity === "warning").length;
  if (format === "json") {
    io.out(
      `${JSON.stringify({ files: result.files, diagnostics: result.diagnostics, summary: { files: result.files.length, errors, warnings } }, null, 2)}\n`,
    );
  } else {
    for (const d of result.diagnostics) {
      io.out(`${d.file}:${d.line}:${d.column}: ${d.severity} ${d.code} ${d.message}\n`);
      for (const r of d.related) io.out(`  ${r.file}:${r.line}:${r.column}: note: ${r.message}\n`);
    }
    io.err(
      `zds check: ${result.files.length} driver file${result.files.length === 1 ? "" : "s"}, ${errors} error${errors === 1 ? "" : "s"}, ${warnings} warning${warnings === 1 ? "" : "s"}\n`,
    );
  }
  return errors > 0 ? 1 : 0;
}

/** Analyse every driver file under `paths`; paths in the result are relative to the working directory. */
export function checkPaths(paths: readonly string[], options: { hints: boolean }): CheckResult {
  const files = collectDriverFiles(paths);
  const workspace = new Workspace();
  // All roots first, so each project builds one program for the whole run.
  for (const f of files) workspace.projectFor(f).addRoot(f);
  const diagnostics: CheckedDiagnostic[] = [];
  const drivers: string[] = [];
  for (const f of files) {
    const analysis = workspace.projectFor(f).analyze(f, { hints: options.hints });
    if (!analysis || analysis.drivers.length === 0) continue; // mentions defineDriver, defines none (the SDK)
    drivers.push(relative(f));
    diagnostics.push(...toChecked(analysis));
  }
  return { files: drivers, diagnostics };
}

function toChecked(analysis: FileAnalysis): CheckedDiagnostic[] {
  return analysis.findings.map((f) => {
    const start = analysis.lineCol(f.file, f.start);
    const end = analysis.lineCol(f.file, f.end);
    return {
      file: relative(f.file),
      line: start.line + 1,
      column: start.character + 1,
      endLine: end.line + 1,
      endColumn: end.character + 1,
      severity: f.severity,
      code: f.code,
      message: f.message,
      related: f.related.map((r) => {
        const at = analysis.lineCol(r.file, r.start);
        return { file: relative(r.file), line: at.line + 1, column: at.character + 1, message: r.message };
      }),
      fixes: f.fixes.map((x) => x.title),
    };
  });
}

/** Driver files: source files that mention defineDriver, under each path (folders walked, skipping
 *  node_modules, dist and hidden folders). A path that does not exist is the user's mistake. */
export function collectDriverFiles(paths: readonly string[]): string[] {
  const out = new Set<string>();
  const visit = (p: string, explicit: boolean): void => {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(p);
    } catch {
      if (explicit) throw new CliError(`${p}: no such file or folder`);
      return;
    }
    if (stat.isDirectory()) {
      const base = path.basename(p);
      if (!explicit && (SKIP_DIRS.has(base) || base.startsWith("."))) return;
      for (const entry of fs.readdirSync(p).sort()) visit(path.join(p, entry), false);
      return;
    }
    if (!stat.isFile() || !isDriverSourceName(p)) return;
    if (!explicit && !mentionsDefineDriver(p)) return;
    out.add(norm(p));
  };
  for (const p of paths) visit(p, true);
  return [...out];
}

function mentionsDefineDriver(file: string): boolean {
  try {
    const text = fs.readFileSync(file, "utf8");
    return isAnalysable(text) && text.includes("defineDriver");
  } catch {
    return false;
  }
}

function relative(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel.startsWith("..") ? file : rel.split(path.sep).join("/");
}
