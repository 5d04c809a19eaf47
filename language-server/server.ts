// The Zero Driver language server: capability violations in driver source as diagnostics while
// typing, with quick fixes, hover, completion of register offsets and go to definition. Speaks LSP
// over stdio (vscode-languageserver); the analysis itself lives in ./analysis and knows no LSP.

import { createConnection, ProposedFeatures, TextDocuments } from "vscode-languageserver/node";
import { TextDocument } from "vscode-languageserver-textdocument";
import { LanguageServerSession } from "./lsp/session";

const connection = createConnection(ProposedFeatures.all);
const documents = new TextDocuments(TextDocument);
new LanguageServerSession(connection, documents).listen();
connection.listen();
