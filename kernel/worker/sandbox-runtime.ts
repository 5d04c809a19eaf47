// Code that runs INSIDE the driver's compartment (Hardened JavaScript, see bootstrap.ts and
// docs/security.md). `installSandboxRuntime` is serialised with Function.prototype.toString and
// evaluated by the compartment, so it must be self-contained: no imports, no outer variables,
// numbers inlined (they mirror mailbox.ts and syscalls.ts; a test checks they agree).
//
// Everything driver code can touch is made here — the gate, its results, the deterministic globals,
// the fault path — so no object of the worker's start compartment is ever handed to driver code, and
// no worker code runs on a value the driver made. What the runtime itself relies on (Atomics, the
// mailbox views, the encoder, its own syscall function) is captured before any driver code runs:
// a driver that replaces its globals or the gate's methods changes only what it sees itself.

export interface SandboxHost {
  /** Receive a SharedArrayBuffer posted on the attachment port. */
  takeAttachment(): SharedArrayBuffer | undefined;
  /** Off-heap memory (ArrayBuffer backing stores) of this worker's isolate, KiB. */
  offHeapKiB(): number;
}

export interface SandboxConstants {
  seed: number;
  /** Wall-clock epoch (ms) that virtual time 0 maps to, so Date is deterministic. */
  epochMs: number;
}

/** The SyscallGate shape (kernel/abi/gate.ts), restated: this file may import nothing. */
export interface SandboxGate {
  syscall(num: number, a0: number, a1: number, a2: number, payload?: Uint8Array): number;
  response(): Uint8Array;
  attachedBuffer(): SharedArrayBuffer | undefined;
}

export interface SandboxRuntime {
  /** Hardened: the driver gets this object and cannot change what the runtime calls. */
  gate: SandboxGate;
  /** Built-ins the driver bundle's wrapper binds as parameters (fast lookups, see bootstrap.ts). */
  globalNames: readonly string[];
  /** Runs an evaluated driver module to its end: EXIT with main's code, or FAULT. Never returns. */
  runModule(mod: unknown, filename: string): void;
  /** Runs trusted code that may throw (a WASM program) with the same ending. Never returns. */
  runGuarded(body: () => number): void;
}

/** Installs gate + deterministic globals in the compartment. */
/** Built-ins SES leaves out of compartments, handed in hardened by the bootstrap. */
export interface SandboxIntrinsics {
  Atomics: typeof Atomics;
  Float32Array: Float32ArrayConstructor;
  Float64Array: Float64ArrayConstructor;
}

export function installSandboxRuntime(
  mailbox: SharedArrayBuffer,
  host: SandboxHost,
  k: SandboxConstants,
  extra: SandboxIntrinsics,
): SandboxRuntime {
  const STATE = 0,
    NUM = 1,
    OFF_HEAP_KIB = 2,
    IN_LEN = 5,
    OUT_LEN = 6,
    FLAGS = 7;
  const RUNNING = 0,
    REQUEST = 1,
    STACK_REQUEST = 3,
    STACK_REPLY = 4;
  const RESULT_OFFSET = 32,
    ARGS_OFFSET = 40,
    DATA_OFFSET = 64,
    DATA_BYTES = 16356;
  const SYS_DEBUG = 0x01,
    SYS_EXIT = 0x03,
    SYS_TIME = 0x04,
    SYS_FAULT = 0xf1;
  const SPIN_MAX = 20000;
  const FAULT_TEXT_BYTES = 16000;
  const { load, store, wait, notify, compareExchange } = extra.Atomics;
  const ErrorCtor = Error;
  const Float64 = extra.Float64Array;
  // Captured now: a compartment's globals stay writable, so the runtime never looks them up later.
  const freeze = Object.freeze;
  const defineProperty = Object.defineProperty;
  const ownKeys = Reflect.ownKeys;
  const { floor, min, max } = Math;
  const stringify = JSON.stringify;
  const toText = String;
  const hardenAll = harden;
  const encoder = new TextEncoder();
  const words = new Int32Array(mailbox, 0, 16);
  const result = new Float64(mailbox, RESULT_OFFSET, 1);
  const args = new Float64(mailbox, ARGS_OFFSET, 3);
  const data = new Uint8Array(mailbox, DATA_OFFSET, DATA_BYTES);
  let spin = 256;
  let attached: SharedArrayBuffer | undefined;

  // Non-numbers become NaN here rather than running a driver's valueOf inside the runtime; the
  // kernel refuses NaN (and every other non-integer) with E_INVAL.
  const num = (x: unknown): number => (typeof x === "number" ? x : NaN);

  function syscall(n: number, a0: number, a1: number, a2: number, payload?: Uint8Array): number {
    const len = payload === undefined ? 0 : num(payload.length);
    if (!(len >= 0 && len <= DATA_BYTES && floor(len) === len)) {
      throw new RangeError(
        `syscall payload of ${toText(len)} bytes: it must be a byte array of at most ${DATA_BYTES} bytes (the mailbox)`,
      );
    }
    if (payload !== undefined) data.set(payload);
    words[NUM] = num(n);
    args[0] = num(a0);
    args[1] = num(a1);
    args[2] = num(a2);
    words[IN_LEN] = len;
    words[OFF_HEAP_KIB] = host.offHeapKiB();
    store(words, STATE, REQUEST);
    notify(words, STATE);
    // When the kernel answers this process straight away it does so within microseconds: spin a
    // little before paying for a futex sleep. When the token goes elsewhere the spin only steals
    // the CPU the next process needs, so the spin adapts: longer after a hit, shorter after a miss.
    let i = 0;
    while (i < spin && load(words, STATE) === REQUEST) i++;
    if (load(words, STATE) === REQUEST) spin = spin >> 2;
    else spin = min(SPIN_MAX, spin * 2 + 64);
    for (;;) {
      const state = load(words, STATE);
      if (state === REQUEST) wait(words, STATE, REQUEST);
      else if (state === STACK_REQUEST) answerStack();
      else if (state === STACK_REPLY) wait(words, STATE, STACK_REPLY);
      else break;
    }
    const value = result[0];
    attached = words[FLAGS] & 1 ? host.takeAttachment() : undefined;
    store(words, STATE, RUNNING);
    return value;
  }

  /** The kernel asks where the driver is (it found a violation in this syscall, docs/abi.md
   *  "Mailbox"): the stack of this call, which runs no driver code, written to the data area. */
  function answerStack(): void {
    let text: string;
    try {
      text = toText(new ErrorCtor("where the driver was").stack);
    } catch {
      text = "";
    }
    const bytes = encoder.encode(text).subarray(0, DATA_BYTES);
    data.set(bytes);
    words[OUT_LEN] = bytes.length;
    compareExchange(words, STATE, STACK_REQUEST, STACK_REPLY);
    notify(words, STATE);
  }

  const gate: SandboxGate = hardenAll({
    syscall,
    response(): Uint8Array {
      const n = min(max(words[OUT_LEN], 0), DATA_BYTES);
      return data.slice(0, n);
    },
    attachedBuffer(): SharedArrayBuffer | undefined {
      return attached;
    },
  });

  const g = globalThis as unknown as Record<string, unknown>;
  const define = (name: string, value: unknown): void => {
    defineProperty(g, name, { value, writable: true, configurable: true, enumerable: false });
  };

  // Deterministic replacements: same drivers + machine + seed ⇒ same behaviour. The compartment's
  // own Math.random and Date.now throw (SES); these are answered by the seed and the virtual clock.
  let s = k.seed >>> 0 || 0x9e3779b9;
  const random = (): number => {
    // xorshift32: cheap, deterministic, good enough for driver-side jitter and test data
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 0x100000000;
  };
  const SharedMath = Math as unknown as Record<string | symbol, unknown>;
  const math: Record<string | symbol, unknown> = {};
  for (const key of ownKeys(SharedMath)) math[key] = key === "random" ? random : SharedMath[key];
  define("Math", freeze(math));
  const nowNs = (): number => syscall(SYS_TIME, 2, 0, 0);
  const SharedDate = Date;
  class VirtualDate extends SharedDate {
    constructor(...parts: unknown[]) {
      if (parts.length === 0) super(k.epochMs + floor(nowNs() / 1e6));
      else super(...(parts as [string]));
    }
    static override now(): number {
      return k.epochMs + floor(nowNs() / 1e6);
    }
  }
  define("Date", hardenAll(VirtualDate));
  define("performance", hardenAll({ now: () => nowNs() / 1e6 }));
  const noTimer = (name: string) => () => {
    throw new Error(
      `${name} is not available to drivers: driver code is synchronous — wait for a message or an IRQ instead`,
    );
  };
  for (const name of ["setTimeout", "setInterval", "setImmediate", "queueMicrotask"])
    define(name, hardenAll(noTimer(name)));
  const describeValue = (p: unknown): string => (typeof p === "string" ? p : toText(stringify(p)));
  const debug = (...parts: unknown[]): void => {
    const bytes = encoder.encode(parts.map(describeValue).join(" ")).subarray(0, DATA_BYTES);
    syscall(SYS_DEBUG, bytes.length, 0, 0, bytes);
  };
  // Drivers decode floats in device data too; SES omits these two only for NaN-pattern reasons.
  define("Float32Array", extra.Float32Array);
  define("Float64Array", extra.Float64Array);
  define("console", hardenAll({ log: debug, info: debug, warn: debug, error: debug, debug }));

  const globalNames = freeze([
    "Array",
    "ArrayBuffer",
    "BigInt",
    "BigInt64Array",
    "BigUint64Array",
    "Boolean",
    "DataView",
    "Date",
    "Error",
    "Float32Array",
    "Float64Array",
    "Int8Array",
    "Int16Array",
    "Int32Array",
    "JSON",
    "Map",
    "Math",
    "Number",
    "Object",
    "Promise",
    "Proxy",
    "RangeError",
    "Reflect",
    "RegExp",
    "Set",
    "String",
    "Symbol",
    "TextDecoder",
    "TextEncoder",
    "TypeError",
    "Uint8Array",
    "Uint8ClampedArray",
    "Uint16Array",
    "Uint32Array",
    "WeakMap",
    "WeakSet",
    "console",
    "isFinite",
    "isNaN",
    "parseFloat",
    "parseInt",
    "performance",
  ]);

  // The fault path reads the driver's thrown value only through guarded property reads: a getter
  // or toString that throws (or throws again) ends in a fixed text, never in worker code.
  function describeError(error: unknown): string {
    try {
      if (error !== null && (typeof error === "object" || typeof error === "function")) {
        const stack = (error as { stack?: unknown }).stack;
        if (typeof stack === "string") return stack;
      }
      return toText(error);
    } catch {
      return "the driver threw a value that cannot be turned into text";
    }
  }

  function fault(description: string): never {
    const bytes = encoder.encode(description).subarray(0, FAULT_TEXT_BYTES);
    syscall(SYS_FAULT, bytes.length, 0, 0, bytes);
    // The kernel never answers FAULT; if it somehow does, stop here.
    for (;;) wait(words, STATE, words[STATE]);
  }

  function end(body: () => number): never {
    let code: number;
    try {
      code = body();
    } catch (error) {
      fault(describeError(error));
    }
    syscall(SYS_EXIT, typeof code === "number" ? code | 0 : 0, 0, 0);
    for (;;) wait(words, STATE, words[STATE]);
  }

  function runModule(mod: unknown, filename: string): void {
    end(() => {
      const driver = mod !== null && typeof mod === "object" ? (mod as { default?: unknown }).default : undefined;
      const run =
        driver !== null && typeof driver === "object" && "manifest" in driver
          ? (driver as { run?: unknown }).run
          : undefined;
      if (typeof run !== "function") {
        fault(
          `${filename}: the module's default export is not a driver — write \`export default defineDriver({ name, device, caps, main })\``,
        );
      }
      return (run as (this: unknown, gate: SandboxGate) => number).call(driver, gate);
    });
  }

  return freeze({ gate, globalNames, runModule, runGuarded: end });
}
