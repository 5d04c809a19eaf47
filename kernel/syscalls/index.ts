// Syscall dispatch: one table from number to handler, filled by the modules of this folder.

import { Errno } from "../abi/errors";
import type { SyscallContext } from "./context";
import type { KernelProcess } from "../process";
import type { SyscallRequest } from "../worker/mailbox";
import { adapterSyscalls } from "./adapters";
import { capabilitySyscalls } from "./capabilities";
import { hardwareSyscalls } from "./hardware";
import { ipcSyscalls } from "./ipc";
import { miscSyscalls } from "./misc";
import { processSyscalls } from "./process";
import { fail, type Outcome, type SyscallHandler } from "./outcome";

export type { Outcome, SyscallHandler } from "./outcome";

const table = new Map<number, SyscallHandler>([
  ...miscSyscalls,
  ...processSyscalls,
  ...ipcSyscalls,
  ...capabilitySyscalls,
  ...hardwareSyscalls,
  ...adapterSyscalls,
]);

export function dispatchSyscall(k: SyscallContext, p: KernelProcess, req: SyscallRequest, requestId: number): Outcome {
  const handler = table.get(req.num);
  if (!handler) return fail(Errno.E_NOSYS);
  // Before any handler arithmetic: NaN, fractions and values past 32 bits never reach a handler.
  if (req.invalid !== undefined) return fail(Errno.E_INVAL);
  return handler(k, p, req, requestId);
}
