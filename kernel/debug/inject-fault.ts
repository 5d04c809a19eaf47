// A debug session's fault injection (docs/faults.md, docs/debugging.md): the custom DAP request
// `zeroDriver/injectFault` and the command Zero Driver: Inject Fault… come here. The fault goes in
// at the kernel's next input point ("now") or once the next SysLog event has happened
// ("next-event"); the trace records where (an `fi` line), so a replay injects it at the same place,
// and so do this session's own re-runs (step back, reverse continue): each injection is added to the
// launch's recorded faults, which every later run of the session is given.

import type { RecordedFault } from "../faults/injector";
import { FaultSpecError, parseFaultSpec } from "../faults/spec";
import type { Session } from "../session";
import type { DebugState } from "./debug-state";

export type InjectWhen = "now" | "next-event";

/** Sessions whose injections are already being added to the launch's recorded faults. */
const listening = new WeakSet<Session>();

/** Inject `text` (a fault spec) into the running machine; a string says why not, else what happens. */
export function injectFault(
  state: DebugState,
  text: unknown,
  when: unknown = "now",
): { problem?: string; note?: string } {
  if (typeof text !== "string" || text.trim() === "")
    return {
      problem: `injectFault needs { spec: "KIND[@TARGET][,key=value…]" } (docs/faults.md), e.g. "irq-lost@virtio-blk0"`,
    };
  if (when !== "now" && when !== "next-event")
    return { problem: `injectFault: "when" is "now" or "next-event" (got ${JSON.stringify(when)})` };
  const session = state.session;
  const prepared = state.prepared;
  if (!session || !prepared || state.ended)
    return { problem: "The machine is not running: launch it first (F5), then inject a fault." };
  try {
    const spec = parseFaultSpec(text);
    if (!listening.has(session)) {
      listening.add(session);
      session.faults.onDelivery((d) => {
        // Later runs of this session (step back re-runs from the start) meet it at the same point.
        const recorded: RecordedFault = { spec: d.spec, index: d.index, at: d.at };
        prepared.options.recordedFaults = [...(prepared.options.recordedFaults ?? []), recorded];
      });
    }
    session.faults.inject(spec, when);
  } catch (error) {
    if (error instanceof FaultSpecError) return { problem: error.message };
    throw error;
  }
  const at = when === "now" ? "at the kernel's next input point" : "once the next event has happened";
  return { note: `Zero Driver: injecting ${text.trim()} ${at}${state.stop ? " (when the machine runs on)" : ""}` };
}
