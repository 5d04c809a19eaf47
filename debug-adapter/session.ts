// The Debug Adapter Protocol session for debug type "zero-driver". It only translates: DAP requests
// become calls on kernel/debug/runtime.ts, runtime events become DAP events. Threads are processes
// (thread id = PID); while stopped each has a frame describing the syscall it is in, below the driver's
// TypeScript frames when its worker is paused in the inspector (kernel/debug/source.ts); scopes show the
// frame's JS scopes, then the process's capabilities, IPC queues, its device's registers and virtqueues.

import fs from "node:fs";
import path from "node:path";
import {
  Breakpoint,
  BreakpointEvent,
  DebugSession,
  ExitedEvent,
  Handles,
  InitializedEvent,
  InvalidatedEvent,
  MemoryEvent,
  OutputEvent,
  ProgressEndEvent,
  ProgressStartEvent,
  Scope,
  Source,
  StackFrame,
  StoppedEvent,
  TerminatedEvent,
  Thread,
} from "@vscode/debugadapter";
import type { DebugProtocol } from "@vscode/debugprotocol";
import {
  DebugRuntime,
  EXCEPTION_FILTERS,
  LaunchError,
  resolvePrograms,
  type InspectItem,
  type StopInfo,
} from "../kernel/debug/runtime";
import { dataInfo, dataInfoForAddress, parseDataId, type DataAccess } from "../kernel/debug/data-watch";
import { parseReference } from "../kernel/debug/guest-memory";
import { exitStatus } from "../runner/run";
import type { RemoteValue, SourceBreakpointResult } from "../kernel/debug/source-types";
import { MachineConsole, type MachineConsoleStream } from "./machine-console";
import { replayLaunch, type ReplayLaunch } from "../kernel/debug/replay-launch";

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
  disk?: unknown;
  persist?: unknown;
  trace?: unknown;
  replay?: unknown;
}

/** Custom requests beyond DAP (a client sends them with `customRequest`). */
export const CustomRequest = {
  /** Run until the next IPC message or interrupt is delivered; stop on its receiver. */
  stepToNextEvent: "zeroDriver/stepToNextEvent",
  /** `{ device, text }`: keystrokes for a console device, for clients without the extension's terminal. */
  consoleInput: "zeroDriver/consoleInput",
  /** Where the stopped machine is: `{ event, pid, syscalls }` (event = index of the syscall or message
   *  of the stop, or of the next one; the index step back and the IPC timeline count in). */
  position: "zeroDriver/position",
  /** `{ event }`: go to that event index (earlier or later) by re-running the machine; a stop follows
   *  (for the IPC timeline's click-to-jump). */
  goToEvent: "zeroDriver/goToEvent",
  /** `{ spec, when? }`: inject a fault (docs/faults.md) at the kernel's next input point (`when`
   *  "now", the default) or once the next event has happened ("next-event"); the trace records it. */
  injectFault: "zeroDriver/injectFault",
} as const;

const ErrorId = { launch: 3001, notStopped: 3002, evaluate: 3003, memory: 3004, request: 3005 } as const;

/** How long launch waits for configurationDone: clients that never send it still get a run. */
const CONFIGURATION_WAIT_MS = 2000;

export class ZeroDriverDebugSession extends DebugSession {
  /** Public so the extension's views and console terminal can reach the machine (extension/debug-wiring.ts). */
  readonly runtime: DebugRuntime;
  /** Items behind each expandable variables reference; reset on every stop (references are per stop). */
  private items = new Handles<VarRef>();
  /** Frame ids; reset on every stop with the variables references. */
  private frames = new Handles<FrameRef>();
  private configured: () => void = () => undefined;
  private readonly configurationDone = new Promise<void>((resolve) => (this.configured = resolve));
  private client: DebugProtocol.InitializeRequestArguments = { adapterID: "zero-driver" };
  private progressIds = 0;
  private readonly progress = new Map<string, string>();
  private readonly machineConsole: MachineConsole;

  constructor() {
    super();
    // Lines and columns are 1-based in our frames and breakpoints (source maps are 1-based in lines too).
    this.setDebuggerLinesStartAt1(true);
    this.setDebuggerColumnsStartAt1(true);
    this.runtime = new DebugRuntime({
      stopped: (stop) => this.onStopped(stop),
      output: (category, text) => this.sendEvent(new OutputEvent(text, category)),
      console: (device, text) => {
        this.machineConsole.emit({ device, text });
        if (this.machineConsole.echoToDebugConsole) this.sendEvent(new OutputEvent(text, "stdout"));
      },
      ended: (summary) => {
        this.machineConsole.end();
        this.sendEvent(new ExitedEvent(exitStatus(summary)));
        this.sendEvent(new TerminatedEvent());
      },
      breakpointsChanged: (results) => {
        for (const r of results) this.sendEvent(new BreakpointEvent("changed", toBreakpoint(r)));
      },
      progress: (report) => {
        if (!this.client.supportsProgressReporting) return;
        if (report.kind === "start") {
          const id = `zero-driver-${++this.progressIds}`;
          this.progress.set(report.id, id);
          this.sendEvent(new ProgressStartEvent(id, report.title ?? "Zero Driver", report.message));
        } else if (report.kind === "end") {
          const id = this.progress.get(report.id);
          this.progress.delete(report.id);
          if (id) this.sendEvent(new ProgressEndEvent(id, report.message));
        }
      },
      invalidated: (areas) => {
        if (this.client.supportsInvalidatedEvent) this.sendEvent(new InvalidatedEvent(areas));
      },
      memory: (changes) => {
        if (!this.client.supportsMemoryEvent) return;
        for (const c of changes) this.sendEvent(new MemoryEvent(c.reference, c.offset, c.count));
      },
    });
    this.machineConsole = new MachineConsole(
      (device, bytes) => this.runtime.consoleInput(device, bytes),
      () => this.runtime.consoleDevices(),
    );
  }

  /** The machine console of this session, for the extension's terminal (docs/debugging.md). */
  get console(): MachineConsoleStream {
    return this.machineConsole;
  }

  private onStopped(stop: StopInfo): void {
    this.items.reset();
    this.frames.reset();
    const event = new StoppedEvent(
      stop.reason,
      stop.pid,
      stop.reason === "exception" ? stop.description : undefined,
    ) as DebugProtocol.StoppedEvent;
    event.body.description = stop.description;
    // Every process is stopped: the kernel hands the run token to nobody.
    event.body.allThreadsStopped = true;
    this.sendEvent(event);
  }

  protected override initializeRequest(
    response: DebugProtocol.InitializeResponse,
    args: DebugProtocol.InitializeRequestArguments,
  ): void {
    this.client = args;
    response.body = {
      supportsConfigurationDoneRequest: true,
      supportsFunctionBreakpoints: true,
      supportsConditionalBreakpoints: true,
      supportsHitConditionalBreakpoints: true,
      supportsLogPoints: true,
      supportsTerminateRequest: true,
      supportsEvaluateForHovers: true,
      supportsExceptionFilterOptions: true,
      supportsExceptionInfoRequest: true,
      supportsDataBreakpoints: true,
      supportsDataBreakpointBytes: true,
      supportsReadMemoryRequest: true,
      supportsWriteMemoryRequest: true,
      supportsSteppingGranularity: true,
      supportsStepBack: true,
      exceptionBreakpointFilters: EXCEPTION_FILTERS.map((f) => ({
        ...f,
        supportsCondition: true,
        conditionDescription:
          "pid == 3, process == virtio-blk, device == virtio-blk0 (joined with &&), or text the stop must mention",
      })),
    };
    this.sendResponse(response);
    // Breakpoints may be set from now on; launch waits for configurationDone.
    this.sendEvent(new InitializedEvent());
  }

  protected override configurationDoneRequest(response: DebugProtocol.ConfigurationDoneResponse): void {
    this.configured();
    this.sendResponse(response);
  }

  protected override async launchRequest(
    response: DebugProtocol.LaunchResponse,
    given: ZeroDriverLaunchArguments | undefined,
  ): Promise<void> {
    // A client may send a launch with no arguments at all: that is "no program", not a crash.
    const args: ZeroDriverLaunchArguments = given ?? {};
    try {
      if (args.cwd !== undefined && (typeof args.cwd !== "string" || !fs.existsSync(args.cwd)))
        throw new LaunchError(
          `"cwd": ${JSON.stringify(args.cwd)} is not an existing folder. Leave it out or use "\${workspaceFolder}".`,
        );
      const cwd = typeof args.cwd === "string" ? args.cwd : process.cwd();
      if (args.replay !== undefined) {
        await this.launchReplay(cwd, args);
        this.sendResponse(response);
        return;
      }
      const programs = resolvePrograms(cwd, args.program, args.programs);
      const machine = args.machine ?? "virt";
      if (typeof machine !== "string" || machine.length === 0)
        throw new LaunchError(
          `"machine" must be "virt" or the path of a machine description (got ${JSON.stringify(machine)}).`,
        );
      const seed = args.seed ?? 1;
      if (typeof seed !== "number" || !Number.isInteger(seed) || seed < 0)
        throw new LaunchError(`"seed" must be a whole number ≥ 0 (got ${JSON.stringify(seed)}).`);
      const stopOnEntry = args.stopOnEntry ?? false;
      if (typeof stopOnEntry !== "boolean")
        throw new LaunchError(`"stopOnEntry" must be true or false (got ${JSON.stringify(stopOnEntry)}).`);
      const watchdogMs = args.watchdogMs;
      if (watchdogMs !== undefined && (typeof watchdogMs !== "number" || watchdogMs < 10))
        throw new LaunchError(`"watchdogMs" must be a number ≥ 10 (got ${JSON.stringify(watchdogMs)}).`);
      const disk = launchDisk(cwd, args.disk);
      const persist = args.persist ?? false;
      if (typeof persist !== "boolean")
        throw new LaunchError(`"persist" must be true or false (got ${JSON.stringify(persist)}).`);
      if (persist && disk === undefined)
        throw new LaunchError(`"persist" needs "disk": there is no image to write through to.`);
      const trace = launchTrace(cwd, args.trace);
      await Promise.race([this.configurationDone, new Promise((r) => setTimeout(r, CONFIGURATION_WAIT_MS))]);
      await this.runtime.launch({
        programs,
        machine: /[\\/]|\.json$/i.test(machine) ? path.resolve(cwd, machine) : machine,
        seed,
        stopOnEntry,
        watchdogMs,
        disk,
        persist,
        trace,
      });
      if (trace) this.sendEvent(new OutputEvent(`Zero Driver: saving the trace to ${trace}\n`, "console"));
      this.sendResponse(response);
    } catch (error) {
      const message =
        error instanceof LaunchError
          ? error.message
          : `Cannot launch: ${error instanceof Error ? error.message : String(error)}`;
      this.sendErrorResponse(response, ErrorId.launch, message);
    }
  }

  /** "replay": machine, programs, seed and disk come from the trace's header. */
  private async launchReplay(cwd: string, args: ZeroDriverLaunchArguments): Promise<void> {
    const clash = (["program", "programs", "machine", "seed", "disk", "persist"] as const).filter(
      (k) => args[k] !== undefined,
    );
    if (clash.length)
      throw new LaunchError(
        `"replay" takes the machine, programs, seed and disk from the trace; leave out ${clash.map((k) => `"${k}"`).join(", ")}.`,
      );
    const replay: ReplayLaunch = replayLaunch(cwd, args.replay);
    const stopOnEntry = args.stopOnEntry ?? false;
    if (typeof stopOnEntry !== "boolean")
      throw new LaunchError(`"stopOnEntry" must be true or false (got ${JSON.stringify(stopOnEntry)}).`);
    const watchdogMs = args.watchdogMs ?? replay.watchdogMs;
    if (typeof watchdogMs !== "number" || watchdogMs < 10)
      throw new LaunchError(`"watchdogMs" must be a number ≥ 10 (got ${JSON.stringify(watchdogMs)}).`);
    const trace = launchTrace(cwd, args.trace);
    await Promise.race([this.configurationDone, new Promise((r) => setTimeout(r, CONFIGURATION_WAIT_MS))]);
    await this.runtime.launch({
      programs: replay.programs,
      machine: replay.machine,
      seed: replay.seed,
      stopOnEntry,
      watchdogMs,
      disk: replay.disk,
      trace,
      expectSha256: replay.sha256,
      faults: replay.faults,
      recordedFaults: replay.recordedFaults,
      stopAt: replay.failure,
    });
    const source = path.resolve(cwd, String(args.replay));
    this.sendEvent(
      new OutputEvent(
        `Zero Driver: replaying ${source} (machine ${replay.machine.name}, seed ${replay.seed}, ${replay.programs.length} program${replay.programs.length === 1 ? "" : "s"})\n`,
        "console",
      ),
    );
    for (const note of replay.notes) this.sendEvent(new OutputEvent(`Zero Driver: note: ${note}\n`, "console"));
  }

  protected override setFunctionBreakPointsRequest(
    response: DebugProtocol.SetFunctionBreakpointsResponse,
    args: DebugProtocol.SetFunctionBreakpointsArguments,
  ): void {
    const results = this.runtime.setFunctionBreakpoints(args.breakpoints.map((b) => b.name));
    response.body = { breakpoints: results.map((r) => ({ verified: r.verified, message: r.message })) };
    this.sendResponse(response);
  }

  protected override setExceptionBreakPointsRequest(
    response: DebugProtocol.SetExceptionBreakpointsResponse,
    args: DebugProtocol.SetExceptionBreakpointsArguments,
  ): void {
    const settings = [
      ...args.filters.map((filterId) => ({ filterId })),
      ...(args.filterOptions ?? []).map((o) => ({ filterId: o.filterId, condition: o.condition })),
    ];
    const problems = this.runtime.setExceptionFilters(settings);
    response.body = {
      breakpoints: problems.map((message) => (message ? { verified: false, message } : { verified: true })),
    };
    this.sendResponse(response);
  }

  protected override exceptionInfoRequest(
    response: DebugProtocol.ExceptionInfoResponse,
    args: DebugProtocol.ExceptionInfoArguments,
  ): void {
    const stop = this.runtime.currentStop;
    if (!stop || stop.reason !== "exception" || stop.pid !== args.threadId) {
      this.sendErrorResponse(response, ErrorId.notStopped, `Thread ${args.threadId} is not stopped on an exception.`);
      return;
    }
    response.body = {
      exceptionId: stop.exceptionId ?? "exception",
      description: stop.description,
      breakMode: "always",
      details: { message: stop.description, typeName: stop.exceptionId },
    };
    this.sendResponse(response);
  }

  protected override threadsRequest(response: DebugProtocol.ThreadsResponse): void {
    response.body = {
      threads: this.runtime.threads().map((t) => new Thread(t.pid, `${t.name} (pid ${t.pid}): ${t.state}`)),
    };
    this.sendResponse(response);
  }

  protected override stackTraceRequest(
    response: DebugProtocol.StackTraceResponse,
    args: DebugProtocol.StackTraceArguments,
  ): void {
    if (!this.runtime.currentStop) {
      this.sendErrorResponse(
        response,
        ErrorId.notStopped,
        "The machine is running: pause it to see what a process is doing.",
      );
      return;
    }
    const pid = args.threadId;
    // Driver frames (when the worker is paused in the inspector) above the kernel's view of the process.
    const frames: StackFrame[] = this.runtime.sourceFrames(pid).map((f) => {
      const frame = new StackFrame(
        this.frames.create({ kind: "source", pid, index: f.index }),
        f.name,
        f.path ? new Source(path.basename(f.path), f.path) : undefined,
        f.line,
        f.column,
      );
      if (!f.path) (frame as DebugProtocol.StackFrame).presentationHint = "subtle";
      return frame;
    });
    const kernelFrame = new StackFrame(this.frames.create({ kind: "kernel", pid }), this.runtime.frameFor(pid));
    (kernelFrame as DebugProtocol.StackFrame).presentationHint = "label";
    frames.push(kernelFrame);
    const start = args.startFrame ?? 0;
    const shown = args.levels ? frames.slice(start, start + args.levels) : frames.slice(start);
    response.body = { stackFrames: shown, totalFrames: frames.length };
    this.sendResponse(response);
  }

  protected override scopesRequest(response: DebugProtocol.ScopesResponse, args: DebugProtocol.ScopesArguments): void {
    const ref = this.frames.get(args.frameId);
    const scopes: Scope[] = [];
    if (ref?.kind === "source" && ref.index >= 0) {
      for (const s of this.runtime.source.scopes(ref.pid, ref.index)) {
        scopes.push(
          new Scope(
            s.name,
            this.items.create({ kind: "remote", pid: ref.pid, objectId: s.objectId }),
            s.name !== "Local",
          ),
        );
      }
    }
    const pid = ref?.pid ?? args.frameId;
    const item = (items: InspectItem[]) => this.items.create({ kind: "items", items });
    scopes.push(
      new Scope("Capabilities", item(this.runtime.capabilities(pid)), false),
      new Scope("IPC queues", item(this.runtime.ipcQueues(pid)), false),
    );
    const registers = this.runtime.deviceRegisters(pid);
    if (registers.length) scopes.push(new Scope(this.runtime.deviceScopeName(pid), item(registers), false));
    const queues = this.runtime.virtqueues(pid);
    if (queues.length) scopes.push(new Scope("Virtqueues", item(queues), true));
    const rings = this.runtime.descriptorRings(pid);
    if (rings.length) scopes.push(new Scope("Descriptor rings", item(rings), true));
    const display = this.runtime.display(pid);
    if (display.length) scopes.push(new Scope("Display", item(display), false));
    response.body = { scopes };
    this.sendResponse(response);
  }

  protected override async variablesRequest(
    response: DebugProtocol.VariablesResponse,
    args: DebugProtocol.VariablesArguments,
  ): Promise<void> {
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
        ...(item.memoryReference && { memoryReference: item.memoryReference }),
      })),
    };
    this.sendResponse(response);
  }

  protected override setBreakPointsRequest(
    response: DebugProtocol.SetBreakpointsResponse,
    args: DebugProtocol.SetBreakpointsArguments,
  ): void {
    const file = args.source.path;
    const specs = args.breakpoints ?? (args.lines ?? []).map((line) => ({ line }));
    const results = file ? this.runtime.setSourceBreakpoints(file, specs) : [];
    response.body = { breakpoints: results.map(toBreakpoint) };
    this.sendResponse(response);
  }

  protected override dataBreakpointInfoRequest(
    response: DebugProtocol.DataBreakpointInfoResponse,
    args: DebugProtocol.DataBreakpointInfoArguments,
  ): void {
    const machine = this.runtime.currentMachine;
    if (args.asAddress) {
      response.body = machine
        ? dataInfoForAddress(machine, args.name, args.bytes ?? 4)
        : { dataId: null, description: "Launch first: addresses are resolved against the running machine." };
    } else {
      const ref = args.variablesReference !== undefined ? this.items.get(args.variablesReference) : undefined;
      const item = ref?.kind === "items" ? ref.items.find((i) => i.name === args.name) : undefined;
      const target = item?.dataId ? parseDataId(item.dataId) : undefined;
      response.body =
        machine && target && typeof target !== "string"
          ? dataInfo(machine, target)
          : {
              dataId: null,
              description: `"${args.name}" cannot be watched: data breakpoints work on device registers, DMA buffers and virtqueue indexes (or an address).`,
            };
    }
    this.sendResponse(response);
  }

  protected override setDataBreakpointsRequest(
    response: DebugProtocol.SetDataBreakpointsResponse,
    args: DebugProtocol.SetDataBreakpointsArguments,
  ): void {
    const results = this.runtime.setDataBreakpoints(
      args.breakpoints.map((b) => ({
        dataId: b.dataId,
        accessType: b.accessType as DataAccess | undefined,
        condition: b.condition,
        hitCondition: b.hitCondition,
      })),
    );
    response.body = { breakpoints: results };
    this.sendResponse(response);
  }

  protected override readMemoryRequest(
    response: DebugProtocol.ReadMemoryResponse,
    args: DebugProtocol.ReadMemoryArguments,
  ): void {
    const base = parseReference(args.memoryReference);
    if (base === undefined) {
      this.sendErrorResponse(
        response,
        ErrorId.memory,
        `"${args.memoryReference}" is not a memory reference (a guest-physical address such as 0x80000000).`,
      );
      return;
    }
    const offset = args.offset ?? 0;
    const read = this.runtime.memory.read(base + offset, args.count);
    this.runtime.memory.noteViewed(args.memoryReference, base, offset, read);
    response.body = {
      address: `0x${read.address.toString(16)}`,
      unreadableBytes: read.unreadable,
      ...(read.data.length && { data: Buffer.from(read.data).toString("base64") }),
    };
    this.sendResponse(response);
  }

  protected override writeMemoryRequest(
    response: DebugProtocol.WriteMemoryResponse,
    args: DebugProtocol.WriteMemoryArguments,
  ): void {
    const base = parseReference(args.memoryReference);
    const written =
      base === undefined
        ? `"${args.memoryReference}" is not a memory reference`
        : this.runtime.memory.write(
            base + (args.offset ?? 0),
            Buffer.from(args.data, "base64"),
            args.allowPartial ?? false,
          );
    if (typeof written === "string") {
      this.sendErrorResponse(response, ErrorId.memory, written);
      return;
    }
    response.body = { bytesWritten: written };
    this.sendResponse(response);
    // Virtqueue views and DMA capability values read this memory.
    if (this.client.supportsInvalidatedEvent) this.sendEvent(new InvalidatedEvent(["variables"]));
  }

  protected override async evaluateRequest(
    response: DebugProtocol.EvaluateResponse,
    args: DebugProtocol.EvaluateArguments,
  ): Promise<void> {
    const ref = args.frameId !== undefined ? this.frames.get(args.frameId) : undefined;
    const pause = this.runtime.source.pause;
    // Without a frame (the debug console's default), the top driver frame of the paused worker.
    const target =
      ref?.kind === "source" && ref.index >= 0
        ? ref
        : pause
          ? { pid: pause.pid, index: this.runtime.source.frames(pause.pid)[0]?.index ?? 0 }
          : undefined;
    if (!target) {
      this.sendErrorResponse(
        response,
        ErrorId.evaluate,
        "Evaluate needs a driver paused in its code (this stop has no live JavaScript frame).",
      );
      return;
    }
    const version = this.runtime.stateVersion;
    try {
      const v = await this.runtime.source.evaluate(target.pid, target.index, args.expression);
      const variable = this.variable(target.pid, v);
      response.body = { result: variable.value, type: v.type, variablesReference: variable.variablesReference };
      this.sendResponse(response);
    } catch (error) {
      this.sendErrorResponse(response, ErrorId.evaluate, error instanceof Error ? error.message : String(error));
    }
    // An expression with side effects on kernel state (e.g. through a handle) leaves the views stale.
    if (this.runtime.stateVersion !== version && this.client.supportsInvalidatedEvent)
      this.sendEvent(new InvalidatedEvent(["variables"]));
  }

  protected override nextRequest(response: DebugProtocol.NextResponse, args: DebugProtocol.NextArguments): void {
    this.stepRequest("over", args);
    this.sendResponse(response);
  }

  protected override stepInRequest(response: DebugProtocol.StepInResponse, args: DebugProtocol.StepInArguments): void {
    this.stepRequest("into", args);
    this.sendResponse(response);
  }

  protected override stepOutRequest(
    response: DebugProtocol.StepOutResponse,
    args: DebugProtocol.StepOutArguments,
  ): void {
    this.stepRequest("out", args);
    this.sendResponse(response);
  }

  /** Line steps go to the inspector; an instruction step runs the thread to its next syscall. */
  private stepRequest(
    kind: "over" | "into" | "out",
    args: { threadId: number; granularity?: DebugProtocol.SteppingGranularity },
  ): void {
    if (args.granularity === "instruction") this.runtime.stepSyscall(args.threadId);
    else this.runtime.step(kind, args.threadId);
  }

  protected override customRequest(command: string, response: DebugProtocol.Response, args: unknown): void {
    if (command === CustomRequest.stepToNextEvent) {
      this.runtime.stepToNextEvent();
      this.sendResponse(response);
      return;
    }
    if (command === CustomRequest.goToEvent) {
      const event = (args as { event?: unknown } | undefined)?.event;
      const problem = this.runtime.goToEvent(typeof event === "number" ? event : Number.NaN);
      if (problem) this.sendErrorResponse(response, ErrorId.request, problem);
      else this.sendResponse(response);
      return;
    }
    if (command === CustomRequest.position) {
      const stop = this.runtime.currentStop;
      if (!stop) {
        this.sendErrorResponse(
          response,
          ErrorId.notStopped,
          "The machine is running: there is a position only while it is stopped.",
        );
        return;
      }
      response.body = { event: stop.event, pid: stop.pid, syscalls: this.runtime.syscallCount };
      this.sendResponse(response);
      return;
    }
    if (command === CustomRequest.injectFault) {
      const a = (args ?? {}) as { spec?: unknown; when?: unknown };
      const result = this.runtime.injectFault(a.spec, a.when ?? "now");
      if (result.problem) this.sendErrorResponse(response, ErrorId.request, result.problem);
      else {
        if (result.note) this.sendEvent(new OutputEvent(`${result.note}\n`, "console"));
        this.sendResponse(response);
      }
      return;
    }
    if (command === CustomRequest.consoleInput) {
      const a = (args ?? {}) as { device?: unknown; text?: unknown };
      const problem =
        typeof a.device === "string" && typeof a.text === "string"
          ? this.machineConsole.input(a.device, a.text)
          : `${CustomRequest.consoleInput} needs { device, text } strings`;
      if (problem) this.sendErrorResponse(response, ErrorId.request, problem);
      else this.sendResponse(response);
      return;
    }
    super.customRequest(command, response, args);
  }

  private variable(pid: number, v: RemoteValue): DebugProtocol.Variable {
    return {
      name: v.name,
      value: v.value,
      type: v.type,
      variablesReference: v.objectId ? this.items.create({ kind: "remote", pid, objectId: v.objectId }) : 0,
    };
  }

  protected override continueRequest(response: DebugProtocol.ContinueResponse): void {
    this.runtime.continue();
    response.body = { allThreadsContinued: true };
    this.sendResponse(response);
  }

  /** Back to the previous event of the thread (deterministic re-run from the start; docs/debugging.md). */
  protected override stepBackRequest(
    response: DebugProtocol.StepBackResponse,
    args: DebugProtocol.StepBackArguments,
  ): void {
    // Instruction granularity: the previous event (a syscall is our instruction); else the previous line when stepping.
    const problem = this.runtime.stepBack(args.threadId, args.granularity !== "instruction");
    if (problem) this.sendErrorResponse(response, ErrorId.request, problem);
    else this.sendResponse(response);
  }

  /** Back to the last breakpoint hit before this stop. */
  protected override reverseContinueRequest(response: DebugProtocol.ReverseContinueResponse): void {
    const problem = this.runtime.reverseContinue();
    if (problem) this.sendErrorResponse(response, ErrorId.request, problem);
    else this.sendResponse(response);
  }

  protected override pauseRequest(response: DebugProtocol.PauseResponse): void {
    this.runtime.pause();
    this.sendResponse(response);
  }

  protected override terminateRequest(response: DebugProtocol.TerminateResponse): void {
    this.runtime.terminate();
    this.sendResponse(response);
  }

  protected override disconnectRequest(
    response: DebugProtocol.DisconnectResponse,
    args: DebugProtocol.DisconnectArguments,
  ): void {
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

function launchDisk(cwd: string, disk: unknown): string | undefined {
  if (disk === undefined) return undefined;
  if (typeof disk !== "string" || disk.length === 0)
    throw new LaunchError(`"disk" must be the path of a raw disk image (got ${JSON.stringify(disk)}).`);
  const abs = path.resolve(cwd, disk);
  if (!fs.existsSync(abs))
    throw new LaunchError(
      `"disk": ${abs} does not exist. Point it at a raw disk image (whole 512-byte sectors), or leave "disk" out for a blank 8 MiB disk.`,
    );
  if (!fs.statSync(abs).isFile()) throw new LaunchError(`"disk": ${abs} is not a file. Point it at a raw disk image.`);
  return abs;
}

/** `true` saves under .zds/traces of cwd; a string is the .zlog path. */
function launchTrace(cwd: string, trace: unknown): string | undefined {
  if (trace === undefined || trace === false) return undefined;
  if (trace === true) {
    const dir = path.join(cwd, ".zds", "traces");
    fs.mkdirSync(dir, { recursive: true });
    return path.join(dir, `debug-${new Date().toISOString().replace(/[:.]/g, "-")}.zlog`);
  }
  if (typeof trace !== "string" || trace.length === 0)
    throw new LaunchError(`"trace" must be true or the path of a .zlog file to save (got ${JSON.stringify(trace)}).`);
  if (!trace.endsWith(".zlog"))
    throw new LaunchError(`"trace": ${trace} should end in .zlog (zds replay and Open Trace… read .zlog files).`);
  return path.resolve(cwd, trace);
}
