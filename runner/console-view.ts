// The machine console of `zds run --interactive` / `--input`: keystrokes in (console-keys.ts), the
// output rendered by a terminal emulator (console-screen.ts) and shown. On a terminal the bytes go
// straight through as well (the user's terminal renders exactly what the emulator does); to a pipe
// or file, the rendered lines are printed as the cursor leaves them, so line editing shows as its
// result ("echo hi"), not as the keystrokes and erasures that made it.

import type { Machine } from "../devices";
import type { Session } from "../kernel/session";
import { ConsoleScreen } from "./console-screen";
import type { KeyInput } from "./console-keys";
import type { ConsoleReport } from "./console-report";
import type { Io } from "./io";

export class ConsoleView {
  readonly screen = new ConsoleScreen();
  private readonly decoder = new TextDecoder();
  private streaming: Promise<void> = Promise.resolve();
  private streamQueued = false;

  constructor(
    private readonly io: Io,
    readonly keys: KeyInput,
  ) {}

  /** Show what the machine's console devices transmit (call before the run starts). */
  watch(machine: Machine): void {
    machine.onConsoleOutput((_device, bytes) => this.write(bytes));
  }

  /** Text for the machine console from the kernel (sys.console): on the same screen. */
  writeText(text: string): void {
    this.write(new TextEncoder().encode(text));
  }

  /** Connect the keys to the running session; Ctrl-] ends it. */
  attach(session: Session): void {
    const hub = session.consoleInput;
    this.keys.source.onInput(() => hub?.wake());
    this.keys.onDetach(() => {
      this.io.err("\r\n[zds: detached (Ctrl-])]\r\n");
      session.stop();
    });
  }

  /** The run is over: give the keyboard back, print the rest of the screen, report. */
  async finish(session: Session): Promise<ConsoleReport["keys"] & object> {
    this.keys.release();
    await this.streaming;
    await this.screen.settled();
    if (!this.io.outIsTerminal) {
      for (const line of this.screen.finishedLines()) this.io.out(`${line}\n`);
      for (const line of this.screen.remainingLines()) this.io.out(`${line}\n`);
    } else {
      this.io.out("\r\n");
    }
    const source = this.keys.source;
    const stats = session.consoleInput?.stats ?? { delivered: 0, device: undefined };
    return { ...stats, dropped: source.dropped, unused: source.unused };
  }

  private write(bytes: Uint8Array): void {
    this.screen.write(bytes);
    if (this.io.outIsTerminal) {
      this.io.out(this.decoder.decode(bytes, { stream: true }));
      return;
    }
    // Stream finished lines once the emulator has parsed this output (it parses asynchronously);
    // one flush pending at a time, however much is written meanwhile.
    if (this.streamQueued) return;
    this.streamQueued = true;
    this.streaming = this.streaming
      .then(() => this.screen.settled())
      .then(() => {
        this.streamQueued = false;
        for (const line of this.screen.finishedLines()) this.io.out(`${line}\n`);
      });
  }
}
