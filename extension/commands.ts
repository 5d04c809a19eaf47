// The palette commands. Running workspace code (Run Driver, Run Sample Driver with a workspace
// machine, debugging) is refused in untrusted workspaces; checking and opening traces are not,
// because they run no workspace code.

import fs from "node:fs";
import path from "node:path";
import * as vscode from "vscode";
import type { CheckedDiagnostic } from "../runner/check-report";
import { runCli } from "./cli-bundle";
import { samplePairings, listPrograms, servicesOf } from "../runner/samples";
import { scaffoldDriver, TEMPLATES, validateDriverName } from "./scaffold";
import { runSettings, runArgs } from "./settings";
import { runInTerminal, type MachineRun } from "./machine-terminal";
import type { MachineMonitor } from "./machine-monitor";
import { openTimeline } from "./timeline-panel";

export const UNTRUSTED_MESSAGE =
  "Zero Driver: running and debugging drivers is off in Restricted Mode, because it runs workspace code. Trust the workspace to enable it; capability checks keep working.";

export function requireTrust(): boolean {
  if (vscode.workspace.isTrusted) return true;
  void vscode.window.showWarningMessage(UNTRUSTED_MESSAGE, "Manage Workspace Trust").then((pick) => {
    if (pick) void vscode.commands.executeCommand("workbench.trust.manage");
  });
  return false;
}

function firstFolder(): string | undefined {
  return vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
}

function tracePath(context: vscode.ExtensionContext, enabled: boolean): string | undefined {
  if (!enabled) return undefined;
  const base = firstFolder()
    ? path.join(firstFolder()!, ".zds", "traces")
    : path.join(context.globalStorageUri.fsPath, "traces");
  fs.mkdirSync(base, { recursive: true });
  return path.join(base, `run-${new Date().toISOString().replace(/[:.]/g, "-")}.zlog`);
}

function startRun(context: vscode.ExtensionContext, monitor: MachineMonitor, programs: string[]): MachineRun {
  const settings = runSettings();
  return runInTerminal(
    settings.machine,
    [...programs, ...runArgs(settings, firstFolder(), tracePath(context, settings.trace))],
    monitor,
  );
}

/** Run Sample Driver…: a quick pick over bundled driver + client pairs. Returns the run for tests. */
export async function runSampleDriver(
  context: vscode.ExtensionContext,
  monitor: MachineMonitor,
  label?: string,
): Promise<MachineRun | undefined> {
  if (!requireTrust()) return undefined;
  const pairs = samplePairings(context.asAbsolutePath("drivers"));
  const chosen = label
    ? pairs.find((p) => p.label === label)
    : (
        await vscode.window.showQuickPick(
          pairs.map((p) => ({ label: p.label, description: `service "${p.service}"`, pair: p })),
          { title: "Run Sample Driver", placeHolder: "A driver and the client that uses it" },
        )
      )?.pair;
  if (!chosen) return undefined;
  return startRun(context, monitor, [chosen.driver.dir, chosen.client.dir]);
}

/** Run Driver: the active file's program, plus a bundled client of whatever it serves (or, for a
 *  client, a bundled driver of the services it uses). */
export async function runActiveDriver(
  context: vscode.ExtensionContext,
  monitor: MachineMonitor,
  uri?: vscode.Uri,
): Promise<MachineRun | undefined> {
  if (!requireTrust()) return undefined;
  const file = uri?.fsPath ?? vscode.window.activeTextEditor?.document.uri.fsPath;
  if (!file) {
    void vscode.window.showErrorMessage("Zero Driver: open a driver file first.");
    return undefined;
  }
  const editor = vscode.window.activeTextEditor;
  if (editor?.document.uri.fsPath === file && editor.document.isDirty) await editor.document.save();
  // A folder's index.ts is the driver folder; run the folder so its relative imports bundle alike.
  const program = /^index\.[tj]s$/.test(path.basename(file)) ? path.dirname(file) : file;
  // A driver runs with a bundled client of what it serves; a client with a bundled driver of what it uses.
  const { serves, clientOf } = servicesOf(fs.readFileSync(file, "utf8"));
  const bundled = listPrograms(context.asAbsolutePath("drivers"));
  const clients = serves.flatMap((service) =>
    bundled.filter((p) => p.serves.length === 0 && p.clientOf.includes(service)).slice(0, 1),
  );
  const servers = serves.length
    ? []
    : clientOf.flatMap((service) => bundled.filter((p) => p.serves.includes(service)).slice(0, 1));
  return startRun(context, monitor, [...servers.map((s) => s.dir), program, ...clients.map((c) => c.dir)]);
}

/** Check Capabilities in Workspace: `zds check --format json` over every workspace folder. */
export async function checkWorkspace(
  collection: vscode.DiagnosticCollection,
  output: vscode.OutputChannel,
): Promise<{ files: number; errors: number; warnings: number }> {
  collection.clear();
  const totals = { files: 0, errors: 0, warnings: 0 };
  const byFile = new Map<string, vscode.Diagnostic[]>();
  output.clear();
  for (const folder of vscode.workspace.workspaceFolders ?? []) {
    const cwd = folder.uri.fsPath;
    const { stdout: text, stderr } = await runCli(["check", cwd, "--format", "json"], cwd);
    output.append(stderr);
    if (!text.trim()) continue;
    const report = JSON.parse(text) as {
      files: string[];
      diagnostics: CheckedDiagnostic[];
      summary: { errors: number; warnings: number };
    };
    totals.files += report.files.length;
    totals.errors += report.summary.errors;
    totals.warnings += report.summary.warnings;
    for (const d of report.diagnostics) {
      // The CLI prints paths relative to its working directory: the folder.
      const file = path.resolve(cwd, d.file);
      output.appendLine(`${file}:${d.line}:${d.column}: ${d.severity} ${d.code} ${d.message}`);
      const range = new vscode.Range(d.line - 1, d.column - 1, d.endLine - 1, d.endColumn - 1);
      const severity =
        d.severity === "error"
          ? vscode.DiagnosticSeverity.Error
          : d.severity === "warning"
            ? vscode.DiagnosticSeverity.Warning
            : vscode.DiagnosticSeverity.Information;
      const diagnostic = new vscode.Diagnostic(range, d.message, severity);
      diagnostic.code = d.code;
      diagnostic.source = "zds check";
      byFile.set(file, [...(byFile.get(file) ?? []), diagnostic]);
    }
  }
  // Files open in an editor already get live diagnostics from the language server: do not show
  // the same finding twice.
  const open = new Set(vscode.workspace.textDocuments.map((d) => d.uri.fsPath));
  for (const [file, diagnostics] of byFile) if (!open.has(file)) collection.set(vscode.Uri.file(file), diagnostics);
  const summary = `Zero Driver: ${totals.files} driver file${totals.files === 1 ? "" : "s"} checked, ${totals.errors} error${totals.errors === 1 ? "" : "s"}, ${totals.warnings} warning${totals.warnings === 1 ? "" : "s"}.`;
  output.appendLine(summary);
  if (totals.errors + totals.warnings > 0) {
    void vscode.window
      .showWarningMessage(summary, "Show Problems")
      .then((pick) => pick && vscode.commands.executeCommand("workbench.actions.view.problems"));
  } else void vscode.window.showInformationMessage(summary);
  return totals;
}

/** New Driver…: pick a device, name the driver, write it into the workspace and open it. */
export async function newDriver(
  context: vscode.ExtensionContext,
  device?: string,
  name?: string,
): Promise<vscode.Uri | undefined> {
  const folder = firstFolder();
  if (!folder) {
    void vscode.window.showErrorMessage(
      "Zero Driver: open a folder first; the driver is written to <folder>/drivers/<name>.",
    );
    return undefined;
  }
  const pickedDevice =
    device ??
    (
      await vscode.window.showQuickPick(
        TEMPLATES.map((t) => ({ label: t.device, description: t.description })),
        { title: "New Driver: device" },
      )
    )?.label;
  if (!pickedDevice) return undefined;
  const pickedName =
    name ??
    (await vscode.window.showInputBox({
      title: "New Driver: name",
      value: `my-${pickedDevice}`,
      validateInput: validateDriverName,
    }));
  if (!pickedName) return undefined;
  try {
    const result = scaffoldDriver({
      driversDir: context.asAbsolutePath("drivers"),
      workspace: folder,
      device: pickedDevice,
      name: pickedName,
    });
    const uri = vscode.Uri.file(result.entry);
    await vscode.window.showTextDocument(uri);
    return uri;
  } catch (error) {
    void vscode.window.showErrorMessage(`Zero Driver: ${error instanceof Error ? error.message : String(error)}`);
    return undefined;
  }
}

/** A trace larger than this opens as its timeline only (summarised and paged): the text editor
 *  would load, and tokenize, every line. */
export const LARGE_TRACE_BYTES = 16 * 1024 * 1024;

/** Open Trace…: a .zlog file in the editor (highlighted by the zlog grammar), with its IPC timeline
 *  beside it; a large trace as its timeline only, with a button to open the text anyway. */
export async function openTrace(context: vscode.ExtensionContext, uri?: vscode.Uri): Promise<void> {
  const target =
    uri ??
    (
      await vscode.window.showOpenDialog({
        canSelectMany: false,
        filters: { "Zero Driver trace": ["zlog"] },
        title: "Open Trace",
      })
    )?.[0];
  if (!target) return;
  const bytes = await fs.promises.stat(target.fsPath).then(
    (s) => s.size,
    () => 0,
  );
  if (bytes > LARGE_TRACE_BYTES) {
    await openTimeline(context, target);
    void vscode.window
      .showInformationMessage(
        `Zero Driver: ${path.basename(target.fsPath)} is ${Math.round(bytes / 1048576)} MiB: opened as its timeline, read page by page.`,
        "Open as Text",
      )
      .then(async (pick) => pick && vscode.window.showTextDocument(await vscode.workspace.openTextDocument(target)));
    return;
  }
  const document = await vscode.workspace.openTextDocument(target);
  await vscode.window.showTextDocument(await vscode.languages.setTextDocumentLanguage(document, "zlog"));
  await openTimeline(context, target);
}
