// A driver bundle's stack frames, read back as the driver's TypeScript: the bundle's inline source
// map turns `zds-driver:///virtio-rng.js:1519:12` into `drivers/virtio-rng/index.ts:14:5`, and each
// frame is told apart as the driver's own code, the SDK's (drivers/sdk, kernel/abi), or the worker's
// and Node's (everything outside the bundle). Fault reports show the driver's frames; `--verbose`
// shows them all. Host-side only: nothing here is handed to the driver.

import path from "node:path";
import { TraceMap, originalPositionFor } from "@jridgewell/trace-mapping";
import { sdkEntry } from "../host/paths";
import type { ScriptBundle } from "./bundle-driver";

/** A place in a driver's source: absolute file, 1-based line and column (as `zds check` prints them). */
export interface SourcePosition {
  file: string;
  line: number;
  column: number;
}

export type FrameOrigin = "driver" | "sdk" | "host";

export interface StackFrame {
  /** The function V8 named ("main", "DmaBuffer.setU32", "(anonymous)"). */
  name: string;
  origin: FrameOrigin;
  /** Where it is in TypeScript (driver and SDK frames of the bundle). */
  source?: SourcePosition;
  /** The frame as V8 wrote it, for frames outside the bundle. */
  text: string;
}

const FRAME = /^\s*at (?:(.*?) \()?(.*?):(\d+):(\d+)\)?\s*$/;

/** The SDK's folders: frames in them are the SDK's, not the driver's. */
function sdkFolders(): string[] {
  const sdk = path.dirname(sdkEntry());
  return [sdk + path.sep, path.join(sdk, "..", "..", "kernel", "abi") + path.sep];
}

export class BundleSource {
  private map: TraceMap | null | undefined;
  private readonly sdk = sdkFolders();

  constructor(private readonly bundle: Pick<ScriptBundle, "code" | "filename" | "entry" | "sourceRoot">) {}

  /** The bundle's source map, read the first time a fault needs it (undefined: the bundle has none). */
  private traceMap(): TraceMap | undefined {
    if (this.map === undefined) {
      const match = /\/\/# sourceMappingURL=data:application\/json;base64,([A-Za-z0-9+/=]+)\s*$/.exec(this.bundle.code);
      try {
        this.map = match ? new TraceMap(Buffer.from(match[1], "base64").toString("utf8")) : null;
      } catch {
        this.map = null;
      }
    }
    return this.map ?? undefined;
  }

  /** Every frame of a V8 stack text, mapped where it is the bundle's. */
  frames(stack: string): StackFrame[] {
    const frames: StackFrame[] = [];
    for (const line of stack.split("\n").slice(0, 200)) {
      const m = FRAME.exec(line);
      if (!m) continue;
      const [, name, url, l, c] = m;
      const text = line.trim();
      if (url !== this.bundle.filename) {
        frames.push({ name: name || "(anonymous)", origin: "host", text });
        continue;
      }
      const mapped = this.original(Number(l), Number(c));
      const own = mapped !== undefined && !this.isSdk(mapped.file);
      frames.push({
        name: name || "(anonymous)",
        origin: own ? "driver" : "sdk",
        source: own ? this.callStart(mapped) : mapped,
        text,
      });
    }
    return frames;
  }

  /** A bundle position (1-based line and column) in TypeScript. */
  original(line: number, column: number): SourcePosition | undefined {
    const map = this.traceMap();
    if (!map) return undefined;
    const orig = originalPositionFor(map, { line, column: Math.max(0, column - 1) });
    if (!orig.source || orig.line == null) return undefined;
    return {
      file: path.resolve(this.bundle.sourceRoot, orig.source),
      line: orig.line,
      column: (orig.column ?? 0) + 1,
    };
  }

  /** V8 places a call at its method's name (`irq.wait()` at `wait`); `zds check` at the start of the
   *  call (`irq`). Walk back over `name.`, `name?.`, `(…).` and `[…].` to where the call begins, so that
   *  the two name the same column. */
  private callStart(p: SourcePosition): SourcePosition {
    const text = this.sourceText(p.file);
    if (text === undefined) return p;
    const lines = text.split("\n");
    const line = lines[p.line - 1];
    if (line === undefined) return p;
    let at = p.column - 1;
    const isName = (ch: string | undefined) => ch !== undefined && /[\w$]/.test(ch);
    if (!isName(line[at])) return p;
    for (;;) {
      let dot = at - 1;
      if (line[dot] === "." && line[dot - 1] === "?") dot--;
      if (line[dot] !== "." && !(line[dot] === "?" && line[dot + 1] === ".")) break;
      let i = dot - 1;
      let grouped = false;
      // A call or index before the dot: its balanced group, then the name it applies to.
      while (line[i] === ")" || line[i] === "]") {
        grouped = true;
        const close = line[i];
        const open = close === ")" ? "(" : "[";
        let depth = 0;
        for (; i >= 0; i--) {
          if (line[i] === close) depth++;
          else if (line[i] === open && --depth === 0) break;
        }
        if (i < 0) return { ...p, column: at + 1 };
        i--;
      }
      if (!isName(line[i])) {
        // `(regs as PortRange).out8()`: the parenthesised expression is where the call begins.
        if (grouped && line[i + 1] === "(") at = i + 1;
        break;
      }
      while (isName(line[i - 1])) i--;
      at = i;
    }
    return { ...p, column: at + 1 };
  }

  private isSdk(file: string): boolean {
    return this.sdk.some((dir) => file.startsWith(dir));
  }

  /** The text of one of the bundle's sources (the map carries them), for locating manifest entries. */
  sourceText(file: string): string | undefined {
    const map = this.traceMap();
    if (!map) return undefined;
    const i = map.sources.findIndex((s) => s !== null && path.resolve(this.bundle.sourceRoot, s) === file);
    return i >= 0 ? (map.sourcesContent?.[i] ?? undefined) : undefined;
  }

  /**
   * Where in the driver's entry file the manifest says what Init refused: the `caps.NAME` entry, the
   * `device` or the `name` of the `defineDriver({...})` that declares `manifestName`. Init refuses
   * before any driver code runs, so there is no stack to read: the manifest is found in the source
   * (a text search from its defineDriver call, which the language server's ZDS001 agrees with on
   * manifests written as literals).
   */
  manifestEntry(error: string, manifestName: string | undefined): SourcePosition | undefined {
    const file = this.bundle.entry;
    const text = this.sourceText(file);
    if (text === undefined) return undefined;
    const calls = [...text.matchAll(/\bdefineDriver\s*\(/g)].map((m) => m.index ?? 0);
    if (calls.length === 0) return undefined;
    const named =
      manifestName !== undefined
        ? calls.find((at, i) => text.slice(at, calls[i + 1]).includes(JSON.stringify(manifestName)))
        : undefined;
    const defaultCall = calls.find((at) => /export\s+default\s*$/.test(text.slice(Math.max(0, at - 40), at)));
    const start = named ?? defaultCall ?? calls[0];
    const end = calls.find((at) => at > start) ?? text.length;
    const body = text.slice(start, end);
    const key = (re: RegExp, from = 0): number | undefined => {
      re.lastIndex = from;
      const m = re.exec(body);
      return m ? m.index + (m[1] ? m[0].indexOf(m[1]) : 0) : undefined;
    };
    let at: number | undefined;
    const cap = /^caps\.([A-Za-z_$][\w$]*)/.exec(error);
    if (cap) {
      const caps = key(/\bcaps\s*:/g);
      if (caps !== undefined) at = key(new RegExp(`(?:^|[\\s{,])(["']?${cap[1]}["']?)\\s*:`, "gm"), caps);
    } else if (/^device\b|asks for (a|an) /.test(error)) at = key(/\b(device)\s*:/g);
    else if (/"name"/.test(error)) at = key(/\b(name)\s*:/g);
    return positionAt(file, text, start + (at ?? 0));
  }
}

/** The frames of a stack no bundle maps (a WASM program's, a test rig's): all the host's. */
export function plainFrames(stack: string): StackFrame[] {
  return stack
    .split("\n")
    .slice(0, 200)
    .flatMap((line) => {
      const m = FRAME.exec(line);
      return m ? [{ name: m[1] || "(anonymous)", origin: "host" as const, text: line.trim() }] : [];
    });
}

function positionAt(file: string, text: string, offset: number): SourcePosition {
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  const column = offset - (before.lastIndexOf("\n") + 1) + 1;
  return { file, line, column };
}
