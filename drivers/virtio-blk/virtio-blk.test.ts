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
