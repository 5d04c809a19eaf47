// Where a run's keystrokes come from (kernel/console-input.ts applies them):
//   LiveKeys   a person at a terminal: every key goes in at the next input point.
//   PacedKeys  a script or a pipe: one line at a time, each typed when the machine has gone idle
//              with a client waiting for input (a shell at its prompt), as a person would after
//              reading the prompt. Same script, same run.
// Both are bounded: keys not yet taken beyond MAX_PENDING_BYTES are dropped and counted.

import type { ConsoleInputSource, InputPoint } from "./console-input";

export const MAX_PENDING_BYTES = 64 * 1024;

abstract class KeySource implements ConsoleInputSource {
  /** Keys dropped because too many were waiting to go in. */
  dropped = 0;
  protected open = true;
  private wake: (() => void) | undefined;

  /** Called when keys arrive while the machine may be waiting (ConsoleInputHub.wake). */
  onInput(wake: () => void): void {
    this.wake = wake;
  }

  /** No more keys will come (end of the pipe, the user detached). */
  close(): void {
    this.open = false;
    this.wake?.();
  }

  get closed(): boolean {
    return !this.open;
  }

  protected woken(): void {
    this.wake?.();
  }

  abstract push(bytes: Uint8Array): void;
  abstract take(at: InputPoint): Uint8Array[];
  abstract idle(waiting: boolean): "more" | "wait" | "none";
  /** Bytes given and never taken (the run ended first). */
  abstract get unused(): number;
}

export class LiveKeys extends KeySource {
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;

  push(bytes: Uint8Array): void {
    if (!this.open || bytes.length === 0) return;
    const room = MAX_PENDING_BYTES - this.pendingBytes;
    if (bytes.length > room) this.dropped += bytes.length - Math.max(0, room);
    const kept = bytes.subarray(0, Math.max(0, room));
    if (kept.length === 0) return;
    this.pending.push(kept);
    this.pendingBytes += kept.length;
    this.woken();
  }

  take(): Uint8Array[] {
    if (this.pending.length === 0) return [];
    const all = concat(this.pending);
    this.pending = [];
    this.pendingBytes = 0;
    return [all];
  }

  idle(waiting: boolean): "more" | "wait" | "none" {
    if (!waiting) return "none";
    return this.pending.length > 0 ? "more" : this.open ? "wait" : "none";
  }

  get unused(): number {
    return this.pendingBytes;
  }
}

export class PacedKeys extends KeySource {
  private readonly lines: Uint8Array[] = [];
  private linesBytes = 0;
  private partial: number[] = [];
  private ready: Uint8Array | undefined;

  push(bytes: Uint8Array): void {
    if (!this.open) return;
    for (const byte of bytes) {
      if (this.linesBytes + this.partial.length >= MAX_PENDING_BYTES) {
        this.dropped++;
        continue;
      }
      this.partial.push(byte);
      // A line ends at LF or CR; a CR LF pair stays together.
      if (byte === 0x0a || byte === 0x0d) this.endLine();
    }
    this.woken();
  }

  override close(): void {
    if (this.partial.length > 0) this.endLine();
    super.close();
  }

  take(): Uint8Array[] {
    const line = this.ready;
    this.ready = undefined;
    return line ? [line] : [];
  }

  idle(waiting: boolean): "more" | "wait" | "none" {
    if (!waiting) return "none";
    if (this.lines.length > 0) {
      this.ready = this.lines.shift();
      this.linesBytes -= this.ready?.length ?? 0;
      return "more";
    }
    return this.open ? "wait" : "none";
  }

  get unused(): number {
    return this.linesBytes + this.partial.length + (this.ready?.length ?? 0);
  }

  private endLine(): void {
    const last = this.lines[this.lines.length - 1];
    // LF right after a line that ended in CR: the same Enter.
    if (this.partial.length === 1 && this.partial[0] === 0x0a && last?.[last.length - 1] === 0x0d) {
      this.lines[this.lines.length - 1] = Uint8Array.of(...last, 0x0a);
    } else {
      this.lines.push(Uint8Array.from(this.partial));
    }
    this.linesBytes += this.partial.length;
    this.partial = [];
  }
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
