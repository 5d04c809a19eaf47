// The VS Code extension's entry point: the language client, the "zero-driver" debug adapter
// (inline), the commands and the Workspace Trust gate. Activation does little work up front: the
// language server starts in its own process and the CLI code the commands use runs on demand.

import * as vscode from "vscode";
import type { LanguageClient } from "vscode-languageclient/node";
import { ZeroDriverDebugSession } from "./debug-adapter/session";
import { registerDebugConfigurationProvider } from "./debug-adapter/configuration-provider";
import { createLanguageClient } from "./language-client";
import { checkWorkspace, newDriver, openTrace, requireTrust, runActiveDriver, runSampleDriver, UNTRUSTED_MESSAGE } from "./commands";

let client: LanguageClient | undefined;

/** What the API returns: for the integration tests (activation time, commands' results). */
export interface ZeroDriverApi {
  activationMs: number;
  languageClientReady: Promise<number>;
}

export function activate(context: vscode.ExtensionContext): ZeroDriverApi {
  const started = performance.now();
  const channel = vscode.window.createOutputChannel("Zero Driver Studio");
  const checkDiagnostics = vscode.languages.createDiagnosticCollection("zero-driver-check");
  context.subscriptions.push(
    // The adapter runs in the extension host (no child process): the same session `zds dap` serves on stdio.
    vscode.debug.registerDebugAdapterDescriptorFactory("zero-driver", {
      createDebugAdapterDescriptor: () => new vscode.DebugAdapterInlineImplementation(new ZeroDriverDebugSession()),
    }),
    // F5 without launch.json, the active file as default program, and the Restricted Mode refusal.
    registerDebugConfigurationProvider(context, UNTRUSTED_MESSAGE),
    channel,
    checkDiagnostics,
    // Once a file is open the language server's live diagnostics replace the batch check's.
    vscode.workspace.onDidOpenTextDocument((d) => checkDiagnostics.delete(d.uri)),
    vscode.commands.registerCommand("zeroDriver.runSampleDriver", (label?: string) => runSampleDriver(context, label)),
    vscode.commands.registerCommand("zeroDriver.runSamples", () => runSampleDriver(context)),
    vscode.commands.registerCommand("zeroDriver.runDriver", (uri?: vscode.Uri) => runActiveDriver(context, uri)),
    vscode.commands.registerCommand("zeroDriver.checkWorkspace", () => checkWorkspace(checkDiagnostics, channel)),
    vscode.commands.registerCommand("zeroDriver.newDriver", (device?: string, name?: string) => newDriver(context, device, name)),
    vscode.commands.registerCommand("zeroDriver.openTrace", (uri?: vscode.Uri) => openTrace(uri)),
    vscode.commands.registerCommand("zeroDriver.requireTrust", () => requireTrust()),
  );

  client = createLanguageClient(context, channel);
  const languageClientReady = client.start().then(() => {
    const ms = performance.now() - started;
    channel.appendLine(`Zero Driver Studio: language client ready ${ms.toFixed(0)} ms after activation`);
    return ms;
  });
  languageClientReady.catch((error: unknown) => channel.appendLine(`Zero Driver Studio: the language server did not start: ${String(error)}`));
  const activationMs = performance.now() - started;
  channel.appendLine(`Zero Driver Studio: activated in ${activationMs.toFixed(0)} ms`);
  return { activationMs, languageClientReady };
}

export async function deactivate(): Promise<void> {
  await client?.stop();
  client = undefined;
}
