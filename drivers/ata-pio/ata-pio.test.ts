// ata-pio under faults (zds test; docs/testing.md): blk-check through the ATA driver while the disk
// fails a sector, an interrupt is lost, or a command completes late.
import { expect, faults, test } from "@zds/sdk/test";

const PASS = /blk-check: PASS wrote, flushed and read back/;
const blkCheck = { driver: ".", client: "../blk-check" };

test("passes on a healthy disk", blkCheck, (run) => {
  expect(run.console).toMatch(PASS);
  expect(run.client.exitCode).toBe(0);
});

test("an error on one sector reaches the client as an error, not as data", { ...blkCheck, faults: [faults.ioError({ device: "ata0", sector: 16370 })] }, (run) => {
  expect(run.faults).toHaveLength(1);
  expect(run.console).toMatch(/blk-check: FAIL WRITE of sectors 16368\+\d+: IO/);
  expect(run.client.exitCode).toBe(1);
  expect(run.driver.faults).toEqual([]);
});

test("a lost interrupt is recovered by the driver's timeout", { ...blkCheck, faults: [faults.irqLost("ata0", { nth: 3 })] }, (run) => {
  expect(run.faults).toHaveLength(1);
  expect(run.console).toMatch(PASS);
  expect(run.client.exitCode).toBe(0);
});

test("a command that completes late is waited for", { ...blkCheck, faults: [faults.completionDelay({ device: "ata0", request: 2, by: "1ms" })] }, (run) => {
  expect(run.faults).toHaveLength(1);
  expect(run.console).toMatch(PASS);
  expect(run.client.exitCode).toBe(0);
});
