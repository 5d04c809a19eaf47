// Where a fault happened in the driver's TypeScript, and the code of docs/diagnostics.md it is the
// run-time verdict of: the stack the driver sent (or its worker gave when the kernel found a
// violation) read through the bundle's source map, and a manifest Init refused placed on the entry
// it refused. Host-side only; the CommitLog never sees any of this (it would name host paths).

import type { DiagnosticCode } from "./abi/diagnostics";
import type { FaultSource, KernelProcess } from "./process";
import { plainFrames } from "./loader/source-map";

/** What a fault's origin knows beyond its message. */
export interface FaultDetails {
  code?: DiagnosticCode;
  fix?: string;
  /** A V8 stack text: the uncaught error's, the SDK's report's, or the worker's at a violation. */
  stack?: string;
  /** The problems of a manifest Init refused, each with its own code. */
  problems?: { message: string; code?: DiagnosticCode }[];
  /** The refused manifest's name, to find its defineDriver({...}) in the source. */
  manifestName?: string;
}

export function placeFault(proc: KernelProcess, details: FaultDetails): FaultSource {
  const out: FaultSource = {};
  if (details.code) out.code = details.code;
  if (details.fix) out.fix = details.fix;
  try {
    const symbols = proc.symbols;
    if (details.stack !== undefined) {
      out.frames = symbols ? symbols.frames(details.stack) : plainFrames(details.stack);
      const own = out.frames.find((f) => f.origin === "driver" && f.source);
      if (own?.source) out.source = own.source;
    }
    if (details.problems && details.problems.length > 0) {
      out.problems = details.problems.map((p) => ({
        message: p.message,
        ...(p.code && { code: p.code }),
        ...(symbols && { source: symbols.manifestEntry(p.message, details.manifestName) }),
      }));
      out.source ??= out.problems.find((p) => p.source)?.source;
    }
  } catch {
    // A stack or source map we cannot read leaves the fault as the kernel wrote it.
  }
  return out;
}
