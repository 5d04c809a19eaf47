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

  /** Stop at the first hit of `breakpoint` in a session of the same run; the debugger's position. */
  async function positionAt(breakpoint: string): Promise<{ event: number; pid: number }> {
    const stopped = dc.waitForEvent("stopped") as Promise<DebugProtocol.StoppedEvent>;
    await dc.initializeRequest({ adapterID: "zero-driver", linesStartAt1: true, columnsStartAt1: true, pathFormat: "path" });
    await Promise.all([
      dc.waitForEvent("initialized").then(async () => {
        await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: breakpoint }] });
        await dc.configurationDoneRequest();
      }),
      dc.launch({ programs: [`${drivers}/virtio-rng`, `${drivers}/rng-cat`], seed: 1 } as DebugProtocol.LaunchRequestArguments),
    ]);
    await stopped;
    const position = (await dc.customRequest("zeroDriver/position")).body as { event: number; pid: number };
    await dc.terminateRequest();
    return position;
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
});
