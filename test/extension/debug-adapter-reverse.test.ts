// Reverse debugging through DAP with a real client: step back and reverse continue re-run the machine
// from the start (deterministic per seed) and stop at the earlier event or breakpoint hit, with the
// stack, locals and decoded syscall of a forward stop. Drives `node bin/zds.js dap` (run `npm run build`).

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { DebugClient } from "@vscode/debugadapter-testsupport";
import type { DebugProtocol } from "@vscode/debugprotocol";
import { repoRoot, startDapClient } from "../helpers/dap-client";

const fixture = path.join(repoRoot, "test/fixtures/debug/steps.ts");
/** The line of steps.ts that makes the console write. */
const WRITE_LINE = 12;

describe("debug adapter: reverse debugging (zds dap)", function () {
  this.timeout(60_000);
  let dc: DebugClient;

  beforeEach(async () => {
    dc = await startDapClient();
  });

  afterEach(async () => {
    await dc.stop();
  });

  async function launch(
    args: Record<string, unknown>,
    setup: () => Promise<unknown>,
  ): Promise<DebugProtocol.InitializeResponse> {
    const init = await dc.initializeRequest({
      adapterID: "zero-driver",
      linesStartAt1: true,
      columnsStartAt1: true,
      pathFormat: "path",
    });
    await Promise.all([
      dc.waitForEvent("initialized").then(async () => {
        await setup();
        await dc.configurationDoneRequest();
      }),
      dc.launch(args as DebugProtocol.LaunchRequestArguments),
    ]);
    return init;
  }

  interface Where {
    reason: string;
    description: string;
    event: number;
    line: number | undefined;
    kernelFrame: string;
    locals: Record<string, string>;
  }

  /** Everything a stop shows: reason, description, event index, the driver line, the kernel frame, locals. */
  async function where(event: DebugProtocol.StoppedEvent): Promise<Where> {
    const threadId = event.body.threadId as number;
    const position = (await dc.customRequest("zeroDriver/position")).body as { event: number; pid: number };
    assert.equal(position.pid, threadId);
    const frames = (await dc.stackTraceRequest({ threadId })).body.stackFrames;
    const top = frames[0];
    const locals: Record<string, string> = {};
    const scopes = (await dc.scopesRequest({ frameId: top.id })).body.scopes;
    const local = scopes.find((s) => s.name === "Local" || s.name === "Block");
    for (const scope of scopes.filter((s) => s.name === "Local" || s.name === "Block")) {
      for (const v of (await dc.variablesRequest({ variablesReference: scope.variablesReference })).body.variables)
        locals[v.name] = v.value;
    }
    assert.ok(local, `scopes: ${scopes.map((s) => s.name).join(", ")}`);
    return {
      reason: event.body.reason,
      description: String(event.body.description),
      event: position.event,
      line: top.source?.path === fixture ? top.line : undefined,
      kernelFrame: frames[frames.length - 1].name,
      locals,
    };
  }

  async function stopAfter(request: () => Promise<unknown>): Promise<Where> {
    const stopped = dc.waitForEvent("stopped") as Promise<DebugProtocol.StoppedEvent>;
    await request();
    return where(await stopped);
  }

  /** Launch steps.ts stopped at its first console write, then step two syscalls forward. */
  async function firstThreeWrites(): Promise<{ threadId: number; stops: Where[] }> {
    const stopped = dc.waitForEvent("stopped") as Promise<DebugProtocol.StoppedEvent>;
    const init = await launch({ program: fixture }, () =>
      dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: "SYS_CONSOLE_WRITE" }] }),
    );
    assert.equal(init.body?.supportsStepBack, true);
    const first = await stopped;
    const threadId = first.body.threadId as number;
    await dc.setFunctionBreakpointsRequest({ breakpoints: [] });
    const stops = [await where(first)];
    for (let i = 0; i < 2; i++)
      stops.push(await stopAfter(() => dc.stepInRequest({ threadId, granularity: "instruction" })));
    stops.forEach((s, i) => {
      assert.equal(s.line, WRITE_LINE);
      assert.equal(s.locals.i, String(i));
      assert.match(
        s.kernelFrame,
        new RegExp(`^SYS_CONSOLE_WRITE "steps: ${i} total ${i * 10 + (i > 1 ? 10 : 0)}\\\\n"$`),
      );
    });
    assert.ok(
      stops[0].event < stops[1].event && stops[1].event < stops[2].event,
      JSON.stringify(stops.map((s) => s.event)),
    );
    return { threadId, stops };
  }

  it("steps back to the previous syscall of the thread, twice, and forward again to the same values", async () => {
    const { threadId, stops } = await firstThreeWrites();
    const back1 = await stopAfter(() => dc.stepBackRequest({ threadId }));
    assert.equal(back1.reason, "step");
    assert.equal(back1.event, stops[1].event);
    assert.match(
      back1.description,
      new RegExp(`^Stepped back to event #${stops[1].event}: SYS_CONSOLE_WRITE "steps: 1 total 10\\\\n"$`),
    );
    assert.equal(back1.line, WRITE_LINE);
    assert.deepEqual(back1.locals, stops[1].locals);
    assert.equal(back1.kernelFrame, stops[1].kernelFrame);

    const back2 = await stopAfter(() => dc.stepBackRequest({ threadId }));
    assert.equal(back2.event, stops[0].event);
    assert.deepEqual(back2.locals, stops[0].locals);
    assert.equal(back2.kernelFrame, stops[0].kernelFrame);

    // Forward again from the past: the same syscalls with the same values, then a clean end.
    const forward1 = await stopAfter(() => dc.stepInRequest({ threadId, granularity: "instruction" }));
    assert.equal(forward1.event, stops[1].event);
    assert.deepEqual(forward1.locals, stops[1].locals);
    assert.equal(forward1.kernelFrame, stops[1].kernelFrame);
    const forward2 = await stopAfter(() => dc.stepInRequest({ threadId, granularity: "instruction" }));
    assert.equal(forward2.event, stops[2].event);
    assert.deepEqual(forward2.locals, stops[2].locals);
    const terminated = dc.waitForEvent("terminated");
    await dc.continueRequest({ threadId });
    await terminated;
  });

  it("reverse continue goes back to the previous line breakpoint hit, then to the start when there is none", async () => {
    const stopped = dc.waitForEvent("stopped") as Promise<DebugProtocol.StoppedEvent>;
    await launch({ program: fixture }, () =>
      dc.setBreakpointsRequest({ source: { path: fixture }, breakpoints: [{ line: WRITE_LINE }] }),
    );
    const stops = [await where(await stopped)];
    const threadId = (await dc.threadsRequest()).body.threads[0].id;
    for (let i = 1; i < 3; i++) stops.push(await stopAfter(() => dc.continueRequest({ threadId })));
    stops.forEach((s, i) => {
      assert.equal(s.reason, "breakpoint");
      assert.equal(s.line, WRITE_LINE);
      assert.equal(s.locals.i, String(i));
    });
    const back1 = await stopAfter(() => dc.reverseContinueRequest({ threadId }));
    assert.equal(back1.reason, "breakpoint");
    assert.match(back1.description, /^Reverse continue: /);
    assert.equal(back1.line, WRITE_LINE);
    assert.equal(back1.event, stops[1].event);
    assert.deepEqual(back1.locals, stops[1].locals);
    const back0 = await stopAfter(() => dc.reverseContinueRequest({ threadId }));
    assert.equal(back0.event, stops[0].event);
    assert.deepEqual(back0.locals, stops[0].locals);
    // Nothing before the first hit: back to the start, before any program ran.
    const startStopped = dc.waitForEvent("stopped") as Promise<DebugProtocol.StoppedEvent>;
    await dc.reverseContinueRequest({ threadId });
    const start = await startStopped;
    assert.equal(start.body.reason, "entry");
    assert.match(String(start.body.description), /no breakpoint was hit before/);
    // And forward again: the first hit, the same values.
    const again = await stopAfter(() => dc.continueRequest({ threadId }));
    assert.equal(again.event, stops[0].event);
    assert.deepEqual(again.locals, stops[0].locals);
    await dc.terminateRequest();
  });

  it("reverse continue goes back to the previous function breakpoint hit on a syscall", async () => {
    const stopped = dc.waitForEvent("stopped") as Promise<DebugProtocol.StoppedEvent>;
    await launch({ program: fixture }, () =>
      dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: "SYS_CONSOLE_WRITE" }] }),
    );
    const first = await where(await stopped);
    const threadId = (await dc.threadsRequest()).body.threads[0].id;
    const second = await stopAfter(() => dc.continueRequest({ threadId }));
    assert.match(second.kernelFrame, /"steps: 1 total 10\\n"$/);
    const back = await stopAfter(() => dc.reverseContinueRequest({ threadId }));
    assert.equal(back.reason, "function breakpoint");
    assert.match(
      back.description,
      /^Reverse continue: Breakpoint on SYS_CONSOLE_WRITE: SYS_CONSOLE_WRITE "steps: 0 total 0\\n"$/,
    );
    assert.equal(back.event, first.event);
    assert.equal(back.kernelFrame, first.kernelFrame);
    assert.deepEqual(back.locals, first.locals);
    await dc.terminateRequest();
  });

  it("steps back over a long past through the checkpoint run, and forward again to the same values", async () => {
    const long = path.join(repoRoot, "test/fixtures/debug/long-steps.ts");
    const stopped = dc.waitForEvent("stopped") as Promise<DebugProtocol.StoppedEvent>;
    await launch({ program: long }, () =>
      dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: "SYS_CONSOLE_WRITE" }] }),
    );
    const first = await stopped;
    const threadId = first.body.threadId as number;
    const write0 = (await dc.customRequest("zeroDriver/position")).body as { event: number };
    assert.ok(write0.event > 12_000, `event ${write0.event}`);
    assert.match(String(first.body.description), /"long: 0 after \d+\\n"/);
    await dc.setFunctionBreakpointsRequest({ breakpoints: [] });
    const step = dc.waitForEvent("stopped") as Promise<DebugProtocol.StoppedEvent>;
    await dc.stepInRequest({ threadId, granularity: "instruction" });
    assert.match(String((await step).body.description), /"long: 1 after \d+\\n"/);
    // Back to the first write, then to the SYS_TIME before it; each from a checkpoint run kept behind the stop.
    const back1 = dc.waitForEvent("stopped") as Promise<DebugProtocol.StoppedEvent>;
    await dc.stepBackRequest({ threadId });
    const b1 = await back1;
    assert.equal(
      b1.body.description,
      `Stepped back to event #${write0.event}: ${String(first.body.description).replace(/^Breakpoint on SYS_CONSOLE_WRITE: /, "")}`,
    );
    assert.equal(((await dc.customRequest("zeroDriver/position")).body as { event: number }).event, write0.event);
    const back2 = dc.waitForEvent("stopped") as Promise<DebugProtocol.StoppedEvent>;
    await dc.stepBackRequest({ threadId });
    const b2 = await back2;
    assert.match(String(b2.body.description), new RegExp(`^Stepped back to event #${write0.event - 1}: SYS_TIME`));
    const forward = dc.waitForEvent("stopped") as Promise<DebugProtocol.StoppedEvent>;
    await dc.stepInRequest({ threadId, granularity: "instruction" });
    const f = await forward;
    assert.equal(
      f.body.description,
      `Stepped to the next syscall: ${String(first.body.description).replace(/^Breakpoint on SYS_CONSOLE_WRITE: /, "")}`,
    );
    assert.equal(((await dc.customRequest("zeroDriver/position")).body as { event: number }).event, write0.event);
    await dc.terminateRequest();
  });

  it("steps back by lines while stepping driver source, and forward again to the same lines and values", async () => {
    const stopped = dc.waitForEvent("stopped") as Promise<DebugProtocol.StoppedEvent>;
    await launch({ program: fixture }, () =>
      dc.setBreakpointsRequest({ source: { path: fixture }, breakpoints: [{ line: 11 }] }),
    );
    const origin = await where(await stopped);
    const threadId = (await dc.threadsRequest()).body.threads[0].id;
    assert.equal(origin.line, 11);
    assert.equal(origin.locals.i, "0");
    // Three line steps forward (over the console write: the machine runs during the step).
    const lines = [origin];
    for (let n = 0; n < 3; n++) lines.push(await stopAfter(() => dc.nextRequest({ threadId })));
    for (const l of lines.slice(1)) assert.equal(l.reason, "step");
    assert.deepEqual(lines.map((l) => l.line).slice(0, 2), [11, WRITE_LINE]);
    // Back one line at a time: the same lines and locals as on the way forward.
    for (let n = 2; n >= 0; n--) {
      const back = await stopAfter(() => dc.stepBackRequest({ threadId }));
      assert.equal(back.reason, "step");
      assert.match(back.description, /^Stepped back to the previous line/);
      assert.equal(back.line, lines[n].line, `line after stepping back to step ${n}`);
      assert.deepEqual(back.locals, lines[n].locals, `locals after stepping back to step ${n}`);
      assert.equal(back.event, lines[n].event);
    }
    // And forward again.
    const again = await stopAfter(() => dc.nextRequest({ threadId }));
    assert.equal(again.line, lines[1].line);
    assert.deepEqual(again.locals, lines[1].locals);
    await dc.terminateRequest();
  });

  it("goes to an event by its index, earlier or later, as the timeline's click-to-jump does", async () => {
    const { stops } = await firstThreeWrites();
    const back = await stopAfter(() => dc.customRequest("zeroDriver/goToEvent", { event: stops[0].event }));
    assert.match(
      back.description,
      new RegExp(`^Went to event #${stops[0].event}: SYS_CONSOLE_WRITE "steps: 0 total 0\\\\n"$`),
    );
    assert.equal(back.event, stops[0].event);
    assert.deepEqual(back.locals, stops[0].locals);
    // Later than where the machine is now (but already seen): the same values as then.
    const later = await stopAfter(() => dc.customRequest("zeroDriver/goToEvent", { event: stops[2].event }));
    assert.equal(later.event, stops[2].event);
    assert.deepEqual(later.locals, stops[2].locals);
    assert.equal(later.kernelFrame, stops[2].kernelFrame);
    await assert.rejects(
      dc.customRequest("zeroDriver/goToEvent", { event: 1_000_000 }),
      /Event #1000000 has not happened yet/,
    );
    await dc.terminateRequest();
  });

  it("refuses to step back before a thread's first event, with the reason", async () => {
    const stopped = dc.waitForEvent("stopped") as Promise<DebugProtocol.StoppedEvent>;
    await launch({ program: fixture, stopOnEntry: true }, async () => undefined);
    const entry = await stopped;
    const threadId = entry.body.threadId as number;
    await assert.rejects(dc.stepBackRequest({ threadId }), /has no earlier event to step back to/);
    await dc.terminateRequest();
  });

  describe('"replay": a .zlog trace launched under the debugger', () => {
    let dir: string;
    const zds = (...args: string[]) =>
      execFileSync(process.execPath, [path.join(repoRoot, "bin/zds.js"), ...args], {
        cwd: repoRoot,
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
      });

    before(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "zds-replay-"));
    });

    after(() => {
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it("reruns the recorded machine, programs and seed from the file alone", async () => {
      const trace = path.join(dir, "rng.zlog");
      // Seed 7, not the default: the random bytes prove the seed came from the trace.
      const recorded = zds("run", "drivers/virtio-rng", "drivers/rng-cat", "--seed", "7", "--trace", trace);
      const bytes = /rng-cat: 32 random bytes: ([0-9a-f]{64})/.exec(recorded)?.[1];
      assert.ok(bytes, recorded);
      const other = /rng-cat: 32 random bytes: ([0-9a-f]{64})/.exec(
        zds("run", "drivers/virtio-rng", "drivers/rng-cat"),
      )?.[1];
      assert.notEqual(other, bytes, "seed 1 gives other bytes");
      let output = "";
      dc.on("output", (e: DebugProtocol.OutputEvent) => (output += e.body.output));
      const stopped = dc.waitForEvent("stopped") as Promise<DebugProtocol.StoppedEvent>;
      await launch({ replay: trace, cwd: dir }, () =>
        dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: "SYS_CONSOLE_WRITE" }] }),
      );
      const event = await stopped;
      assert.equal(event.body.reason, "function breakpoint");
      assert.match(String(event.body.description), new RegExp(`rng-cat: 32 random bytes: ${bytes}`));
      assert.deepEqual(
        (await dc.threadsRequest()).body.threads.map((t) => t.name.replace(/:.*/, "")),
        ["virtio-rng (pid 2)", "rng-cat (pid 3)"],
      );
      assert.match(output, /replaying .*rng\.zlog \(machine virt, seed 7, 2 programs\)/);
      await dc.setFunctionBreakpointsRequest({ breakpoints: [] });
      const terminated = dc.waitForEvent("terminated");
      await dc.continueRequest({ threadId: event.body.threadId as number });
      await terminated;
      assert.match(output, new RegExp(`rng-cat: 32 random bytes: ${bytes}`));
    });

    async function launchError(args: Record<string, unknown>): Promise<string> {
      await dc.initializeRequest({
        adapterID: "zero-driver",
        linesStartAt1: true,
        columnsStartAt1: true,
        pathFormat: "path",
      });
      await dc.configurationDoneRequest();
      const error = await dc.launch(args as DebugProtocol.LaunchRequestArguments).then(
        () => undefined,
        (e: Error) => e.message,
      );
      assert.ok(error, "the launch is refused");
      return error;
    }

    it("refuses a missing file, naming it", async () => {
      assert.match(
        await launchError({ replay: path.join(dir, "nope.zlog") }),
        /"replay": .*nope\.zlog does not exist\. Point it at a \.zlog trace/,
      );
    });

    it("refuses a file that is not a trace", async () => {
      assert.match(await launchError({ replay: fixture }), /"replay": .*steps\.ts:1: not a \.zlog trace/);
    });

    it("refuses a trace whose program changed since the recording", async () => {
      const program = path.join(dir, "steps.ts");
      fs.copyFileSync(fixture, program);
      const trace = path.join(dir, "steps.zlog");
      zds("run", program, "--trace", trace);
      fs.appendFileSync(program, "// changed after the recording\n");
      assert.match(await launchError({ replay: trace }), /"replay": .*steps\.ts changed since the trace was recorded/);
    });

    it("refuses launch attributes that the trace decides", async () => {
      const trace = path.join(dir, "rng.zlog");
      assert.match(
        await launchError({ replay: trace, program: fixture, seed: 3 }),
        /"replay" takes the machine, programs, seed and disk from the trace; leave out "program", "seed"/,
      );
    });
  });
});
