// A program written against the bare gate (no SDK) that makes `count` SYS_NOP calls between two
// console marks. The host timestamps the marks as the kernel handles them: the sandbox replaces
// performance.now with virtual time, so the wall clock can only be read outside the worker.
import { Sys, type RunnableDriver, type SyscallGate } from "../../kernel/abi";

export interface SyscallLoopParams {
  /** NOPs before the first mark: the JIT and the wake-up path warm up. */
  warmup: number;
  count: number;
}

function mark(gate: SyscallGate, text: string): void {
  const bytes = new TextEncoder().encode(`${text}\n`);
  gate.syscall(Sys.CONSOLE_WRITE, bytes.length, 0, 0, bytes);
}

export function syscallLoop(params: SyscallLoopParams): RunnableDriver {
  return {
    manifest: { name: "bench-syscalls", caps: {} },
    run(gate: SyscallGate): number {
      const manifest = new TextEncoder().encode(JSON.stringify(this.manifest));
      gate.syscall(Sys.STARTUP, manifest.length, 0, 0, manifest);
      for (let i = 0; i < params.warmup; i++) gate.syscall(Sys.NOP, 0, 0, 0);
      mark(gate, "bench:go");
      for (let i = 0; i < params.count; i++) gate.syscall(Sys.NOP, 0, 0, 0);
      mark(gate, "bench:done");
      return 0;
    },
  };
}
