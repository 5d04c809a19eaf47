// One descriptor ring as the e1000 sees it (receive or transmit; manual §3.2.6, §3.4): base address
// (xDBAL/xDBAH), length in bytes (xDLEN, a multiple of 128), head (xDH, the device's cursor) and tail
// (xDT, the driver's). The descriptors the device owns are those from head up to, not including,
// tail; head = tail means none.
//
// A real 82540EM does not check what a driver writes here: an impossible head or tail sends it
// walking memory it was never given. We check, and a ring with an impossible setting stops — the
// device touches none of its memory until the driver sets the ring up again (re-enabling its unit,
// RCTL.EN or TCTL.EN, or resetting the device) — and the reason is counted and reported. That is
// the safe reading of "undefined behaviour", and the one that shows a driver author their bug.

import { DESCRIPTOR_BYTES, RING_LENGTH_ALIGN, RING_LENGTH_MASK } from "./registers";

export type RingName = "receive" | "transmit";

/** A ring's registers and state, for the debugger's views. */
export interface RingState {
  readonly base: number;
  readonly lengthBytes: number;
  readonly count: number;
  readonly head: number;
  readonly tail: number;
  /** Why the ring is stopped, when it is. */
  readonly stopped: string | undefined;
}

export class DescriptorRing {
  baseLow = 0;
  baseHigh = 0;
  lengthBytes = 0;
  head = 0;
  tail = 0;
  stopped: string | undefined;

  constructor(
    readonly name: RingName,
    /** Register names for messages: "RD" or "TD". */
    private readonly prefix: "RD" | "TD",
  ) {}

  reset(): void {
    this.baseLow = 0;
    this.baseHigh = 0;
    this.lengthBytes = 0;
    this.head = 0;
    this.tail = 0;
    this.stopped = undefined;
  }

  get base(): number {
    // The low four bits are ignored: descriptors are 16-byte aligned (QEMU masks them the same way).
    return this.baseHigh * 2 ** 32 + ((this.baseLow & ~0xf) >>> 0);
  }

  get count(): number {
    return Math.floor(this.lengthBytes / DESCRIPTOR_BYTES);
  }

  /** Descriptors the device owns: head up to tail. */
  get owned(): number {
    const n = this.count;
    return n === 0 ? 0 : (this.tail - this.head + n) % n;
  }

  address(index: number): number {
    return this.base + index * DESCRIPTOR_BYTES;
  }

  state(): RingState {
    return {
      base: this.base,
      lengthBytes: this.lengthBytes,
      count: this.count,
      head: this.head,
      tail: this.tail,
      stopped: this.stopped,
    };
  }

  /** xDLEN written: a problem (the ring stops) unless a whole number of 128-byte blocks. The register
   *  keeps only bits 7–19, as the hardware's does. */
  writeLength(value: number): string | undefined {
    this.lengthBytes = value & RING_LENGTH_MASK;
    if (value % RING_LENGTH_ALIGN !== 0 || value !== this.lengthBytes)
      return this.stop(
        `${this.prefix}LEN = ${value} bytes is not a multiple of ${RING_LENGTH_ALIGN} (eight 16-byte descriptors) within 0xFFF80`,
      );
    return this.recheck();
  }

  /** xDH or xDT written: a problem (the ring stops) when it points past the ring's last descriptor. */
  writeIndex(which: "head" | "tail", value: number): string | undefined {
    this[which] = value & 0xffff;
    if (value > 0xffff)
      return this.stop(`${this.prefix}${which === "head" ? "H" : "T"} = ${value} does not fit the register's 16 bits`);
    return this.recheck();
  }

  /** The whole ring is checked when its unit is enabled: the place a driver must have it right. An
   *  enable also lifts an earlier stop, when the settings are right now. */
  enable(): string | undefined {
    this.stopped = undefined;
    if (this.lengthBytes === 0) return this.stop(`${this.prefix}LEN is 0: the ring has no descriptors`);
    return this.recheck();
  }

  private recheck(): string | undefined {
    const n = this.count;
    if (n === 0) return undefined; // nothing can be used yet; enable() complains if it stays so
    for (const [which, value] of [
      ["H", this.head],
      ["T", this.tail],
    ] as const) {
      if (value >= n)
        return this.stop(
          `${this.prefix}${which} = ${value} is beyond the ring's last descriptor (${this.prefix}LEN ${this.lengthBytes} bytes holds ${n}: 0…${n - 1})`,
        );
    }
    return undefined;
  }

  stop(reason: string): string {
    this.stopped ??= reason;
    return reason;
  }
}
