// The Debug Adapter Protocol session for debug type "zero-driver". It only translates: DAP requests
// become calls on kernel/debug/runtime.ts, runtime events become DAP events. Threads are processes
// (thread id = PID); while stopped each has a frame describing the syscall it is in, below the driver's
// TypeScript frames when its worker is paused in the inspector (kernel/debug/source.ts); scopes show the
// frame's JS scopes, then the process's capabilities, the IPC queues of its endpoints and its device's registers.

import path from "node:path";
import { Breakpoint, BreakpointEvent, DebugSession, Handles, InitializedEvent, OutputEvent, Scope, Source, StackFrame, StoppedEvent, TerminatedEvent, ExitedEvent, Thread } from "@vscode/debugadapter";
import type { DebugProtocol } from "@vscode/debugprotocol";
import { DebugRuntime, ExceptionFilter, LaunchError, resolvePrograms, type InspectItem } from "../../kernel/debug/runtime";
import { exitStatus } from "../../cli/run";
import type { RemoteValue, SourceBreakpointResult } from "../../kernel/debug/source";

/** A stack frame: the kernel's view of a process (its syscall) or a driver frame in the inspector. */
type FrameRef = { kind: "kernel"; pid: number } | { kind: "source"; pid: number; index: number };
/** What a variables reference expands to: our own items, or an object in a paused worker. */
type VarRef = { kind: "items"; items: InspectItem[] } | { kind: "remote"; pid: number; objectId: string };

/** launch.json attributes of a "zero-driver" configuration (docs/debugging.md). */
export interface ZeroDriverLaunchArguments extends DebugProtocol.LaunchRequestArguments {
  program?: unknown;
  programs?: unknown;
  machine?: unknown;
  seed?: unknown;
  stopOnEntry?: unknown;
  watchdogMs?: unknown;
  cwd?: unknown;
}

const ErrorId = { launch: 3001, notStopped: 3002, evaluate: 3003 } as const;

/** How long launch waits for configurationDone: clients that never send it still get a run. */
const CONFIGURATION_WAIT_MS = 2000;

export class ZeroDriverDebugSession extends DebugSession {
  private readonly runtime: DebugRuntime;
  /** Items behind each expandable variables reference; reset on every stop (references are per stop). */
  private items = new Handles<VarRef>();
  /** Frame ids; reset on every stop with the variables references. */
  private frames = new Handles<FrameRef>();
  private configured: () => void = () => undefined;
  private readonly configurationDone = new Promise<void>((resolve) => (this.configured = resolve));

  constructor() {
    super();
    // Lines and columns are 1-based in our frames and breakpoints (source maps are 1-based in lines too).
    this.setDebuggerLinesStartAt1(true);
    this.setDebuggerColumnsStartAt1(true);
    this.runtime = new DebugRuntime({
      stopped: (stop) => {
        this.items.reset();
        this.frames.reset();
        const event = new StoppedEvent(stop.reason, stop.pid, stop.description) as DebugProtocol.StoppedEvent;
        event.body.description = stop.description;
        // Every process is stopped: the kernel hands the run token to nobody.
        event.body.allThreadsStopped = true;
        this.sendEvent(event);
      },
      output: (category, text) => this.sendEvent(new OutputEvent(text, category)),
      ended: (summary) => {
        this.sendEvent(new ExitedEvent(exitStatus(summary)));
        this.sendEvent(new TerminatedEvent());
      },
      breakpointsChanged: (results) => {
        for (const r of results) this.sendEvent(new BreakpointEvent("changed", toBreakpoint(r)));
      },
    });
  }

  protected override initializeRequest(response: DebugProtocol.InitializeResponse): void {
    response.body = {
      supportsConfigurationDoneRequest: true,
      supportsFunctionBreakpoints: true,
      supportsTerminateRequest: true,
      supportsEvaluateForHovers: true,
      exceptionBreakpointFilters: [
        { filter: ExceptionFilter.capabilityViolation, label: "Capability violation", description: "Stop when a driver touches hardware or IPC outside its grants", default: true },
        { filter: ExceptionFilter.driverFault, label: "Driver fault", description: "Stop when a driver faults (panic, watchdog, memory limit, bad syscall)", default: false },
      ],
    };
    this.sendResponse(response);
    // Breakpoints may be set from now on; launch waits for configurationDone.
    this.sendEvent(new InitializedEvent());
  }

  protected override configurationDoneRequest(response: DebugProtocol.ConfigurationDoneResponse): void {
    this.configured();
    this.sendResponse(response);
  }

  protected override async launchRequest(response: DebugProtocol.LaunchResponse, args: ZeroDriverLaunchArguments): Promise<void> {
    try {
      const cwd = typeof args.cwd === "string" ? args.cwd : process.cwd();
      const programs = resolvePrograms(cwd, args.program, args.programs);
      const machine = args.machine ?? "virt";
      if (typeof machine !== "string" || machine.length === 0) throw new LaunchError(`"machine" must be "virt" or the path of a machine description (got ${JSON.stringify(machine)}).`);
      const seed = args.seed ?? 1;
      if (typeof seed !== "number" || !Number.isInteger(seed) || seed < 0) throw new LaunchError(`"seed" must be a whole number ≥ 0 (got ${JSON.stringify(seed)}).`);
      const stopOnEntry = args.stopOnEntry ?? false;
      if (typeof stopOnEntry !== "boolean") throw new LaunchError(`"stopOnEntry" must be true or false (got ${JSON.stringify(stopOnEntry)}).`);
      const watchdogMs = args.watchdogMs;
      if (watchdogMs !== undefined && (typeof watchdogMs !== "number" || watchdogMs < 10)) throw new LaunchError(`"watchdogMs" must be a number ≥ 10 (got ${JSON.stringify(watchdogMs)}).`);
      await Promise.race([this.configurationDone, new Promise((r) => setTimeout(r, CONFIGURATION_WAIT_MS))]);
      await this.runtime.launch({ programs, machine: /[\\/]|\.json$/i.test(machine) ? path.resolve(cwd, machine) : machine, seed, stopOnEntry, watchdogMs });
      this.sendResponse(response);
    } catch (error) {
      const message = error instanceof LaunchError ? error.message : `Cannot launch: ${error instanceof Error ? error.message : String(error)}`;
      this.sendErrorResponse(response, ErrorId.launch, message);
    }
  }

  protected override setFunctionBreakPointsRequest(response: DebugProtocol.SetFunctionBreakpointsResponse, args: DebugProtocol.SetFunctionBreakpointsArguments): void {
    const results = this.runtime.setFunctionBreakpoints(args.breakpoints.map((b) => b.name));
    response.body = { breakpoints: results.map((r) => ({ verified: r.verified, message: r.message })) };
    this.sendResponse(response);
  }

  protected override setExceptionBreakPointsRequest(response: DebugProtocol.SetExceptionBreakpointsResponse, args: DebugProtocol.SetExceptionBreakpointsArguments): void {
    this.runtime.setExceptionFilters(args.filters);
    this.sendResponse(response);
  }

  protected override threadsRequest(response: DebugProtocol.ThreadsResponse): void {
    response.body = { threads: this.runtime.threads().map((t) => new Thread(t.pid, `${t.name} (pid ${t.pid})`)) };
    this.sendResponse(response);
  }

  protected override stackTraceRequest(response: DebugProtocol.StackTraceResponse, args: DebugProtocol.StackTraceArguments): void {
    if (!this.runtime.currentStop) {
      this.sendErrorResponse(response, ErrorId.notStopped, "The machine is running: pause it to see what a process is doing.");
      return;
    }
    const pid = args.threadId;
    // Driver frames (when the worker is paused in the inspector) above the kernel's view of the process.
    const frames: StackFrame[] = this.runtime.source.frames(pid).map((f) => {
      const frame = new StackFrame(this.frames.create({ kind: "source", pid, index: f.index }), f.name, f.path ? new Source(path.basename(f.path), f.path) : undefined, f.line, f.column);
      if (!f.path) (frame as DebugProtocol.StackFrame).presentationHint = "subtle";
      return frame;
    });
    const kernelFrame = new StackFrame(this.frames.create({ kind: "kernel", pid }), this.runtime.frameFor(pid));
    (kernelFrame as DebugProtocol.StackFrame).presentationHint = "label";
    frames.push(kernelFrame);
    response.body = { stackFrames: frames, totalFrames: frames.length };
    this.sendResponse(response);
  }

  protected override scopesRequest(response: DebugProtocol.ScopesResponse, args: DebugProtocol.ScopesArguments): void {
    const ref = this.frames.get(args.frameId);
    const scopes: Scope[] = [];
    if (ref?.kind === "source") {
      for (const s of this.runtime.source.scopes(ref.pid, ref.index)) {
        scopes.push(new Scope(s.name, this.items.create({ kind: "remote", pid: ref.pid, objectId: s.objectId }), s.name !== "Local"));
      }
    }
    const pid = ref?.pid ?? args.frameId;
    const item = (items: InspectItem[]) => this.items.create({ kind: "items", items });
    scopes.push(new Scope("Capabilities", item(this.runtime.capabilities(pid)), false), new Scope("IPC queues", item(this.runtime.ipcQueues(pid)), false));
    const registers = this.runtime.deviceRegisters(pid);
    if (registers.length) scopes.push(new Scope("Device registers", item(registers), false));
    response.body = { scopes };
    this.sendResponse(response);
  }

  protected override async variablesRequest(response: DebugProtocol.VariablesResponse, args: DebugProtocol.VariablesArguments): Promise<void> {
    const ref = this.items.get(args.variablesReference);
    if (ref?.kind === "remote") {
      try {
        const values = await this.runtime.source.properties(ref.pid, ref.objectId);
        response.body = { variables: values.map((v) => this.variable(ref.pid, v)) };
      } catch {
        // The worker moved on (stale object ids after a resume): nothing to show.
        response.body = { variables: [] };
      }
      this.sendResponse(response);
      return;
    }
    const items = ref?.items ?? [];
    response.body = {
      variables: items.map((item) => ({
        name: item.name,
        value: item.value,
        variablesReference: item.children?.length ? this.items.create({ kind: "items", items: item.children }) : 0,
      })),
    };
    this.sendResponse(response);
  }

  protected override setBreakPointsRequest(response: DebugProtocol.SetBreakpointsResponse, args: DebugProtocol.SetBreakpointsArguments): void {
    const file = args.source.path;
    const lines = args.breakpoints?.map((b) => b.line) ?? args.lines ?? [];
    const results = file ? this.runtime.setSourceBreakpoints(file, lines) : [];
    response.body = { breakpoints: results.map(toBreakpoint) };
    this.sendResponse(response);
  }

  protected override async evaluateRequest(response: DebugProtocol.EvaluateResponse, args: DebugProtocol.EvaluateArguments): Promise<void> {
    const ref = args.frameId !== undefined ? this.frames.get(args.frameId) : undefined;
    const pause = this.runtime.source.pause;
    // Without a frame (the debug console's default), the top driver frame of the paused worker.
    const target = ref?.kind === "source" ? ref : pause ? { pid: pause.pid, index: this.runtime.source.frames(pause.pid)[0]?.index ?? 0 } : undefined;
    if (!target) {
      this.sendErrorResponse(response, ErrorId.evaluate, "Evaluate needs a driver paused at a breakpoint or step (a syscall stop has no JavaScript frame).");
      return;
    }
    try {
      const v = await this.runtime.source.evaluate(target.pid, target.index, args.expression);
      const variable = this.variable(target.pid, v);
      response.body = { result: variable.value, type: v.type, variablesReference: variable.variablesReference };
      this.sendResponse(response);
    } catch (error) {
      this.sendErrorResponse(response, ErrorId.evaluate, error instanceof Error ? error.message : String(error));
    }
  }

  protected override nextRequest(response: DebugProtocol.NextResponse): void {
    this.runtime.step("over");
    this.sendResponse(response);
  }

  protected override stepInRequest(response: DebugProtocol.StepInResponse): void {
    this.runtime.step("into");
    this.sendResponse(response);
  }

  protected override stepOutRequest(response: DebugProtocol.StepOutResponse): void {
    this.runtime.step("out");
    this.sendResponse(response);
  }

  private variable(pid: number, v: RemoteValue): DebugProtocol.Variable {
    return { name: v.name, value: v.value, type: v.type, variablesReference: v.objectId ? this.items.create({ kind: "remote", pid, objectId: v.objectId }) : 0 };
  }

  protected override continueRequest(response: DebugProtocol.ContinueResponse): void {
    this.runtime.continue();
    response.body = { allThreadsContinued: true };
    this.sendResponse(response);
  }

  protected override pauseRequest(response: DebugProtocol.PauseResponse): void {
    this.runtime.pause();
    this.sendResponse(response);
  }

  protected override terminateRequest(response: DebugProtocol.TerminateResponse): void {
    this.runtime.terminate();
    this.sendResponse(response);
  }

  protected override disconnectRequest(response: DebugProtocol.DisconnectResponse, args: DebugProtocol.DisconnectArguments): void {
    this.runtime.terminate();
    super.disconnectRequest(response, args);
  }
}

function toBreakpoint(r: SourceBreakpointResult): DebugProtocol.Breakpoint {
  const bp = new Breakpoint(r.verified, r.line) as DebugProtocol.Breakpoint;
  bp.id = r.id;
  if (r.message) bp.message = r.message;
  return bp;
}
