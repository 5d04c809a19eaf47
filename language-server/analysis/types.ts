// The analysis's results as plain data: byte offsets into the analysed text, no LSP or vscode types,
// so that the language server, `zds check` and the tests all read the same thing.

import type { DiagnosticCode, Severity } from "./codes";

/** A range of one file, as UTF-16 offsets into the text that was analysed. */
export interface Span {
  file: string;
  start: number;
  end: number;
}

export interface TextEdit extends Span {
  newText: string;
}

/** A quick fix: a titled set of edits. */
export interface Fix {
  title: string;
  edits: TextEdit[];
  /** The fix an editor may apply on "fix all"/auto-fix. */
  preferred?: boolean;
}

export interface RelatedInfo extends Span {
  message: string;
}

export interface Finding extends Span {
  code: DiagnosticCode;
  severity: Severity;
  message: string;
  related: RelatedInfo[];
  fixes: Fix[];
}
