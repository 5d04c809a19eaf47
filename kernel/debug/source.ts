// Source-level debugging of driver TypeScript through the V8 inspector of each driver's worker
// (kernel/host/inspector-hub.ts). Breakpoints on TS lines are mapped to the bundle through its inline
// source map and set by URL (the bundle's vm.Script filename) before the worker first runs; pauses
// come back as stops with frames mapped to the TS source. Knows nothing of DAP, like runtime.ts.

import path from "node:path";
import { TraceMap, generatedPositionFor, originalPositionFor, LEAST_UPPER_BOUND } from "@jridgewell/trace-mapping";
import type { WorkerLink } from "../host/inspector-hub";
import type { WorkerDebugClient } from "../host/worker-process";
import type { ScriptBundle } from "../loader/bundle-driver";
import type { KernelProcess } from "../process";
import { sdkEntry } from "../host/paths";
import { sourceKey } from "./source-paths";
import { logMessageParts, parseHitCondition, type HitCondition } from "./conditions";
import type {
  CdpCallFrame,
  CdpRemoteObject,
  RemoteScope,
  RemoteValue,
  SourceBreakpointResult,
  SourceBreakpointSpec,
  SourceFrame,
  SourcePause,
  StepKind,
} from "./source-types";

interface Program {
  map: TraceMap;
  /** A file's key (sourceKey: absolute, and on Windows case-folded) → the map's own `sources`
   *  entry (relative to the cwd at bundle time). */
  sources: Map<string, string>;
  /** The map's `sources` entry → its absolute path, as frames show it. */
  files: Map<string, string>;
}

interface Attached {
  pid: number;
  link: WorkerLink;
  url: string;
  /** Inspector breakpoint ids by TS path, to replace them when the client sets that file again. */
  ids: Map<string, string[]>;
  /** Inspector breakpoint id → the client breakpoint's state key (`file:line`). */
  keys: Map<string, string>;
  /** Script ids of the driver bundle: call frames' own url is empty in this V8, so frames are told by id. */
  scripts: Set<string>;
  /** Paused as the inspector last said (`Debugger.paused` until `Debugger.resumed`). */
  inspectorPaused: boolean;
  /** Run once the inspector says the worker runs again. */
  onResumed: (() => void)[];
}

/** The state of one client breakpoint across workers: its hit count and what it does on a hit. */
interface BreakpointState {
  hits: number;
  hit: HitCondition;
  logMessage?: string;
}

/** A pause the runtime asked for; `late` once it was given up on (the pause is then let go). */
interface PauseRequest {
  trimSdk: boolean;
  late: boolean;
  settle(paused: boolean): void;
}

/** How long a requested pause may take to land before the stop is reported without driver frames. */
const PAUSE_TIMEOUT_MS = 2000;

export class SourceDebugger {
  private readonly programs = new Map<string, Program>();
  /** TS path → breakpoints, as the client last set them. */
  private readonly breakpoints = new Map<string, SourceBreakpointSpec[]>();
  /** `file:line` → hit count and behaviour, shared by every worker that binds the breakpoint. */
  private readonly states = new Map<string, BreakpointState>();
  private attached = new Map<number, Attached>();
  /** Workers of a checkpoint run (time travel keeps one paused behind the stop): no breakpoints
   *  and no stops until it is promoted to be the machine the user debugs. */
  private standby = new Map<number, Attached>();
  private readonly stepping = new Set<number>();
  private readonly requests = new Map<number, PauseRequest>();
  private nextId = 1;
  private readonly ids = new Map<string, number>();
  /** A breakpoint file's key → its path as the client gave it (made absolute), for logpoint output. */
  private readonly clientPaths = new Map<string, string>();
  private readonly sdkDirKey: string;
  pause: SourcePause | undefined;
  /** Asked before a breakpoint or step pause becomes a stop; false lets the worker run on (time
   *  travel re-runs the past with breakpoints passed over, or looks for one particular hit). */
  gate: ((pid: number, reason: "breakpoint" | "step") => boolean) | undefined;

  constructor(
    private readonly onPause: (pause: SourcePause) => void,
    /** A logpoint's message, evaluated (the worker runs on). */
    private readonly onLog: (pid: number, text: string, file: string, line: number) => void = () => undefined,
    /** How paths are made absolute and compared: the host's; path.win32 in tests of Windows paths. */
    private readonly paths: path.PlatformPath = path,
  ) {
    this.sdkDirKey = sourceKey(path.dirname(sdkEntry()), paths) + paths.sep;
  }

  /** Read a script bundle's inline source map; its sources are relative to the cwd at bundle time. */
  addProgram(bundle: ScriptBundle, cwd: string): void {
    const match = /\/\/# sourceMappingURL=data:application\/json;base64,([A-Za-z0-9+/=]+)\s*$/.exec(bundle.code);
    if (!match) return;
    const map = new TraceMap(Buffer.from(match[1], "base64").toString("utf8"));
    const sources = new Map<string, string>();
    const files = new Map<string, string>();
    for (const s of map.sources) {
      if (s === null) continue;
      const abs = this.paths.resolve(cwd, s);
      sources.set(sourceKey(abs, this.paths), s);
      files.set(s, abs);
    }
    this.programs.set(bundle.filename, { map, sources, files });
  }

  /** Replace the breakpoints of one TS file; live workers get them at once, new ones when they start. */
  setBreakpoints(file: string, specs: readonly SourceBreakpointSpec[]): SourceBreakpointResult[] {
    // Keyed by sourceKey: on Windows VS Code says c:\… where the bundle's cwd says C:\….
    const abs = sourceKey(file, this.paths);
    this.clientPaths.set(abs, this.paths.resolve(file));
    const problems = new Map<number, string>();
    for (const key of [...this.states.keys()]) if (key.startsWith(`${abs}:`)) this.states.delete(key);
    const kept: SourceBreakpointSpec[] = [];
    for (const spec of specs) {
      const hit = parseHitCondition(spec.hitCondition);
      if (typeof hit === "string") {
        problems.set(spec.line, hit);
        continue;
      }
      kept.push(spec);
      this.states.set(`${abs}:${spec.line}`, { hits: 0, hit, logMessage: spec.logMessage });
    }
    this.breakpoints.set(abs, kept);
    for (const a of this.attached.values()) void this.applyFile(a, abs);
    return this.resolve(
      abs,
      specs.map((s) => s.line),
    ).map((r, i) => {
      const problem = problems.get(specs[i].line);
      return problem ? { ...r, verified: false, message: problem } : r;
    });
  }

  /** Where each line binds, against the programs known now (none before launch has bundled). */
  resolve(client: string, lines: readonly number[]): SourceBreakpointResult[] {
    const file = sourceKey(client, this.paths);
    return lines.map((line) => {
      const key = `${file}:${line}`;
      let id = this.ids.get(key);
      if (id === undefined) this.ids.set(key, (id = this.nextId++));
      const bound = this.generated(file, line)[0];
      if (bound) return { id, verified: true, line: bound.line };
      const message =
        this.programs.size === 0
          ? "bound when the program is bundled"
          : "no driver code on this line in the programs launched";
      return { id, verified: false, line, message };
    });
  }

  /** Every file with breakpoints, resolved again (after launch bundled the programs). */
  resolveAll(): SourceBreakpointResult[] {
    return [...this.breakpoints].flatMap(([file, specs]) =>
      this.resolve(
        file,
        specs.map((s) => s.line),
      ),
    );
  }

  /** The client for one worker (Session's debug hook): breakpoints first, then pauses. */
  client(
    proc: KernelProcess,
    link: WorkerLink,
    bundle: ScriptBundle,
    onStopped: (pid: number) => void,
    standby = false,
  ): WorkerDebugClient {
    const a: Attached = {
      pid: proc.pid,
      link,
      url: bundle.filename,
      ids: new Map(),
      keys: new Map(),
      scripts: new Set(),
      inspectorPaused: false,
      onResumed: [],
    };
    (standby ? this.standby : this.attached).set(proc.pid, a);
    // Registered before the worker gets its first run token, so the bundle's scriptParsed is seen.
    link.onEvent((method, params) => {
      if (method === "Debugger.scriptParsed" && params.url === a.url) a.scripts.add(String(params.scriptId));
      else if (method === "Debugger.paused") a.inspectorPaused = true;
      else if (method === "Debugger.resumed") {
        a.inspectorPaused = false;
        for (const run of a.onResumed.splice(0)) run();
      }
    });
    return {
      ready: standby
        ? Promise.resolve()
        : Promise.all([...this.breakpoints.keys()].map((file) => this.applyFile(a, file))).then(() => undefined),
      paused: (params) => {
        if (!proc.alive) return false;
        if (this.attached.get(proc.pid) !== a) {
          // A worker of a machine already replaced by a re-run (time travel): it is being torn down.
          void link.send("Debugger.resume").catch(() => undefined);
          return true;
        }
        const frames = (params.callFrames ?? []) as CdpCallFrame[];
        const request = this.requests.get(proc.pid);
        if (request) {
          this.requests.delete(proc.pid);
          if (request.late) {
            // Given up on earlier (the stop was reported without frames): let it run.
            void link.send("Debugger.resume").catch(() => undefined);
            return true;
          }
          this.stepping.delete(proc.pid);
          this.pause = { pid: proc.pid, reason: "requested", frames, trimSdk: request.trimSdk };
          request.settle(true);
          return true;
        }
        const hit = ((params.hitBreakpoints ?? []) as string[]).flatMap((id) => {
          const key = a.keys.get(id);
          const state = key === undefined ? undefined : this.states.get(key);
          return state && key ? [{ key, state }] : [];
        });
        if (hit.length > 0 && !this.stepping.has(proc.pid)) {
          // Count every breakpoint on this spot; stop if one wants a stop, log for the logpoints.
          let stop = false;
          const logs: { key: string; message: string }[] = [];
          for (const { key, state } of hit) {
            state.hits++;
            if (!state.hit(state.hits)) continue;
            if (state.logMessage !== undefined) logs.push({ key, message: state.logMessage });
            else stop = true;
          }
          if (!stop) {
            void this.logAndResume(a, frames[0], logs);
            return true;
          }
          for (const log of logs) void this.log(a, frames[0], log);
        }
        if (this.stepping.has(proc.pid) && !a.scripts.has(frames[0]?.location.scriptId ?? "")) {
          // A step landed outside the driver bundle (the sandbox's syscall gate, the worker bootstrap):
          // nothing there is the user's code, so step back out to the driver, or run on if it has returned.
          const inDriver = frames.some((f) => a.scripts.has(f.location.scriptId));
          void link.send(inDriver ? "Debugger.stepOut" : "Debugger.resume").catch(() => undefined);
          if (!inDriver) this.stepping.delete(proc.pid);
          return true;
        }
        const reason = this.stepping.has(proc.pid) ? "step" : "breakpoint";
        if (this.gate && !this.gate(proc.pid, reason)) {
          this.stepping.delete(proc.pid);
          void link.send("Debugger.resume").catch(() => undefined);
          return true;
        }
        this.stepping.delete(proc.pid);
        this.pause = { pid: proc.pid, reason, frames, trimSdk: false };
        onStopped(proc.pid);
        this.onPause(this.pause);
        return true;
      },
    };
  }

  /** The checkpoint run becomes the debugged machine: its workers get the breakpoints now. */
  promoteStandby(): Promise<void> {
    this.detachAll();
    this.attached = this.standby;
    this.standby = new Map();
    return Promise.all(
      [...this.attached.values()].flatMap((a) => [...this.breakpoints.keys()].map((file) => this.applyFile(a, file))),
    ).then(() => undefined);
  }

  /** Forget the checkpoint run's workers (it was thrown away). */
  dropStandby(): void {
    this.standby = new Map();
  }

  forgetStandby(pid: number): void {
    this.standby.delete(pid);
  }

  /** Drop every worker (their machine is being replaced by a re-run); programs and breakpoints stay. */
  detachAll(): void {
    for (const pid of [...this.attached.keys()]) this.forget(pid);
    this.stepping.clear();
    this.pause = undefined;
  }

  forget(pid: number): void {
    this.attached.delete(pid);
    this.requests.get(pid)?.settle(false);
    this.requests.delete(pid);
    if (this.pause?.pid === pid) this.pause = undefined;
  }

  /** True when this process's worker can be paused in its driver code (a script with an inspector). */
  canPause(pid: number): boolean {
    return this.attached.has(pid);
  }

  /** Stop a process's worker wherever its JavaScript is (driver code, or the syscall gate's wait, where
   *  the driver's frame is right below: notes Q2). Resolves true once paused, false if it did not land. */
  requestPause(pid: number, trimSdk: boolean): Promise<boolean> {
    const a = this.attached.get(pid);
    if (!a) return Promise.resolve(false);
    if (this.pause?.pid === pid) return Promise.resolve(true);
    const pending = this.requests.get(pid);
    if (pending && !pending.late) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        request.late = true;
        resolve(false);
      }, PAUSE_TIMEOUT_MS);
      const request: PauseRequest = {
        trimSdk,
        late: false,
        settle: (paused) => {
          clearTimeout(timer);
          resolve(paused);
        },
      };
      this.requests.set(pid, request);
      // Listener first, then the command (notes P2): the paused event may beat the reply.
      const send = () =>
        void a.link.send("Debugger.pause").catch(() => {
          this.requests.delete(pid);
          request.settle(false);
        });
      // A pause sent while the worker is still leaving its previous pause (a resume just sent) is
      // lost by V8: seen as a pause right after continue that never landed. Send it once it runs.
      if (a.inspectorPaused) a.onResumed.push(send);
      else send();
    });
  }

  /** Driver frames from a stack trace's text (an uncaught exception's, sent with SYS_FAULT), mapped to TS. */
  framesFromStack(pid: number, stack: string): SourceFrame[] {
    const a = this.attached.get(pid);
    const program = a && this.programs.get(a.url);
    if (!a || !program) return [];
    const frames: SourceFrame[] = [];
    const escaped = a.url.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    const re = new RegExp(`^\\s*at (?:(.*?) \\()?${escaped}:(\\d+):(\\d+)\\)?\\s*$`);
    for (const line of stack.split("\n")) {
      const m = re.exec(line);
      if (!m) continue;
      const orig = originalPositionFor(program.map, { line: Number(m[2]), column: Number(m[3]) - 1 });
      const abs = orig.source ? this.absolute(program, orig.source) : undefined;
      if (!abs || orig.line == null) continue;
      frames.push({
        index: -1 - frames.length,
        name: m[1] || "(anonymous)",
        path: abs,
        line: orig.line,
        column: (orig.column ?? 0) + 1,
      });
    }
    return this.trimSdkFrames(frames);
  }

  /** Let the paused worker run (continue) or step; false when no worker is paused. */
  resume(step?: StepKind): boolean {
    const pause = this.pause;
    const a = pause && this.attached.get(pause.pid);
    this.pause = undefined;
    if (!pause || !a) return false;
    if (step) this.stepping.add(pause.pid);
    const method =
      step === "over"
        ? "Debugger.stepOver"
        : step === "into"
          ? "Debugger.stepInto"
          : step === "out"
            ? "Debugger.stepOut"
            : "Debugger.resume";
    void a.link.send(method).catch(() => undefined);
    return true;
  }

  /** The paused worker's frames that belong to its driver bundle, mapped to TS. */
  frames(pid: number): SourceFrame[] {
    const pause = this.pause;
    const a = this.attached.get(pid);
    if (!pause || pause.pid !== pid || !a) return [];
    const program = this.programs.get(a.url);
    const frames = pause.frames.flatMap((f, index): SourceFrame[] => {
      if (!a.scripts.has(f.location.scriptId)) return [];
      const line = f.location.lineNumber + 1;
      const column = f.location.columnNumber ?? 0;
      const orig = program ? originalPositionFor(program.map, { line, column }) : undefined;
      const abs = orig?.source ? this.absolute(program as Program, orig.source) : undefined;
      const name = f.functionName || "(anonymous)";
      if (!abs || orig?.line == null) return [{ index, name, line, column: column + 1 }];
      return [{ index, name, path: abs, line: orig.line, column: (orig.column ?? 0) + 1 }];
    });
    return pause.trimSdk ? this.trimSdkFrames(frames) : frames;
  }

  /** Local/Block/Closure scopes of a paused frame (the global scope is left out: it is the sandbox realm). */
  scopes(pid: number, index: number): RemoteScope[] {
    const frame = this.pause?.pid === pid ? this.pause.frames[index] : undefined;
    if (!frame) return [];
    return frame.scopeChain.flatMap((s) => {
      if (s.type === "global" || !s.object.objectId) return [];
      const label =
        s.type === "local"
          ? "Local"
          : s.type === "closure"
            ? "Closure"
            : s.type === "block"
              ? "Block"
              : s.type[0].toUpperCase() + s.type.slice(1);
      return [{ name: label, objectId: s.object.objectId }];
    });
  }

  async properties(pid: number, objectId: string): Promise<RemoteValue[]> {
    const a = this.attached.get(pid);
    if (!a) return [];
    const result = (await a.link.send("Runtime.getProperties", {
      objectId,
      ownProperties: true,
      generatePreview: false,
    })) as { result: { name: string; value?: CdpRemoteObject; get?: CdpRemoteObject }[] };
    return result.result.flatMap((p) =>
      p.value ? [remoteValue(p.name, p.value)] : p.get ? [{ name: p.name, value: "(getter)" }] : [],
    );
  }

  async evaluate(pid: number, index: number, expression: string): Promise<RemoteValue> {
    const a = this.attached.get(pid);
    const frame = this.pause?.pid === pid ? this.pause.frames[index] : undefined;
    if (!a || !frame) throw new Error("evaluate needs a paused driver frame");
    const r = (await a.link.send("Debugger.evaluateOnCallFrame", {
      callFrameId: frame.callFrameId,
      expression,
      silent: true,
    })) as {
      result: CdpRemoteObject;
      exceptionDetails?: { exception?: CdpRemoteObject; text: string };
    };
    if (r.exceptionDetails) throw new Error(r.exceptionDetails.exception?.description ?? r.exceptionDetails.text);
    return remoteValue(expression, r.result);
  }

  private async applyFile(a: Attached, file: string): Promise<void> {
    for (const id of a.ids.get(file) ?? []) {
      a.keys.delete(id);
      await a.link.send("Debugger.removeBreakpoint", { breakpointId: id }).catch(() => undefined);
    }
    a.ids.delete(file);
    const program = this.programs.get(a.url);
    if (!program?.sources.has(file)) return;
    const ids: string[] = [];
    for (const spec of this.breakpoints.get(file) ?? []) {
      const pos = this.generatedIn(program, file, spec.line);
      if (!pos) continue;
      try {
        // V8 evaluates the condition in the frame and pauses only when it is truthy.
        const r = (await a.link.send("Debugger.setBreakpointByUrl", {
          url: a.url,
          lineNumber: pos.line - 1,
          columnNumber: pos.column,
          condition: spec.condition ?? "",
        })) as { breakpointId: string };
        ids.push(r.breakpointId);
        a.keys.set(r.breakpointId, `${file}:${spec.line}`);
      } catch {
        // The same location set twice (two TS lines on one generated position): one breakpoint serves both.
      }
    }
    a.ids.set(file, ids);
  }

  /** Evaluate logpoint messages in the paused frame, then let the worker run on. */
  private async logAndResume(
    a: Attached,
    frame: CdpCallFrame | undefined,
    logs: { key: string; message: string }[],
  ): Promise<void> {
    for (const log of logs) await this.log(a, frame, log);
    await a.link.send("Debugger.resume").catch(() => undefined);
  }

  private async log(
    a: Attached,
    frame: CdpCallFrame | undefined,
    log: { key: string; message: string },
  ): Promise<void> {
    let text = "";
    for (const part of logMessageParts(log.message)) {
      if ("text" in part) {
        text += part.text;
        continue;
      }
      try {
        if (!frame) throw new Error("no frame");
        const r = (await a.link.send("Debugger.evaluateOnCallFrame", {
          callFrameId: frame.callFrameId,
          expression: part.expression,
          silent: true,
        })) as { result: CdpRemoteObject; exceptionDetails?: unknown };
        text += r.exceptionDetails ? `{${part.expression}: error}` : describeRemote(r.result);
      } catch {
        text += `{${part.expression}: unavailable}`;
      }
    }
    const sep = log.key.lastIndexOf(":");
    const file = log.key.slice(0, sep);
    this.onLog(a.pid, text, this.clientPaths.get(file) ?? file, Number(log.key.slice(sep + 1)));
  }

  private generated(file: string, line: number): { line: number; column: number }[] {
    return [...this.programs.values()].flatMap((p) => {
      const pos = this.generatedIn(p, file, line);
      return pos ? [{ line: pos.originalLine, column: pos.column }] : [];
    });
  }

  /** First generated position of a TS line, or of the next line with code within a few lines. */
  private generatedIn(
    program: Program,
    file: string,
    line: number,
  ): { line: number; column: number; originalLine: number } | undefined {
    const source = program.sources.get(file);
    if (source === undefined) return undefined;
    for (let l = line; l < line + 5; l++) {
      const g = generatedPositionFor(program.map, { source, line: l, column: 0, bias: LEAST_UPPER_BOUND });
      if (g.line !== null && g.column !== null) return { line: g.line, column: g.column, originalLine: l };
    }
    return undefined;
  }

  private absolute(program: Program, source: string): string | undefined {
    return program.files.get(source);
  }

  /** Drop the SDK's frames above the driver's own first frame: a kernel-level stop points at the driver line. */
  private trimSdkFrames(frames: SourceFrame[]): SourceFrame[] {
    const first = frames.findIndex(
      (f) => f.path !== undefined && !sourceKey(f.path, this.paths).startsWith(this.sdkDirKey),
    );
    return first > 0 ? frames.slice(first) : frames;
  }
}

function remoteValue(name: string, o: CdpRemoteObject): RemoteValue {
  const expandable = o.objectId !== undefined && (o.type === "object" || o.type === "function") && o.subtype !== "null";
  return { name, value: describeRemote(o), type: o.className ?? o.type, objectId: expandable ? o.objectId : undefined };
}

function describeRemote(o: CdpRemoteObject): string {
  if (o.type === "undefined") return "undefined";
  if (o.unserializableValue !== undefined) return o.unserializableValue;
  if (o.type === "string") return JSON.stringify(o.value);
  if (o.type === "number" || o.type === "boolean") return String(o.value);
  if (o.type === "function") return `ƒ ${(o.description ?? "").split("\n")[0].slice(0, 80)}`;
  return o.description ?? String(o.value);
}
