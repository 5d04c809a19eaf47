// The syscall gate the worker bootstrap hands to a driver's SDK. It is the only path from driver
// code to the kernel: a synchronous call that blocks the worker until the kernel answers.

export interface SyscallGate {
  /** Make a syscall. Blocks until the kernel answers; returns the signed 64-bit result as a number. */
  syscall(num: number, a0: number, a1: number, a2: number, payload?: Uint8Array): number;
  /** Copy of the payload of the last response (empty when the kernel sent none). */
  response(): Uint8Array;
  /** Memory the last response attached (DMA_ALLOC hands the buffer's memory this way). */
  attachedBuffer(): SharedArrayBuffer | undefined;
}

/** What `export default defineDriver({...})` must evaluate to for the bootstrap to run it. */
export interface RunnableDriver {
  readonly manifest: unknown;
  /** Runs the driver to completion; returns its exit code. Throws on a driver fault. */
  run(gate: SyscallGate): number;
}

export function isRunnableDriver(x: unknown): x is RunnableDriver {
  return typeof x === "object" && x !== null && "manifest" in x && typeof (x as { run?: unknown }).run === "function";
}
