// The kernel's debug hooks for the run the user debugs, and the stops they lead to. At each hook
// point (a syscall about to be carried out, a message delivered, the scheduler about to run, a device
// event, a fault, a worker pausing in driver code) it asks stop-rules.ts for a decision, or, while a
// re-run goes somewhere (travel.ts), checks whether this is where it goes and passes every other stop
// over, counting breakpoint hits. A decision is carried out here: scheduling pauses, the process's
// worker pauses in its inspector so that the stop shows the driver's own line, and the stop is
// reported once it lands.

import path from "node:path";
import type { DeviceEvent } from "../../devices";
import { isIrqTag } from "../abi/tags";
import type { Kernel } from "../kernel";
import type { Endpoint, Message } from "../objects";
import type { Fault, KernelProcess } from "../process";
import type { SyscallRequest } from "../worker/mailbox";
import type { DebugState } from "./debug-state";
import { describeCaps, describeMessage, describeSyscall, hex } from "./describe";
import type { GuestMemoryView } from "./guest-memory";
import type { StopInfo } from "./runtime-api";
import type { SourceDebugger } from "./source";
import type { SourcePause } from "./source-types";
import type { StopDecision, StopReason, StopRules } from "./stop-rules";
import { compareKeys, type HitKey, type LineRecipe, type TravelTarget } from "./time-travel";
import { formatPosition } from "../fault-text";

export class StopHooks {
  /** Hit key of the source pause being reported, and whether reverse continue brought us there. */
  private sourceKey: HitKey | undefined;
  private sourceTravelled = false;

  constructor(
    private readonly state: DebugState,
    private readonly rules: StopRules,
    private readonly source: SourceDebugger,
    private readonly memory: GuestMemoryView,
    /** Told of every stop reported (checkpoints.ts keeps a run held behind it). */
    private readonly onStopReported: (event: number) => void,
  ) {}

  beforeSyscall(proc: KernelProcess, request: SyscallRequest): boolean {
    const state = this.state;
    state.lastSyscall.set(proc.pid, request);
    state.bootDone();
    const kernel = state.kernel;
    if (!kernel) return false;
    // Asked again for a syscall held while paused: the same index, as nothing was carried out since.
    const index = state.position();
    state.timeline.note(index, proc.pid);
    const travel = state.travel;
    if (travel?.kind === "event") {
      if (index < travel.index) return false;
      state.travel = undefined;
      const missed =
        index > travel.index ? ` (event #${travel.index} did not come again: the re-run went another way)` : "";
      return this.carryOut(
        {
          pid: proc.pid,
          reason: "step",
          description: `${travel.label ?? "Stepped back to"} event #${index}: ${describeSyscall(kernel, proc, request)}${missed}`,
          source: true,
        },
        index,
      );
    }
    if (travel?.kind === "scan" && index > travel.until.event) return this.finishScan();
    if (travel?.kind === "line" && !travel.reached && index > travel.recipe.origin.event) {
      // The line breakpoint the steps started from did not come again (it was removed since).
      state.travel = undefined;
      return this.carryOut(
        {
          pid: proc.pid,
          reason: "step",
          description: `Stepped back to event #${index}: ${describeSyscall(kernel, proc, request)} (the line breakpoint the steps started from is no longer set, so the previous line cannot be found)`,
          source: true,
        },
        index,
      );
    }
    if (state.stopping) return false;
    return this.decide(this.rules.beforeSyscall(kernel, proc, request), index);
  }

  onDeliver(kernel: Kernel, ep: Endpoint, message: Message): void {
    const state = this.state;
    const index = state.position();
    state.deliveries++;
    state.timeline.note(index, ep.owner);
    const travel = state.travel;
    if (travel?.kind === "event") {
      if (index < travel.index) return;
      state.travel = undefined;
      const what = isIrqTag(message.tag) ? `IRQ ${message.tag & 0xff}` : `IPC tag ${hex(message.tag)}`;
      this.carryOut(
        {
          pid: ep.owner,
          reason: "step",
          description: `${travel.label ?? "Stepped back to"} event #${index}: ${what}: ${describeMessage(message)} to endpoint ${ep.id} (pid ${ep.owner})`,
          source: true,
        },
        index,
      );
      return;
    }
    if (travel?.kind === "scan" && index > travel.until.event) {
      this.finishScan();
      return;
    }
    if (!kernel.paused && !state.stopping) this.decide(this.rules.onDeliver(kernel, ep, message), index);
  }

  beforeRun(kernel: Kernel): boolean {
    if (this.state.stopping || this.state.travel?.kind === "event") return false;
    return this.decide(this.rules.beforeRun(kernel), this.state.position());
  }

  onDeviceEvent(event: DeviceEvent): void {
    const kernel = this.state.kernel;
    if (!kernel || kernel.paused || this.state.stopping || this.state.travel?.kind === "event") return;
    this.decide(this.rules.onDeviceEvent(kernel, event), this.state.position());
  }

  /** A worker paused in driver code as a stop (the gate let it through). On the way back by lines,
   *  the recipe's next step is taken instead, until none is left. */
  onSourcePause(pause: SourcePause): void {
    const state = this.state;
    const event = state.position();
    const key = this.sourceKey ?? state.hits.peek(event);
    const travel = state.travel;
    if (travel?.kind === "line") {
      const next = travel.remaining.shift();
      if (next) {
        this.source.resume(next);
        state.kernel?.resumeScheduling();
        return;
      }
      state.travel = undefined;
      const description = travel.recipe.steps.length
        ? "Stepped back to the previous line"
        : "Stepped back to the previous line (the breakpoint hit the steps started from)";
      this.report({ reason: "step", pid: pause.pid, description, event, key, recipe: travel.recipe }, state.generation);
      return;
    }
    const prefix = this.sourceTravelled ? "Reverse continue: " : "";
    this.sourceTravelled = false;
    const recipe: LineRecipe | undefined =
      pause.reason === "breakpoint"
        ? { origin: key, pid: pause.pid, steps: [] }
        : pause.reason === "step" && state.pendingRecipe?.pid === pause.pid
          ? state.pendingRecipe
          : undefined;
    state.pendingRecipe = undefined;
    this.report(
      {
        reason: pause.reason === "requested" ? "pause" : pause.reason,
        pid: pause.pid,
        description: pause.reason === "step" ? "Paused after a step" : `${prefix}Paused on a breakpoint in driver code`,
        event,
        key,
        recipe,
      },
      state.generation,
    );
  }

  /** A breakpoint or step pause in driver code: a stop, or (re-running the past) passed over. */
  sourceGate(reason: "breakpoint" | "step"): boolean {
    const state = this.state;
    const travel = state.travel;
    this.sourceKey = undefined;
    if (reason === "step") return !travel || (travel.kind === "line" && travel.reached);
    const key = state.hits.note(state.position());
    if (!travel) {
      this.sourceKey = key;
      return true;
    }
    if (travel.kind === "line") {
      if (travel.reached || compareKeys(key, travel.recipe.origin) !== 0) return false;
      travel.reached = true;
      this.sourceKey = key;
      return true;
    }
    if (travel.kind === "scan") this.scanHit(travel, key);
    if (travel.kind !== "hit" || compareKeys(key, travel.key) !== 0) return false;
    state.travel = undefined;
    this.sourceKey = key;
    this.sourceTravelled = true;
    return true;
  }

  /** A logpoint's message goes to the debug console; the worker has already run on. */
  logpoint(text: string, file: string, line: number): void {
    this.state.listener.output("console", `${text}  (${path.basename(file)}:${line})\n`);
  }

  /** Called before the kernel tears the process down: the views keep a picture of it. */
  onFault(proc: KernelProcess, fault: Fault): void {
    const state = this.state;
    const kernel = state.kernel;
    if (state.expectedFault === proc.pid) {
      state.expectedFault = undefined;
      return;
    }
    if (!kernel || kernel.paused || state.stopping || state.travel?.kind === "event") return;
    const v =
      fault.kind === "capability-violation"
        ? [...kernel.violations].reverse().find((x) => x.pid === proc.pid)
        : undefined;
    const violation =
      v &&
      `Capability violation: ${v.syscall} at 0x${v.address.toString(16)} is outside the grant ${v.grant}: ${v.code ? `${v.code} ` : ""}${v.message}${v.source ? ` (${formatPosition(v.source, { absolute: true })})` : ""}`;
    const decision = this.rules.onFault(proc, fault, violation);
    if (!decision) return;
    const last = state.lastSyscall.get(proc.pid);
    state.faultSnapshot = {
      pid: proc.pid,
      caps: describeCaps(kernel, proc),
      frame: last ? describeSyscall(kernel, proc, last) : fault.message,
    };
    if (!this.decide(decision, state.position())) state.faultSnapshot = undefined;
  }

  /** Stop the whole machine: nobody gets the run token. A process running driver code is paused
   *  where it is (Debugger.pause); one held in a syscall shows the driver line that made it. */
  pause(): void {
    const state = this.state;
    const kernel = state.kernel;
    if (!kernel || state.ended || kernel.paused || state.stopping || state.travel) return;
    kernel.pauseScheduling();
    const running = kernel.internals().running;
    const proc = kernel.heldSyscall?.proc ?? running ?? firstAlive(kernel);
    if (!proc) return;
    const where = kernel.heldSyscall
      ? `in ${describeSyscall(kernel, proc, kernel.heldSyscall.request)}`
      : running
        ? "in driver code"
        : "with every process waiting";
    this.carryOut(
      { pid: proc.pid, reason: "pause", description: `Paused ${where}`, source: proc.syscalls > 0 || running === proc },
      state.position(),
    );
  }

  /** Stop the machine as decided: scheduling pauses now (the hooks run inside the scheduler); the
   *  stop is reported once the process's worker is paused in its driver code, or at once when there
   *  is no worker to pause. Returns true when a decision was carried out. */
  carryOut(decision: StopDecision, event: number, key?: HitKey): boolean {
    const state = this.state;
    const kernel = state.kernel;
    if (!kernel) return false;
    kernel.pauseScheduling();
    state.stopping = true;
    if (decision.expectFault) state.expectedFault = decision.pid;
    const stop: StopInfo = {
      reason: decision.reason,
      pid: decision.pid,
      description: decision.description,
      exceptionId: decision.exceptionId,
      event,
      key: key ?? state.hits.peek(event),
    };
    if (decision.stack !== undefined) stop.frames = this.source.framesFromStack(decision.pid, decision.stack);
    const generation = state.generation;
    if (decision.source && this.source.canPause(decision.pid)) {
      void this.source.requestPause(decision.pid, decision.reason !== "pause").then(() => {
        // A pause can land before the driver's code is on the stack (its worker still loading it).
        if (stop.reason === "pause" && this.source.frames(stop.pid).length === 0 && !state.kernel?.heldSyscall)
          stop.description = "Paused while the program starts (none of its code is on the stack yet)";
        this.report(stop, generation);
      });
    } else setImmediate(() => this.report(stop, generation));
    return true;
  }

  /** A rule's decision: carried out, or counted and passed over while re-running the past. */
  private decide(decision: StopDecision | undefined, event: number): boolean {
    if (!decision) return false;
    const state = this.state;
    const travel = state.travel;
    const key = isHit(decision.reason) ? state.hits.note(event) : undefined;
    if (travel?.kind === "event") return false;
    if (travel?.kind === "line") {
      if (decision.expectFault) state.expectedFault = decision.pid;
      return false;
    }
    if (travel?.kind === "scan" || (travel?.kind === "hit" && (!key || compareKeys(key, travel.key) !== 0))) {
      if (travel.kind === "scan" && key && this.scanHit(travel, key)) return true;
      // As when stopped and continued: the fault that follows is not a second hit.
      if (decision.expectFault) state.expectedFault = decision.pid;
      return false;
    }
    if (travel?.kind === "hit") {
      state.travel = undefined;
      return this.carryOut({ ...decision, description: `Reverse continue: ${decision.description}` }, event, key);
    }
    return this.carryOut(decision, event, key);
  }

  /** Collect a hit before the stop reverse continue started from; true once the scan has reached it. */
  private scanHit(travel: TravelTarget & { kind: "scan" }, key: HitKey): boolean {
    if (compareKeys(key, travel.until) >= 0) return this.finishScan();
    travel.hits.push(key);
    return false;
  }

  private finishScan(): boolean {
    const state = this.state;
    state.kernel?.pauseScheduling();
    state.travel = undefined;
    state.stopping = true; // nothing else is decided in this run; it is thrown away
    state.scanDone?.();
    return true;
  }

  private report(stop: StopInfo, generation: number): void {
    const state = this.state;
    if (generation !== state.generation) return; // a stop of a run that time travel has replaced
    state.stopping = false;
    if (state.ended) return;
    state.stop = stop;
    state.bootDone();
    state.listener.stopped(stop);
    this.onStopReported(stop.event);
    const changes = this.memory.changes();
    if (changes.length) state.listener.memory(changes);
  }
}

/** Stops that are breakpoint hits (what reverse continue goes back to), as opposed to steps and pauses. */
function isHit(reason: StopReason): boolean {
  return (
    reason === "breakpoint" ||
    reason === "function breakpoint" ||
    reason === "exception" ||
    reason === "data breakpoint"
  );
}

function firstAlive(kernel: Kernel): KernelProcess | undefined {
  return [...kernel.processes.values()].find((p) => p.alive);
}
