import assert from "node:assert/strict";
import {
  ACK,
  DRIVER,
  DRIVER_OK,
  EVENT_IDX,
  FAILED,
  FEATURES_OK,
  INDIRECT_DESC,
  NEEDS_RESET,
  R,
  VERSION_1,
} from "./helpers/mini-driver";
import { transportRig, type TransportRig } from "./helpers/rig";

/** Negotiated and with queue 0 set up at `addr` (aligned), DRIVER_OK not yet set. */
function readyQueue(rig: TransportRig, addr = 0x4000_0000): void {
  assert.ok(rig.driver.negotiate(VERSION_1));
  rig.driver.setupQueue(0, { size: 8, descAddr: addr, availAddr: addr + 0x100, usedAddr: addr + 0x200, dataAddr: 0 });
}

describe("virtio-mmio transport: identification", () => {
  it("reads magic, version 2, device id and vendor id", () => {
    const { driver } = transportRig();
    assert.equal(driver.read(R.Magic), 0x74726976);
    assert.equal(driver.read(R.Version), 2);
    assert.equal(driver.read(R.DeviceId), 42);
    assert.equal(driver.read(R.VendorId), 0x5a445321);
  });

  it("reads shared-memory length and base as all ones (no regions)", () => {
    const { driver, errors } = transportRig();
    driver.write(R.ShmSel, 3);
    for (const reg of [R.ShmLenLow, R.ShmLenHigh, R.ShmBaseLow, R.ShmBaseHigh])
      assert.equal(driver.read(reg), 0xffff_ffff);
    assert.deepEqual(errors(), []);
  });
});

describe("virtio-mmio transport: feature negotiation", () => {
  it("shows each 32-bit feature word through DeviceFeaturesSel, 0 for empty words", () => {
    const { driver } = transportRig();
    driver.write(R.DeviceFeaturesSel, 0);
    assert.equal(driver.read(R.DeviceFeatures), (1 << 28) | (1 << 29));
    driver.write(R.DeviceFeaturesSel, 1);
    assert.equal(driver.read(R.DeviceFeatures), 1);
    driver.write(R.DeviceFeaturesSel, 2);
    assert.equal(driver.read(R.DeviceFeatures), 0);
    driver.write(R.DeviceFeaturesSel, 0xffff_ffff);
    assert.equal(driver.read(R.DeviceFeatures), 0);
  });

  it("accepts a valid subset: FEATURES_OK reads back set", () => {
    const { driver, errors } = transportRig();
    assert.equal(driver.negotiate(VERSION_1 | EVENT_IDX | INDIRECT_DESC), true);
    assert.equal(driver.read(R.Status), ACK | DRIVER | FEATURES_OK);
    assert.deepEqual(errors(), []);
  });

  it("refuses FEATURES_OK when the driver accepts a bit the device did not offer", () => {
    const { driver, errors } = transportRig();
    assert.equal(driver.negotiate(VERSION_1 | (1n << 30n)), false);
    assert.equal(driver.read(R.Status), ACK | DRIVER);
    assert.match(errors().join("\n"), /FEATURES_OK refused: .*bit\(s\) 30 /);
  });

  it("refuses FEATURES_OK for an unoffered bit in a high feature word", () => {
    const { driver, errors } = transportRig();
    driver.write(R.Status, ACK | DRIVER);
    driver.writeDriverFeatures(VERSION_1);
    driver.write(R.DriverFeaturesSel, 0x1000_0000);
    driver.write(R.DriverFeatures, 1);
    driver.write(R.Status, ACK | DRIVER | FEATURES_OK);
    assert.equal(driver.read(R.Status) & FEATURES_OK, 0);
    assert.match(errors().join("\n"), /bit\(s\) 8589934592/);
  });

  it("refuses FEATURES_OK when the driver omits VERSION_1", () => {
    const { driver, errors } = transportRig();
    assert.equal(driver.negotiate(EVENT_IDX), false);
    assert.match(errors().join("\n"), /VERSION_1/);
  });

  it("ignores DriverFeatures written before DRIVER is set", () => {
    const { driver, errors } = transportRig();
    driver.write(R.Status, ACK);
    driver.writeDriverFeatures(VERSION_1);
    driver.write(R.Status, ACK | DRIVER);
    driver.write(R.Status, ACK | DRIVER | FEATURES_OK);
    assert.equal(driver.read(R.Status) & FEATURES_OK, 0, "the ignored write left VERSION_1 unaccepted");
    assert.match(errors()[0], /DriverFeatures .* before FEATURES_OK; ignored/);
  });

  it("ignores DriverFeatures written after FEATURES_OK", () => {
    const { driver, errors } = transportRig();
    driver.negotiate(VERSION_1);
    driver.write(R.DriverFeaturesSel, 0);
    driver.write(R.DriverFeatures, 1 << 29);
    assert.equal(errors().length, 1);
    assert.match(errors()[0], /ignored/);
  });
});

describe("virtio-mmio transport: status state machine", () => {
  it("accepts the steps one at a time and several at once when none is skipped", () => {
    const { driver, errors } = transportRig();
    driver.write(R.Status, ACK | DRIVER);
    assert.equal(driver.read(R.Status), ACK | DRIVER);
    assert.deepEqual(errors(), []);
  });

  it("ignores a write that clears a bit, and logs it", () => {
    const { driver, errors } = transportRig();
    driver.write(R.Status, ACK);
    driver.write(R.Status, ACK | DRIVER);
    driver.write(R.Status, DRIVER);
    assert.equal(driver.read(R.Status), ACK | DRIVER);
    assert.match(errors()[0], /clears ACKNOWLEDGE/);
  });

  it("ignores a write that skips a step", () => {
    const { driver, errors } = transportRig();
    driver.write(R.Status, ACK);
    driver.write(R.Status, ACK | FEATURES_OK);
    assert.equal(driver.read(R.Status), ACK);
    assert.match(errors()[0], /FEATURES_OK without DRIVER/);
  });

  it("ignores DRIVER_OK before FEATURES_OK", () => {
    const { driver, errors } = transportRig();
    driver.write(R.Status, ACK | DRIVER);
    driver.write(R.Status, ACK | DRIVER | DRIVER_OK);
    assert.equal(driver.read(R.Status), ACK | DRIVER);
    assert.match(errors()[0], /DRIVER_OK without FEATURES_OK/);
  });

  it("never lets the driver set DEVICE_NEEDS_RESET", () => {
    const { driver, errors } = transportRig();
    driver.write(R.Status, ACK | NEEDS_RESET);
    assert.equal(driver.read(R.Status), 0);
    assert.match(errors()[0], /set by the device/);
  });

  it("accepts FAILED at any time, then refuses further steps until reset", () => {
    const { driver, errors } = transportRig();
    driver.write(R.Status, ACK);
    driver.write(R.Status, ACK | FAILED);
    assert.equal(driver.read(R.Status), ACK | FAILED);
    driver.write(R.Status, ACK | FAILED | DRIVER);
    assert.equal(driver.read(R.Status), ACK | FAILED);
    assert.match(errors()[0], /must reset/);
    driver.write(R.Status, 0);
    driver.write(R.Status, ACK);
    assert.equal(driver.read(R.Status), ACK);
  });

  it("resets synchronously on Status = 0, clearing status, features, queues and interrupts", () => {
    const rig = transportRig();
    const { driver, backend, lines } = rig;
    readyQueue(rig);
    driver.driverOk();
    backend.context.configChanged();
    assert.equal(lines.level(5), true);
    const resetsBefore = backend.resets;
    driver.write(R.Status, 0);
    assert.equal(driver.read(R.Status), 0);
    assert.equal(driver.read(R.InterruptStatus), 0);
    assert.equal(lines.level(5), false);
    driver.write(R.QueueSel, 0);
    assert.equal(driver.read(R.QueueReady), 0);
    assert.equal(backend.resets, resetsBefore + 1, "the device backend dropped its work");
    // Accepted features are gone: FEATURES_OK with nothing written again is refused.
    driver.write(R.Status, ACK | DRIVER);
    driver.write(R.Status, ACK | DRIVER | FEATURES_OK);
    assert.equal(driver.read(R.Status) & FEATURES_OK, 0);
  });

  it("keeps ConfigGeneration across a reset (it never goes back)", () => {
    const rig = transportRig();
    rig.backend.context.configChanged();
    rig.backend.context.configChanged();
    assert.equal(rig.driver.read(R.ConfigGeneration), 2);
    rig.driver.write(R.Status, 0);
    assert.equal(rig.driver.read(R.ConfigGeneration), 2);
  });
});

describe("virtio-mmio transport: queue setup", () => {
  it("reports QueueSizeMax per queue and 0 for queues that do not exist", () => {
    const { driver } = transportRig();
    driver.write(R.QueueSel, 0);
    assert.equal(driver.read(R.QueueSizeMax), 256);
    driver.write(R.QueueSel, 1);
    assert.equal(driver.read(R.QueueSizeMax), 16);
    driver.write(R.QueueSel, 2);
    assert.equal(driver.read(R.QueueSizeMax), 0);
    assert.equal(driver.read(R.QueueReady), 0);
  });

  it("brings a queue up: QueueReady reads back 1", () => {
    const rig = transportRig();
    readyQueue(rig);
    assert.equal(rig.driver.read(R.QueueReady), 1);
    assert.deepEqual(rig.errors(), []);
    const q = rig.transport.snapshot().queues[0];
    assert.deepEqual([q.size, q.descAddr, q.driverAddr, q.deviceAddr], [8, 0x4000_0000, 0x4000_0100, 0x4000_0200]);
  });

  it("keeps 64-bit ring addresses from their two halves", () => {
    const rig = transportRig();
    rig.driver.negotiate(VERSION_1);
    rig.driver.write(R.QueueDescLow, 0x1000);
    rig.driver.write(R.QueueDescHigh, 0x2);
    assert.equal(rig.transport.snapshot().queues[0].descAddr, 0x2_0000_1000);
  });

  it("ignores queue registers before FEATURES_OK", () => {
    const { driver, errors } = transportRig();
    driver.write(R.Status, ACK | DRIVER);
    driver.write(R.QueueSize, 4);
    driver.write(R.QueueReady, 1);
    assert.equal(driver.read(R.QueueReady), 0);
    assert.match(errors()[0], /QueueSize \(0x038\) written before FEATURES_OK/);
  });

  it("ignores queue registers after DRIVER_OK", () => {
    const rig = transportRig();
    readyQueue(rig);
    rig.driver.driverOk();
    rig.driver.write(R.QueueSel, 1);
    rig.driver.write(R.QueueSize, 4);
    assert.match(rig.errors()[0], /after DRIVER_OK/);
  });

  it("refuses a QueueSize that is not a power of two or exceeds the maximum", () => {
    const rig = transportRig();
    rig.driver.negotiate(VERSION_1);
    rig.driver.write(R.QueueSel, 1);
    rig.driver.write(R.QueueSize, 12);
    rig.driver.write(R.QueueSize, 32);
    rig.driver.write(R.QueueSize, 0);
    assert.equal(rig.errors().length, 3);
    assert.match(rig.errors()[0], /power of two between 1 and QueueSizeMax 16; kept 16/);
    assert.equal(rig.transport.snapshot().queues[1].size, 16);
  });

  it("refuses size and address writes while the queue is ready", () => {
    const rig = transportRig();
    readyQueue(rig);
    rig.driver.write(R.QueueSize, 4);
    rig.driver.write(R.QueueDescLow, 0x5000);
    assert.equal(rig.errors().length, 2);
    assert.match(rig.errors()[0], /while queue 0 is ready/);
    assert.equal(rig.transport.snapshot().queues[0].descAddr, 0x4000_0000);
  });

  for (const [label, offset, addr] of [
    ["descriptor table", R.QueueDescLow, 0x4000_0008],
    ["available ring", R.QueueDriverLow, 0x4000_0101],
    ["used ring", R.QueueDeviceLow, 0x4000_0202],
  ] as const) {
    it(`keeps the queue not ready when the ${label} is misaligned`, () => {
      const rig = transportRig();
      rig.driver.negotiate(VERSION_1);
      rig.driver.setupQueue(0, {
        size: 8,
        descAddr: 0x4000_0000,
        availAddr: 0x4000_0100,
        usedAddr: 0x4000_0200,
        dataAddr: 0,
      });
      rig.driver.write(R.QueueReady, 0);
      rig.driver.write(offset, addr);
      rig.driver.write(R.QueueReady, 1);
      assert.equal(rig.driver.read(R.QueueReady), 0);
      assert.match(
        rig.errors()[0],
        new RegExp(`${label} 0x${addr.toString(16).toUpperCase()} is not \\d+-byte aligned`),
      );
    });
  }

  it("refuses QueueReady for a queue that does not exist", () => {
    const rig = transportRig();
    rig.driver.negotiate(VERSION_1);
    rig.driver.write(R.QueueSel, 7);
    rig.driver.write(R.QueueReady, 1);
    assert.match(rig.errors()[0], /QueueSel = 7, which selects no queue/);
  });
});

describe("virtio-mmio transport: notifications and interrupts", () => {
  it("passes a kick on a live queue to the device", () => {
    const rig = transportRig();
    readyQueue(rig);
    rig.driver.driverOk();
    rig.driver.kick(0);
    assert.deepEqual(rig.backend.kicks, [0]);
  });

  it("latches a kick before DRIVER_OK and services it at DRIVER_OK", () => {
    const rig = transportRig();
    readyQueue(rig);
    rig.driver.kick(0);
    assert.deepEqual(rig.backend.kicks, []);
    assert.match(rig.errors()[0], /before DRIVER_OK; latched/);
    rig.driver.driverOk();
    assert.deepEqual(rig.backend.kicks, [0]);
  });

  it("ignores and logs kicks for absent or not-ready queues", () => {
    const rig = transportRig();
    readyQueue(rig);
    rig.driver.driverOk();
    rig.driver.kick(1);
    rig.driver.kick(9);
    assert.deepEqual(rig.backend.kicks, []);
    assert.match(rig.errors()[0], /queue 1, which is not ready/);
    assert.match(rig.errors()[1], /queue 9, which does not exist/);
  });

  it("holds the IRQ line high while InterruptStatus is non-zero, low after the ACK", () => {
    const rig = transportRig();
    readyQueue(rig);
    rig.driver.driverOk();
    rig.backend.context.configChanged();
    assert.equal(rig.driver.read(R.InterruptStatus), 2);
    assert.equal(rig.lines.level(5), true);
    rig.driver.write(R.InterruptAck, 2);
    assert.equal(rig.driver.read(R.InterruptStatus), 0);
    assert.equal(rig.lines.level(5), false);
  });

  it("logs an ACK of undefined interrupt bits and clears only the defined ones", () => {
    const rig = transportRig();
    readyQueue(rig);
    rig.driver.driverOk();
    rig.backend.context.configChanged();
    rig.driver.write(R.InterruptAck, 0x6);
    assert.equal(rig.driver.read(R.InterruptStatus), 0);
    assert.match(rig.errors()[0], /undefined bits/);
  });

  it("bumps ConfigGeneration on a config change, interrupting only after DRIVER_OK", () => {
    const rig = transportRig();
    assert.equal(rig.driver.read(R.ConfigGeneration), 0);
    rig.backend.context.configChanged();
    assert.equal(rig.driver.read(R.ConfigGeneration), 1);
    assert.equal(rig.driver.read(R.InterruptStatus), 0);
  });
});

describe("virtio-mmio transport: driver errors at register level", () => {
  it("reads 0 and logs a non-32-bit register read", () => {
    const rig = transportRig();
    assert.equal(Number(rig.driver.machine.mmioRead(0x000, 2)), 0);
    assert.equal(Number(rig.driver.machine.mmioRead(0x000, 1)), 0);
    assert.equal(rig.errors().length, 2);
    assert.match(
      rig.errors()[0],
      /2-byte read at MagicValue \(0x000\): registers 0x000–0x0FC take aligned 32-bit accesses only/,
    );
  });

  it("drops and logs a non-32-bit register write", () => {
    const rig = transportRig();
    rig.driver.machine.mmioWrite(R.Status, 1, ACK);
    assert.equal(rig.driver.read(R.Status), 0);
    assert.match(rig.errors()[0], /1-byte write at Status \(0x070\)/);
  });

  it("reads 0 and logs an unaligned 32-bit read", () => {
    const rig = transportRig();
    assert.equal(Number(rig.driver.machine.mmioRead(0x002, 4)), 0);
    assert.match(rig.errors()[0], /at MagicValue \(0x000\) \+ 2/);
  });

  it("reads 0 and logs a read of a write-only register", () => {
    const rig = transportRig();
    assert.equal(rig.driver.read(R.QueueNotify), 0);
    assert.match(rig.errors()[0], /read of write-only register QueueNotify \(0x050\)/);
  });

  it("ignores and logs a write to a read-only register", () => {
    const rig = transportRig();
    rig.driver.write(R.Magic, 0);
    assert.equal(rig.driver.read(R.Magic), 0x74726976);
    assert.match(rig.errors()[0], /read-only register MagicValue/);
  });

  it("reads 0 and logs undefined offsets, and QueueReset (RING_RESET not offered)", () => {
    const rig = transportRig();
    assert.equal(rig.driver.read(0x018), 0);
    rig.driver.write(0x028, 4096);
    assert.equal(rig.driver.read(R.QueueReset), 0);
    assert.equal(rig.errors().length, 3);
    assert.match(rig.errors()[0], /offset 0x018, which is not a virtio-mmio version 2 register/);
    assert.match(rig.errors()[2], /VIRTIO_F_RING_RESET/);
  });
});

describe("virtio-mmio transport: configuration space", () => {
  it("reads fields at their natural width, little-endian", () => {
    const rig = transportRig();
    assert.equal(Number(rig.driver.machine.mmioRead(0x100, 4)), 0xcafebabe);
    assert.equal(Number(rig.driver.machine.mmioRead(0x102, 2)), 0xcafe);
    assert.equal(Number(rig.driver.machine.mmioRead(0x104, 1)), 0x11);
    assert.deepEqual(rig.errors(), []);
  });

  it("reads 0 and logs a misaligned config access", () => {
    const rig = transportRig();
    assert.equal(Number(rig.driver.machine.mmioRead(0x101, 2)), 0);
    assert.match(rig.errors()[0], /not naturally aligned/);
  });

  it("reads 0 and logs an access beyond the config structure", () => {
    const rig = transportRig();
    assert.equal(Number(rig.driver.machine.mmioRead(0x108, 4)), 0);
    assert.match(rig.errors()[0], /beyond the 8-byte config space/);
  });

  it("refuses config writes before FEATURES_OK and to read-only fields", () => {
    const rig = transportRig();
    rig.driver.machine.mmioWrite(0x104, 1, 0x22);
    assert.equal(rig.backend.writable, 0x11);
    rig.driver.negotiate(VERSION_1);
    rig.driver.machine.mmioWrite(0x104, 1, 0x22);
    assert.equal(rig.backend.writable, 0x22);
    rig.driver.machine.mmioWrite(0x100, 4, 0);
    assert.equal(rig.errors().length, 2);
    assert.match(rig.errors()[0], /before FEATURES_OK/);
    assert.match(rig.errors()[1], /read-only field/);
  });
});

describe("virtio-mmio transport: DEVICE_NEEDS_RESET", () => {
  it("sets NEEDS_RESET, raises a config interrupt when live, stops kicks until reset", () => {
    const rig = transportRig();
    readyQueue(rig);
    rig.driver.driverOk();
    rig.backend.context.queueFailed(0, { kind: "head-out-of-range", slot: 0, head: 99, size: 8 });
    assert.equal(rig.driver.read(R.Status) & NEEDS_RESET, NEEDS_RESET);
    assert.equal(rig.driver.read(R.InterruptStatus), 2);
    assert.equal(rig.lines.level(5), true);
    const event = rig.events.find((e) => e.kind === "needs-reset");
    assert.ok(event !== undefined && event.kind === "needs-reset");
    assert.match(event.reason, /queue 0 \(q0\): avail.ring\[0\] = 99 is not a descriptor index/);
    rig.driver.kick(0);
    assert.deepEqual(rig.backend.kicks, []);
    rig.driver.write(R.Status, 0);
    assert.equal(rig.driver.read(R.Status), 0);
  });

  it("does not interrupt for NEEDS_RESET before DRIVER_OK", () => {
    const rig = transportRig();
    readyQueue(rig);
    rig.backend.context.queueFailed(0, { kind: "nested-indirect", index: 1 });
    assert.equal(rig.driver.read(R.Status) & NEEDS_RESET, NEEDS_RESET);
    assert.equal(rig.driver.read(R.InterruptStatus), 0);
  });

  it("lets the driver add FAILED while keeping DEVICE_NEEDS_RESET", () => {
    const rig = transportRig();
    readyQueue(rig);
    rig.backend.context.queueFailed(0, { kind: "nested-indirect", index: 1 });
    const status = rig.driver.read(R.Status);
    rig.driver.write(R.Status, status | FAILED);
    assert.equal(rig.driver.read(R.Status), status | FAILED);
  });
});
