// The language server (capability diagnostics arrive with the analysis work). Today it speaks LSP
// over stdio, answers initialize and shutdown, and publishes no diagnostics.

import { createConnection, ProposedFeatures, TextDocuments, TextDocumentSyncKind } from "vscode-languageserver/node";
import { TextDocument } from "vscode-languageserver-textdocument";

const connection = createConnection(ProposedFeatures.all);
const documents = new TextDocuments(TextDocument);

connection.onInitialize(() => ({
  capabilities: { textDocumentSync: TextDocumentSyncKind.Incremental },
  serverInfo: { name: "zero-driver-language-server", version: "0.1.0" },
}));

documents.listen(connection);
connection.listen();
