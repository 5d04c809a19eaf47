// The line editor of echo-shell: keystrokes in, what to echo out, whole lines when Enter comes.
// It keeps no terminal state beyond the line being typed and the cursor in it, and speaks plain
// VT100 to the terminal, as a shell on a serial line does:
//   printable      insert at the cursor (the rest of the line is redrawn after it)
//   BS / DEL       delete before the cursor;  Ctrl-U kill the whole line;  Ctrl-C abandon the line
//   ← → Home End   move the cursor (ESC [ D / C / H / F, also ESC O … and ESC [ 1~ / 4~)
//   CR, LF, CRLF   end the line (a CR followed by LF counts once)
//   Ctrl-D         on an empty line: end of input
// The line is bounded (MAX_LINE characters): keys beyond it ring the bell and are counted, so a
// flood of input cannot grow the shell's memory.
//
// A line longer than the screen is wide wraps onto the next rows, and cursor-left stops at the left
// edge, so every edit but typing at the end redraws from the start of the input with explicit row
// and column moves (CUU/CUD, CR, CUF) computed from the width. One cell per character is assumed.

export const MAX_LINE = 256;
/** The console's width: virtio-console's config says 80 columns, and so does a serial terminal. */
export const COLUMNS = 80;

const BEL = "\x07";
const ESC = 0x1b;

export type EditorEvent = { readonly kind: "line"; readonly text: string } | { readonly kind: "cancel" } | { readonly kind: "eof" };

export class LineEditor {
  /** The line as characters (code points), and the cursor as an index into it. */
  private chars: string[] = [];
  private cursor = 0;
  private lastWasCr = false;
  /** A partial escape sequence carried over between reads. */
  private escape: string | undefined;
  private readonly decoder = new TextDecoder();
  /** Keys refused because the line was full. */
  overflow = 0;

  /** `promptWidth`: cells the prompt takes before the input starts; `width`: the screen's columns. */
  constructor(
    private readonly promptWidth: number,
    private readonly width = COLUMNS,
  ) {}

  /** Feed what the terminal sent. Returns the echo to write back and the events it completed, in
   *  order; `echo` is cut at each event so the caller can write the echo, act, then go on (the
   *  caller prints the prompt again after each event). */
  feed(bytes: Uint8Array): { echo: string; event?: EditorEvent }[] {
    const out: { echo: string; event?: EditorEvent }[] = [];
    let echo = "";
    for (const ch of this.decoder.decode(bytes, { stream: true })) {
      const result = this.key(ch);
      echo += result.echo;
      if (result.event) {
        out.push({ echo, event: result.event });
        echo = "";
      }
    }
    if (echo !== "" || out.length === 0) out.push({ echo });
    return out;
  }

  get line(): string {
    return this.chars.join("");
  }

  private key(ch: string): { echo: string; event?: EditorEvent } {
    if (this.escape !== undefined) return { echo: this.escapeKey(ch) };
    const code = ch.codePointAt(0) ?? 0;
    const afterCr = this.lastWasCr;
    this.lastWasCr = ch === "\r";
    switch (code) {
      case 0x0d:
        return this.enter();
      case 0x0a:
        return afterCr ? { echo: "" } : this.enter();
      case 0x08:
      case 0x7f:
        return { echo: this.backspace() };
      case 0x03: {
        const echo = this.toEnd() + "^C\r\n";
        this.clear();
        return { echo, event: { kind: "cancel" } };
      }
      case 0x04:
        return this.chars.length === 0 ? { echo: "\r\n", event: { kind: "eof" } } : { echo: BEL };
      case 0x15:
        return { echo: this.edit(() => this.clear()) };
      case ESC:
        this.escape = "";
        return { echo: "" };
      default:
        if (code < 0x20) return { echo: "" };
        return { echo: this.insert(ch) };
    }
  }

  private enter(): { echo: string; event: EditorEvent } {
    const text = this.line;
    // Output starts below the whole line, not below the cursor's row of it.
    const echo = this.toEnd() + "\r\n";
    this.clear();
    return { echo, event: { kind: "line", text } };
  }

  private insert(ch: string): string {
    if (this.chars.length >= MAX_LINE) {
      this.overflow++;
      return BEL;
    }
    if (this.cursor === this.chars.length) {
      // Typing at the end, the common case: just the character.
      this.chars.push(ch);
      this.cursor++;
      return ch + this.settle(this.at(this.cursor));
    }
    return this.edit(() => {
      this.chars.splice(this.cursor, 0, ch);
      this.cursor++;
    });
  }

  private backspace(): string {
    if (this.cursor === 0) return BEL;
    return this.edit(() => {
      this.chars.splice(this.cursor - 1, 1);
      this.cursor--;
    });
  }

  private clear(): void {
    this.chars = [];
    this.cursor = 0;
  }

  /** Change the line, then redraw it: back to where the input starts, the input, clear whatever
   *  was left of the old one (ED), and over to the cursor. */
  private edit(change: () => void): string {
    const from = this.at(this.cursor);
    change();
    const end = this.at(this.chars.length);
    return this.move(from, this.promptWidth) + this.line + this.settle(end) + "\x1b[J" + this.move(end, this.at(this.cursor));
  }

  /** After output that filled the last column, the terminal holds the cursor there (pending wrap);
   *  a space and CR put it where it belongs, at the start of the next row. */
  private settle(position: number): string {
    return position > 0 && position % this.width === 0 ? " \r" : "";
  }

  private toEnd(): string {
    return this.move(this.at(this.cursor), this.at(this.chars.length));
  }

  /** Screen position (cells from the start of the prompt) of the character index `i`. */
  private at(i: number): number {
    return this.promptWidth + i;
  }

  /** Cursor movement between two positions, across rows. */
  private move(from: number, to: number): string {
    if (from === to) return "";
    const rows = Math.floor(to / this.width) - Math.floor(from / this.width);
    const col = to % this.width;
    if (rows === 0) {
      const d = col - (from % this.width);
      return d < 0 ? left(-d) : `\x1b[${d}C`;
    }
    const vertical = rows < 0 ? `\x1b[${-rows}A` : `\x1b[${rows}B`;
    return vertical + "\r" + (col > 0 ? `\x1b[${col}C` : "");
  }

  /** Inside ESC …: collect until the sequence is complete, then act on the keys we know. */
  private escapeKey(ch: string): string {
    const seq = this.escape + ch;
    const code = ch.codePointAt(0) ?? 0;
    // ESC [ params final, or ESC O final (SS3, application cursor keys).
    const complete = seq.length === 1 ? ch !== "[" && ch !== "O" : code >= 0x40 && code <= 0x7e;
    if (!complete && seq.length < 16) {
      this.escape = seq;
      return "";
    }
    this.escape = undefined;
    switch (seq) {
      case "[D":
      case "OD":
        return this.moveCursor(this.cursor - 1);
      case "[C":
      case "OC":
        return this.moveCursor(this.cursor + 1);
      case "[H":
      case "OH":
      case "[1~":
        return this.moveCursor(0);
      case "[F":
      case "OF":
      case "[4~":
        return this.moveCursor(this.chars.length);
      default:
        // Keys the shell has no use for (↑, ↓, function keys) are swallowed, not echoed as junk.
        return "";
    }
  }

  private moveCursor(to: number): string {
    if (to < 0 || to > this.chars.length) return BEL;
    const from = this.at(this.cursor);
    this.cursor = to;
    return this.move(from, this.at(to));
  }
}

/** Cursor back n cells (CUB); nothing for 0, since "ESC [ 0 D" still moves one. */
function left(n: number): string {
  return n === 0 ? "" : n === 1 ? "\b" : `\x1b[${n}D`;
}
