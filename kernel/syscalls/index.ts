// Syscall dispatch: one table from number to handler, filled by the modules of this folder.

import { Errno } from "../abi/errors";
import type { Kernel } from "../kernel";
import type { KernelProcess } from "../process";
import type { SyscallRequest } from "../worker/mailbox";
import { capabilitySyscalls } from "./capabilities";
import { hardwareSyscalls } from "./hardware";
import { ipcSyscalls } from "./ipc";
import { miscSyscalls } from "./misc";
import { processSyscalls } from "./process";

export type Outcome =
  /** Answer now. */
  | { kind: "return"; result: number; payload?: Uint8Array; attachment?: SharedArrayBuffer }
  /** The caller is blocked; someone will wake it. */
  | { kind: "block" }
  /** The caller no longer exists (exit, fault). */
  | { kind: "ended" };

export type SyscallHandler = (k: Kernel, p: KernelProcess, req: SyscallRequest, requestId: number) => Outcome;

const table = new Map<number, SyscallHandler>([...miscSyscalls, ...processSyscalls, ...ipcSyscalls, ...capabilitySyscalls, ...hardwareSyscalls]);

export function dispatchSyscall(k: Kernel, p: KernelProcess, req: SyscallRequest, requestId: number): Outcome {
  const handler = table.get(req.num);
  if (!handler) return fail(Errno.E_NOSYS);
  // Before any handler arithmetic: NaN, fractions and values past 32 bits never reach a handler.
  if (req.invalid !== undefined) return fail(Errno.E_INVAL);
  return handler(k, p, req, requestId);
}

export function ok(result = 0, payload?: Uint8Array): Outcome {
  return { kind: "return", result, payload };
}

export function fail(errno: number): Outcome {
  return { kind: "return", result: -errno };
}

/** Signed 32-bit view of a mailbox argument (EXIT codes are i32). */
export function asI32(value: number): number {
  return value | 0;
}
