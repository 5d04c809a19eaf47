// The VS Code extension's entry point. The views and language client arrive in later work; today
// activation registers the "zero-driver" debug adapter (inline) and the command that runs the
// bundled samples headless.

import * as vscode from "vscode";
import { ZeroDriverDebugSession } from "./debug-adapter/session";

export function activate(context: vscode.ExtensionContext): void {
  const channel = vscode.window.createOutputChannel("Zero Driver Studio");
  context.subscriptions.push(
    // The adapter runs in the extension host (no child process): the same session `zds dap` serves on stdio.
    vscode.debug.registerDebugAdapterDescriptorFactory("zero-driver", {
      createDebugAdapterDescriptor: () => new vscode.DebugAdapterInlineImplementation(new ZeroDriverDebugSession()),
    }),
    channel,
    vscode.commands.registerCommand("zeroDriver.runSamples", async () => {
      channel.show(true);
      const { main } = await import("../cli/zds");
      const io = { out: (t: string) => channel.append(t), err: (t: string) => channel.append(t) };
      const samples = context.asAbsolutePath("drivers");
      await main(["run", `${samples}/virtio-rng`, `${samples}/rng-cat`, `${samples}/virtio-blk`, `${samples}/blk-check`], io);
    }),
  );
}

export function deactivate(): void {}
