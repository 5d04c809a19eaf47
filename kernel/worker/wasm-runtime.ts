// Runs a Zero OS WASM process inside a worker (zero-os-abi.md §1.2–§1.4, §2). The module imports
// `env.memory` (shared) and the five `zos_*` host functions; they are implemented here over the same
// syscall gate (and so the same mailbox protocol) that TypeScript drivers use. The bootstrap hands
// us the gate after the run token arrived; a trap or a host-function error is thrown back to it and
// becomes the FAULT path, like an uncaught exception in a TS driver.
//
// Deviations from the browser's worker.js, each deliberate:
// - the mailbox is the process's own SharedArrayBuffer (kernel/worker/mailbox.ts), not the first
//   16 KiB of linear memory, so the host never writes into guest memory except in zos_recv_bytes;
// - zos_yield is SYS_YIELD through the kernel (a scheduling point), not a 1 ms Atomics.wait: a sleep
//   would make the run depend on wall-clock time, and the kernel schedules one process at a time;
// - zos_get_pid answers from the startup info kept here, not from mailbox word 14 (which a payload
//   of 32+ bytes overwrites in the browser);
// - a syscall made without zos_send_bytes carries an empty payload (the browser would re-send the
//   previous response's bytes as the request, since they share one data area);
// - before _start the runtime calls SYS_STARTUP with the program's manifest; if _start returns the
//   process exits with code 0 (the browser's worker just stops).

import type { SyscallGate } from "../abi/gate";
import { MAILBOX_DATA_BYTES, Sys } from "../abi/syscalls";
import { wasmApi, type WasmImports } from "./wasm-api";

/** A validated Zero OS WASM program, as the loader hands it to the worker (structured-cloneable). */
export interface WasmImage {
  /** The module's bytes, exactly as read from the file (their SHA-256 is the program's hash). */
  bytes: Uint8Array;
  /** JSON of the manifest sent with SYS_STARTUP. */
  manifestJson: string;
  /** Pages of `env.memory` as the module's import declares them (64 KiB each). */
  memory: { initial: number; maximum: number };
}

/** What the worker gets: the image plus the process's memory limit, in pages. */
export interface WasmWorkerData extends WasmImage {
  memoryLimitPages: number;
}

const PAGE_BYTES = 65536;

/** Namespaces of wasm-bindgen glue the shipped binaries import; the browser stubs them with proxies. */
const WASM_BINDGEN_NAMESPACES = ["__wbindgen_placeholder__", "__wbindgen_externref_xform__"];

/** Instantiate the module and run it; returns the exit code when _start returns. Throws on a trap. */
export function runWasmProgram(gate: SyscallGate, image: WasmWorkerData): number {
  const { initial, maximum: declaredMax } = image.memory;
  if (initial > image.memoryLimitPages) {
    throw new RangeError(
      `the module needs ${(initial * PAGE_BYTES) / 2 ** 20} MiB of initial memory but the process memory limit is ${(image.memoryLimitPages * PAGE_BYTES) / 2 ** 20} MiB`,
    );
  }
  // A smaller maximum than declared still links (imports may narrow limits); memory.grow past the
  // process's memory limit then returns -1 to the guest instead of growing the host's footprint.
  const memory = new wasmApi.Memory({ initial, maximum: Math.min(declaredMax, image.memoryLimitPages), shared: true });

  let staged: Uint8Array = new Uint8Array(0);
  let lastResponse: Uint8Array = new Uint8Array(0);
  let pid = -1;

  const guestBytes = (what: string, ptr: number, len: number): Uint8Array => {
    const start = ptr >>> 0;
    const size = len >>> 0;
    const total = memory.buffer.byteLength;
    if (start + size > total)
      throw new RangeError(`${what}(${start}, ${size}) reaches past the end of linear memory (${total} bytes)`);
    return new Uint8Array(memory.buffer, start, size);
  };

  const env: Record<string, unknown> = {
    memory,
    zos_syscall(num: number, a0: number, a1: number, a2: number): bigint {
      const payload = staged;
      // A staged payload belongs to one request: the browser's data area is overwritten by the response.
      staged = new Uint8Array(0);
      const result = gate.syscall(num >>> 0, a0, a1, a2, payload);
      lastResponse = gate.response();
      return BigInt(result);
    },
    zos_send_bytes(ptr: number, len: number): void {
      // Copy now: the guest may reuse its buffer before the syscall. Replaces, never appends.
      staged = guestBytes("zos_send_bytes", ptr, Math.min(len >>> 0, MAILBOX_DATA_BYTES)).slice();
    },
    zos_recv_bytes(ptr: number, max: number): number {
      const n = Math.min(lastResponse.length, max >>> 0);
      guestBytes("zos_recv_bytes", ptr, n).set(lastResponse.subarray(0, n));
      return n;
    },
    zos_yield(): void {
      // No payload, and the staged request and last response survive: zos_yield never touches the
      // browser's mailbox either.
      gate.syscall(Sys.YIELD, 0, 0, 0);
    },
    zos_get_pid(): number {
      return pid;
    },
  };

  const module = new wasmApi.Module(image.bytes);
  const imports: WasmImports = { env };
  for (const imp of wasmApi.Module.imports(module)) {
    if (!WASM_BINDGEN_NAMESPACES.includes(imp.module) || imp.kind !== "function") continue;
    // The loader let these through so shipped binaries load; nothing here implements wasm-bindgen's
    // glue, so a call is a clear fault instead of a link error at start.
    const ns = (imports[imp.module] ??= {});
    ns[imp.name] = () => {
      throw new Error(`${imp.module}.${imp.name}: wasm-bindgen glue is not available to Zero OS WASM processes in ZDS`);
    };
  }
  const instance = new wasmApi.Instance(module, imports);

  const manifest = new TextEncoder().encode(image.manifestJson);
  if (gate.syscall(Sys.STARTUP, manifest.length, 0, 0, manifest) !== 0) {
    throw new Error("SYS_STARTUP refused the manifest");
  }
  const info = JSON.parse(new TextDecoder().decode(gate.response())) as { pid?: unknown };
  if (typeof info.pid !== "number") throw new Error("SYS_STARTUP answered without a pid");
  pid = info.pid;

  const exports = instance.exports;
  const init = exports.__zero_rt_init;
  if (typeof init === "function") (init as (arg: number) => unknown)(0);
  const start = exports._start;
  if (typeof start !== "function") throw new Error("the module does not export a _start function");
  (start as () => unknown)();
  return 0;
}
