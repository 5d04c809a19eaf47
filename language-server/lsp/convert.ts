// Analysis results (offsets, plain findings) to LSP types. The only place that knows both.

import { pathToFileURL } from "node:url";
import {
  CodeAction,
  CodeActionKind,
  DiagnosticSeverity,
  type Diagnostic,
  type Range,
  type TextEdit as LspTextEdit,
  type WorkspaceEdit,
} from "vscode-languageserver/node";
import type { FileAnalysis } from "../analysis/analyze";
import type { Severity } from "../analysis/codes";
import type { Finding, Fix, Span } from "../analysis/types";

export const DIAGNOSTIC_SOURCE = "zero-driver";

const SEVERITY: Readonly<Record<Severity, DiagnosticSeverity>> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  information: DiagnosticSeverity.Information,
  hint: DiagnosticSeverity.Hint,
};

export function uriOf(file: string): string {
  return pathToFileURL(file).href;
}

export function rangeOf(analysis: FileAnalysis, span: Span): Range {
  return { start: analysis.lineCol(span.file, span.start), end: analysis.lineCol(span.file, span.end) };
}

export function toDiagnostic(analysis: FileAnalysis, f: Finding): Diagnostic {
  return {
    range: rangeOf(analysis, f),
    severity: SEVERITY[f.severity],
    code: f.code,
    source: DIAGNOSTIC_SOURCE,
    message: f.message,
    relatedInformation: f.related.map((r) => ({
      location: { uri: uriOf(r.file), range: rangeOf(analysis, r) },
      message: r.message,
    })),
  };
}

export function toCodeAction(
  analysis: FileAnalysis,
  fix: Fix,
  diagnostic: Diagnostic,
  uriFor: (file: string) => string,
): CodeAction {
  const changes: Record<string, LspTextEdit[]> = {};
  for (const e of fix.edits) (changes[uriFor(e.file)] ??= []).push({ range: rangeOf(analysis, e), newText: e.newText });
  const edit: WorkspaceEdit = { changes };
  const action = CodeAction.create(fix.title, edit, CodeActionKind.QuickFix);
  action.diagnostics = [diagnostic];
  if (fix.preferred) action.isPreferred = true;
  return action;
}
