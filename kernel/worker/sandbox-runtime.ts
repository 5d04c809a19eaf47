// Code that runs INSIDE the driver's sandbox realm. `installSandboxRuntime` is serialised with
// Function.prototype.toString and evaluated in the vm context, so it must be self-contained: no
// imports, no outer variables, numbers inlined (they mirror mailbox.ts and syscalls.ts; a test
// checks they agree). Everything it creates belongs to the sandbox realm, so no object of the
// worker's own realm (whose Function constructor could reach `process`) is ever handed to driver code.

export interface SandboxHost {
  /** Receive a SharedArrayBuffer posted on the attachment port (already re-homed to the sandbox). */
  takeAttachment(): SharedArrayBuffer | undefined;
  /** UTF-8 encode/decode done by the worker realm; results are copied into sandbox arrays. */
  encode(text: string): Uint8Array;
  decode(bytes: Uint8Array): string;
  decodeStrict(bytes: Uint8Array): string | undefined;
}

export interface SandboxConstants {
  seed: number;
  /** Wall-clock epoch (ms) that virtual time 0 maps to, so Date is deterministic. */
  epochMs: number;
}

/** Installs gate + deterministic globals in the sandbox; returns the gate (a SyscallGate). */
export function installSandboxRuntime(mailbox: SharedArrayBuffer, host: SandboxHost, k: SandboxConstants): unknown {
  const STATE = 0, NUM = 1, A0 = 2, A1 = 3, A2 = 4, IN_LEN = 5, OUT_LEN = 6, FLAGS = 7;
  const RUNNING = 0, REQUEST = 1, RESPONSE = 2;
  const RESULT_OFFSET = 32, DATA_OFFSET = 64, DATA_BYTES = 16356;
  const SYS_DEBUG = 0x01, SYS_TIME = 0x04;
  const SPIN_MAX = 20000;
  let spin = 256;
  const words = new Int32Array(mailbox, 0, 16);
  const result = new Float64Array(mailbox, RESULT_OFFSET, 1);
  const data = new Uint8Array(mailbox, DATA_OFFSET, DATA_BYTES);
  let attached: SharedArrayBuffer | undefined;

  const copyIn = (bytes: Uint8Array): Uint8Array => {
    const out = new Uint8Array(bytes.length);
    out.set(bytes);
    return out;
  };

  const gate = {
    syscall(num: number, a0: number, a1: number, a2: number, payload?: Uint8Array): number {
      const len = payload ? payload.length : 0;
      if (len > DATA_BYTES) throw new RangeError(`syscall payload of ${len} bytes exceeds the ${DATA_BYTES}-byte mailbox`);
      if (payload) data.set(payload);
      words[NUM] = num;
      words[A0] = a0 | 0;
      words[A1] = a1 | 0;
      words[A2] = a2 | 0;
      words[IN_LEN] = len;
      Atomics.store(words, STATE, REQUEST);
      Atomics.notify(words, STATE);
      // When the kernel answers this process straight away it does so within microseconds: spin a
      // little before paying for a futex sleep. When the token goes elsewhere the spin only steals
      // the CPU the next process needs, so the spin adapts: longer after a hit, shorter after a miss.
      let i = 0;
      while (i < spin && Atomics.load(words, STATE) === REQUEST) i++;
      if (Atomics.load(words, STATE) === REQUEST) {
        spin = spin >> 2;
        while (Atomics.load(words, STATE) === REQUEST) Atomics.wait(words, STATE, REQUEST);
      } else {
        spin = Math.min(SPIN_MAX, spin * 2 + 64);
      }
      const value = result[0];
      attached = words[FLAGS] & 1 ? host.takeAttachment() : undefined;
      Atomics.store(words, STATE, RUNNING);
      return value;
    },
    response(): Uint8Array {
      const n = Math.min(Math.max(words[OUT_LEN], 0), DATA_BYTES);
      return data.slice(0, n);
    },
    attachedBuffer(): SharedArrayBuffer | undefined {
      return attached;
    },
  };

  // Deterministic replacements: same drivers + machine + seed ⇒ same behaviour.
  let s = k.seed >>> 0 || 0x9e3779b9;
  Math.random = () => {
    // xorshift32: cheap, deterministic, good enough for driver-side jitter and test data
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 0x100000000;
  };
  const nowNs = (): number => gate.syscall(SYS_TIME, 2, 0, 0);
  const RealDate = Date;
  class VirtualDate extends RealDate {
    constructor(...args: unknown[]) {
      if (args.length === 0) super(k.epochMs + Math.floor(nowNs() / 1e6));
      else super(...(args as [string]));
    }
    static override now(): number {
      return k.epochMs + Math.floor(nowNs() / 1e6);
    }
  }
  const g = globalThis as unknown as Record<string, unknown>;
  g.Date = VirtualDate;
  g.performance = { now: () => nowNs() / 1e6 };
  const noTimers = (name: string) => () => {
    throw new Error(`${name} is not available to drivers: driver code is synchronous — wait for a message or an IRQ instead`);
  };
  for (const name of ["setTimeout", "setInterval", "setImmediate", "queueMicrotask"]) g[name] = noTimers(name);
  g.TextEncoder = class TextEncoder {
    encode(text = ""): Uint8Array {
      return copyIn(host.encode(String(text)));
    }
  };
  g.TextDecoder = class TextDecoder {
    private readonly fatal: boolean;
    constructor(_label = "utf-8", opts?: { fatal?: boolean }) {
      this.fatal = !!(opts && opts.fatal);
    }
    decode(bytes?: Uint8Array): string {
      const b = bytes ?? new Uint8Array(0);
      if (!this.fatal) return host.decode(copyIn(b));
      const text = host.decodeStrict(copyIn(b));
      if (text === undefined) throw new TypeError("The encoded data was not valid for encoding utf-8");
      return text;
    }
  };
  const debug = (...parts: unknown[]) => {
    const text = parts.map((p) => (typeof p === "string" ? p : JSON.stringify(p))).join(" ");
    const bytes = copyIn(host.encode(text)).subarray(0, DATA_BYTES);
    gate.syscall(SYS_DEBUG, bytes.length, 0, 0, bytes);
  };
  g.console = { log: debug, info: debug, warn: debug, error: debug, debug };
  return gate;
}
