// echo-shell over both console drivers, driven as a user drives it: keys typed into `zds run`
// (--input, a line each time the shell waits), the console rendered by the terminal emulator, and
// the assertions made on what the terminal shows (its buffer), not on the bytes that drew it.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { zdsChild } from "../helpers/zds-child";
import type { ConsoleReport } from "../../runner/console-report";
import { replayTrace } from "../../kernel/trace/replay";
import type { RunSummary } from "../../kernel/session";

const root = path.join(__dirname, "..", "..");
const quiet = { console: () => undefined, debug: () => undefined };

interface ShellRun {
  status: number;
  summary: RunSummary & { console: ConsoleReport };
  screen: string[];
  stdout: string;
}

/** `zds run DRIVER drivers/echo-shell --input KEYS --json`, stdout to a pipe. */
async function shell(driver: string, keys: string, ...extra: string[]): Promise<ShellRun> {
  const { status, stdout } = await zdsChild([
    "run",
    path.join(root, "drivers", driver),
    path.join(root, "drivers", "echo-shell"),
    "--input",
    keys,
    "--json",
    ...extra,
  ]);
  const lines = stdout.trimEnd().split("\n");
  const summary = JSON.parse(lines[lines.length - 1]) as ShellRun["summary"];
  assert.ok(summary.console.screen, "a run with keys reports its rendered screen");
  return { status, summary, screen: summary.console.screen, stdout: lines.slice(0, -1).join("\n") };
}

for (const driver of ["uart16550", "virtio-console"]) {
  describe(`echo-shell over ${driver}`, function () {
    this.timeout(60_000);

    it("echoes what is typed and runs echo, help, ps and caps; the screen shows it", async () => {
      const run = await shell(driver, "echo hello, world\\nhelp\\nps\\ncaps\\nfrobnicate\\nexit\\n");
      assert.equal(run.status, 0, JSON.stringify(run.summary.processes));
      const s = run.screen;
      assert.equal(s[0], "Zero OS echo-shell. Type help for the commands.");
      // The typed line as echoed by the shell, then the command's output on the next row.
      const at = s.indexOf("$ echo hello, world");
      assert.ok(at > 0, s.join("\n"));
      assert.equal(s[at + 1], "hello, world");
      assert.ok(s.includes("  ps          processes running (SYS_PS)"));
      // ps: the kernel's process list, this shell marked.
      assert.match(s.join("\n"), new RegExp(`^\\s+2  ${driver}$`, "m"));
      assert.match(s.join("\n"), /^\s+3  echo-shell  \(this shell\)$/m);
      // caps: the shell's own slots, read back with CAP_INSPECT (its endpoints, Init's, console's).
      const capsAt = s.indexOf("SLOT  TYPE      OBJECT  PERMS");
      assert.ok(capsAt > 0);
      assert.match(s[capsAt + 1], /^\s+0  Endpoint\s+\d+  rwg$/);
      assert.match(s[capsAt + 3], /^\s+2  Endpoint\s+1  -w-$/);
      assert.ok(s.includes("echo-shell: frobnicate: unknown command (try help)"));
      assert.equal(s[s.length - 2], "logout");
      // The stream printed to a pipe is the rendered screen too, line for line.
      assert.equal(run.stdout.split("\n").join("\n"), s.slice(0, -1).join("\n"));
      const keys = run.summary.console.keys;
      assert.equal(keys?.unused, 0);
      assert.equal(keys?.device, driver === "uart16550" ? "uart0" : "virtio-console0");
    });

    it("edits the line: backspace and DEL erase, arrows move the cursor, Ctrl-U kills, Ctrl-C cancels", async () => {
      // "echo abc" ⌫⌫ "XY" → "echo aXY"; "echo wrld" ←←← "o" → "echo world"; Ctrl-U then "echo k";
      // Ctrl-C abandons a line.
      const run = await shell(
        driver,
        "echo abc\\x7f\\bXY\\necho wrld\\e[D\\e[D\\e[Do\\nnothing\\x15echo k\\nlost\\x03echo end\\n\\x04",
      );
      assert.equal(run.status, 0);
      const s = run.screen;
      assert.ok(s.includes("$ echo aXY"), s.join("\n"));
      assert.equal(s[s.indexOf("$ echo aXY") + 1], "aXY");
      assert.ok(s.includes("$ echo world"), s.join("\n"));
      assert.equal(s[s.indexOf("$ echo world") + 1], "world");
      // The killed text is gone from the screen, not just from the shell's buffer.
      assert.ok(s.includes("$ echo k"), s.join("\n"));
      assert.ok(!s.some((l) => l.includes("nothing")));
      assert.ok(s.includes("$ lost^C"));
      assert.equal(s[s.indexOf("$ lost^C") + 1], "$ echo end");
    });

    it("edits a line longer than the screen is wide: moves and redraws across the wrapped rows", async () => {
      const digits = "0123456789".repeat(10);
      // Home, → ×5 (past "echo "), insert X; End, ⌫ (drop the last digit); then Ctrl-U on a wrapped
      // line must clear both of its rows.
      const run = await shell(
        driver,
        `echo ${digits}\\e[H\\e[C\\e[C\\e[C\\e[C\\e[CX\\e[F\\x7f\\n${"y".repeat(120)}\\x15echo short\\nexit\\n`,
      );
      assert.equal(run.status, 0);
      const s = run.screen;
      const expected = `X${digits.slice(0, -1)}`;
      const at = s.findIndex((l) => l.startsWith("$ echo X"));
      assert.ok(at > 0, s.join("\n"));
      // 80 columns: the input takes two rows, and so does the output.
      assert.equal(s[at], `$ echo ${expected}`.slice(0, 80));
      assert.equal(s[at + 1], `$ echo ${expected}`.slice(80));
      assert.equal(s[at + 2] + s[at + 3], expected);
      assert.ok(!s.some((l) => l.includes("yyy")), "the killed line's rows are blank again");
      assert.equal(s[s.indexOf("$ echo short") + 1], "short");
    });
  });
}

describe("echo-shell session replay", function () {
  this.timeout(90_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "zds-shell-"));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("records the keys with their input points; replay --verify matches; other keys diverge", async () => {
    const trace = path.join(dir, "typed.zlog");
    const run = await shell("uart16550", "echo one\\nech\\x7fho two\\nexit\\n", "--trace", trace);
    assert.equal(run.status, 0);
    const inputs = fs
      .readFileSync(trace, "utf8")
      .split("\n")
      .filter((l) => l.startsWith('{"in":'))
      .map(
        (l) => JSON.parse(l) as { in: number; device: string; event: number; commit: number; t: number; text: string },
      );
    assert.deepEqual(
      inputs.map((i) => i.text),
      ["echo one\n", "ech\x7fho two\n", "exit\n"],
    );
    assert.ok(inputs.every((i) => i.device === "uart0" && i.event > 0 && i.t > 0));
    assert.ok(inputs[0].event < inputs[1].event && inputs[1].event < inputs[2].event);

    const replay = await replayTrace(trace, { verify: true, output: quiet });
    assert.equal(replay.divergence, undefined, JSON.stringify(replay.divergence));
    assert.ok(replay.match);
    assert.equal(replay.summary.syslogHash, run.summary.syslogHash);

    // Different keys at the same points: the replay must notice.
    const tampered = path.join(dir, "tampered.zlog");
    fs.writeFileSync(tampered, fs.readFileSync(trace, "utf8").replace('"text":"echo one\\n"', '"text":"echo 1ne\\n"'));
    const bad = await replayTrace(tampered, { verify: true, output: quiet });
    assert.equal(bad.match, false);
    assert.equal(bad.divergence?.kind, "syscall");
  });
});
