// The machine console as a terminal shows it: what console devices transmit goes through a real
// terminal emulator (@xterm/headless, VS Code's own), so escape sequences, cursor movement and line
// editing land as they would on a screen. `zds run --interactive` shows this rendering, and tests
// read the screen from here rather than the raw bytes.
//
// Output is bounded on the host too: bytes written to the emulator but not yet parsed are capped
// (MAX_UNPARSED_BYTES); beyond that, output is dropped and counted rather than queued without limit.

import { Terminal, type IMarker } from "@xterm/headless";

/** The virtio-console device's advertised size (its config space): the screen programs draw on. */
export const CONSOLE_COLS = 80;
export const CONSOLE_ROWS = 25;
export const CONSOLE_SCROLLBACK = 5000;
export const MAX_UNPARSED_BYTES = 1 << 20;

export interface ScreenText {
  /** Every line from the top of the scrollback to the cursor's line or the last non-blank one,
   *  trailing blanks trimmed. */
  lines: string[];
  /** Cursor position: row counts from the top of `lines`. */
  cursor: { row: number; col: number };
}

export class ConsoleScreen {
  private readonly term: Terminal;
  private unparsed = 0;
  /** The first line not yet streamed out; a marker, so it stays right when scrollback is trimmed. */
  private flushed: IMarker | undefined;
  /** Output bytes dropped because the emulator fell too far behind. */
  dropped = 0;
  /** Output bytes rendered. */
  rendered = 0;

  constructor(options: { cols?: number; rows?: number } = {}) {
    // convertEol: LF also returns the carriage, as a tty's ONLCR does on the way to a screen (and as
    // a raw-mode Node TTY still does), so programs that print "\n" look the same here and there.
    this.term = new Terminal({
      cols: options.cols ?? CONSOLE_COLS,
      rows: options.rows ?? CONSOLE_ROWS,
      scrollback: CONSOLE_SCROLLBACK,
      convertEol: true,
      allowProposedApi: true,
    });
  }

  write(bytes: Uint8Array): void {
    if (this.unparsed + bytes.length > MAX_UNPARSED_BYTES) {
      this.dropped += bytes.length;
      return;
    }
    this.unparsed += bytes.length;
    this.term.write(bytes, () => {
      this.unparsed -= bytes.length;
      this.rendered += bytes.length;
    });
  }

  /** Resolves once everything written so far is on the screen. */
  settled(): Promise<void> {
    return new Promise((resolve) => this.term.write("", resolve));
  }

  /** The screen (and scrollback) as text. Call after settled() for everything written so far. */
  text(): ScreenText {
    const buffer = this.term.buffer.active;
    const cursorRow = buffer.baseY + buffer.cursorY;
    const lines: string[] = [];
    for (let i = 0; i < buffer.length; i++) lines.push(buffer.getLine(i)?.translateToString(true) ?? "");
    let end = lines.length;
    while (end > cursorRow + 1 && lines[end - 1] === "") end--;
    return { lines: lines.slice(0, end), cursor: { row: cursorRow, col: buffer.cursorX } };
  }

  /** Lines the cursor has left behind since the last call (for streaming a rendering to a pipe or
   *  file): finished lines only, so a line still being edited is not printed half-done. */
  finishedLines(): string[] {
    const { lines, cursor } = this.text();
    const start = Math.min(this.flushStart(), cursor.row);
    if (start === cursor.row) return [];
    this.flushed?.dispose();
    this.flushed = this.term.registerMarker(0);
    return lines.slice(start, cursor.row);
  }

  /** The lines not yet returned by finishedLines, including the cursor's line (end of the run). */
  remainingLines(): string[] {
    const { lines } = this.text();
    const rest = lines.slice(this.flushStart());
    while (rest.length > 0 && rest[rest.length - 1] === "") rest.pop();
    return rest;
  }

  private flushStart(): number {
    const line = this.flushed?.line ?? 0;
    // A marker trimmed off the top of the scrollback reads -1: start at the oldest line kept.
    return line < 0 ? 0 : line;
  }

  dispose(): void {
    this.term.dispose();
  }
}
