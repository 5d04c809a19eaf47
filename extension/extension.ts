// The VS Code extension's entry point: the language client, the "zero-driver" debug adapter
// (inline), the views and status bar, the console terminals, the commands, the walkthrough and the
// Workspace Trust gate. Activation does little work up front: the language server starts in its own
// process, the CLI code the commands use is loaded on demand, and the views sample nothing until a
// machine runs.

import * as vscode from "vscode";
import type { LanguageClient } from "vscode-languageclient/node";
import { registerDebugConfigurationProvider } from "./debug-configuration-provider";
import { CustomRequest } from "../debug-adapter/session";
import { createLanguageClient } from "./language-client";
import {
  checkWorkspace,
  newDriver,
  openTrace,
  requireTrust,
  runActiveDriver,
  runSampleDriver,
  UNTRUSTED_MESSAGE,
} from "./commands";
import { DebugWiring } from "./debug-wiring";
import { openTimeline } from "./timeline-panel";
import { DisplayPanel } from "./display-panel";
import { injectFaultCommand } from "./inject-fault";
import { registerTestController, testOutcomes, testProfiles } from "./testing/controller";
import { MachineMonitor } from "./machine-monitor";
import { refreshIntervalMs, resolveMachine, runSettings } from "./settings";
import { registerViews, type MachineViews } from "./views";
import { registerWalkthrough, type Walkthrough } from "./walkthrough";

let client: LanguageClient | undefined;

/** What the API returns: for the integration tests (activation time, views, consoles). */
export interface ZeroDriverApi {
  /** ms from the extension's bundle starting to load to activate() returning (the extension is usable). */
  activationMs: number;
  /** ms from the same start to the language server answering its initialize request. */
  languageClientReady: Promise<number>;
  monitor: MachineMonitor;
  views: MachineViews;
  debug: DebugWiring;
  walkthrough: Walkthrough;
  /** The Test Explorer's controller for driver tests (extension/testing/controller.ts), and the last
   *  outcome of each test it ran. */
  tests: vscode.TestController;
  testOutcomes: typeof testOutcomes;
  testProfiles: typeof testProfiles;
}

/** Set by the bundle's first line (scripts/build.mjs): when VS Code started loading the extension's code. */
declare const __zdsBundleStart: number | undefined;

export function activate(context: vscode.ExtensionContext): ZeroDriverApi {
  const started = typeof __zdsBundleStart === "number" ? __zdsBundleStart : performance.now();
  const channel = vscode.window.createOutputChannel("Zero Driver Studio");
  const checkDiagnostics = vscode.languages.createDiagnosticCollection("zero-driver-check");
  const monitor = new MachineMonitor(refreshIntervalMs);
  const debug = new DebugWiring(monitor);
  const views = registerViews(context, monitor, UNTRUSTED_MESSAGE);
  context.subscriptions.push(
    monitor,
    ...debug.register(),
    // F5 without launch.json, the active file as default program, the settings' machine, seed and
    // watchdog, and the Restricted Mode refusal.
    registerDebugConfigurationProvider(context, UNTRUSTED_MESSAGE, (folder) => settingsDefaults(folder)),
    channel,
    checkDiagnostics,
    // Once a file is open the language server's live diagnostics replace the batch check's.
    vscode.workspace.onDidOpenTextDocument((d) => checkDiagnostics.delete(d.uri)),
    vscode.commands.registerCommand("zeroDriver.runSampleDriver", (label?: string) =>
      runSampleDriver(context, monitor, label),
    ),
    vscode.commands.registerCommand("zeroDriver.runSamples", () => runSampleDriver(context, monitor)),
    vscode.commands.registerCommand("zeroDriver.runDriver", (uri?: vscode.Uri) =>
      runActiveDriver(context, monitor, uri),
    ),
    vscode.commands.registerCommand("zeroDriver.checkWorkspace", () => checkWorkspace(checkDiagnostics, channel)),
    vscode.commands.registerCommand("zeroDriver.newDriver", (device?: string, name?: string) =>
      newDriver(context, device, name),
    ),
    vscode.commands.registerCommand("zeroDriver.openTrace", (uri?: vscode.Uri) => openTrace(context, uri)),
    vscode.commands.registerCommand("zeroDriver.openTimeline", (uri?: vscode.Uri) => openTimeline(context, uri)),
    vscode.commands.registerCommand("zeroDriver.requireTrust", () => requireTrust()),
    vscode.commands.registerCommand("zeroDriver.openDisplay", () => DisplayPanel.open(monitor)),
    // For the integration tests: a pixel as the Display view's canvas shows it.
    vscode.commands.registerCommand("zeroDriver.display.readPixel", (x: number, y: number) =>
      DisplayPanel.active?.readPixel(x, y),
    ),
    vscode.commands.registerCommand("zeroDriver.stepToNextEvent", () => stepToNextEvent()),
    vscode.commands.registerCommand("zeroDriver.injectFault", (spec?: string, when?: "now" | "next-event") =>
      injectFaultCommand(spec, when),
    ),
  );
  const walkthrough = registerWalkthrough(context);
  const tests = registerTestController(context);

  client = createLanguageClient(context, channel);
  const languageClientReady = client.start().then(() => {
    const ms = performance.now() - started;
    channel.appendLine(`Zero Driver Studio: language client ready ${ms.toFixed(0)} ms after activation`);
    return ms;
  });
  languageClientReady.catch((error: unknown) =>
    channel.appendLine(`Zero Driver Studio: the language server did not start: ${String(error)}`),
  );
  const activationMs = performance.now() - started;
  channel.appendLine(`Zero Driver Studio: activated in ${activationMs.toFixed(1)} ms`);
  return { activationMs, languageClientReady, monitor, views, debug, walkthrough, tests, testOutcomes, testProfiles };
}

/** What a launch configuration without a machine, seed, watchdog or cwd takes from the settings. */
function settingsDefaults(folder: vscode.WorkspaceFolder | undefined): Record<string, unknown> {
  const s = runSettings(folder?.uri);
  return {
    machine: resolveMachine(s.machine, folder?.uri.fsPath),
    seed: s.seed,
    watchdogMs: s.watchdogMs,
    ...(folder ? { cwd: folder.uri.fsPath } : {}),
  };
}

export async function deactivate(): Promise<void> {
  await client?.stop();
  client = undefined;
}

/** The debug toolbar's "step to next IPC message or interrupt" (docs/debugging.md). */
async function stepToNextEvent(): Promise<void> {
  const session = vscode.debug.activeDebugSession;
  if (session?.type !== "zero-driver") {
    void vscode.window.showInformationMessage(
      "Step to Next IPC Message or Interrupt works in a Zero Driver debug session: start one with F5.",
    );
    return;
  }
  await session.customRequest(CustomRequest.stepToNextEvent);
}
