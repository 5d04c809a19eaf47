// The VS Code extension's entry point. The views, commands, debugger and language client arrive
// in later work; today activation registers the command that runs the bundled samples headless.

import * as vscode from "vscode";

export function activate(context: vscode.ExtensionContext): void {
  const channel = vscode.window.createOutputChannel("Zero Driver Studio");
  context.subscriptions.push(
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
