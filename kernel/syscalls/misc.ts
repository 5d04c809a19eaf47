// Misc block: DEBUG, YIELD, EXIT, TIME, RANDOM, WALLCLOCK, CONSOLE_WRITE, plus the bootstrap's
// internal STARTUP and FAULT.

import { decodeFaultReport, FaultFormat, stackHeadline } from "../abi/diagnostics";
import { Errno } from "../abi/errors";
import { Sys } from "../abi/syscalls";
import { utf8DecodeStrict } from "../abi/wire";
import { FaultReason } from "../process";
import { recordReportedViolation } from "../violations";
import { asI32, fail, ok, type SyscallHandler } from "./outcome";

/** Virtual time 0 is this wall-clock instant, so WALLCLOCK and Date are deterministic. */
export const EPOCH_MS = Date.UTC(2026, 0, 1);

const text =
  (sink: "debug" | "console"): SyscallHandler =>
  (k, p, req) => {
    if (req.a0 !== req.payload.length) return fail(Errno.E_INVAL);
    const decoded = utf8DecodeStrict(req.payload);
    if (decoded === undefined) return fail(Errno.E_INVAL);
    k.output[sink](p, decoded);
    return ok();
  };

/** a0 = 0 → low 32 bits, 1 → high 32 bits (Zero OS); 2 → the whole value (ZDS). */
function split(value: number, which: number): number | undefined {
  if (which === 0) return value % 0x1_0000_0000;
  if (which === 1) return Math.floor(value / 0x1_0000_0000);
  if (which === 2) return value;
  return undefined;
}

export const miscSyscalls: [number, SyscallHandler][] = [
  [Sys.NOP, () => ok()],
  [Sys.DEBUG, text("debug")],
  [Sys.CONSOLE_WRITE, text("console")],
  [Sys.YIELD, () => ok()],
  [
    Sys.EXIT,
    (k, p, req) => {
      k.exit(p, asI32(req.a0));
      return { kind: "ended" };
    },
  ],
  [
    Sys.TIME,
    (k, _p, req) => {
      const v = split(k.now(), req.a0);
      return v === undefined ? fail(Errno.E_INVAL) : ok(v);
    },
  ],
  [
    Sys.RANDOM,
    (k, _p, req) => {
      // Deterministic: drawn from the kernel's generator, seeded by the machine seed.
      if (req.a0 > 256) return fail(Errno.E_INVAL);
      return ok(req.a0, k.randomBytes(req.a0));
    },
  ],
  [
    Sys.WALLCLOCK,
    (k, _p, req) => {
      const v = split(EPOCH_MS + Math.floor(k.now() / 1e6), req.a0);
      return v === undefined ? fail(Errno.E_INVAL) : ok(v);
    },
  ],
  [Sys.STARTUP, (k, p, req) => k.init.startup(p, req.payload)],
  [
    Sys.FAULT,
    (k, p, req) => {
      const description = utf8DecodeStrict(req.payload) ?? "driver fault (undecodable description)";
      // a1 = FaultFormat.REPORT: the SDK's report (a code, a fix, a violation it found); else a stack.
      const report = req.a1 === FaultFormat.REPORT ? decodeFaultReport(description) : undefined;
      if (report?.violation) {
        recordReportedViolation(k, p, report);
        return { kind: "ended" };
      }
      const stack = report?.stack ?? description;
      const details = { stack, code: report?.code, fix: report?.fix };
      if (/^RangeError: Maximum call stack size exceeded/.test(stack))
        k.fault(p, "stack-overflow", FaultReason.PANIC, stackHeadline(stack), details);
      else k.fault(p, "panic", FaultReason.PANIC, stackHeadline(stack), details);
      return { kind: "ended" };
    },
  ],
];
