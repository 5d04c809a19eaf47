// echo-shell's commands. Each one returns the text to print (lines end in CRLF: the terminal is
// raw, nobody turns LF into CRLF for us). `ps` and `caps` ask the kernel (SYS_PS, SYS_CAP_LIST and
// SYS_CAP_INSPECT, docs/abi.md): what they print is the machine's state at that moment.

import { objectTypeName, permString, type System } from "@zds/sdk";

export const HELP = [
  "commands:",
  "  echo TEXT   print TEXT",
  "  help        this list",
  "  ps          processes running (SYS_PS)",
  "  caps        this shell's capabilities (SYS_CAP_LIST, SYS_CAP_INSPECT)",
  "  exit        end the shell (or Ctrl-D on an empty line)",
  "keys: Backspace/DEL, Left/Right/Home/End, Ctrl-U kill line, Ctrl-C cancel line",
];

export type CommandResult = { readonly output: string; readonly exit?: boolean };

export function runCommand(line: string, sys: System): CommandResult {
  const words = line.trim().split(/\s+/).filter((w) => w !== "");
  const [name, ...args] = words;
  switch (name) {
    case undefined:
      return { output: "" };
    case "echo":
      return { output: lines([args.join(" ")]) };
    case "help":
      return { output: lines(HELP) };
    case "ps":
      return { output: lines(ps(sys)) };
    case "caps":
      return { output: lines(caps(sys)) };
    case "exit":
      return { output: "", exit: true };
    default:
      return { output: lines([`echo-shell: ${name}: unknown command (try help)`]) };
  }
}

function ps(sys: System): string[] {
  const rows = sys.ps().map((p) => `${String(p.pid).padStart(5)}  ${p.name}${p.pid === sys.pid ? "  (this shell)" : ""}`);
  return ["  PID  NAME", ...rows];
}

function caps(sys: System): string[] {
  const rows = sys.caps().map((c) => {
    const info = sys.inspect(c.slot);
    const perms = info ? permString(info.perms) : "?";
    return `${String(c.slot).padStart(4)}  ${objectTypeName(c.objectType).padEnd(9)} ${String(c.objectId).padStart(6)}  ${perms}`;
  });
  return ["SLOT  TYPE      OBJECT  PERMS", ...rows];
}

function lines(list: readonly string[]): string {
  return list.map((l) => `${l}\r\n`).join("");
}
