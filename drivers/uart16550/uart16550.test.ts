// uart16550 under faults (zds test; docs/testing.md): a client reads a typed line through the
// driver while the line garbles or loses a character, and hello-console writes a line longer than
// the FIFO while an interrupt is lost.
import { expect, faults, inline, test } from "@zds/sdk/test";

// Reads console input until a newline and prints what it got (JSON-quoted, so a 0x00 shows).
const readLine = inline("read-line", `import { ConsoleTag, Writer, client, defineDriver } from "@zds/sdk";
export default defineDriver({ name: "read-line", caps: { console: client("console") }, main({ console }, sys) {
  const conn = console.connect();
  let line = "";
  while (!line.endsWith("\\n")) {
    const reply = conn.call(ConsoleTag.READ, new Writer().u32(64).finish());
    if (reply.tag !== ConsoleTag.INPUT) return 1;
    line += String.fromCharCode(...reply.payload);
  }
  sys.console("got " + JSON.stringify(line) + "\\n");
  return 0;
} });`);
const typed = { driver: ".", client: readLine, input: "hello\\n" };

test("reads a typed line", typed, (run) => {
  expect(run.console).toContain('got "hello\\n"');
  expect(run.client.exitCode).toBe(0);
  expect(run.violations).toEqual([]);
});

test("a framing error: the garbled character is dropped, not handed to the reader", { ...typed, faults: [faults.uart("framing", { at: "1us" })] }, (run) => {
  expect(run.faults).toHaveLength(1);
  expect(run.console).toContain('got "ello\\n"');
  expect(run.debug.join("\n")).toMatch(/dropped a character received with a framing error/);
  expect(run.driver.faults).toEqual([]);
});

test("an overrun: the lost character is reported and the rest of the line read", { ...typed, faults: [faults.uart("overrun", { at: "1us" })] }, (run) => {
  expect(run.faults).toHaveLength(1);
  expect(run.console).toContain('got "ello\\n"');
  expect(run.debug.join("\n")).toMatch(/receive overrun \(1 so far\): input was lost/);
  expect(run.driver.faults).toEqual([]);
});

test("a lost receive interrupt is recovered by the driver's timeout", { ...typed, faults: [faults.irqLost("uart0")] }, (run) => {
  expect(run.faults).toHaveLength(1);
  expect(run.console).toContain('got "hello\\n"');
  expect(run.client.exitCode).toBe(0);
});

test("a lost transmit interrupt is recovered by the driver's timeout", { driver: ".", client: "../hello-console", faults: [faults.irqLost("uart0")] }, (run) => {
  expect(run.faults).toHaveLength(1);
  expect(run.console).toContain("hello from Zero OS through the console service\n");
  expect(run.client.exitCode).toBe(0);
});

test("a spurious interrupt is harmless", { ...typed, faults: [faults.irqSpurious("uart0", { at: "2us" })] }, (run) => {
  expect(run.faults).toHaveLength(1);
  expect(run.console).toContain('got "hello\\n"');
  expect(run.driver.faults).toEqual([]);
});
