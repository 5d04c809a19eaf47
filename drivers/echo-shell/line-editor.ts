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

export const MAX_LINE = 256;

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

  /** Feed what the terminal sent. Returns the echo to write back and the events it completed, in
   *  order; `echo` is cut at each event so the caller can write the echo, act, then go on. */
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
        this.clear();
        return { echo: "^C\r\n", event: { kind: "cancel" } };
      }
      case 0x04:
        return this.chars.length === 0 ? { echo: "\r\n", event: { kind: "eof" } } : { echo: BEL };
      case 0x15:
        return { echo: this.killLine() };
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
    this.clear();
    return { echo: "\r\n", event: { kind: "line", text } };
  }

  private insert(ch: string): string {
    if (this.chars.length >= MAX_LINE) {
      this.overflow++;
      return BEL;
    }
    this.chars.splice(this.cursor, 0, ch);
    this.cursor++;
    // Redraw what follows the cursor, then step back over it.
    const tail = this.chars.slice(this.cursor).join("");
    return ch + tail + left(this.chars.length - this.cursor);
  }

  private backspace(): string {
    if (this.cursor === 0) return BEL;
    this.chars.splice(this.cursor - 1, 1);
    this.cursor--;
    const tail = this.chars.slice(this.cursor).join("");
    // Back one, rewrite the tail over the deleted character, blank the last cell, return.
    return "\b" + tail + " " + left(this.chars.length - this.cursor + 1);
  }

  private killLine(): string {
    const moveBack = left(this.cursor);
    this.clear();
    // To the line's start, then erase to the end of the screen line (EL 0).
    return moveBack + "\x1b[K";
  }

  private clear(): void {
    this.chars = [];
    this.cursor = 0;
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
        if (this.cursor === 0) return BEL;
        this.cursor--;
        return left(1);
      case "[C":
      case "OC":
        if (this.cursor === this.chars.length) return BEL;
        this.cursor++;
        return "\x1b[C";
      case "[H":
      case "OH":
      case "[1~": {
        const back = left(this.cursor);
        this.cursor = 0;
        return back;
      }
      case "[F":
      case "OF":
      case "[4~": {
        const ahead = this.chars.length - this.cursor;
        this.cursor = this.chars.length;
        return ahead > 0 ? `\x1b[${ahead}C` : "";
      }
      default:
        // Keys the shell has no use for (↑, ↓, function keys) are swallowed, not echoed as junk.
        return "";
    }
  }
}

/** Cursor back n cells (CUB); nothing for 0, since "ESC [ 0 D" still moves one. */
function left(n: number): string {
  return n === 0 ? "" : n === 1 ? "\b" : `\x1b[${n}D`;
}
