// virtio-rng under interrupt faults (zds test; docs/testing.md): rng-cat asks the driver for random
// bytes while the interrupt is lost, duplicated or comes with no cause.
import { expect, faults, test } from "@zds/sdk/test";

const rngCat = { driver: ".", client: "../rng-cat" };

test("serves rng-cat on a healthy device", rngCat, (run) => {
  expect(run.client.exitCode).toBe(0);
  expect(run.violations).toEqual([]);
});

test("a lost interrupt is recovered by the driver's timeout", { ...rngCat, faults: [faults.irqLost("virtio-rng0")] }, (run) => {
  expect(run.faults).toHaveLength(1);
  expect(run.client.exitCode).toBe(0);
  expect(run.driver.faults).toEqual([]);
});

test("a duplicated interrupt is harmless", { ...rngCat, faults: [faults.irqDuplicate("virtio-rng0")] }, (run) => {
  expect(run.faults).toHaveLength(1);
  expect(run.client.exitCode).toBe(0);
  expect(run.driver.faults).toEqual([]);
});

test("a spurious interrupt is harmless", { ...rngCat, faults: [faults.irqSpurious("virtio-rng0", { at: "5us" })] }, (run) => {
  expect(run.faults).toHaveLength(1);
  expect(run.client.exitCode).toBe(0);
  expect(run.driver.faults).toEqual([]);
});
