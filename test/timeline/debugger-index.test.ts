// The timeline's event index `d` (what click-to-jump sends in zeroDriver/goToEvent) against the
// debugger's own numbering: a real DAP session of the same programs and seed stops at a breakpoint,
// and zeroDriver/position must report the index the timeline gives that event in the recorded trace.
import assert from "node:assert/strict";
import type { DebugClient } from "@vscode/debugadapter-testsupport";
import type { DebugProtocol } from "@vscode/debugprotocol";
import path from "node:path";
import { buildTimeline } from "../../timeline/scan";
import type { TimelineEvent } from "../../timeline/model";
import { repoRoot, startDapClient } from "../helpers/dap-client";
import { recordTrace } from "./traces";

const drivers = path.join(repoRoot, "drivers");

describe("timeline event index = the debugger's event index", function () {
  this.timeout(120_000);
  let dc: DebugClient;
  let events: TimelineEvent[];

  before(async () => {
    events = (await buildTimeline(recordTrace("drivers/virtio-rng", "drivers/rng-cat").file)).events;
  });
  beforeEach(async () => {
    dc = await startDapClient();
  });
  afterEach(async () => dc.stop());

  /** Launch the same run and wait for the stop at the first hit of `breakpoint`. */
  async function stopAt(breakpoint: string): Promise<void> {
    const stopped = dc.waitForEvent("stopped") as Promise<DebugProtocol.StoppedEvent>;
    await dc.initializeRequest({
      adapterID: "zero-driver",
      linesStartAt1: true,
      columnsStartAt1: true,
      pathFormat: "path",
    });
    await Promise.all([
      dc.waitForEvent("initialized").then(async () => {
        await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: breakpoint }] });
        await dc.configurationDoneRequest();
      }),
      dc.launch({
        programs: [`${drivers}/virtio-rng`, `${drivers}/rng-cat`],
        seed: 1,
      } as DebugProtocol.LaunchRequestArguments),
    ]);
    await stopped;
  }

  const position = async () => (await dc.customRequest("zeroDriver/position")).body as { event: number; pid: number };

  /** Stop at the first hit of `breakpoint` in a session of the same run; the debugger's position. */
  async function positionAt(breakpoint: string): Promise<{ event: number; pid: number }> {
    await stopAt(breakpoint);
    const where = await position();
    await dc.terminateRequest();
    return where;
  }

  it("for an IPC message (the delivery of RNG_GET_BYTES)", async () => {
    const message = events.find((e) => e.kind === "message" && e.tag === 0x6000)!;
    const position = await positionAt("tag:0x6000");
    assert.deepEqual([position.event, position.pid], [message.d, message.to]);
  });

  it("for an interrupt (IRQ 3 delivered to virtio-rng)", async () => {
    const irq = events.find((e) => e.kind === "irq" && e.tag === 0x103)!;
    const position = await positionAt("irq:3");
    assert.deepEqual([position.event, position.pid], [irq.d, irq.pid]);
  });

  it("click-to-jump: zeroDriver/goToEvent with an earlier event's index stops the session at that event", async () => {
    // Stopped at IRQ 3, go back to the delivery of RNG_GET_BYTES, as a click on its arrow asks.
    const irq = events.find((e) => e.kind === "irq" && e.tag === 0x103)!;
    const message = events.find((e) => e.kind === "message" && e.tag === 0x6000)!;
    assert.ok(message.d < irq.d);
    await stopAt("irq:3");
    const stopped = dc.waitForEvent("stopped") as Promise<DebugProtocol.StoppedEvent>;
    await dc.customRequest("zeroDriver/goToEvent", {
      event: message.d,
      syslog: message.s,
      index: message.i,
      kind: message.kind,
      pid: message.pid,
      trace: "",
    });
    const event = await stopped;
    assert.equal(event.body.threadId, message.to);
    assert.match(String(event.body.description), /IPC tag 0x6000/);
    const where = await position();
    assert.deepEqual([where.event, where.pid], [message.d, message.to]);
    await dc.terminateRequest();
  });
});
