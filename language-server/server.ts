// The Zero Driver language server: capability violations in driver source as diagnostics while
// typing, with quick fixes, hover, completion of register offsets and go to definition. Speaks LSP
// over stdio (vscode-languageserver); the analysis itself lives in ./analysis and knows no LSP.

import { createConnection, ProposedFeatures, TextDocuments } from "vscode-languageserver/node";
import { TextDocument } from "vscode-languageserver-textdocument";
import { LanguageServerSession } from "./lsp/session";
import { warmUp } from "./lsp/warm-up";

// Before the first message is read (the client's initialize waits in the pipe meanwhile): the SDK
// parsed into the shared registry and the analysis compiled, so the first didOpen pays only for
// its own file. ZDS_LS_WARMUP=0 turns it off (the bench measures both).
const warm = process.env.ZDS_LS_WARMUP === "0" ? undefined : warmUp();
const connection = createConnection(ProposedFeatures.all);
const documents = new TextDocuments(TextDocument);
new LanguageServerSession(connection, documents, warm).listen();
connection.listen();
