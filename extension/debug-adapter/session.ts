// The Debug Adapter Protocol session for debug type "zero-driver". It only translates: DAP requests
// become calls on kernel/debug/runtime.ts, runtime events become DAP events. Threads are processes
// (thread id = PID); while stopped each has one frame describing the syscall it is in; scopes show
// the process's capabilities, the IPC queues of its endpoints and its device's registers.

import path from "node:path";
import { DebugSession, Handles, InitializedEvent, OutputEvent, Scope, StackFrame, StoppedEvent, TerminatedEvent, ExitedEvent, Thread } from "@vscode/debugadapter";
import type { DebugProtocol } from "@vscode/debugprotocol";
import { DebugRuntime, ExceptionFilter, LaunchError, resolvePrograms, type InspectItem } from "../../kernel/debug/runtime";
import { exitStatus } from "../../cli/run";

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

const ErrorId = { launch: 3001, notStopped: 3002 } as const;

/** How long launch waits for configurationDone: clients that never send it still get a run. */
const CONFIGURATION_WAIT_MS = 2000;

export class ZeroDriverDebugSession extends DebugSession {
  private readonly runtime: DebugRuntime;
  /** Items behind each expandable variables reference; reset on every stop (references are per stop). */
  private items = new Handles<InspectItem[]>();
  private configured: () => void = () => undefined;
  private readonly configurationDone = new Promise<void>((resolve) => (this.configured = resolve));

  constructor() {
    super();
    // Lines and columns are 1-based in our frames (they carry no source yet, but the setting is sticky).
    this.setDebuggerLinesStartAt1(true);
    this.setDebuggerColumnsStartAt1(true);
    this.runtime = new DebugRuntime({
      stopped: (stop) => {
        this.items.reset();
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
    });
  }

  protected override initializeRequest(response: DebugProtocol.InitializeResponse): void {
    response.body = {
      supportsConfigurationDoneRequest: true,
      supportsFunctionBreakpoints: true,
      supportsTerminateRequest: true,
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
    // Frame id = PID: one kernel-level frame per process until source frames arrive.
    const frame = new StackFrame(args.threadId, this.runtime.frameFor(args.threadId));
    (frame as DebugProtocol.StackFrame).presentationHint = "label";
    response.body = { stackFrames: [frame], totalFrames: 1 };
    this.sendResponse(response);
  }

  protected override scopesRequest(response: DebugProtocol.ScopesResponse, args: DebugProtocol.ScopesArguments): void {
    const pid = args.frameId;
    const scopes: Scope[] = [
      new Scope("Capabilities", this.items.create(this.runtime.capabilities(pid)), false),
      new Scope("IPC queues", this.items.create(this.runtime.ipcQueues(pid)), false),
    ];
    const registers = this.runtime.deviceRegisters(pid);
    if (registers.length) scopes.push(new Scope("Device registers", this.items.create(registers), false));
    response.body = { scopes };
    this.sendResponse(response);
  }

  protected override variablesRequest(response: DebugProtocol.VariablesResponse, args: DebugProtocol.VariablesArguments): void {
    const items = this.items.get(args.variablesReference) ?? [];
    response.body = {
      variables: items.map((item) => ({
        name: item.name,
        value: item.value,
        variablesReference: item.children?.length ? this.items.create(item.children) : 0,
      })),
    };
    this.sendResponse(response);
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
