// Layout of a process's syscall mailbox: one SharedArrayBuffer per process, written by the worker
// (request) and by the kernel on the host thread (response). Zero OS Phase 1's scheme
// (zero-os-abi.md §1.3–1.4) with two changes: the mailbox is its own buffer (not the first 16 KiB of
// the process's memory), and the result is a full 64-bit-safe number (a float64 holding an
// integer), so packed results such as `slot << 32 | id` keep their slot; and the arguments are
// float64 too, so the kernel sees exactly what driver code passed (NaN, 0.5, 2^53) and refuses it,
// instead of a 32-bit truncation that could land inside a grant.

import { MAILBOX_DATA_BYTES } from "../abi/syscalls";

export const MailboxState = {
  /** The worker owns the token and is running driver code. */
  RUNNING: 0,
  /** The worker posted a syscall and waits in Atomics.wait. */
  REQUEST: 1,
  /** The kernel posted the result; the worker may run. */
  RESPONSE: 2,
  /** The kernel, before it ends the process for a violation found in this syscall, asks where the
   *  driver was: the worker's runtime answers with its stack, without running driver code. */
  STACK_REQUEST: 3,
  /** The runtime wrote its stack (data area, OUT_LEN bytes); it waits for REQUEST or RESPONSE. */
  STACK_REPLY: 4,
} as const;

/** Int32 word indexes. */
export const Word = {
  STATE: 0,
  NUM: 1,
  /** Off-heap memory (ArrayBuffer backing stores) of the worker's isolate, KiB, written by the
   *  trusted runtime with every request: the kernel bounds it like the heap. */
  OFF_HEAP_KIB: 2,
  IN_LEN: 5,
  OUT_LEN: 6,
  /** Response flags: bit 0 = a SharedArrayBuffer was posted on the attachment port. */
  FLAGS: 7,
} as const;

export const FLAG_ATTACHMENT = 1;
/** Byte offset of the float64 result. */
export const RESULT_OFFSET = 32;
/** Byte offset of the three float64 arguments a0, a1, a2. */
export const ARGS_OFFSET = 40;
/** Byte offset of the data area shared by request and response payloads. */
export const DATA_OFFSET = 64;
export const MAILBOX_BYTES = DATA_OFFSET + MAILBOX_DATA_BYTES;
export { MAILBOX_DATA_BYTES };

/** A request as the kernel reads it from a mailbox. */
export interface SyscallRequest {
  num: number;
  /** Arguments as unsigned 32-bit integers (a negative i32 is taken as its two's complement). */
  a0: number;
  a1: number;
  a2: number;
  payload: Uint8Array;
  /** Set when an argument was not an integer in −2³¹ … 2³²−1: the syscall fails with E_INVAL
   *  before any handler sees it (that argument reads as 0). Says which and what it was. */
  invalid?: string;
}

/** The one rule every syscall argument passes before use: an integer that fits 32 bits. */
export function argumentProblem(name: string, value: number): string | undefined {
  if (Number.isInteger(value) && value >= -(2 ** 31) && value < 2 ** 32) return undefined;
  return `${name} = ${Object.is(value, -0) ? "-0" : String(value)} is not an integer in -2^31 … 2^32-1`;
}

/** Checks and normalises raw arguments (as a worker or a test wrote them) into a request. */
export function syscallRequest(
  num: number,
  raw: readonly [number, number, number],
  payload: Uint8Array,
): SyscallRequest {
  const names = ["a0", "a1", "a2"] as const;
  let invalid: string | undefined;
  const args = raw.map((value, i) => {
    const problem = argumentProblem(names[i], value);
    if (problem === undefined) return value >>> 0;
    invalid ??= problem;
    return 0;
  });
  const request: SyscallRequest = { num: num >>> 0, a0: args[0], a1: args[1], a2: args[2], payload };
  if (invalid !== undefined) request.invalid = invalid;
  return request;
}

/** Host-side view of a mailbox. */
export class HostMailbox {
  readonly words: Int32Array;
  private readonly result: Float64Array;
  private readonly args: Float64Array;
  private readonly bytes: Uint8Array;

  constructor(readonly buffer: SharedArrayBuffer) {
    this.words = new Int32Array(buffer, 0, DATA_OFFSET / 4);
    this.result = new Float64Array(buffer, RESULT_OFFSET, 1);
    this.args = new Float64Array(buffer, ARGS_OFFSET, 3);
    this.bytes = new Uint8Array(buffer);
  }

  static create(): HostMailbox {
    const box = new HostMailbox(new SharedArrayBuffer(MAILBOX_BYTES));
    // A new process starts as if it had asked to run: the kernel's first "response" lets it go.
    Atomics.store(box.words, Word.STATE, MailboxState.REQUEST);
    return box;
  }

  state(): number {
    return Atomics.load(this.words, Word.STATE);
  }

  readRequest(): SyscallRequest {
    const len = Math.min(Math.max(this.words[Word.IN_LEN], 0), MAILBOX_DATA_BYTES);
    return syscallRequest(
      this.words[Word.NUM],
      [this.args[0], this.args[1], this.args[2]],
      this.bytes.slice(DATA_OFFSET, DATA_OFFSET + len),
    );
  }

  /** Off-heap bytes the worker reported with its last request. */
  offHeapBytes(): number {
    return Math.max(0, this.words[Word.OFF_HEAP_KIB]) * 1024;
  }

  /**
   * Where the worker's driver code is (its stack, as V8 writes it), asked while the worker waits in
   * a syscall: the host waits for the answer (synchronously, at most `timeoutMs`) and puts the
   * mailbox back to REQUEST. Undefined when the worker is not waiting in a syscall, or too slow.
   */
  requestStack(timeoutMs: number): string | undefined {
    const w = this.words;
    if (
      Atomics.compareExchange(w, Word.STATE, MailboxState.REQUEST, MailboxState.STACK_REQUEST) !== MailboxState.REQUEST
    )
      return undefined;
    Atomics.notify(w, Word.STATE);
    const deadline = performance.now() + timeoutMs;
    let text: string | undefined;
    for (;;) {
      if (Atomics.load(w, Word.STATE) === MailboxState.STACK_REPLY) {
        const len = Math.min(Math.max(w[Word.OUT_LEN], 0), MAILBOX_DATA_BYTES);
        text = new TextDecoder().decode(this.bytes.slice(DATA_OFFSET, DATA_OFFSET + len));
        break;
      }
      const left = deadline - performance.now();
      if (left <= 0) break;
      Atomics.wait(w, Word.STATE, MailboxState.STACK_REQUEST, left);
    }
    // Whether or not it answered, the worker goes back to waiting for the syscall's result.
    Atomics.store(w, Word.STATE, MailboxState.REQUEST);
    Atomics.notify(w, Word.STATE);
    return text;
  }

  /** Post a result and wake the worker. The payload must already fit (callers truncate). */
  respond(result: number, payload: Uint8Array | undefined, attached: boolean): void {
    const data = payload ?? new Uint8Array(0);
    this.bytes.set(data.subarray(0, MAILBOX_DATA_BYTES), DATA_OFFSET);
    this.words[Word.OUT_LEN] = Math.min(data.length, MAILBOX_DATA_BYTES);
    this.words[Word.FLAGS] = attached ? FLAG_ATTACHMENT : 0;
    this.result[0] = result;
    Atomics.store(this.words, Word.STATE, MailboxState.RESPONSE);
    Atomics.notify(this.words, Word.STATE);
  }
}
