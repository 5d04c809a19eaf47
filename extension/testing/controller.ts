// The Test Explorer for driver tests (docs/testing.md): a TestController whose items are the test
// files (*.test.ts beside a driver, or files in a tests/ folder, that import "@zds/sdk/test") and
// their tests, with gutter buttons at each test(…). Run runs `zds test FILE --grep TITLE --reporter
// json` as a child process (the CLI's own bundle); a failure is a TestMessage with expected/actual at
// the `expect`'s line. Debug runs the test the same way and, when it fails, launches the zero-driver
// debugger with "replay" on its trace, which stops at the failure (the last event before the
// assertion) with step back available.

import path from "node:path";
import * as vscode from "vscode";
import { runCli } from "../cli-bundle";
import { findTests, importsTestApi, isTestFilePath } from "./discover";

/** What `zds test --reporter json` says about one test (runner/testing/command.ts). */
interface JsonResult {
  title: string[];
  file: string;
  state: "passed" | "failed" | "skipped";
  durationMs?: number;
  failure?: {
    message: string;
    expected?: string;
    actual?: string;
    location?: { file: string; line: number; column: number };
    trace?: string;
  };
}

/** The last outcome of each test item (by id), for the extension's own end-to-end tests. */
export const testOutcomes = new Map<string, { state: string; message?: string; line?: number; trace?: string }>();

/** The run and debug profiles (for the same tests). */
export const testProfiles: vscode.TestRunProfile[] = [];

const GLOB = "**/{*.test.ts,*.test.js,tests/*.ts,tests/*.js}";
const EXCLUDE = "**/{node_modules,dist,.zds}/**";

export function registerTestController(context: vscode.ExtensionContext): vscode.TestController {
  const ctrl = vscode.tests.createTestController("zeroDriverTests", "Zero Driver Tests");
  context.subscriptions.push(ctrl);
  /** Test item → its title inside the file (empty for a file item). */
  const titles = new WeakMap<vscode.TestItem, string[]>();

  const refreshFile = async (uri: vscode.Uri, text?: string): Promise<void> => {
    if (!isTestFilePath(uri.fsPath)) return;
    const body = text ?? Buffer.from(await vscode.workspace.fs.readFile(uri)).toString("utf8");
    if (!importsTestApi(body)) {
      ctrl.items.delete(uri.toString());
      return;
    }
    const file =
      ctrl.items.get(uri.toString()) ?? ctrl.createTestItem(uri.toString(), vscode.workspace.asRelativePath(uri), uri);
    titles.set(file, []);
    const children = findTests(body).map((t) => {
      const item = ctrl.createTestItem(`${uri.toString()}#${t.title.join(" › ")}`, t.title.join(" › "), uri);
      item.range = new vscode.Range(t.line, t.column, t.line, t.column);
      titles.set(item, t.title);
      return item;
    });
    file.children.replace(children);
    ctrl.items.add(file);
  };
  const scan = async (): Promise<void> => {
    for (const uri of await vscode.workspace.findFiles(GLOB, EXCLUDE)) await refreshFile(uri);
  };
  ctrl.resolveHandler = async (item) => {
    if (!item) await scan();
  };
  ctrl.refreshHandler = async () => scan();
  const watcher = vscode.workspace.createFileSystemWatcher(GLOB);
  context.subscriptions.push(
    watcher,
    watcher.onDidCreate((uri) => void refreshFile(uri)),
    watcher.onDidChange((uri) => void refreshFile(uri)),
    watcher.onDidDelete((uri) => ctrl.items.delete(uri.toString())),
    vscode.workspace.onDidChangeTextDocument((e) => void refreshFile(e.document.uri, e.document.getText())),
  );

  const run = async (request: vscode.TestRunRequest, token: vscode.CancellationToken, debug: boolean) => {
    const testRun = ctrl.createTestRun(request);
    if (!vscode.workspace.isTrusted) {
      // A test runs the workspace's drivers: not in Restricted Mode.
      const why = new vscode.TestMessage("Running driver tests needs a trusted workspace (Restricted Mode is on).");
      request.include?.forEach((item) => testRun.errored(item, why));
      testRun.end();
      return;
    }
    const queue: vscode.TestItem[] = [];
    const add = (item: vscode.TestItem) => {
      if (request.exclude?.includes(item)) return;
      if (item.children.size > 0) item.children.forEach(add);
      else if ((titles.get(item) ?? []).length > 0) queue.push(item);
    };
    if (request.include) request.include.forEach(add);
    else ctrl.items.forEach(add);
    try {
      for (const item of queue) {
        if (token.isCancellationRequested) testRun.skipped(item);
        else await runOne(testRun, item, titles.get(item) ?? [], debug);
      }
    } finally {
      testRun.end();
    }
  };
  testProfiles.push(
    ctrl.createRunProfile("Run", vscode.TestRunProfileKind.Run, (r, t) => run(r, t, false), true),
    ctrl.createRunProfile("Debug", vscode.TestRunProfileKind.Debug, (r, t) => run(r, t, true), true),
  );
  return ctrl;
}

/** Run one test through `zds test`; on a failure under Debug, open its trace in the debugger. */
async function runOne(testRun: vscode.TestRun, item: vscode.TestItem, title: string[], debug: boolean): Promise<void> {
  const uri = item.uri as vscode.Uri;
  const folder = vscode.workspace.getWorkspaceFolder(uri);
  const root = folder?.uri.fsPath ?? path.dirname(uri.fsPath);
  testRun.started(item);
  // The bundling process's folder is in a program's content hash, which a replay checks: run from the
  // extension host's own folder, as the inline debug adapter bundles, and keep the traces in the
  // workspace's .zds/test-traces.
  const r = await runCli(["test", uri.fsPath, "--reporter", "json", "--grep", title[title.length - 1]], process.cwd(), {
    ZDS_TEST_TRACES: path.join(root, ".zds", "test-traces"),
  });
  let results: JsonResult[];
  try {
    results = (JSON.parse(r.stdout) as { results: JsonResult[] }).results;
  } catch {
    testRun.errored(item, new vscode.TestMessage(`zds test did not answer (exit ${r.code}): ${r.stderr || r.stdout}`));
    return;
  }
  const mine = results.find((x) => x.title.join(" › ") === title.join(" › "));
  if (!mine) {
    testRun.errored(item, new vscode.TestMessage(`zds test found no test "${title.join(" › ")}" in ${uri.fsPath}`));
    return;
  }
  testOutcomes.set(item.id, {
    state: mine.state,
    message: mine.failure?.message,
    line: mine.failure?.location?.line,
    trace: mine.failure?.trace,
  });
  if (mine.state === "skipped") return testRun.skipped(item);
  if (mine.state === "passed") return testRun.passed(item, mine.durationMs);
  const f = mine.failure ?? { message: "failed" };
  const message =
    f.expected !== undefined && f.actual !== undefined
      ? vscode.TestMessage.diff(f.message, f.expected, f.actual)
      : new vscode.TestMessage(f.message);
  if (f.location)
    message.location = new vscode.Location(
      vscode.Uri.file(f.location.file),
      new vscode.Position(Math.max(0, f.location.line - 1), Math.max(0, f.location.column - 1)),
    );
  testRun.failed(item, message, mine.durationMs);
  if (f.trace) testRun.appendOutput(`${title.join(" › ")}: trace ${f.trace}\r\n`);
  if (debug && f.trace)
    await vscode.debug.startDebugging(folder, {
      type: "zero-driver",
      request: "launch",
      name: `Debug test: ${title[title.length - 1]}`,
      replay: path.resolve(root, f.trace),
      cwd: root,
    });
}
