// virtio-blk under faults (zds test; docs/testing.md): blk-check writes, flushes and reads back its
// pattern through the driver while the device misbehaves.
import { expect, faults, test } from "@zds/sdk/test";

const PASS = /blk-check: PASS wrote, flushed and read back/;

test("passes on a healthy disk", { driver: ".", client: "../blk-check" }, (run) => {
  expect(run.console).toMatch(PASS);
  expect(run.client.exitCode).toBe(0);
  expect(run.violations).toEqual([]);
});

test("an IOERR on one sector reaches the client as an error, not as data", { driver: ".", client: "../blk-check", faults: [faults.ioError({ sector: 16370 })] }, (run) => {
  expect(run.faults).toHaveLength(1);
  expect(run.console).toMatch(/blk-check: FAIL WRITE of sectors 16368\+7: IO/);
  expect(run.client.exitCode).toBe(1);
  expect(run.driver.state).toBe("exited");
});

test("a lost interrupt is recovered by the driver's timeout", { driver: ".", client: "../blk-check", faults: [faults.irqLost("virtio-blk0", { nth: 2 })] }, (run) => {
  expect(run.faults).toHaveLength(1);
  expect(run.console).toMatch(PASS);
  expect(run.client.exitCode).toBe(0);
  expect(run.debug.join("\n")).toMatch(/a lost interrupt/);
});

test("DEVICE_NEEDS_RESET: the driver resets the device and carries on", { driver: ".", client: "../blk-check", faults: [faults.needsReset("virtio-blk0", { request: 3 })] }, (run) => {
  expect(run.faults).toHaveLength(1);
  expect(run.console).toMatch(PASS);
  expect(run.client.exitCode).toBe(0);
  expect(run.driver.faults).toEqual([]);
  expect(run.device("virtio-blk0").virtio?.needsReset).toBe(false);
});

test("a completion that never comes: the driver resets the device and resubmits", { driver: ".", client: "../blk-check", faults: [faults.completionDrop({ request: 2 })] }, (run) => {
  expect(run.console).toMatch(PASS);
  expect(run.client.exitCode).toBe(0);
  expect(run.debug.join("\n")).toMatch(/completed nothing/);
});

test("the driver killed mid-request is restarted, and the client's call fails cleanly", { driver: ".", client: "../blk-check", faults: [faults.kill("virtio-blk0", { request: 2 })] }, (run) => {
  expect(run.restarts("virtio-blk")).toBe(1);
  expect(run.processes.filter((p) => p.name === "virtio-blk").map((p) => p.faults[0] ?? p.state)).toEqual(["injected", "exited"]);
  expect(run.violations).toEqual([]);
});
