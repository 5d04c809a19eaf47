// virtio-console under faults (zds test; docs/testing.md): hello-console writes a line and a
// client reads a typed one through the driver while an interrupt is lost or duplicated, or the
// device sets DEVICE_NEEDS_RESET.
import { expect, faults, inline, test } from "@zds/sdk/test";

// Reads console input until a newline and prints what it got (JSON-quoted).
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
const hello = { driver: ".", client: "../hello-console" };
const LINE = "hello from Zero OS through the console service\n";

test("writes a line and reads a typed one", { ...typed, programs: ["../hello-console"] }, (run) => {
  expect(run.console).toContain(LINE);
  expect(run.console).toContain('got "hello\\n"');
  expect(run.violations).toEqual([]);
});

test("a lost interrupt on a WRITE is recovered by the driver's timeout", { ...hello, faults: [faults.irqLost("virtio-console0")] }, (run) => {
  expect(run.faults).toHaveLength(1);
  expect(run.console).toContain(LINE);
  expect(run.client.exitCode).toBe(0);
});

test("a lost interrupt on a READ is recovered by the driver's timeout", { ...typed, faults: [faults.irqLost("virtio-console0")] }, (run) => {
  expect(run.faults).toHaveLength(1);
  expect(run.console).toContain('got "hello\\n"');
  expect(run.client.exitCode).toBe(0);
});

// At 50 µs: after the driver has set the device up (some 30 syscalls of 1 µs each), while the READ waits.
test("DEVICE_NEEDS_RESET during a READ: the driver resets the device and the input still arrives", { ...typed, faults: [faults.needsReset("virtio-console0", { at: "50us" })] }, (run) => {
  expect(run.faults).toHaveLength(1);
  expect(run.console).toContain('got "hello\\n"');
  expect(run.debug.join("\n")).toMatch(/DEVICE_NEEDS_RESET; resetting it/);
  expect(run.driver.faults).toEqual([]);
  expect(run.device("virtio-console0").virtio?.needsReset).toBe(false);
});

test("a duplicated interrupt is harmless", { ...hello, faults: [faults.irqDuplicate("virtio-console0")] }, (run) => {
  expect(run.faults).toHaveLength(1);
  expect(run.console).toContain(LINE);
  expect(run.driver.faults).toEqual([]);
});
