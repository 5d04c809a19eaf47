// Kernel-level debugging through DAP with a real client (`zds dap` over stdio): exception filters and
// their conditions, data breakpoints on device registers and DMA memory, the memory view, stepping by
// syscall and by event, conditional/hit-count/log breakpoints, pause of a running machine. The build
// must be current (`npm run build`). Fixtures: test/fixtures/debug/.

import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import type { DebugClient } from "@vscode/debugadapter-testsupport";
import type { DebugProtocol } from "@vscode/debugprotocol";
import { launchLikeVsCode, repoRoot, startDapClient } from "../helpers/dap-client";

const fixtures = path.join(repoRoot, "test/fixtures/debug");
const drivers = path.join(repoRoot, "drivers");

describe("debug adapter: kernel-level stops and memory (zds dap)", function () {
  this.timeout(30_000);
  let dc: DebugClient;

  beforeEach(async () => {
    dc = await startDapClient();
  });

  afterEach(async () => {
    await dc.stop();
  });

  const launch = (args: Record<string, unknown>, setup?: () => Promise<unknown>) => launchLikeVsCode(dc, args, setup);

  async function frames(threadId: number): Promise<DebugProtocol.StackFrame[]> {
    return (await dc.stackTraceRequest({ threadId })).body.stackFrames;
  }

  async function endRun(threadId: number): Promise<void> {
    const terminated = dc.waitForEvent("terminated");
    await dc.setExceptionBreakpointsRequest({ filters: [] });
    await dc.setFunctionBreakpointsRequest({ breakpoints: [] });
    await dc.setDataBreakpointsRequest({ breakpoints: [] });
    await dc.continueRequest({ threadId });
    await terminated;
  }

  it("advertises the kernel-level features VS Code shows", async () => {
    const caps = await launch({ program: path.join(fixtures, "locals.ts") });
    for (const flag of [
      "supportsDataBreakpoints",
      "supportsDataBreakpointBytes",
      "supportsReadMemoryRequest",
      "supportsWriteMemoryRequest",
      "supportsConditionalBreakpoints",
      "supportsHitConditionalBreakpoints",
      "supportsLogPoints",
      "supportsSteppingGranularity",
      "supportsExceptionFilterOptions",
    ] as const) {
      assert.equal(caps[flag], true, flag);
    }
    assert.deepEqual(
      caps.exceptionBreakpointFilters?.map((f) => f.filter),
      ["capability-violation", "driver-fault", "device-error", "dma-fault", "irq-misuse"],
    );
    await dc.waitForEvent("terminated");
  });

  it("stops on a driver fault at the line that threw, with the error in exceptionInfo", async () => {
    const stopped = dc.waitForEvent("stopped");
    await launch({ program: path.join(fixtures, "throws.ts") }, () =>
      dc.setExceptionBreakpointsRequest({ filters: ["driver-fault"] }),
    );
    const event = await stopped;
    assert.equal(event.body.reason, "exception");
    const threadId = event.body.threadId as number;
    const top = (await frames(threadId))[0];
    assert.equal(top.source?.path, path.join(fixtures, "throws.ts"));
    assert.equal(top.line, 16);
    assert.equal(top.name, "parse");
    const info = await dc.exceptionInfoRequest({ threadId });
    assert.equal(info.body.exceptionId, "driver-fault");
    assert.match(String(info.body.description), /cannot parse "not a number"/);
    await endRun(threadId);
  });

  it("stops on a DMA fault at the kick that handed the device the bad buffer", async () => {
    const stopped = dc.waitForEvent("stopped");
    await launch({ program: path.join(fixtures, "bad-descriptor.ts") }, () =>
      dc.setExceptionBreakpointsRequest({ filters: ["dma-fault", "device-error"] }),
    );
    const event = await stopped;
    assert.equal(event.body.reason, "exception");
    assert.match(
      String(event.body.description),
      /^DMA fault on virtio-rng0: write of 0x[0-9a-f]+\+16: .*outside every DMA region/,
    );
    const threadId = event.body.threadId as number;
    assert.equal((await dc.exceptionInfoRequest({ threadId })).body.exceptionId, "dma-fault");
    const stack = await frames(threadId);
    assert.ok(
      stack.some((f) => f.source?.path === path.join(fixtures, "bad-descriptor.ts") && f.line === 15),
      JSON.stringify(stack.map((f) => `${f.name}:${f.line}`)),
    );
    // The NEEDS_RESET the fault causes is the same incident: one stop, then the run goes on.
    await endRun(threadId);
  });

  it("stops on a device error (NEEDS_RESET) with the device's reason", async () => {
    const stopped = dc.waitForEvent("stopped");
    await launch({ program: path.join(fixtures, "bad-descriptor.ts") }, () =>
      dc.setExceptionBreakpointsRequest({ filters: ["device-error"] }),
    );
    const event = await stopped;
    assert.match(
      String(event.body.description),
      /^Device error on virtio-rng0 \(NEEDS_RESET\): queue 0 \(requestq\): descriptor 0/,
    );
    const threadId = event.body.threadId as number;
    assert.equal((await dc.exceptionInfoRequest({ threadId })).body.exceptionId, "device-error");
    await endRun(threadId);
  });

  it("stops on an IRQ acknowledged with none pending, at the driver's line", async () => {
    const stopped = dc.waitForEvent("stopped");
    await launch({ program: path.join(fixtures, "irq-misuse.ts") }, () =>
      dc.setExceptionBreakpointsRequest({ filters: ["irq-misuse"] }),
    );
    const event = await stopped;
    assert.match(String(event.body.description), /acknowledge/i);
    const threadId = event.body.threadId as number;
    const top = (await frames(threadId))[0];
    assert.equal(top.source?.path, path.join(fixtures, "irq-misuse.ts"));
    assert.equal(top.line, 12);
    assert.equal((await dc.exceptionInfoRequest({ threadId })).body.exceptionId, "irq-misuse");
    await endRun(threadId);
  });

  it("honours an exception filter's condition: a condition naming another process does not stop", async () => {
    const output: string[] = [];
    dc.on("stopped", () => output.push("stopped"));
    await launch({ program: path.join(fixtures, "throws.ts") }, () =>
      dc.setExceptionBreakpointsRequest({
        filters: [],
        filterOptions: [{ filterId: "driver-fault", condition: "process == someone-else" }],
      }),
    );
    const exited = (await dc.waitForEvent("exited")) as DebugProtocol.ExitedEvent;
    assert.notEqual(exited.body.exitCode, 0);
    assert.deepEqual(output, []);
  });

  it("refuses a malformed exception condition, naming the filter", async () => {
    await dc.initializeRequest({ adapterID: "zero-driver", pathFormat: "path" });
    const result = await dc
      .setExceptionBreakpointsRequest({
        filters: [],
        filterOptions: [{ filterId: "driver-fault", condition: "pid == three" }],
      })
      .then(
        (r) => r.body?.breakpoints ?? [],
        (e: Error) => e.message,
      );
    assert.deepEqual(result, [{ verified: false, message: 'pid must be compared with a number in "pid == three"' }]);
  });

  it("stops on a write to a device register chosen in the variables view (data breakpoint)", async () => {
    let stopped = dc.waitForEvent("stopped");
    // Stopped as the first interrupt reaches the driver: its device registers are in scope.
    await launch({ programs: [`${drivers}/virtio-rng`, `${drivers}/rng-cat`] }, () =>
      dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: "irq:3" }] }),
    );
    const first = await stopped;
    const driverPid = first.body.threadId as number;
    const kernelFrame = (await frames(driverPid)).at(-1) as DebugProtocol.StackFrame;
    const scopes = (await dc.scopesRequest({ frameId: kernelFrame.id })).body.scopes;
    const regs = scopes.find((s) => s.name === "Device registers");
    assert.ok(regs, `scopes: ${scopes.map((s) => s.name).join(", ")}`);
    const info = await dc.dataBreakpointInfoRequest({
      variablesReference: regs.variablesReference,
      name: "InterruptAck",
    });
    assert.ok(info.body.dataId, info.body.description);
    assert.match(info.body.description, /InterruptAck/);
    const set = await dc.setDataBreakpointsRequest({
      breakpoints: [{ dataId: info.body.dataId, accessType: "write" }],
    });
    assert.equal(set.body.breakpoints[0].verified, true);
    await dc.setFunctionBreakpointsRequest({ breakpoints: [] });
    stopped = dc.waitForEvent("stopped");
    await dc.continueRequest({ threadId: driverPid });
    const hit = await stopped;
    assert.equal(hit.body.reason, "data breakpoint");
    assert.equal(hit.body.threadId, driverPid);
    assert.match(String(hit.body.description), /InterruptAck/);
    const hitFrames = await frames(driverPid);
    assert.match(hitFrames.at(-1)?.name ?? "", /^SYS_MMIO_WRITE 0x64 \(InterruptAck\)/);
    assert.ok(
      hitFrames.some((f) => f.source?.path?.startsWith(drivers)),
      JSON.stringify(hitFrames.map((f) => f.source?.path)),
    );
    await endRun(driverPid);
  });

  it("watches a device register by raw address (asAddress), reads excluded", async () => {
    let stopped = dc.waitForEvent("stopped");
    await launch({ programs: [`${drivers}/virtio-rng`, `${drivers}/rng-cat`], stopOnEntry: true });
    const entry = await stopped;
    const virt = JSON.parse(fs.readFileSync(path.join(repoRoot, "devices/machines/virt.json"), "utf8")) as {
      devices: { name: string; base?: string }[];
    };
    const rng = virt.devices.find((d) => d.name === "virtio-rng0");
    assert.ok(rng?.base);
    const status = Number(rng.base.replace(/_/g, "")) + 0x70;
    const info = await dc.dataBreakpointInfoRequest({ name: `0x${status.toString(16)}`, asAddress: true, bytes: 4 });
    assert.ok(info.body.dataId, info.body.description);
    assert.equal(info.body.description, `MMIO 0x${status.toString(16)} (Status) on virtio-rng0 (4 bytes)`);
    assert.deepEqual(info.body.accessTypes?.sort(), ["read", "readWrite", "write"]);
    const nothing = await dc.dataBreakpointInfoRequest({ name: "0x10", asAddress: true, bytes: 4 });
    assert.equal(nothing.body.dataId, null);
    assert.match(nothing.body.description, /neither a device register/);
    await dc.setDataBreakpointsRequest({ breakpoints: [{ dataId: info.body.dataId, accessType: "write" }] });
    const seen: string[] = [];
    for (let i = 0; i < 2; i++) {
      stopped = dc.waitForEvent("stopped");
      await dc.continueRequest({ threadId: entry.body.threadId as number });
      const hit = await stopped;
      assert.equal(hit.body.reason, "data breakpoint");
      seen.push((await frames(hit.body.threadId as number)).at(-1)?.name ?? "");
    }
    // Only writes: the driver reads Status between its writes, and those do not stop.
    assert.ok(
      seen.every((name) => /^SYS_MMIO_WRITE 0x70 \(Status\)/.test(name)),
      seen.join(" | "),
    );
    await endRun(entry.body.threadId as number);
  });

  /** Launch dma-writer stopped at its first SYS_DEBUG (after its DMA buffer exists); the buffer's capability. */
  async function dmaWriterStopped(): Promise<{ threadId: number; memoryReference: string }> {
    const stopped = dc.waitForEvent("stopped");
    await launch({ program: path.join(fixtures, "dma-writer.ts") }, () =>
      dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: "SYS_DEBUG" }] }),
    );
    const threadId = (await stopped).body.threadId as number;
    await dc.setFunctionBreakpointsRequest({ breakpoints: [] });
    const kernelFrame = (await frames(threadId)).at(-1) as DebugProtocol.StackFrame;
    const capsScope = (await dc.scopesRequest({ frameId: kernelFrame.id })).body.scopes.find(
      (s) => s.name === "Capabilities",
    );
    assert.ok(capsScope);
    const caps = (await dc.variablesRequest({ variablesReference: capsScope.variablesReference })).body.variables;
    const dma = caps.find((c) => c.memoryReference);
    assert.ok(dma?.memoryReference, `a DMA capability with a memory reference: ${JSON.stringify(caps)}`);
    return { threadId, memoryReference: dma.memoryReference };
  }

  it("watches DMA memory by raw address: stops the process that wrote it, at the line after the write", async () => {
    const { threadId, memoryReference } = await dmaWriterStopped();
    const dma = { memoryReference };
    const base = Number(dma.memoryReference);
    const info = await dc.dataBreakpointInfoRequest({
      name: `0x${(base + 4).toString(16)}`,
      asAddress: true,
      bytes: 4,
    });
    assert.ok(info.body.dataId, info.body.description);
    assert.match(info.body.description, /DMA/);
    await dc.setDataBreakpointsRequest({ breakpoints: [{ dataId: info.body.dataId, accessType: "write" }] });
    // The memory view shows the buffer: when the driver changes it, the stop comes with a memory event.
    await dc.customRequest("readMemory", { memoryReference: dma.memoryReference, count: 64 });
    const memoryEvent = dc.waitForEvent("memory") as Promise<DebugProtocol.MemoryEvent>;
    const stopped = dc.waitForEvent("stopped");
    await dc.continueRequest({ threadId });
    const hit = await stopped;
    const changed = await memoryEvent;
    assert.equal(changed.body.memoryReference, dma.memoryReference);
    assert.ok(changed.body.count > 0);
    assert.equal(hit.body.reason, "data breakpoint");
    assert.equal(hit.body.threadId, threadId);
    // Word 1 is written on line 12 with no syscall; the write is seen at the next syscall (line 13).
    const top = (await frames(threadId))[0];
    assert.equal(top.source?.path, path.join(fixtures, "dma-writer.ts"));
    assert.equal(top.line, 13);
    const mem = await dc.customRequest("readMemory", { memoryReference: dma.memoryReference, offset: 0, count: 8 });
    const bytes = Buffer.from(String(mem.body.data), "base64");
    assert.equal(bytes.readUInt32LE(0), 0x11223344);
    assert.equal(bytes.readUInt32LE(4), 0x55667788);
    await endRun(threadId);
  });

  it("reads and writes DMA memory for the memory view; the driver sees the written bytes", async () => {
    const { threadId, memoryReference } = await dmaWriterStopped();
    const dma = { memoryReference };
    const read = await dc.customRequest("readMemory", { memoryReference: dma.memoryReference, count: 16 });
    assert.equal(Number(read.body.address), Number(dma.memoryReference));
    assert.equal(Buffer.from(String(read.body.data), "base64").length, 16);
    const word = Buffer.alloc(4);
    word.writeUInt32LE(0xcafef00d);
    const wrote = await dc.customRequest("writeMemory", {
      memoryReference: dma.memoryReference,
      offset: 8,
      data: word.toString("base64"),
    });
    assert.equal(wrote.body.bytesWritten, 4);
    // A write outside any DMA buffer is refused with the reason.
    await assert.rejects(
      dc.customRequest("writeMemory", { memoryReference: "0x10", data: word.toString("base64") }),
      /DMA|not|outside/i,
    );
    await assert.rejects(
      dc.customRequest("readMemory", { memoryReference: "nonsense", count: 4 }),
      /not a memory reference/,
    );
    let consoleText = "";
    dc.on("output", (e: DebugProtocol.OutputEvent) => (consoleText += e.body.output));
    const exited = dc.waitForEvent("exited");
    await dc.continueRequest({ threadId });
    await exited;
    assert.match(consoleText, /dma-writer: word 2 is 0xcafef00d/);
  });

  it("steps one syscall at a time (instruction granularity) with the syscall decoded", async () => {
    let stopped = dc.waitForEvent("stopped");
    await launch({ program: path.join(fixtures, "dma-writer.ts"), stopOnEntry: true });
    const threadId = (await stopped).body.threadId as number;
    const seen: string[] = [];
    const lines: (number | undefined)[] = [];
    for (let i = 0; i < 4; i++) {
      stopped = dc.waitForEvent("stopped");
      await dc.nextRequest({ threadId, granularity: "instruction" });
      const step = await stopped;
      assert.equal(step.body.reason, "step");
      assert.equal(step.body.threadId, threadId);
      const stack = await frames(threadId);
      seen.push(stack.at(-1)?.name ?? "");
      lines.push(stack.find((f) => f.source?.path === path.join(fixtures, "dma-writer.ts"))?.line);
    }
    assert.match(seen[0], /^SYS_STARTUP/);
    assert.match(seen[1], /^SYS_DMA_ALLOC 4096 bytes/);
    assert.match(seen[2], /^SYS_DEBUG "dma-writer: start"/);
    assert.match(seen[3], /^SYS_DEBUG "dma-writer: wrote word 0"/);
    // The driver line that made each of the last two syscalls.
    assert.deepEqual(lines.slice(2), [9, 11]);
    await endRun(threadId);
  });

  it("steps to the next IPC message or interrupt and stops on its receiver", async () => {
    let stopped = dc.waitForEvent("stopped");
    await launch({ programs: [`${drivers}/virtio-rng`, `${drivers}/rng-cat`], stopOnEntry: true });
    const entry = await stopped;
    const events: string[] = [];
    for (let i = 0; i < 3; i++) {
      stopped = dc.waitForEvent("stopped");
      await dc.customRequest("zeroDriver/stepToNextEvent");
      const step = await stopped;
      events.push(`${step.body.threadId}: ${step.body.description}`);
    }
    // rng-cat's request reaches the driver, the device's interrupt reaches the driver, then the kernel's
    // notice that the client is gone (it exited after its reply).
    assert.match(
      events[0],
      /^2: Next event: IPC tag 0x6000: tag 0x6000 from pid 3, 4 bytes \(CALL\) to endpoint \d+ \(pid 2\)$/,
    );
    assert.match(events[1], /^2: Next event: IRQ 3: tag 0x103 from kernel/);
    assert.match(events[2], /^2: Next event: IPC tag 0x[0-9a-f]+: tag 0x[0-9a-f]+ from kernel/);
    await endRun(entry.body.threadId as number);
  });

  it("conditional, hit-count and log breakpoints in driver source", async () => {
    const fixture = path.join(fixtures, "locals.ts");
    let logged = "";
    dc.on("output", (e: DebugProtocol.OutputEvent) => (logged += e.body.output));
    const stopped = dc.waitForEvent("stopped");
    await launch({ program: fixture }, () =>
      dc.setBreakpointsRequest({
        source: { path: fixture },
        breakpoints: [
          { line: 11, logMessage: "count is {count}, x is {point.x}" },
          { line: 12, condition: "total === 999" },
          { line: 13, condition: "total === 10" },
          { line: 19, hitCondition: "2" },
        ],
      }),
    );
    const event = await stopped;
    const threadId = event.body.threadId as number;
    // The false condition on 12 and the single call of twice() (hit count 2) do not stop; 13 does.
    assert.equal((await frames(threadId))[0].line, 13);
    assert.match(logged, /count is 3, x is 4/);
    const exited = dc.waitForEvent("exited");
    await dc.continueRequest({ threadId });
    assert.equal(((await exited) as DebugProtocol.ExitedEvent).body.exitCode, 0);
  });

  it("pauses a running machine in driver code: the driver's frames and locals, and continue goes on", async () => {
    let output = "";
    const started = new Promise<void>((resolve) =>
      dc.on("output", (e: DebugProtocol.OutputEvent) => {
        output += e.body.output;
        if (output.includes("ticker: started")) resolve();
      }),
    );
    await launch({ program: path.join(fixtures, "ticker.ts") });
    await started;
    for (let round = 0; round < 2; round++) {
      const stopped = dc.waitForEvent("stopped");
      await dc.pauseRequest({ threadId: 2 });
      const event = await stopped;
      assert.equal(event.body.reason, "pause");
      const threadId = event.body.threadId as number;
      const stack = await frames(threadId);
      const main = stack.find((f) => f.source?.path === path.join(fixtures, "ticker.ts") && f.name === "main");
      assert.ok(main, JSON.stringify([round, event.body, stack.map((f) => `${f.name} ${f.source?.path}:${f.line}`)]));
      assert.ok(main.line >= 10 && main.line <= 13, `main at line ${main.line}`);
      const local = (await dc.scopesRequest({ frameId: main.id })).body.scopes.find(
        (s) => s.name === "Local" || s.name === "Block",
      );
      assert.ok(local);
      const vars = (await dc.variablesRequest({ variablesReference: local.variablesReference })).body.variables;
      assert.ok(
        vars.some((v) => v.name === "ticks"),
        JSON.stringify(vars),
      );
      await dc.continueRequest({ threadId });
    }
    const terminated = dc.waitForEvent("terminated");
    await dc.terminateRequest();
    await terminated;
  });
});
