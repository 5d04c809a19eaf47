// Layout of a process's syscall mailbox: one SharedArrayBuffer per process, written by the worker
// (request) and by the kernel on the host thread (response). Zero OS Phase 1's scheme
// (zero-os-abi.md §1.3–1.4) with two changes: the mailbox is its own buffer (not the first 16 KiB of
// the process's memory), and the result is a full 64-bit-safe number (a float64 holding an
// integer), so packed results such as `slot << 32 | id` keep their slot.

import { MAILBOX_DATA_BYTES } from "../abi/syscalls";

export const MailboxState = {
  /** The worker owns the token and is running driver code. */
  RUNNING: 0,
  /** The worker posted a syscall and waits in Atomics.wait. */
  REQUEST: 1,
  /** The kernel posted the result; the worker may run. */
  RESPONSE: 2,
} as const;

/** Int32 word indexes. */
export const Word = {
  STATE: 0,
  NUM: 1,
  A0: 2,
  A1: 3,
  A2: 4,
  IN_LEN: 5,
  OUT_LEN: 6,
  /** Response flags: bit 0 = a SharedArrayBuffer was posted on the attachment port. */
  FLAGS: 7,
} as const;

export const FLAG_ATTACHMENT = 1;
/** Byte offset of the float64 result. */
export const RESULT_OFFSET = 32;
/** Byte offset of the data area shared by request and response payloads. */
export const DATA_OFFSET = 64;
export const MAILBOX_BYTES = DATA_OFFSET + MAILBOX_DATA_BYTES;
export { MAILBOX_DATA_BYTES };

/** A request as the kernel reads it from a mailbox. */
export interface SyscallRequest {
  num: number;
  a0: number;
  a1: number;
  a2: number;
  payload: Uint8Array;
}

/** Host-side view of a mailbox. */
export class HostMailbox {
  readonly words: Int32Array;
  private readonly result: Float64Array;
  private readonly bytes: Uint8Array;

  constructor(readonly buffer: SharedArrayBuffer) {
    this.words = new Int32Array(buffer, 0, DATA_OFFSET / 4);
    this.result = new Float64Array(buffer, RESULT_OFFSET, 1);
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
    return {
      num: this.words[Word.NUM] >>> 0,
      a0: this.words[Word.A0] >>> 0,
      a1: this.words[Word.A1] >>> 0,
      a2: this.words[Word.A2] >>> 0,
      payload: this.bytes.slice(DATA_OFFSET, DATA_OFFSET + len),
    };
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
