// The extension's console terminal types into `zds run --interactive` through TerminalKeyboard:
// keys typed in the terminal reach the shell, which the machine keeps up for, and the run ends when
// the shell does. Driven the way the pseudoterminal drives it (type() on each key event).
import assert from "node:assert/strict";
import path from "node:path";
import { runCommand } from "../../runner/run";
import type { Io } from "../../runner/io";
import type { ConsoleReport } from "../../runner/console-report";
import { TerminalKeyboard } from "../../extension/terminal-keyboard";

const root = path.join(__dirname, "..", "..");

describe("extension: terminal keys into zds run --interactive", function () {
  this.timeout(60_000);

  it("keys typed in the terminal reach echo-shell; nothing is taken before the run reads the keyboard", async () => {
    const keyboard = new TerminalKeyboard();
    assert.equal(keyboard.type("too early"), false, "a paused keyboard refuses keys (the terminal reports them)");
    let out = "";
    const script = ["echo from vscode\r", "exit\r"];
    const io: Io = {
      keyboard,
      outIsTerminal: true,
      err: () => undefined,
      out: (t) => {
        out += t;
        // Type the next line whenever the shell shows its prompt again.
        if (out.endsWith("$ ") && script.length > 0) setImmediate(() => keyboard.type(script.shift()!));
      },
    };
    const status = await runCommand(
      [path.join(root, "drivers", "uart16550"), path.join(root, "drivers", "echo-shell"), "--interactive", "--json"],
      io,
    );
    assert.equal(status, 0);
    const summary = JSON.parse(out.trimEnd().split("\n").pop()!) as { console: ConsoleReport };
    const screen = summary.console.screen ?? [];
    assert.equal(screen[screen.indexOf("$ echo from vscode") + 1], "from vscode");
    assert.ok(screen.includes("logout"));
    assert.equal(summary.console.keys?.delivered, "echo from vscode\rexit\r".length);
    assert.equal(keyboard.type("too late"), false, "the run gave the keyboard back");
  });
});
