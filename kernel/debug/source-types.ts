// The shapes source-level debugging speaks in (kernel/debug/source.ts): breakpoints as the client
// sets them, frames and values mapped back to driver TypeScript, and the subset of the V8
// inspector's Debugger/Runtime types we read.

/** A line breakpoint as the client sets it (DAP SourceBreakpoint, 1-based line). */
export interface SourceBreakpointSpec {
  line: number;
  /** A JavaScript expression, evaluated by V8 in the driver's frame. */
  condition?: string;
  /** Stop only on matching hits: "5", ">= 5", "% 5". */
  hitCondition?: string;
  /** Log this (with `{expression}` parts evaluated) instead of stopping. */
  logMessage?: string;
}

export interface SourceBreakpointResult {
  id: number;
  verified: boolean;
  /** 1-based TS line the breakpoint binds to (may move down to the next line with code). */
  line: number;
  message?: string;
}

/** A driver frame, mapped to its TS source when the map knows the position. */
export interface SourceFrame {
  index: number;
  name: string;
  /** Absolute TS path; undefined for code the map does not cover. */
  path?: string;
  line: number;
  column: number;
}

export interface RemoteScope {
  name: string;
  objectId: string;
}

export interface RemoteValue {
  name: string;
  value: string;
  type?: string;
  /** Set when the value is an object that can be expanded. */
  objectId?: string;
}

/** CDP shapes we read (the subset of Debugger/Runtime domain types that we use). */
export interface CdpRemoteObject {
  type: string;
  subtype?: string;
  value?: unknown;
  unserializableValue?: string;
  description?: string;
  objectId?: string;
  className?: string;
}
export interface CdpCallFrame {
  callFrameId: string;
  functionName: string;
  location: { scriptId: string; lineNumber: number; columnNumber?: number };
  url: string;
  scopeChain: { type: string; name?: string; object: CdpRemoteObject }[];
}

export interface SourcePause {
  pid: number;
  /** "requested": a pause the runtime asked for (a kernel-level stop, the pause button). */
  reason: "breakpoint" | "step" | "requested";
  frames: CdpCallFrame[];
  /** Leave the SDK's own frames above the driver's first frame out (kernel-level stops). */
  trimSdk: boolean;
}

export type StepKind = "over" | "into" | "out";
