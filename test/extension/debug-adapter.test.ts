// The debug adapter through DAP with a real client: @vscode/debugadapter-testsupport's DebugClient
// talking to `node bin/zds.js dap` over stdio (the build must be current: `npm run build`).

import assert from "node:assert/strict";
import path from "node:path";
import type { DebugClient } from "@vscode/debugadapter-testsupport";
import { repoRoot, startDapClient } from "../helpers/dap-client";
import type { DebugProtocol } from "@vscode/debugprotocol";

const root = repoRoot;
const drivers = path.join(root, "drivers");

describe("debug adapter (zds dap)", function () {
  this.timeout(30_000);
  let dc: DebugClient;

  beforeEach(async () => {
    dc = await startDapClient();
  });

  afterEach(async () => {
    await dc.stop();
  });

  /** initialize → breakpoints → configurationDone → launch, in the order VS Code uses. */
  async function launch(
    args: Record<string, unknown>,
    setup: () => Promise<unknown> = async () => undefined,
  ): Promise<void> {
    const init = await dc.initializeRequest({
      adapterID: "zero-driver",
      linesStartAt1: true,
      columnsStartAt1: true,
      pathFormat: "path",
    });
    assert.ok(init.body?.supportsFunctionBreakpoints);
    await Promise.all([
      dc.waitForEvent("initialized").then(async () => {
        await setup();
        await dc.configurationDoneRequest();
      }),
      dc.launch(args as DebugProtocol.LaunchRequestArguments),
    ]);
  }

  it("stops on entry, lists processes as threads, and runs to a clean end", async () => {
    const stopped = dc.waitForEvent("stopped");
    await launch({ programs: [`${drivers}/virtio-rng`, `${drivers}/rng-cat`], stopOnEntry: true });
    const event = await stopped;
    assert.equal(event.body.reason, "entry");
    const threads = (await dc.threadsRequest()).body.threads.map((t) => t.name);
    assert.deepEqual(threads, ["virtio-rng (pid 2): ready", "rng-cat (pid 3): ready"]);
    let console = "";
    dc.on("output", (e: DebugProtocol.OutputEvent) => (console += e.body.category === "stdout" ? e.body.output : ""));
    const exited = dc.waitForEvent("exited");
    const terminated = dc.waitForEvent("terminated");
    await dc.continueRequest({ threadId: 2 });
    assert.equal((await exited).body.exitCode, 0);
    await terminated;
    assert.match(console, /rng-cat: 32 random bytes/);
  });

  it("stops on a function breakpoint naming a syscall, with the syscall decoded in the top frame", async () => {
    const stopped = dc.waitForEvent("stopped");
    await launch({ programs: [`${drivers}/virtio-rng`, `${drivers}/rng-cat`] }, async () => {
      const bps = await dc.setFunctionBreakpointsRequest({
        breakpoints: [{ name: "SYS_CONSOLE_WRITE" }, { name: "SYS_NOPE" }],
      });
      assert.equal(bps.body.breakpoints[0].verified, true);
      assert.equal(bps.body.breakpoints[1].verified, false);
      assert.match(String(bps.body.breakpoints[1].message), /not a syscall/);
    });
    const event = await stopped;
    assert.equal(event.body.reason, "function breakpoint");
    const threadId = event.body.threadId as number;
    const threads = (await dc.threadsRequest()).body.threads;
    assert.equal(threads.find((t) => t.id === threadId)?.name, `rng-cat (pid ${threadId}): running`);
    assert.match(
      String(event.body.description),
      /^Breakpoint on SYS_CONSOLE_WRITE: SYS_CONSOLE_WRITE "rng-cat: 32 random bytes/,
    );
    const frames = (await dc.stackTraceRequest({ threadId })).body.stackFrames;
    // The driver line that made the syscall on top, the kernel's view of the syscall at the bottom.
    assert.equal(frames[0].source?.path, path.join(drivers, "rng-cat/index.ts"));
    assert.equal(frames[0].line, 25);
    const kernelFrame = frames[frames.length - 1];
    assert.match(kernelFrame.name, /^SYS_CONSOLE_WRITE "rng-cat: 32 random bytes: [0-9a-f]{64}\\n"$/);
    // Stopped means stopped: nothing was printed yet.
    const scopes = (await dc.scopesRequest({ frameId: kernelFrame.id })).body.scopes;
    assert.deepEqual(
      scopes.map((s) => s.name),
      ["Capabilities", "IPC queues"],
    );
    const caps = (await dc.variablesRequest({ variablesReference: scopes[0].variablesReference })).body.variables;
    assert.match(caps[0].value, /^Endpoint rwg: endpoint \d+ \(owner pid 3\)$/);
    assert.ok(
      caps.some((v) => /Endpoint -w-: endpoint \d+ \(owner pid 1\)/.test(v.value)),
      JSON.stringify(caps),
    );
    const details = (await dc.variablesRequest({ variablesReference: caps[0].variablesReference })).body.variables;
    assert.deepEqual(
      details.slice(0, 3).map((d) => d.name),
      ["type", "object", "rights"],
    );
    const terminated = dc.waitForEvent("terminated");
    await dc.setFunctionBreakpointsRequest({ breakpoints: [] });
    await dc.continueRequest({ threadId });
    await terminated;
  });

  it("stops on a capability violation with the grant named, the syscall on top and the capabilities kept", async () => {
    const stopped = dc.waitForEvent("stopped");
    await launch({ program: path.join(root, "test/fixtures/raw/hostile-mmio.ts") }, () =>
      dc.setExceptionBreakpointsRequest({ filters: ["capability-violation"] }),
    );
    const event = await stopped;
    assert.equal(event.body.reason, "exception");
    assert.match(
      String(event.body.description),
      /Capability violation: SYS_MMIO_READ at 0x[0-9a-f]+ is outside the grant MMIO 0x[0-9a-f]+\+0x100 r-- \(virtio-rng0\)/,
    );
    const threadId = event.body.threadId as number;
    const frames = (await dc.stackTraceRequest({ threadId })).body.stackFrames;
    // The offending line on top (stopped before the access is carried out), the syscall decoded below.
    assert.equal(frames[0].source?.path, path.join(root, "test/fixtures/raw/hostile-mmio.ts"));
    assert.equal(frames[0].line, 17);
    assert.equal(frames[frames.length - 1].name, "SYS_MMIO_READ 0x100 (Config) (4 bytes) on virtio-rng0");
    const info = await dc.exceptionInfoRequest({ threadId });
    assert.equal(info.body.exceptionId, "capability-violation");
    assert.match(String(info.body.description), /outside the grant/);
    const scopes = (await dc.scopesRequest({ frameId: frames[0].id })).body.scopes;
    const capsScope = scopes.find((s) => s.name === "Capabilities");
    assert.ok(capsScope);
    const caps = (await dc.variablesRequest({ variablesReference: capsScope.variablesReference })).body.variables;
    assert.ok(
      caps.some((v) => /^Memory r--: MMIO 0x[0-9a-f]+\+0x100 \(virtio-rng0\)$/.test(v.value)),
      JSON.stringify(caps),
    );
    const terminated = dc.waitForEvent("terminated");
    await dc.continueRequest({ threadId });
    await terminated;
  });

  it("shows a bound driver's device registers while paused", async () => {
    const stopped = dc.waitForEvent("stopped");
    await launch({ programs: [`${drivers}/virtio-rng`, `${drivers}/rng-cat`] }, () =>
      dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: "tag:0x6000" }] }),
    );
    const event = await stopped;
    assert.match(String(event.body.description), /Breakpoint on IPC tag 0x6000/);
    const threadId = event.body.threadId as number;
    assert.equal(
      (await dc.threadsRequest()).body.threads.find((t) => t.id === threadId)?.name,
      `virtio-rng (pid ${threadId}): ready`,
    );
    const frames = (await dc.stackTraceRequest({ threadId })).body.stackFrames;
    const kernelFrame = frames[frames.length - 1];
    const scopes = (await dc.scopesRequest({ frameId: kernelFrame.id })).body.scopes;
    assert.deepEqual(
      scopes.map((s) => s.name),
      ["Capabilities", "IPC queues", "Device registers", "Virtqueues"],
    );
    const regs = (await dc.variablesRequest({ variablesReference: scopes[2].variablesReference })).body.variables;
    assert.match(regs.find((r) => r.name === "Status")?.value ?? "", /DRIVER_OK/);
    await dc.terminateRequest();
  });

  it("stops on an IRQ breakpoint on the driver it is delivered to, then runs to the end", async () => {
    const stopped = dc.waitForEvent("stopped");
    await launch({ programs: [`${drivers}/virtio-rng`, `${drivers}/rng-cat`] }, () =>
      dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: "irq:3" }] }),
    );
    const event = await stopped;
    assert.match(String(event.body.description), /^Breakpoint on IRQ 3: tag 0x103 from kernel/);
    assert.equal(
      (await dc.threadsRequest()).body.threads.find((t) => t.id === event.body.threadId)?.name,
      `virtio-rng (pid ${event.body.threadId}): ready`,
    );
    const terminated = dc.waitForEvent("terminated");
    await dc.setFunctionBreakpointsRequest({ breakpoints: [] });
    await dc.continueRequest({ threadId: event.body.threadId as number });
    await terminated;
  });

  it("refuses a launch with a missing program, naming the path and the fix", async () => {
    await dc.initializeRequest({ adapterID: "zero-driver", pathFormat: "path" });
    const missing = path.join(root, "drivers/no-such-driver");
    await assert.rejects(dc.launch({ program: missing } as DebugProtocol.LaunchRequestArguments), (error: Error) => {
      assert.ok(error.message.includes(`"program": ${missing} does not exist`), error.message);
      assert.match(error.message, /driver folder \(with index\.ts\)/);
      return true;
    });
  });

  // Each bad attribute a user can write in launch.json: refused at launch, the attribute named, with the fix.
  const badLaunches: [string, Record<string, unknown>, RegExp][] = [
    ["no program at all", {}, /Set "program" to a driver folder/],
    ["programs not a list", { programs: "drivers/rng-cat" }, /"programs" must be an array of paths/],
    ["an empty path in programs", { programs: [""] }, /"programs" must be a path string/],
    [
      "an unknown machine",
      { program: `${drivers}/rng-cat`, machine: "no-such-machine" },
      /^"machine": .*Use "virt" or the path of a machine description/,
    ],
    [
      "a machine that is not a string",
      { program: `${drivers}/rng-cat`, machine: 7 },
      /"machine" must be "virt" or the path/,
    ],
    [
      "stopOnEntry not a boolean",
      { program: `${drivers}/rng-cat`, stopOnEntry: "yes" },
      /"stopOnEntry" must be true or false/,
    ],
    ["a watchdog too short", { program: `${drivers}/rng-cat`, watchdogMs: 1 }, /"watchdogMs" must be a number ≥ 10/],
    [
      "a missing disk image",
      { program: `${drivers}/rng-cat`, disk: "/no/such/disk.img" },
      /"disk": \/no\/such\/disk\.img does not exist\. Point it at a raw disk image/,
    ],
    ["persist without a disk", { program: `${drivers}/rng-cat`, persist: true }, /"persist" needs "disk"/],
    [
      "a trace that is not a .zlog",
      { program: `${drivers}/rng-cat`, trace: "/tmp/run.txt" },
      /"trace": \/tmp\/run\.txt should end in \.zlog/,
    ],
    [
      "a cwd that does not exist",
      { program: `${drivers}/rng-cat`, cwd: "/no/such/folder" },
      /"cwd": "\/no\/such\/folder" is not an existing folder/,
    ],
    ["a program with a syntax error", { program: path.join(root, "test/fixtures/broken-syntax") }, /^"program": /],
  ];
  for (const [what, args, message] of badLaunches) {
    it(`refuses ${what}, naming the attribute`, async () => {
      await dc.initializeRequest({ adapterID: "zero-driver", pathFormat: "path" });
      await assert.rejects(dc.launchRequest(args as DebugProtocol.LaunchRequestArguments), (error: Error) => {
        assert.match(error.message, message);
        return true;
      });
    });
  }

  it("refuses bad attribute types with the attribute named", async () => {
    await dc.initializeRequest({ adapterID: "zero-driver", pathFormat: "path" });
    await assert.rejects(
      dc.launch({ program: `${drivers}/rng-cat`, seed: -3 } as DebugProtocol.LaunchRequestArguments),
      /"seed" must be a whole number/,
    );
  });
});
