// Worker entry point: hosts one driver process. It builds a sandbox realm (vm context) holding
// only ECMAScript built-ins and the syscall gate, evaluates the driver's bundle there, and runs it.
// Driver code never sees `require`, `process`, `fs` or this worker's message port.

import { receiveMessageOnPort, workerData, type MessagePort } from "node:worker_threads";
import vm from "node:vm";
import { Sys } from "../abi/syscalls";
import { isRunnableDriver, type SyscallGate } from "../abi/gate";
import { installSandboxRuntime, type SandboxHost } from "./sandbox-runtime";
import { MailboxState, Word } from "./mailbox";
import { runWasmProgram, type WasmWorkerData } from "./wasm-runtime";

export interface BootstrapData {
  mailbox: SharedArrayBuffer;
  attachments: MessagePort;
  /** The driver bundle (an IIFE assigning `__zds_module`) and the file name its stack frames show. */
  code: string;
  /** Set for a Zero OS WASM program: run it instead of `code` (kernel/worker/wasm-runtime.ts). */
  wasm?: WasmWorkerData;
  filename: string;
  seed: number;
  epochMs: number;
}

const data = workerData as BootstrapData;
const words = new Int32Array(data.mailbox, 0, 16);

// Wait for the run token before evaluating anything: one process runs at a time.
while (Atomics.load(words, Word.STATE) === MailboxState.REQUEST) Atomics.wait(words, Word.STATE, MailboxState.REQUEST);
Atomics.store(words, Word.STATE, MailboxState.RUNNING);

const context = vm.createContext({}, { name: data.filename });
const sandboxSab = vm.runInContext("SharedArrayBuffer.prototype", context) as object;
const rehome = (sab: SharedArrayBuffer): SharedArrayBuffer => Object.setPrototypeOf(sab, sandboxSab) as SharedArrayBuffer;

const host: SandboxHost = {
  takeAttachment() {
    const msg = receiveMessageOnPort(data.attachments);
    const sab = msg?.message as unknown;
    return sab instanceof SharedArrayBuffer ? rehome(sab) : undefined;
  },
  encode: (text) => new TextEncoder().encode(text),
  decode: (bytes) => new TextDecoder().decode(bytes),
  decodeStrict(bytes) {
    try {
      return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    } catch {
      return undefined;
    }
  },
};

const install = vm.runInContext(`(${installSandboxRuntime.toString()})`, context) as typeof installSandboxRuntime;
const gate = install(rehome(data.mailbox), host, { seed: data.seed, epochMs: data.epochMs }) as SyscallGate;

function fault(description: string): never {
  const bytes = new TextEncoder().encode(description).subarray(0, 16000);
  gate.syscall(Sys.FAULT, bytes.length, 0, 0, bytes);
  // The kernel never answers FAULT; if it somehow does, stop here.
  throw new Error("unreachable: the kernel resumed a faulted process");
}

function describe(error: unknown): string {
  if (error && typeof error === "object" && "stack" in error && typeof (error as { stack: unknown }).stack === "string") {
    return (error as { stack: string }).stack;
  }
  return String(error);
}

let code: number;
try {
  if (data.wasm) code = runWasmProgram(gate, data.wasm);
  else code = runScript();
} catch (error) {
  fault(describe(error));
}
gate.syscall(Sys.EXIT, code | 0, 0, 0);

function runScript(): number {
  new vm.Script(data.code, { filename: data.filename }).runInContext(context);
  const mod = vm.runInContext("globalThis.__zds_module", context) as { default?: unknown } | undefined;
  const driver = mod?.default;
  if (!isRunnableDriver(driver)) {
    fault(`${data.filename}: the module's default export is not a driver — write \`export default defineDriver({ name, device, caps, main })\``);
  }
  return driver.run(gate);
}
