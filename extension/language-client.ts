// Starts the language server (dist/language-server.js, a separate Node process over IPC) for
// TypeScript and JavaScript files. The server itself ignores files without a driver manifest, so
// the selector can be broad while the work stays limited to driver files. The server runs no
// workspace code, which is why it also runs in untrusted workspaces.

import * as vscode from "vscode";
import {
  LanguageClient,
  TransportKind,
  type LanguageClientOptions,
  type ServerOptions,
} from "vscode-languageclient/node";

export function createLanguageClient(context: vscode.ExtensionContext, output: vscode.OutputChannel): LanguageClient {
  const module = context.asAbsolutePath("dist/language-server.js");
  const serverOptions: ServerOptions = {
    run: { module, transport: TransportKind.ipc },
    debug: { module, transport: TransportKind.ipc, options: { execArgv: ["--nolazy", "--inspect=6019"] } },
  };
  const languages = ["typescript", "javascript", "typescriptreact", "javascriptreact"];
  const clientOptions: LanguageClientOptions = {
    documentSelector: languages.map((language) => ({ scheme: "file", language })),
    outputChannel: output,
    synchronize: {
      // Drivers fold constants from other workspace files and resolve `@zds/sdk` through tsconfig.
      fileEvents: vscode.workspace.createFileSystemWatcher("**/{*.ts,*.js,tsconfig.json}"),
    },
  };
  return new LanguageClient("zeroDriver", "Zero Driver Language Server", serverOptions, clientOptions);
}
