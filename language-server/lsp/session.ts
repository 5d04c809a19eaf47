// The language server's state and handlers: documents in, diagnostics out, hover, completion,
// definition and quick fixes answered from the last analysis of each document. Re-analysis is
// per document and coalesced: a burst of edits analyses the latest text once.

import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  CompletionItemKind,
  MarkupKind,
  TextDocumentSyncKind,
  type CodeAction,
  type CodeActionParams,
  type CompletionItem,
  type CompletionParams,
  type Connection,
  type Definition,
  type Hover,
  type InitializeParams,
  type InitializeResult,
  type TextDocumentPositionParams,
  type TextDocuments,
} from "vscode-languageserver/node";
import type { TextDocument } from "vscode-languageserver-textdocument";
import type { FileAnalysis } from "../analysis/analyze";
import { isAnalysable, isDriverSourceName, norm, Workspace } from "../analysis/project";
import { completionsAt } from "../features/completion";
import { definitionAt } from "../features/definition";
import { hoverAt } from "../features/hover";
import { DIAGNOSTIC_SOURCE, rangeOf, toCodeAction, toDiagnostic, uriOf } from "./convert";
import type { WarmUpReport } from "./warm-up";

export interface ServerSettings {
  /** Report the opt-in hints (ZDS901/ZDS902). */
  hints: boolean;
}

interface Analysed {
  version: number;
  analysis: FileAnalysis | undefined;
}

export class LanguageServerSession {
  private readonly workspace = new Workspace();
  private readonly analysed = new Map<string, Analysed>();
  private readonly pending = new Set<string>();
  private readonly fileToUri = new Map<string, string>();
  private flushScheduled = false;
  private settings: ServerSettings = { hints: false };
  private root = process.cwd();

  constructor(
    private readonly connection: Connection,
    private readonly documents: TextDocuments<TextDocument>,
    private readonly warm?: WarmUpReport,
  ) {}

  listen(): void {
    const c = this.connection;
    c.onInitialize((p) => this.initialize(p));
    c.onInitialized(() => {
      const w = this.warm;
      if (w)
        c.console.info(
          `warm-up: ${Math.round(w.ms)} ms, ${w.files} files${w.sdk ? ` (SDK ${w.sdk})` : " (no SDK found beside the server)"}`,
        );
    });
    c.onHover((p) => this.guard("hover", () => this.hover(p), null));
    c.onCompletion((p) => this.guard("completion", () => this.completion(p), []));
    c.onDefinition((p) => this.guard("definition", () => this.definition(p), null));
    c.onCodeAction((p) => this.guard("code action", () => this.codeActions(p), []));
    this.documents.onDidOpen((e) => this.schedule(e.document.uri));
    this.documents.onDidChangeContent((e) => this.schedule(e.document.uri));
    this.documents.onDidClose((e) => this.close(e.document.uri));
    this.documents.listen(c);
  }

  private initialize(params: InitializeParams): InitializeResult {
    const options = params.initializationOptions as { hints?: unknown } | undefined;
    this.settings = { hints: options?.hints === true };
    const folder = params.workspaceFolders?.[0]?.uri ?? params.rootUri ?? undefined;
    if (folder && folder.startsWith("file:")) this.root = fileURLToPath(folder);
    return {
      capabilities: {
        textDocumentSync: TextDocumentSyncKind.Incremental,
        hoverProvider: true,
        definitionProvider: true,
        completionProvider: { triggerCharacters: ["(", "."] },
        codeActionProvider: { codeActionKinds: ["quickfix"] },
      },
      serverInfo: { name: "zero-driver-language-server", version: "0.1.0" },
    };
  }

  /** A handler that fails answers with nothing; the server stays up. */
  private guard<T>(what: string, run: () => T, fallback: T): T {
    try {
      return run();
    } catch (error) {
      this.connection.console.error(
        `${what} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      );
      return fallback;
    }
  }

  private fileOf(uri: string): string {
    const file = uri.startsWith("file:")
      ? norm(fileURLToPath(uri))
      : norm(path.join(this.root, ".zds-virtual", `${encodeURIComponent(uri)}.ts`));
    this.fileToUri.set(file, uri);
    return file;
  }

  private uriFor = (file: string): string => this.fileToUri.get(file) ?? uriOf(file);

  private schedule(uri: string): void {
    this.pending.add(uri);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // setImmediate lets the rest of a burst of notifications arrive before we analyse.
    setImmediate(() => {
      this.flushScheduled = false;
      const uris = [...this.pending];
      this.pending.clear();
      for (const u of uris) this.guard("analysis", () => this.analyseAndPublish(u), undefined);
    });
  }

  private analyseAndPublish(uri: string, followDependents = true): void {
    const doc = this.documents.get(uri);
    if (!doc) return;
    // A dependent's own text did not change, but what it imports did: analyse it again anyway.
    const analysis = this.analyse(doc, !followDependents);
    void this.connection.sendDiagnostics({
      uri,
      version: doc.version,
      diagnostics: analysis ? analysis.findings.map((f) => toDiagnostic(analysis, f)) : [],
    });
    if (!followDependents) return;
    // Open drivers that fold constants from this file see its new values.
    const file = this.fileOf(uri);
    for (const dep of this.workspace.projectFor(file).dependentsOf(file)) {
      const depUri = this.uriFor(dep);
      if (depUri !== uri && this.documents.get(depUri)) this.analyseAndPublish(depUri, false);
    }
  }

  /** The analysis of the document's current version (analysing now if it is stale). */
  private analyse(doc: TextDocument, force = false): FileAnalysis | undefined {
    const cached = this.analysed.get(doc.uri);
    const file = this.fileOf(doc.uri);
    const project = this.workspace.projectFor(file);
    if (!force && cached && cached.version === doc.version && project.hasRoot(file)) return cached.analysis;
    const text = doc.getText();
    let analysis: FileAnalysis | undefined;
    if (isDriverSourceName(file) || !doc.uri.startsWith("file:")) {
      project.setOverlay(file, isAnalysable(text) ? text : "");
      analysis = isAnalysable(text) ? project.analyze(file, { hints: this.settings.hints }) : undefined;
    }
    this.analysed.set(doc.uri, { version: doc.version, analysis });
    return analysis;
  }

  private close(uri: string): void {
    const file = this.fileOf(uri);
    this.workspace.projectFor(file).removeOverlay(file);
    this.analysed.delete(uri);
    void this.connection.sendDiagnostics({ uri, diagnostics: [] });
  }

  private current(params: TextDocumentPositionParams): { analysis: FileAnalysis; offset: number } | undefined {
    const doc = this.documents.get(params.textDocument.uri);
    if (!doc) return undefined;
    const analysis = this.analyse(doc);
    return analysis ? { analysis, offset: doc.offsetAt(params.position) } : undefined;
  }

  private hover(params: TextDocumentPositionParams): Hover | null {
    const at = this.current(params);
    const result = at && hoverAt(at.analysis, at.offset);
    if (!at || !result) return null;
    return {
      contents: { kind: MarkupKind.Markdown, value: result.markdown },
      range: rangeOf(at.analysis, { file: at.analysis.fileName, start: result.start, end: result.end }),
    };
  }

  private definition(params: TextDocumentPositionParams): Definition | null {
    const at = this.current(params);
    if (!at) return null;
    const spans = definitionAt(at.analysis, at.offset);
    return spans.length === 0 ? null : spans.map((s) => ({ uri: this.uriFor(s.file), range: rangeOf(at.analysis, s) }));
  }

  private completion(params: CompletionParams): CompletionItem[] {
    const at = this.current(params);
    if (!at) return [];
    return completionsAt(at.analysis, at.offset).map((e) => {
      const range = rangeOf(at.analysis, { file: at.analysis.fileName, start: e.replaceStart, end: e.replaceEnd });
      return {
        label: e.label,
        kind: e.insertText.startsWith("0x") ? CompletionItemKind.Value : CompletionItemKind.Constant,
        detail: e.detail,
        documentation: e.documentation,
        sortText: e.sortText,
        filterText: e.insertText,
        textEdit: { range, newText: e.insertText },
        additionalTextEdits: e.additionalEdits.map((x) => ({ range: rangeOf(at.analysis, x), newText: x.newText })),
      };
    });
  }

  private codeActions(params: CodeActionParams): CodeAction[] {
    const doc = this.documents.get(params.textDocument.uri);
    const analysis = doc && this.analyse(doc);
    if (!analysis) return [];
    const actions: CodeAction[] = [];
    for (const diagnostic of params.context.diagnostics) {
      if (diagnostic.source !== DIAGNOSTIC_SOURCE) continue;
      for (const f of analysis.findings) {
        const r = rangeOf(analysis, f);
        if (
          f.code !== diagnostic.code ||
          r.start.line !== diagnostic.range.start.line ||
          r.start.character !== diagnostic.range.start.character
        )
          continue;
        for (const fix of f.fixes) actions.push(toCodeAction(analysis, fix, diagnostic, this.uriFor));
      }
    }
    return actions;
  }
}
