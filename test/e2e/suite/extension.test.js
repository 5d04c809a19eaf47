// Runs inside a real VS Code (code-server 4.100.3 via ../shared/vscode-e2e) against the real
// extension — as a folder, or installed from its .vsix — and a fresh copy of test/e2e/workspace.
// No mock of `vscode` anywhere. The tests run in order: later ones use what earlier ones made.
const assert = require("assert");
const fs = require("fs");
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

const codeOf = (d) => String(typeof d.code === "object" ? d.code.value : d.code);
const folder = () => vscode.workspace.workspaceFolders[0].uri.fsPath;

/** Tree items as VS Code gets them from a view's provider, children included (labels and descriptions). */
async function tree(provider, node, depth = 3) {
  const children = (await provider.getChildren(node)) ?? [];
  return Promise.all(
    children.map(async (child) => {
      const item = await provider.getTreeItem(child);
      const label = typeof item.label === "object" ? item.label.label : item.label;
      return { label, description: item.description, collapsible: item.collapsibleState !== vscode.TreeItemCollapsibleState.None, children: depth > 1 ? await tree(provider, child, depth - 1) : [] };
    }),
  );
}

/** Debug adapter events of zero-driver sessions, recorded by a tracker (the VS Code API way to see them). */
const events = [];
let trackers;

/** Start a debug session and wait until it stops at a breakpoint in `file`. */
async function debugToBreakpoint(config, file, line) {
  events.length = 0;
  vscode.debug.removeBreakpoints(vscode.debug.breakpoints);
  vscode.debug.addBreakpoints([new vscode.SourceBreakpoint(new vscode.Location(vscode.Uri.file(file), new vscode.Position(line, 0)))]);
  const started = await vscode.debug.startDebugging(vscode.workspace.workspaceFolders[0], config);
  assert.ok(started, "startDebugging returned false");
  const session = vscode.debug.activeDebugSession;
  assert.equal(session.type, "zero-driver");
  const stopped = await waitFor("a stop at the breakpoint", () => events.find((e) => e.event === "stopped"));
  assert.equal(stopped.body.reason, "breakpoint", JSON.stringify(stopped.body));
  const { stackFrames } = await session.customRequest("stackTrace", { threadId: stopped.body.threadId });
  return { session, stopped, top: stackFrames[0], stackFrames };
}

async function endCleanly(session) {
  const terminated = new Promise((resolve) => {
    const sub = vscode.debug.onDidTerminateDebugSession((s) => {
      if (s.id === session.id) {
        sub.dispose();
        resolve();
      }
    });
  });
  vscode.debug.removeBreakpoints(vscode.debug.breakpoints);
  await session.customRequest("continue", { threadId: 0 });
  await terminated;
  const exited = events.find((e) => e.event === "exited");
  assert.ok(exited, "no exited event");
  assert.equal(exited.body.exitCode, 0, "the programs did not all exit 0");
}

suite("Zero Driver Studio in VS Code", () => {
  let api;
  let ext;

  suiteSetup(async () => {
    ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} is not installed`);
    api = await ext.activate();
    trackers = vscode.debug.registerDebugAdapterTrackerFactory("zero-driver", { createDebugAdapterTracker: () => ({ onDidSendMessage: (m) => m.type === "event" && events.push(m) }) });
  });

  suiteTeardown(() => trackers?.dispose());

  test("activates without *, fast, and the language client comes up", async () => {
    assert.ok(ext.isActive);
    assert.ok(!ext.packageJSON.activationEvents.includes("*"));
    const readyMs = await api.languageClientReady;
    console.log(`[zds e2e] extension at ${ext.extensionPath}`);
    console.log(`[zds e2e] activation (bundle load + activate()) ${api.activationMs.toFixed(1)} ms; language client ready ${readyMs.toFixed(0)} ms after the bundle started loading`);
    const commands = await vscode.commands.getCommands(true);
    for (const c of ["zeroDriver.runSampleDriver", "zeroDriver.runDriver", "zeroDriver.checkWorkspace", "zeroDriver.newDriver", "zeroDriver.openTrace", "zeroDriver.walkthrough.openSample", "zeroDriver.machine.focus", "zeroDriver.processes.focus"]) assert.ok(commands.includes(c), c);
    // Nothing runs yet: the views are empty (their welcome text shows) and the status bar item is hidden.
    assert.deepEqual(await tree(api.views.machine), []);
    assert.equal(api.monitor.state, undefined);
  });

  test("the language server flags the fixture's read outside its MMIO window (ZDS101)", async () => {
    const uri = vscode.Uri.file(path.join(folder(), "drivers", "bad-rng", "index.ts"));
    await vscode.window.showTextDocument(uri);
    const diagnostics = await waitFor("a ZDS101 diagnostic", () => {
      const found = vscode.languages.getDiagnostics(uri).filter((d) => codeOf(d) === "ZDS101");
      return found.length > 0 ? found : undefined;
    });
    assert.equal(diagnostics[0].range.start.line, 8);
    assert.match(diagnostics[0].message, /outside the MMIO window "regs"/);
  });

  test("Check Capabilities in Workspace counts the fixture's error", async () => {
    const totals = await vscode.commands.executeCommand("zeroDriver.checkWorkspace");
    assert.deepEqual(totals, { files: 1, errors: 1, warnings: 1 });
  });

  test("Run Sample Driver… runs virtio-rng + rng-cat: console in a terminal, the views and status bar follow", async () => {
    const run = await vscode.commands.executeCommand("zeroDriver.runSampleDriver", "virtio-rng + rng-cat");
    assert.ok(run, "the command returned no run (is the workspace trusted?)");
    assert.ok(vscode.window.terminals.includes(run.terminal));
    await run.started;
    // Live: the machine is up (its workers cannot have finished before this microtask), the views
    // already list its processes and the status bar says it runs.
    assert.equal(api.monitor.state, "running");
    assert.deepEqual((await tree(api.views.processes)).map((p) => p.label.replace(/ \(pid \d+\)$/, "")), ["virtio-rng", "rng-cat"]);
    assert.match(api.views.statusBar.text, /virt: running/);
    assert.equal(await run.done, 0);
    assert.equal(run.terminal.name, "Zero Driver: virt", "a run without a console driver is titled by its machine");
    assert.match(run.console.output, /rng-cat: 32 random bytes: [0-9a-f]{64}/);
    assert.match(run.console.output, /\[zds run exited with status 0\]/);

    const devices = await tree(api.views.machine);
    const rng = devices.find((d) => d.label === "virtio-rng0");
    assert.ok(rng, `no virtio-rng0 in ${devices.map((d) => d.label)}`);
    assert.match(rng.description, /^virtio-mmio · MMIO 0x1000[0-9a-f]000\+0x1000 · IRQ \d+$/);
    const registers = rng.children.find((c) => c.label === "registers");
    // The run has ended and the driver's device was reset; the registers still decode.
    assert.match(registers.children.find((c) => c.label === "Status").description, /^0x[0-9a-f]+ \(.+\)$/);
    assert.ok(devices.find((d) => d.label === "uart0").description.includes("ports 0x3f8–0x3ff"));
    assert.ok(devices.find((d) => d.label === "ata0"), "the PIO disk is listed too");

    const processes = await tree(api.views.processes);
    // Process ids are the kernel's to give (init may take one): match the names, in spawn order.
    assert.deepEqual(processes.map((p) => p.label.replace(/ \(pid \d+\)$/, "")), ["virtio-rng", "rng-cat"]);
    assert.ok(processes.every((p) => / \(pid \d+\)$/.test(p.label)), processes.map((p) => p.label).join(", "));
    assert.match(processes[1].description, /^exited 0 · \d+ syscalls$/);
    assert.equal(api.monitor.state, "ended");
    assert.match(api.views.statusBar.text, /virt: ended \(completed\)/);
  });

  test("walkthrough 1–3: open the sample, see its capability diagnostic, apply the quick fix", async () => {
    const uri = await vscode.commands.executeCommand("zeroDriver.walkthrough.openSample");
    assert.ok(uri && fs.existsSync(uri.fsPath));
    assert.equal(vscode.window.activeTextEditor.document.uri.fsPath, uri.fsPath);
    assert.ok(fs.existsSync(path.join(folder(), "drivers", "rng-cat", "index.ts")));
    const launch = JSON.parse(fs.readFileSync(path.join(folder(), ".vscode", "launch.json"), "utf8"));
    assert.ok(launch.configurations.some((c) => c.name === "Getting Started: debug walkthrough-rng"));

    const diagnostic = await vscode.commands.executeCommand("zeroDriver.walkthrough.showProblem");
    assert.ok(diagnostic, "no capability diagnostic arrived");
    assert.equal(codeOf(diagnostic), "ZDS201");
    assert.match(diagnostic.message, /uses capability "irq", which the manifest does not declare/);

    // The quick fix as VS Code offers it (light bulb / Ctrl+.), straight from the language server.
    const actions = await vscode.commands.executeCommand("vscode.executeCodeActionProvider", uri, diagnostic.range, vscode.CodeActionKind.QuickFix.value);
    const fix = actions.find((a) => a.isPreferred);
    assert.ok(fix, `no preferred quick fix among ${actions.map((a) => a.title)}`);
    assert.equal(fix.title, 'Declare "irq: irq()" in the manifest');

    const applied = await vscode.commands.executeCommand("zeroDriver.walkthrough.applyFix");
    assert.equal(applied, fix.title);
    assert.match(fs.readFileSync(uri.fsPath, "utf8"), /\birq: irq\(\)/);
    await waitFor("the diagnostics to clear", () => vscode.languages.getDiagnostics(uri).filter((d) => d.severity === vscode.DiagnosticSeverity.Error).length === 0);
  });

  test("walkthrough 4–5 and debugging: F5 the sample, stop at a breakpoint, views frozen, end cleanly", async () => {
    const file = path.join(folder(), "drivers", "walkthrough-rng", "index.ts");
    events.length = 0;
    const started = await vscode.commands.executeCommand("zeroDriver.walkthrough.debug");
    assert.equal(started, true);
    const stopped = await waitFor("a stop at the walkthrough's breakpoint", () => events.find((e) => e.event === "stopped"));
    assert.equal(stopped.body.reason, "breakpoint");
    const session = vscode.debug.activeDebugSession;
    const { stackFrames } = await session.customRequest("stackTrace", { threadId: stopped.body.threadId });
    assert.ok(stackFrames[0].source.path.endsWith("/drivers/walkthrough-rng/index.ts"), stackFrames[0].source.path);
    const line = fs.readFileSync(file, "utf8").split("\n").findIndex((l) => l.includes("if (req.tag !== RngTag.GET_BYTES)"));
    assert.equal(stackFrames[0].line, line + 1);
    assert.equal(stackFrames[0].name, "handleRequest");

    // Frozen at the stop: paused, the stop's picture shown, and no sampling while paused.
    assert.equal(api.monitor.state, "paused");
    await waitFor("the views to show the stop", () => api.monitor.snapshot?.paused);
    const samples = api.monitor.samples;
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(api.monitor.samples, samples, "the views kept sampling a paused machine");
    assert.match(api.views.statusBar.text, /virt: paused/);
    const processes = await tree(api.views.processes, undefined, 4);
    const driver = processes.find((p) => p.label.startsWith("walkthrough-rng"));
    assert.ok(driver, processes.map((p) => p.label).join(", "));
    assert.match(driver.description, /^running · virtio-rng0 · \d+ syscalls$/);
    const rng = (await tree(api.views.machine)).find((d) => d.label === "virtio-rng0");
    assert.match(rng.children.find((c) => c.label === "registers").children.find((c) => c.label === "Status").description, /DRIVER_OK/);
    const caps = driver.children.find((c) => c.label === "capabilities");
    assert.ok(caps.children.some((c) => /^Irq .*IRQ \d+ → endpoint/.test(c.description)), JSON.stringify(caps.children));
    assert.ok(caps.children.some((c) => /MMIO 0x1000[0-9a-f]000\+0x200 \(virtio-rng0\)/.test(c.description)));
    const queues = driver.children.find((c) => c.label === "endpoint queues");
    assert.ok(Number(queues.description) > 0);

    // The debug toolbar's step to the next IPC message or interrupt: a command there, and a stop on the receiver.
    const toolbar = ext.packageJSON.contributes.menus["debug/toolbar"] ?? [];
    assert.ok(toolbar.some((m) => m.command === "zeroDriver.stepToNextEvent" && m.when === "debugType == zero-driver"), JSON.stringify(toolbar));
    events.length = 0;
    await vscode.commands.executeCommand("zeroDriver.stepToNextEvent");
    const next = await waitFor("a stop at the next IPC message or interrupt", () => events.find((e) => e.event === "stopped"));
    assert.match(next.body.description, /^Next event: (IPC tag|IRQ) /);

    await endCleanly(session);
    assert.equal(api.monitor.state, "ended");
  });

  test("the console terminal: titled by its device, keystrokes reach the UART, output shown; closing it harms nothing", async () => {
    const driver = path.join(ext.extensionPath, "drivers", "uart16550", "index.ts");
    const line = fs.readFileSync(driver, "utf8").split("\n").findIndex((l) => l.includes("transmit(uart, request.bytes);"));
    assert.ok(line > 0);
    const launched = new Promise((resolve) => {
      const sub = api.debug.onDidLaunch((l) => {
        sub.dispose();
        resolve(l.console);
      });
    });
    const config = { type: "zero-driver", request: "launch", name: "e2e: uart + hello-console", programs: [path.dirname(driver), path.join(ext.extensionPath, "drivers", "hello-console")], machine: "virt" };
    const { session, top, stackFrames } = await debugToBreakpoint(config, driver, line);
    assert.equal(top.line, line + 1, JSON.stringify(stackFrames.map((f) => [f.name, f.source?.path, f.line])));
    const console = await launched;
    await waitFor("the terminal to take the UART's name", () => console.terminal.name === "Zero Driver: uart0 (virt) [debug]");

    // Keystrokes through VS Code's terminal: the paused machine's UART holds them on its wire.
    console.terminal.sendText("hey", false);
    const uartInput = async () => {
      api.monitor.refresh();
      const uart = (await tree(api.views.machine)).find((d) => d.label === "uart0");
      return uart.children.find((c) => c.label === "registers").children.find((c) => c.label === "FIFOs").description;
    };
    await waitFor("the typed bytes at the UART", async () => /typed and not yet received 3$/.test(await uartInput()));

    // Closing the terminal only stops the showing: the machine still runs to a clean end.
    console.terminal.dispose();
    await endCleanly(session);
    assert.match(console.output, /hello from Zero OS through the console service/);
  });

  test("New Driver… writes a driver for each device that the language server finds clean", async () => {
    for (const [device, name] of [["uart16550", "my-uart"], ["virtio-blk", "my-blk"]]) {
      const uri = await vscode.commands.executeCommand("zeroDriver.newDriver", device, name);
      assert.ok(uri, `New Driver… made nothing for ${device}`);
      // Diagnostics arrive (or stay empty) once the server has seen the file; wait for its answer to the open.
      await new Promise((r) => setTimeout(r, 1500));
      const errors = vscode.languages.getDiagnostics(uri).filter((d) => d.severity === vscode.DiagnosticSeverity.Error);
      assert.deepEqual(errors.map((d) => d.message), []);
    }
  });

  test("the Display view shows fb-demo's frames during a run and gives a pixel back", async () => {
    await vscode.commands.executeCommand("zeroDriver.openDisplay");
    const driver = vscode.Uri.file(path.join(ext.extensionPath, "drivers", "fb-demo", "index.ts"));
    const run = await vscode.commands.executeCommand("zeroDriver.runDriver", driver);
    assert.ok(run, "Run Driver returned no run");
    await run.started;
    assert.equal(await run.done, 0, run.console.output);
    // The text's first pixel is white; the gradient at (600, 300) is what fb-demo's comment says.
    const t = 300 / 479;
    const gradient = [Math.round(16 + 16 * t), Math.round(32 + 96 * t), Math.round(96 + 64 * t), 255];
    const white = await waitFor("the Display view's canvas showing fb-demo's text", async () => {
      const px = await vscode.commands.executeCommand("zeroDriver.display.readPixel", 40, 40);
      return px && px.join() === "255,255,255,255" ? px : undefined;
    });
    assert.deepEqual(white, [255, 255, 255, 255]);
    assert.deepEqual(await vscode.commands.executeCommand("zeroDriver.display.readPixel", 600, 300), gradient);
  });
});
