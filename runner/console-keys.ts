// Keystrokes for `zds run`: from the keyboard (stdin in raw mode when it is a terminal, so every key
// goes straight to the machine), from a pipe (a line at a time, each when the machine waits for
// input), or from --input TEXT (the same, scripted: `npm start` types into echo-shell this way).

import { LiveKeys, PacedKeys } from "../kernel/console-sources";
import type { ZlogConsoleInputs } from "../kernel/trace/zlog";
import { CliError, type Keyboard } from "./io";

/** Ctrl-]: leave an interactive run (as in telnet); every other key goes to the machine. */
export const DETACH_KEY = 0x1d;

export interface KeyInput {
  readonly source: LiveKeys | PacedKeys;
  /** What the trace header records of it. */
  readonly header: ZlogConsoleInputs;
  /** Called with Ctrl-] (live keyboard only). */
  onDetach(listener: () => void): void;
  /** Stop reading the keyboard and give the terminal back as it was. */
  release(): void;
}

/** --input TEXT: C-like escapes for keys that are hard to type in a shell command; \xHH is that
 *  byte (\x7f is DEL), everything else is UTF-8. */
export function unescapeKeys(text: string): Uint8Array {
  const simple: Record<string, number> = { n: 0x0a, r: 0x0d, t: 0x09, b: 0x08, e: 0x1b, "\\": 0x5c };
  const encoder = new TextEncoder();
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    if (text[i] !== "\\") {
      const ch = String.fromCodePoint(text.codePointAt(i) ?? 0);
      bytes.push(...encoder.encode(ch));
      i += ch.length - 1;
      continue;
    }
    const code = text[i + 1] ?? "";
    if (code in simple) {
      bytes.push(simple[code]);
      i += 1;
    } else if (code === "x" && /^[0-9a-fA-F]{2}$/.test(text.slice(i + 2, i + 4))) {
      bytes.push(parseInt(text.slice(i + 2, i + 4), 16));
      i += 3;
    } else {
      throw new CliError(`--input: unknown escape "\\${code}" (use \\n \\r \\t \\b \\e \\\\ or \\xHH)`);
    }
  }
  return Uint8Array.from(bytes);
}

export function scriptedKeys(text: string): KeyInput {
  const source = new PacedKeys();
  source.push(unescapeKeys(text));
  source.close();
  return { source, header: { kind: "console", mode: "paced" }, onDetach: () => undefined, release: () => undefined };
}

/** The keyboard: raw key by key from a terminal, line by line from a pipe or file. */
export function keyboardKeys(keyboard: Keyboard | undefined): KeyInput {
  if (keyboard === undefined)
    throw new CliError("--interactive needs a keyboard (standard input); use --input TEXT to script the keys");
  const live = keyboard.isTTY === true && keyboard.setRawMode !== undefined;
  const source = live ? new LiveKeys() : new PacedKeys();
  let detach: (() => void) | undefined;
  if (live) keyboard.setRawMode?.(true);
  keyboard.on("data", (chunk) => {
    const bytes = typeof chunk === "string" ? new TextEncoder().encode(chunk) : new Uint8Array(chunk);
    const cut = live ? bytes.indexOf(DETACH_KEY) : -1;
    source.push(cut < 0 ? bytes : bytes.subarray(0, cut));
    if (cut >= 0) {
      source.close();
      detach?.();
    }
  });
  keyboard.on("end", () => source.close());
  keyboard.resume();
  return {
    source,
    header: { kind: "console", mode: live ? "live" : "paced" },
    onDetach: (listener) => (detach = listener),
    release() {
      keyboard.removeAllListeners("data");
      keyboard.removeAllListeners("end");
      if (live) keyboard.setRawMode?.(false);
      keyboard.pause();
    },
  };
}
