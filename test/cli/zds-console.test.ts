// The machine console through `zds run`: keys from a pipe (--interactive) and from --input, floods
// cut off and counted, UART registers programmed in the wrong order reported, bounded rendering.
import assert from "node:assert/strict";
import path from "node:path";
import { zdsChild } from "../helpers/zds-child";
import type { ConsoleReport } from "../../runner/console-report";
import { ConsoleScreen, MAX_UNPARSED_BYTES } from "../../runner/console-screen";
import type { RunSummary } from "../../kernel/session";

const root = path.join(__dirname, "..", "..");
type Summary = RunSummary & { console?: ConsoleReport };

async function zds(...args: string[]): Promise<{ status: number; stdout: string; stderr: string; summary?: Summary }> {
  const { status, stdout, stderr } = await zdsChild(args);
  const last = stdout.trimEnd().split("\n").pop() ?? "";
  return {
    status,
    stdout,
    stderr,
    summary: args.includes("--json") && last.startsWith("{") ? (JSON.parse(last) as Summary) : undefined,
  };
}

const drv = (name: string) => path.join(root, "drivers", name);

describe("zds run: the console", function () {
  this.timeout(90_000);

  it("--interactive with keys piped to stdin: a line at a time, rendered, exit 0", async () => {
    const r = await zdsChild(["run", "drivers/uart16550", "drivers/echo-shell", "--interactive", "--json"], {
      input: "echo piped in\nech\x7f\x7fcho fixed\nexit\n",
    });
    assert.equal(r.status, 0, r.stderr);
    const summary = JSON.parse(r.stdout.trim().split("\n").pop()!) as Summary;
    const screen = summary.console?.screen ?? [];
    assert.equal(screen[screen.indexOf("$ echo piped in") + 1], "piped in");
    assert.equal(screen[screen.indexOf("$ echo fixed") + 1], "fixed");
    assert.equal(summary.console?.keys?.delivered, "echo piped in\nech\x7f\x7fcho fixed\nexit\n".length);
    // Printed to the pipe: the rendered lines, not the keystrokes and erasures that drew them.
    assert.match(r.stdout, /^\$ echo fixed$/m);
    assert.doesNotMatch(r.stdout, /\x7f|\x08/);
  });

  it("refuses --interactive with --input, and a bad escape in --input, naming the fix", async () => {
    const both = await zds("run", drv("uart16550"), drv("echo-shell"), "--interactive", "--input", "x");
    assert.equal(both.status, 2);
    assert.match(both.stderr, /--interactive .* --input .*: use one/);
    const bad = await zds("run", drv("uart16550"), drv("echo-shell"), "--input", "oops\\q");
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--input: unknown escape "\\q" \(use \\n/);
  });

  for (const [driver, device] of [
    ["uart16550", "uart0"],
    ["virtio-console", "virtio-console0"],
  ] as const) {
    it(`a flood of input into ${driver} is cut off at the device's bound and counted; the shell recovers`, async () => {
      const flood = "x".repeat(10_000);
      const r = await zds(
        "run",
        drv(driver),
        drv("echo-shell"),
        "--input",
        `${flood}\\n\\x15echo after the flood\\nexit\\n`,
        "--json",
      );
      assert.equal(r.status, 0, r.stderr);
      const report = r.summary?.console;
      const dev = report?.devices.find((d) => d.device === device);
      // The device holds 4 096 bytes of input not yet taken; the rest of the line (and its Enter)
      // is dropped and counted.
      assert.equal(dev?.inputDropped, 10_001 - 4096);
      assert.equal(report?.keys?.delivered, r.summary && 10_001 + "\x15echo after the flood\n".length + 5);
      // The shell's line is bounded (256 characters): what it showed of the flood is at most that.
      const screen = report?.screen ?? [];
      assert.ok(screen.join("").split("x").length - 1 <= 256, "the shell kept at most one line's worth");
      assert.equal(screen[screen.indexOf("$ echo after the flood") + 1], "after the flood");
      // Shown in the text summary too.
      const text = await zds("run", drv(driver), drv("echo-shell"), "--input", `${flood}\\n\\x15exit\\n`);
      assert.match(
        text.stderr,
        new RegExp(`console ${device}: \\d+ bytes out, \\d+ in; 5905 input bytes dropped \\(flood`),
      );
    });
  }

  it("UART registers programmed in the wrong order: handled as the hardware would, counted, shown", async () => {
    const fixture = path.join(root, "test", "fixtures", "console", "uart-wrong-order.ts");
    const r = await zds("run", fixture, "--json");
    assert.equal(r.status, 0);
    const uart = r.summary?.console?.devices.find((d) => d.device === "uart0");
    assert.equal(uart?.orderErrors, 3);
    assert.equal(uart?.txBytes, 3, "the driver's own line still went out");
    const messages = (r.summary?.deviceEvents ?? []).map((e) => ("message" in e ? e.message : ""));
    assert.ok(messages.some((m) => /IER enables interrupts .* before the line is configured/.test(m)));
    assert.ok(messages.some((m) => /offset 0 with LCR\.DLAB still set: .* not THR/.test(m)));
    assert.ok(messages.some((m) => /offset 1 with LCR\.DLAB still set: .* not IER/.test(m)));
    const text = await zds("run", fixture);
    assert.match(
      text.stderr,
      /console uart0: 3 bytes out, 0 in; 3 driver errors \(3 registers programmed in the wrong order\)/,
    );
    assert.match(text.stdout, /^ok$/m);
  });

  it("console output the emulator cannot keep up with is dropped and counted, never queued without limit", async () => {
    const screen = new ConsoleScreen();
    const chunk = new TextEncoder().encode("y".repeat(64 * 1024));
    // Written in one go, with no chance to parse in between: the bound must hold.
    for (let i = 0; i < 48; i++) screen.write(chunk);
    assert.equal(screen.dropped, 48 * chunk.length - MAX_UNPARSED_BYTES);
    await screen.settled();
    assert.equal(screen.rendered, MAX_UNPARSED_BYTES);
    // After it caught up, output is taken again.
    screen.write(new TextEncoder().encode("\r\nafter\r\n"));
    await screen.settled();
    assert.ok(screen.text().lines.includes("after"));
    screen.dispose();
  });
});
