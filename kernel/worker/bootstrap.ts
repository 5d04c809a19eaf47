// Worker entry point: hosts one driver process. The driver's code is untrusted (a folder someone
// opened), so it runs in a Hardened JavaScript compartment (SES, docs/security.md): `lockdown()`
// freezes every shared built-in and tames the ones that reach outside (Function constructors,
// eval, dynamic import), and the compartment's global object holds only ECMAScript built-ins and
// what sandbox-runtime.ts puts there. Driver code never sees `process`, `require`, this worker's
// message port or its mailbox.

import "ses";
import v8 from "node:v8";
import { receiveMessageOnPort, workerData, type MessagePort } from "node:worker_threads";
import type { SyscallGate } from "../abi/gate";
import { installSandboxRuntime, type SandboxHost } from "./sandbox-runtime";
import { MailboxState, Word } from "./mailbox";
import { runWasmProgram, type WasmWorkerData } from "./wasm-runtime";

export interface BootstrapData {
  mailbox: SharedArrayBuffer;
  attachments: MessagePort;
  /** The driver bundle (an IIFE assigning `__zds_module`) and the URL its stack frames show. */
  code: string;
  /** Set for a Zero OS WASM program: run it instead of `code` (kernel/worker/wasm-runtime.ts). */
  wasm?: WasmWorkerData;
  filename: string;
  seed: number;
  epochMs: number;
}

const data = workerData as BootstrapData;

// Errors keep their stacks (the kernel maps them to driver source); SES's own reporting and
// process-level traps stay out of the worker, whose exits the host already watches.
lockdown({
  errorTaming: "unsafe",
  stackFiltering: "verbose",
  consoleTaming: "unsafe",
  errorTrapping: "none",
  unhandledRejectionTrapping: "none",
  reporting: "none",
  overrideTaming: "moderate",
  domainTaming: "unsafe",
});
// SES leaves these out of the shared intrinsics; the runtime uses Atomics, DMA buffers are
// SharedArrayBuffers the driver holds, and drivers get the float arrays, so all are frozen too.
harden(Atomics);
harden(SharedArrayBuffer);
harden(Float32Array);
harden(Float64Array);

const words = new Int32Array(data.mailbox, 0, 16);

// Wait for the run token before evaluating anything: one process runs at a time.
while (Atomics.load(words, Word.STATE) === MailboxState.REQUEST) Atomics.wait(words, Word.STATE, MailboxState.REQUEST);
Atomics.store(words, Word.STATE, MailboxState.RUNNING);

const host: SandboxHost = harden({
  takeAttachment() {
    const message = receiveMessageOnPort(data.attachments)?.message as unknown;
    return message instanceof SharedArrayBuffer ? message : undefined;
  },
  offHeapKiB: () => Math.min(2 ** 31 - 1, Math.floor(v8.getHeapStatistics().external_memory / 1024)),
});

const compartment = new Compartment({ __options__: true });
const install = compartment.evaluate(`(${installSandboxRuntime.toString()})`) as typeof installSandboxRuntime;
const runtime = install(
  data.mailbox,
  host,
  { seed: data.seed, epochMs: data.epochMs },
  { Atomics, Float32Array, Float64Array },
);

if (data.wasm) {
  const wasm = data.wasm;
  runtime.runGuarded(() => runWasmProgram(runtime.gate as SyscallGate, wasm));
} else {
  runtime.runModule(evaluateDriver(), data.filename);
}

/** Evaluates the bundle in the compartment; returns its module object (never touched here). */
function evaluateDriver(): unknown {
  // The bundle's free references to built-ins would each be a lookup through the compartment's
  // scope chain (SES evaluates inside `with` scopes, ~100× slower in hot loops); bound as
  // parameters they are plain locals. The prefix stays on line 1 so the source map's lines hold.
  const names = runtime.globalNames.join(", ");
  const source =
    `(function (${names}) {${data.code}\n;return typeof __zds_module === "undefined" ? undefined : __zds_module;\n})(${names})\n` +
    `//# sourceURL=${data.filename}\n`;
  try {
    return compartment.evaluate(source);
  } catch (error) {
    // A syntax error, or code the sandbox refuses (see docs/security.md): the fault path says why.
    // Anything else was thrown by the module's own top-level code (a function that is only
    // declared, a constant read before it is set): thrown again where the fault path reads it, so
    // the report names the driver's line. Only the runtime (in the compartment) reads the value.
    const text = describeRefusal(error);
    if (text === undefined) return { default: { manifest: null, run: () => rethrow(error) } };
    return { default: { manifest: null, run: () => refused(`${text}${refusalHint(text)}`) } };
  }
}

/** The sandbox's or the parser's refusal in words; undefined for an error the module's code threw. */
function describeRefusal(error: unknown): string | undefined {
  // SES and the parser throw errors of this realm; the driver's code throws the compartment's.
  if (!(error instanceof Error)) return undefined;
  const text = `${error.name}: ${error.message}`;
  if (error instanceof SyntaxError || /SES_[A-Z_]+/.test(text)) return text;
  return undefined;
}

function rethrow(error: unknown): never {
  throw error;
}

/** What to do about the source checks SES makes before it evaluates anything. */
function refusalHint(message: string): string {
  if (message.includes("SES_IMPORT_REJECTED")) {
    return " — the bundle holds the characters `import(` (a dynamic import, or those letters in a string or comment); drivers cannot load modules at run time: import at the top of the file so the bundler includes it; text that must hold those letters has to be built at run time (the bundler joins constant strings back together)";
  }
  if (message.includes("SES_HTML_COMMENT_REJECTED")) {
    return ` — the bundle holds \`<!--\` or \`-->\`, which JavaScript may read as a comment; build such text at run time, e.g. '-'.repeat(2) + '>' (the bundler joins constant strings back together)`;
  }
  if (message.includes("SES_EVAL_REJECTED"))
    return " — the bundle calls eval directly; drivers get no code evaluation from strings";
  return "";
}

function refused(reason: string): never {
  throw new Error(`${data.filename}: the sandbox refused the driver's code: ${reason}`);
}
