// What a syscall handler returns, and the handler's shape. Kept apart from the dispatch table
// (index.ts) so that the handlers, init and the kernel can all name an Outcome without importing
// the table, and through it each other: the kernel imports the table, nothing imports the kernel.

import type { KernelProcess } from "../process";
import type { SyscallRequest } from "../worker/mailbox";
import type { SyscallContext } from "./context";

export type Outcome =
  /** Answer now. */
  | { kind: "return"; result: number; payload?: Uint8Array; attachment?: SharedArrayBuffer }
  /** The caller is blocked; someone will wake it. */
  | { kind: "block" }
  /** The caller no longer exists (exit, fault). */
  | { kind: "ended" };

export type SyscallHandler = (k: SyscallContext, p: KernelProcess, req: SyscallRequest, requestId: number) => Outcome;

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
