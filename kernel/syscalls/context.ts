// The kernel as the syscall handlers see it. For now this is the Kernel itself, named by type only;
// it narrows to the methods the handlers need in a later step.

import type { Kernel } from "../kernel";

export type SyscallContext = Kernel;
