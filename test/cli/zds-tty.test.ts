// `zds run --interactive` on a real terminal: util-linux `script` gives the child a pseudo-terminal,
// so stdin is a TTY (raw mode: Enter arrives as CR, no local echo) and stdout is one (the bytes go
// straight through). What the child drew is rendered with the same terminal emulator and checked
// as a screen.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { ConsoleScreen } from "../../runner/console-screen";
import { repoRoot } from "../helpers/zds-child";

const hasScript = spawnSync("script", ["--version"], { encoding: "utf8" }).status === 0;

/** Run zds under a pty; `steps` are [text to wait for in the output, keys to type then]. */
function underPty(args: string, steps: [string, string][]): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn("script", ["-qec", `${JSON.stringify(process.execPath)} bin/zds.js ${args}`, "/dev/null"], {
      cwd: repoRoot,
    });
    let output = "";
    let next = 0;
    const timer = setTimeout(() => child.kill(), 60_000);
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString("utf8");
      while (next < steps.length && output.includes(steps[next][0])) child.stdin.write(steps[next++][1]);
    });
    child.on("close", (status) => {
      clearTimeout(timer);
      resolve({ status, output });
    });
  });
}

async function render(output: string): Promise<string[]> {
  const screen = new ConsoleScreen({ cols: 120, rows: 50 });
  screen.write(new TextEncoder().encode(output));
  await screen.settled();
  const lines = screen.text().lines;
  screen.dispose();
  return lines;
}

describe("zds run --interactive on a terminal", function () {
  this.timeout(90_000);
  before(function () {
    if (!hasScript) this.skip();
  });

  it("keys go in raw, one by one (CR is Enter, DEL erases), echoed once by the shell; exit ends the run", async () => {
    const r = await underPty("run drivers/uart16550 drivers/echo-shell --interactive", [
      ["$ ", "echo tty"],
      ["echo tty", "x\x7f!\r"],
      ["tty!", "exit\r"],
    ]);
    assert.equal(r.status, 0, r.output);
    const screen = await render(r.output);
    const at = screen.indexOf("$ echo tty!");
    assert.ok(at > 0, screen.join("\n"));
    assert.equal(screen[at + 1], "tty!");
    assert.ok(screen.includes("logout"));
    // Raw mode: the terminal did not echo the keys itself, so the command line appears once.
    assert.equal(screen.filter((l) => l.includes("echo tty")).length, 1);
    assert.match(screen.join("\n"), /keys: 17 bytes typed into uart0/);
  });

  it("Ctrl-] leaves a run whose shell still waits, and the terminal is given back", async () => {
    const r = await underPty("run drivers/virtio-console drivers/echo-shell --interactive", [
      ["$ ", "echo still here\r"],
      ["still here\r\r\n$ ", "\x1d"],
    ]);
    assert.equal(r.status, 1, "stopped by the user: not a clean completion");
    const screen = await render(r.output);
    assert.equal(screen[screen.indexOf("$ echo still here") + 1], "still here");
    assert.ok(
      screen.some((l) => l.includes("[zds: detached (Ctrl-])]")),
      screen.join("\n"),
    );
    assert.ok(screen.some((l) => /seed 1: stopped after/.test(l)));
  });
});
