// The debug runtime's shared run state and the rules about it that several modules lean on
// (kernel/debug/debug-state.ts), and when a checkpoint run is worth starting (checkpoints.ts):
// checked without a machine. The behaviour over DAP is in test/extension/debug-adapter*.test.ts.
import assert from "node:assert/strict";
import type { MachineDescription } from "../../../devices";
import { Checkpoints, type CheckpointRunStarter } from "../../../kernel/debug/checkpoints";
import { DataWatch } from "../../../kernel/debug/data-watch";
import { DebugConsole } from "../../../kernel/debug/debug-console";
import { DebugState, type Run } from "../../../kernel/debug/debug-state";
import type { RuntimeListener, StopInfo } from "../../../kernel/debug/runtime-api";
import { SourceDebugger } from "../../../kernel/debug/source";
import { StopRules } from "../../../kernel/debug/stop-rules";

const quiet: RuntimeListener = {
  stopped: () => undefined,
  output: () => undefined,
  console: () => undefined,
  ended: () => undefined,
  breakpointsChanged: () => undefined,
  progress: () => undefined,
  invalidated: () => undefined,
  memory: () => undefined,
};

function stateWith(progress: string[] = []): { state: DebugState; rules: StopRules } {
  const rules = new StopRules(new DataWatch(() => undefined));
  const state = new DebugState({ ...quiet, progress: (r) => progress.push(`${r.id}:${r.kind}`) }, rules);
  return { state, rules };
}

function stopAt(event: number): StopInfo {
  return { reason: "breakpoint", pid: 1, description: "test stop", event, key: { event, rank: 0 } };
}

function prepare(state: DebugState, disk?: { disk: string; persist: boolean }): void {
  state.prepared = {
    options: { programs: [], machine: "virt", seed: 1, stopOnEntry: false, ...disk },
    description: {} as MachineDescription,
    bundles: [],
  };
}

/** A run record with no machine behind it: enough for generation checks. */
function runRecord(generation: number): Run {
  return { generation } as Run;
}

describe("kernel/debug: the debug runtime's shared run state", () => {
  it("refuses to travel until the machine is stopped, and with a persisted disk", () => {
    const { state } = stateWith();
    assert.match(state.travelProblem() ?? "", /needs a stopped machine/);
    prepare(state);
    assert.match(state.travelProblem() ?? "", /needs a stopped machine/);
    state.stop = stopAt(5);
    assert.equal(state.travelProblem(), undefined);
    state.stopping = true;
    assert.match(state.travelProblem() ?? "", /needs a stopped machine/);
    state.stopping = false;
    prepare(state, { disk: "/tmp/disk.img", persist: true });
    assert.match(state.travelProblem() ?? "", /"persist" has written this run's changes through to \/tmp\/disk\.img/);
  });

  it("a run is live only while it is the adopted generation", () => {
    const { state } = stateWith();
    assert.equal(state.isLive(runRecord(0)), false, "a checkpoint run (generation 0) is never live");
    state.generation = 3;
    assert.equal(state.isLive(runRecord(3)), true);
    assert.equal(state.isLive(runRecord(2)), false, "a replaced run answers no more");
  });

  it("clearing for a re-run forgets the stop, the fault picture and the step in progress", () => {
    const { state, rules } = stateWith();
    state.stop = stopAt(7);
    state.stopping = true;
    state.ended = true;
    state.deliveries = 4;
    state.expectedFault = 2;
    state.faultSnapshot = { pid: 2, caps: [], frame: "x" };
    rules.stepSyscall = 2;
    rules.stepEvent = true;
    state.hits.note(9);
    state.resetRunState();
    assert.deepEqual(
      {
        stop: state.stop,
        stopping: state.stopping,
        ended: state.ended,
        deliveries: state.deliveries,
        expectedFault: state.expectedFault,
        faultSnapshot: state.faultSnapshot,
        stepSyscall: rules.stepSyscall,
        stepEvent: rules.stepEvent,
      },
      {
        stop: undefined,
        stopping: false,
        ended: false,
        deliveries: 0,
        expectedFault: undefined,
        faultSnapshot: undefined,
        stepSyscall: undefined,
        stepEvent: false,
      },
    );
    assert.deepEqual(state.hits.note(9), { event: 9, rank: 0 }, "hit ranks start again");
    assert.equal(state.position(), 0, "no session: event 0");
  });

  it("ends the boot progress once", () => {
    const progress: string[] = [];
    const { state } = stateWith(progress);
    state.booting = true;
    state.bootDone();
    state.bootDone();
    assert.deepEqual(progress, ["boot:end"]);
  });

  it("the console refuses keys with no machine", () => {
    const { state } = stateWith();
    const console = new DebugConsole(state);
    assert.equal(console.input("uart0", new Uint8Array([0x61])), "the machine is not running");
    assert.deepEqual(console.devices(), []);
  });
});

describe("kernel/debug: when a checkpoint run is started", () => {
  /** Checkpoints whose starter only counts the runs asked for. */
  function counted(state: DebugState): { checkpoints: Checkpoints; asked: number[] } {
    const asked: number[] = [];
    const starter: CheckpointRunStarter = {
      createRun: (target) => {
        asked.push(target);
        throw new Error("no machine in this test");
      },
      startRun: () => undefined,
    };
    return { checkpoints: new Checkpoints(state, new SourceDebugger(() => undefined), () => starter), asked };
  }

  it("not below `from` events, not with the window off, not before launch", async () => {
    const { state } = stateWith();
    const { checkpoints, asked } = counted(state);
    state.stop = stopAt(20_000);
    checkpoints.plan(20_000); // not launched
    prepare(state);
    state.stop = stopAt(500);
    checkpoints.plan(500); // below checkpoints.from
    checkpoints.window = 0;
    state.stop = stopAt(20_000);
    checkpoints.plan(20_000); // window off
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(asked, []);
  });

  it("held `window` events behind the stop; a failed start leaves none", async () => {
    const { state } = stateWith();
    const { checkpoints, asked } = counted(state);
    prepare(state);
    state.stop = stopAt(20_000);
    checkpoints.plan(20_000);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(asked, [20_000 - checkpoints.window]);
    assert.equal(checkpoints.current, undefined);
    await checkpoints.ready(); // resolves at once without one
  });
});
