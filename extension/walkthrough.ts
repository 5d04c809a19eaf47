// The Getting Started walkthrough's commands: open a sample with a capability mistake in it, show
// the diagnostic, apply its quick fix, debug it, stop at a breakpoint. Each step is a command (a
// walkthrough button, and what the e2e suite runs) and sets a context key its completion waits for.

import fs from "node:fs";
import path from "node:path";
import * as vscode from "vscode";
import { requireTrust } from "./commands";
import { scaffoldWalkthrough, WALKTHROUGH_DRIVER, WALKTHROUGH_LAUNCH, WALKTHROUGH_CODE } from "./walkthrough-sample";

const OPEN_ON_START = "zeroDriver.walkthrough.openOnStart";

export interface Walkthrough {
  /** The sample's driver file, once written. */
  driver(): vscode.Uri | undefined;
}

function folder(): string | undefined {
  return vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
}

function driverUri(): vscode.Uri | undefined {
  const f = folder();
  if (!f) return undefined;
  const file = path.join(f, "drivers", WALKTHROUGH_DRIVER, "index.ts");
  return fs.existsSync(file) ? vscode.Uri.file(file) : undefined;
}

function capabilityDiagnostics(uri: vscode.Uri): vscode.Diagnostic[] {
  return vscode.languages
    .getDiagnostics(uri)
    .filter((d) => String(typeof d.code === "object" ? d.code.value : d.code) === WALKTHROUGH_CODE);
}

export function registerWalkthrough(context: vscode.ExtensionContext): Walkthrough {
  const setContext = (key: string, value: boolean) =>
    void vscode.commands.executeCommand("setContext", `zeroDriver.walkthrough.${key}`, value);
  const updateFixed = (): void => {
    const uri = driverUri();
    if (!uri) return;
    // Fixed: the declaration is in the file and the language server no longer complains.
    if (/\birq: irq\(\)/.test(fs.readFileSync(uri.fsPath, "utf8")) && capabilityDiagnostics(uri).length === 0)
      setContext("fixed", true);
  };

  context.subscriptions.push(
    vscode.commands.registerCommand("zeroDriver.walkthrough.openSample", async () => {
      const f = folder();
      if (!f) {
        // A fresh install with no folder open: make one, open it, and open the sample there.
        const home = vscode.Uri.joinPath(context.globalStorageUri, "getting-started");
        fs.mkdirSync(home.fsPath, { recursive: true });
        scaffoldWalkthrough(context.asAbsolutePath("drivers"), home.fsPath);
        await context.globalState.update(OPEN_ON_START, true);
        await vscode.commands.executeCommand("vscode.openFolder", home);
        return undefined;
      }
      scaffoldWalkthrough(context.asAbsolutePath("drivers"), f);
      const uri = driverUri()!;
      await vscode.window.showTextDocument(uri);
      return uri;
    }),
    vscode.commands.registerCommand("zeroDriver.walkthrough.showProblem", async () => {
      const uri = driverUri();
      if (!uri) return missing();
      const editor = await vscode.window.showTextDocument(uri);
      const diagnostic = await waitForDiagnostic(uri);
      if (diagnostic) {
        editor.selection = new vscode.Selection(diagnostic.range.start, diagnostic.range.end);
        editor.revealRange(diagnostic.range, vscode.TextEditorRevealType.InCenter);
      }
      await vscode.commands.executeCommand("workbench.actions.view.problems");
      return diagnostic;
    }),
    vscode.commands.registerCommand("zeroDriver.walkthrough.applyFix", async () => {
      const uri = driverUri();
      if (!uri) return missing();
      await vscode.window.showTextDocument(uri);
      const diagnostic = capabilityDiagnostics(uri)[0] ?? (await waitForDiagnostic(uri));
      if (!diagnostic) {
        void vscode.window.showInformationMessage("Zero Driver: the sample has no capability error left to fix.");
        return false;
      }
      const actions =
        (await vscode.commands.executeCommand<vscode.CodeAction[]>(
          "vscode.executeCodeActionProvider",
          uri,
          diagnostic.range,
          vscode.CodeActionKind.QuickFix.value,
        )) ?? [];
      const fix =
        actions.find((a) => a.isPreferred && a.edit) ??
        actions.find((a) => a.edit && a.diagnostics?.some((d) => d.message === diagnostic.message));
      if (!fix?.edit) {
        void vscode.window.showWarningMessage(
          "Zero Driver: no quick fix was offered for the diagnostic (is the language server running?).",
        );
        return false;
      }
      const applied = await vscode.workspace.applyEdit(fix.edit);
      await vscode.workspace.textDocuments.find((d) => d.uri.fsPath === uri.fsPath)?.save();
      return applied ? fix.title : false;
    }),
    vscode.commands.registerCommand("zeroDriver.walkthrough.debug", async () => {
      // Trust first: in Restricted Mode the reason is what the user needs to hear.
      if (!requireTrust()) return false;
      const uri = driverUri();
      const f = vscode.workspace.workspaceFolders?.[0];
      if (!uri || !f) return missing();
      const document = await vscode.workspace.openTextDocument(uri);
      await vscode.window.showTextDocument(document);
      // A breakpoint where a request arrives, unless the author has set their own in the file.
      const line = document
        .getText()
        .split("\n")
        .findIndex((l) => l.includes("if (req.tag !== RngTag.GET_BYTES)"));
      const has = vscode.debug.breakpoints.some(
        (b) => b instanceof vscode.SourceBreakpoint && b.location.uri.fsPath === uri.fsPath,
      );
      if (!has && line >= 0)
        vscode.debug.addBreakpoints([
          new vscode.SourceBreakpoint(new vscode.Location(uri, new vscode.Position(line, 0))),
        ]);
      return vscode.debug.startDebugging(f, WALKTHROUGH_LAUNCH);
    }),
    vscode.languages.onDidChangeDiagnostics(() => updateFixed()),
    vscode.debug.onDidStartDebugSession((s) => s.type === "zero-driver" && setContext("debugging", true)),
    vscode.debug.registerDebugAdapterTrackerFactory("zero-driver", {
      createDebugAdapterTracker: () => ({
        onDidSendMessage: (m: { type?: string; event?: string; body?: { reason?: string } }) => {
          if (m.type === "event" && m.event === "stopped" && m.body?.reason === "breakpoint")
            setContext("stopped", true);
        },
      }),
    }),
  );

  // Reopened into the folder the first step made: finish that step.
  if (context.globalState.get<boolean>(OPEN_ON_START) && driverUri()) {
    void context.globalState.update(OPEN_ON_START, false);
    void vscode.window.showTextDocument(driverUri()!);
  }
  return { driver: driverUri };
}

async function waitForDiagnostic(uri: vscode.Uri, ms = 20000): Promise<vscode.Diagnostic | undefined> {
  const end = Date.now() + ms;
  for (;;) {
    const found = capabilityDiagnostics(uri)[0];
    if (found || Date.now() > end) return found;
    await new Promise((r) => setTimeout(r, 200));
  }
}

function missing(): undefined {
  void vscode.window.showErrorMessage(
    "Zero Driver: open the walkthrough sample first (Getting Started › Open a sample driver).",
  );
  return undefined;
}
