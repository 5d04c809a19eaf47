// The IPC timeline in a real VS Code: Open Trace… shows a recorded trace's text and its timeline
// panel; a click on an event during a zero-driver debug session sends zeroDriver/goToEvent.
const assert = require("assert");
const { execFileSync } = require("child_process");
const path = require("path");
const vscode = require("vscode");

const EXTENSION_ID = "zero-driver-studio.zero-driver-studio";

async function waitFor(what, probe, ms = 45000) {
  const end = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

suite("IPC timeline", () => {
  let trace;
  suiteSetup(() => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    trace = path.join(vscode.workspace.workspaceFolders[0].uri.fsPath, "rng.zlog");
    execFileSync(process.execPath, [path.join(ext.extensionPath, "bin", "zds.js"), "run", "drivers/virtio-rng", "drivers/rng-cat", "--trace", trace], { cwd: ext.extensionPath, timeout: 60000 });
  });

  test("Open Trace… shows the trace as text and its timeline panel", async () => {
    await vscode.commands.executeCommand("zeroDriver.openTrace", vscode.Uri.file(trace));
    await waitFor("the trace as highlighted text", () => vscode.workspace.textDocuments.find((d) => d.uri.fsPath === trace && d.languageId === "zlog"));
    const tab = await waitFor("the timeline tab", () => vscode.window.tabGroups.all.flatMap((g) => g.tabs).find((t) => t.label === "Timeline: rng.zlog"));
    assert.ok(tab.input instanceof vscode.TabInputWebview, "the timeline is a webview");
    // The command on an open trace reveals the same panel and returns what it read.
    const entry = await vscode.commands.executeCommand("zeroDriver.openTimeline", vscode.Uri.file(trace));
    assert.deepEqual(entry.document.summary.lanes.map((l) => l.name), ["kernel", "init", "virtio-rng", "rng-cat"]);
    assert.equal(entry.document.paged, false);
    assert.equal(vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => t.label === "Timeline: rng.zlog").length, 1);
  });

  test("Open Trace… opens a trace over 16 MiB as its timeline only, not as text", async () => {
    // The recorded lines repeated past 16 MiB (the reader does not check hashes or indices).
    const lines = require("fs").readFileSync(trace, "utf8").split("\n").filter(Boolean);
    const body = lines.slice(1, -1).join("\n") + "\n";
    const big = path.join(path.dirname(trace), "big.zlog");
    const fd = require("fs").openSync(big, "w");
    require("fs").writeSync(fd, lines[0] + "\n");
    for (let bytes = 0; bytes <= 17 * 1024 * 1024; bytes += body.length) require("fs").writeSync(fd, body);
    require("fs").closeSync(fd);
    await vscode.commands.executeCommand("zeroDriver.openTrace", vscode.Uri.file(big));
    await waitFor("the big trace's timeline tab", () => vscode.window.tabGroups.all.flatMap((g) => g.tabs).find((t) => t.label === "Timeline: big.zlog"));
    assert.ok(!vscode.workspace.textDocuments.some((d) => d.uri.fsPath === big), "the text was not opened");
  });

  test("a click during a debug session sends zeroDriver/goToEvent, and the session goes to that event", async () => {
    const entry = await vscode.commands.executeCommand("zeroDriver.openTimeline", vscode.Uri.file(trace));
    // The arrow of rng-cat's RNG_GET_BYTES; the session will be stopped later, at IRQ 3.
    const event = entry.document.events.find((e) => e.kind === "message" && e.tag === 0x6000);
    // Without a session a click only shows the details.
    await entry.select(event);
    assert.equal(entry.sent.length, 0);
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    const drivers = path.join(ext.extensionPath, "drivers");
    vscode.debug.removeBreakpoints(vscode.debug.breakpoints);
    vscode.debug.addBreakpoints([new vscode.FunctionBreakpoint("irq:3")]);
    const stops = [];
    const tracker = vscode.debug.registerDebugAdapterTrackerFactory("zero-driver", {
      createDebugAdapterTracker: () => ({ onDidSendMessage: (m) => m.type === "event" && m.event === "stopped" && stops.push(m) }),
    });
    const started = await vscode.debug.startDebugging(vscode.workspace.workspaceFolders[0], { type: "zero-driver", request: "launch", name: "timeline", programs: [path.join(drivers, "virtio-rng"), path.join(drivers, "rng-cat")] });
    assert.ok(started);
    await waitFor("the stop at IRQ 3", () => stops.length === 1);
    assert.match(stops[0].body.description, /IRQ 3/);
    const session = vscode.debug.activeDebugSession;
    await entry.select(event);
    assert.deepEqual(entry.sent.map((a) => [a.event, a.syslog, a.index, a.kind, a.pid, a.trace]), [[event.d, event.s, event.i, "message", event.pid, trace]]);
    // The adapter re-runs the machine to that event and stops on its receiver.
    await waitFor("the stop at the clicked event", () => stops.length === 2);
    assert.match(stops[1].body.description, /IPC tag 0x6000/);
    assert.equal(stops[1].body.threadId, event.to);
    const position = await session.customRequest("zeroDriver/position");
    assert.equal(position.event, event.d);
    tracker.dispose();
    vscode.debug.removeBreakpoints(vscode.debug.breakpoints);
    const ended = new Promise((resolve) => {
      const sub = vscode.debug.onDidTerminateDebugSession((s) => s.id === session.id && (sub.dispose(), resolve()));
    });
    await vscode.debug.stopDebugging(session);
    await ended;
  });
});
