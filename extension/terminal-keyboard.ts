// The VS Code terminal's keys as the keyboard of `zds run --interactive` (runner/io.ts Keyboard): a
// run started from the extension takes its console keys the way the CLI does on a terminal, so they
// go in at the kernel's input points and are recorded in a trace like any typed session.

import { EventEmitter } from "node:events";
import type { Keyboard } from "../runner/io";

export class TerminalKeyboard implements Keyboard {
  /** A pseudoterminal delivers keys as typed, like a TTY in raw mode. */
  readonly isTTY = true;
  private readonly events = new EventEmitter();
  private paused = true;

  setRawMode(): this {
    return this;
  }

  /** Keys from the terminal; ignored while nobody reads them (before the run, after it). */
  type(data: string): boolean {
    if (this.paused) return false;
    this.events.emit("data", data);
    return true;
  }

  on(event: "data", listener: (chunk: Buffer | string) => void): this;
  on(event: "end", listener: () => void): this;
  on(event: "data" | "end", listener: ((chunk: Buffer | string) => void) | (() => void)): this {
    this.events.on(event, listener);
    return this;
  }

  removeAllListeners(event: "data" | "end"): this {
    this.events.removeAllListeners(event);
    return this;
  }

  pause(): this {
    this.paused = true;
    return this;
  }

  resume(): this {
    this.paused = false;
    return this;
  }
}
