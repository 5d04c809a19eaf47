import assert from "node:assert/strict";
import { DriverRing, INDIRECT, NEXT, WRITE } from "./helpers/driver-ring";
import { EVENT_IDX, INDIRECT_DESC, NEEDS_RESET, R, VERSION_1 } from "./helpers/mini-driver";
import { kinds, RNG_IRQ, rngRig, type RngRig } from "./helpers/rig";

const LATENCY = 5_000;

/** Negotiate, bring queue 0 up on the rig's ring, DRIVER_OK. */
function start(rig: RngRig, features = VERSION_1): void {
  assert.ok(rig.driver.negotiate(features));
  rig.driver.setupQueue(0, rig.ring.layout);
  rig.driver.driverOk();
}

/** One writable buffer of `len` bytes at the data area, published and kicked. */
function request(rig: RngRig, len: number, head = 0): number {
  const addr = rig.ring.layout.dataAddr;
  rig.ring.setDesc(head, addr, len, WRITE);
  rig.ring.publish(head);
  rig.driver.kick(0);
  return addr;
}

function entropy(seed: number, len = 64): Uint8Array {
  const rig = rngRig({ seed });
  start(rig);
  const addr = request(rig, len);
  rig.machine.clock.advance(LATENCY);
  return rig.ring.bytes(addr, len);
}

describe("virtio-rng end to end (register level)", () => {
  it("identifies as an entropy device with one request queue", () => {
    const rig = rngRig();
    assert.equal(rig.driver.read(R.DeviceId), 4);
    assert.equal(rig.driver.deviceFeatures(), VERSION_1 | INDIRECT_DESC | EVENT_IDX);
    rig.driver.write(R.QueueSel, 0);
    assert.ok(rig.driver.read(R.QueueSizeMax) >= 64);
    rig.driver.write(R.QueueSel, 1);
    assert.equal(rig.driver.read(R.QueueSizeMax), 0);
  });

  it("fills a writable buffer after a virtual latency, then raises its IRQ", () => {
    const rig = rngRig();
    start(rig);
    const addr = request(rig, 64, 3);
    assert.equal(rig.ring.usedIdx(), 0, "nothing completes inside the kick");
    assert.equal(rig.machine.irqLevel(RNG_IRQ), false);
    assert.equal(rig.machine.clock.nextEventAt(), LATENCY);
    rig.machine.clock.advance(LATENCY);
    assert.equal(rig.machine.irqLevel(RNG_IRQ), true);
    assert.equal(rig.driver.ackInterrupt(), 1);
    assert.equal(rig.machine.irqLevel(RNG_IRQ), false);
    assert.equal(rig.ring.usedIdx(), 1);
    assert.deepEqual(rig.ring.usedElem(0), { id: 3, len: 64 });
    const bytes = rig.ring.bytes(addr, 64);
    assert.deepEqual(bytes, rig.rng.producedBytes());
    assert.ok(bytes.some((b) => b !== 0));
    assert.deepEqual(kinds(rig.events), []);
  });

  it("tells listeners when the line goes up and down", () => {
    const rig = rngRig();
    const changes: string[] = [];
    rig.machine.onIrqChange((line, level) => changes.push(`${line}:${level}`));
    start(rig);
    request(rig, 8);
    rig.machine.clock.advance(LATENCY);
    rig.driver.ackInterrupt();
    assert.deepEqual(changes, [`${RNG_IRQ}:true`, `${RNG_IRQ}:false`]);
  });

  it("fills a chain of several writable buffers as one stream", () => {
    const rig = rngRig();
    start(rig);
    const a = rig.ring.layout.dataAddr;
    const b = a + 0x100;
    rig.ring.setDesc(0, a, 5, WRITE | NEXT, 1);
    rig.ring.setDesc(1, b, 11, WRITE);
    rig.ring.publish(0);
    rig.driver.kick(0);
    rig.machine.clock.advance(LATENCY);
    assert.deepEqual(rig.ring.usedElem(0), { id: 0, len: 16 });
    assert.deepEqual(new Uint8Array([...rig.ring.bytes(a, 5), ...rig.ring.bytes(b, 11)]), rig.rng.producedBytes());
  });

  it("serves an indirect chain when INDIRECT_DESC is negotiated", () => {
    const rig = rngRig();
    start(rig, VERSION_1 | INDIRECT_DESC);
    const table = rig.ring.layout.dataAddr;
    const buf = table + 0x100;
    rig.ring.writeDescAt(table, buf, 8, WRITE | NEXT, 1);
    rig.ring.writeDescAt(table + 16, buf + 8, 8, WRITE);
    rig.ring.setDesc(2, table, 32, INDIRECT);
    rig.ring.publish(2);
    rig.driver.kick(0);
    rig.machine.clock.advance(LATENCY);
    assert.deepEqual(rig.ring.usedElem(0), { id: 2, len: 16 });
    assert.deepEqual(rig.ring.bytes(buf, 16), rig.rng.producedBytes());
  });

  it("gives the same bytes for the same seed", () => {
    assert.deepEqual(entropy(7), entropy(7));
  });

  it("gives different bytes for different seeds", () => {
    assert.notDeepEqual(entropy(7), entropy(8));
  });

  it("keeps the last 64 KiB of produced bytes", () => {
    const rig = rngRig({ pages: 24 });
    start(rig);
    const data = rig.ring.layout.dataAddr;
    const chunk = 16 * 1024;
    for (let i = 0; i < 5; i++) rig.ring.setDesc(i, data + i * chunk, chunk, WRITE);
    rig.ring.publish(0, 1, 2, 3, 4);
    rig.driver.kick(0);
    rig.machine.clock.advance(LATENCY);
    assert.equal(rig.ring.usedIdx(), 5);
    assert.deepEqual(rig.rng.producedBytes(), rig.ring.bytes(data + chunk, 4 * chunk));
  });

  it("completes a chain without writable bytes with used len 0 and logs a driver error", () => {
    const rig = rngRig();
    start(rig);
    rig.ring.setDesc(0, rig.ring.layout.dataAddr, 16);
    rig.ring.setDesc(1, rig.ring.layout.dataAddr, 0, WRITE);
    rig.ring.publish(0, 1);
    rig.driver.kick(0);
    rig.machine.clock.advance(LATENCY);
    assert.deepEqual(
      [rig.ring.usedElem(0), rig.ring.usedElem(1)],
      [
        { id: 0, len: 0 },
        { id: 1, len: 0 },
      ],
    );
    assert.deepEqual(kinds(rig.events), ["driver-error", "driver-error"]);
    assert.equal(rig.rng.producedBytes().length, 0);
    assert.equal(rig.driver.read(R.Status) & NEEDS_RESET, 0, "the device carries on");
  });

  it("services a kick latched before DRIVER_OK once DRIVER_OK is set", () => {
    const rig = rngRig();
    assert.ok(rig.driver.negotiate(VERSION_1));
    rig.driver.setupQueue(0, rig.ring.layout);
    request(rig, 8);
    rig.machine.clock.advance(LATENCY);
    assert.equal(rig.ring.usedIdx(), 0);
    rig.driver.driverOk();
    rig.machine.clock.advance(LATENCY);
    assert.equal(rig.ring.usedIdx(), 1);
  });

  it("suppresses the interrupt when the driver sets NO_INTERRUPT (no EVENT_IDX)", () => {
    const rig = rngRig();
    start(rig);
    rig.ring.setAvailFlags(1);
    request(rig, 8);
    rig.machine.clock.advance(LATENCY);
    assert.equal(rig.ring.usedIdx(), 1);
    assert.equal(rig.machine.irqLevel(RNG_IRQ), false);
  });

  it("with EVENT_IDX, interrupts only once used.idx passes used_event", () => {
    const rig = rngRig();
    start(rig, VERSION_1 | EVENT_IDX);
    rig.ring.setUsedEvent(1);
    request(rig, 8, 0);
    assert.equal(rig.ring.availEvent(), 1, "avail_event follows the device's position");
    rig.machine.clock.advance(LATENCY);
    assert.equal(rig.machine.irqLevel(RNG_IRQ), false);
    request(rig, 8, 1);
    rig.machine.clock.advance(LATENCY);
    assert.equal(rig.ring.usedIdx(), 2);
    assert.equal(rig.machine.irqLevel(RNG_IRQ), true);
  });

  it("drops in-flight requests on a device reset", () => {
    const rig = rngRig();
    start(rig);
    request(rig, 8);
    rig.machine.resetDevice("virtio-rng0");
    rig.machine.clock.advance(LATENCY);
    assert.equal(rig.ring.usedIdx(), 0);
    assert.equal(rig.machine.irqLevel(RNG_IRQ), false);
    assert.equal(rig.driver.read(R.Status), 0);
  });

  it("drops in-flight requests when the driver stops the queue", () => {
    const rig = rngRig();
    start(rig);
    request(rig, 8);
    rig.driver.write(R.QueueReady, 0);
    rig.machine.clock.advance(LATENCY);
    assert.equal(rig.ring.usedIdx(), 0);
  });

  it("works again after a driver reset and re-initialisation", () => {
    const rig = rngRig();
    start(rig);
    rig.ring.publish(9); // head ≥ N: breaks the device
    rig.driver.kick(0);
    assert.ok(rig.driver.read(R.Status) & NEEDS_RESET);
    new Uint8Array(rig.region.buffer).fill(0);
    const ring = new DriverRing(rig.region, 8);
    start({ ...rig, ring });
    ring.setDesc(0, ring.layout.dataAddr, 8, WRITE);
    ring.publish(0);
    rig.driver.kick(0);
    rig.machine.clock.advance(LATENCY);
    assert.deepEqual(ring.usedElem(0), { id: 0, len: 8 });
  });
});

describe("virtio-rng: broken rings put the device in DEVICE_NEEDS_RESET", () => {
  const cases: [string, (rig: RngRig) => void, RegExp][] = [
    [
      "avail.idx moved by more than N",
      (rig) => rig.ring.setAvailIdx(9),
      /avail\.idx moved from 0 to 9, more than the queue size 8/,
    ],
    ["a head ≥ N", (rig) => rig.ring.publish(8), /avail\.ring\[0\] = 8 is not a descriptor index \(queue size 8\)/],
    [
      "next ≥ N",
      (rig) => {
        rig.ring.setDesc(0, rig.ring.layout.dataAddr, 8, WRITE | NEXT, 12);
        rig.ring.publish(0);
      },
      /descriptor 0: next = 12 is outside the descriptor table \(8 entries\)/,
    ],
    [
      "a loop",
      (rig) => {
        rig.ring.setDesc(0, rig.ring.layout.dataAddr, 8, WRITE | NEXT, 1);
        rig.ring.setDesc(1, rig.ring.layout.dataAddr, 8, WRITE | NEXT, 0);
        rig.ring.publish(0);
      },
      /longer than 8 descriptors: it loops/,
    ],
    [
      "readable after writable",
      (rig) => {
        rig.ring.setDesc(0, rig.ring.layout.dataAddr, 8, WRITE | NEXT, 1);
        rig.ring.setDesc(1, rig.ring.layout.dataAddr, 8);
        rig.ring.publish(0);
      },
      /descriptor 1 is device-readable but follows a device-writable one/,
    ],
    [
      "INDIRECT not negotiated",
      (rig) => {
        rig.ring.setDesc(0, rig.ring.layout.dataAddr, 16, INDIRECT);
        rig.ring.publish(0);
      },
      /VIRTIO_F_INDIRECT_DESC \(28\) was not negotiated/,
    ],
  ];
  for (const [label, arrange, reason] of cases) {
    it(`on ${label}`, () => {
      const rig = rngRig();
      start(rig);
      arrange(rig);
      rig.driver.kick(0);
      assert.deepEqual(kinds(rig.events), ["needs-reset"]);
      const event = rig.events[0];
      assert.ok(event.kind === "needs-reset");
      assert.match(event.reason, /^queue 0 \(requestq\): /);
      assert.match(event.reason, reason);
      assert.equal(rig.driver.read(R.Status) & NEEDS_RESET, NEEDS_RESET);
      assert.equal(rig.driver.read(R.InterruptStatus), 2, "config-change interrupt");
      assert.equal(rig.machine.irqLevel(RNG_IRQ), true);
    });
  }

  it("on an indirect table of bad length (with INDIRECT_DESC)", () => {
    const rig = rngRig();
    start(rig, VERSION_1 | INDIRECT_DESC);
    rig.ring.setDesc(0, rig.ring.layout.dataAddr, 20, INDIRECT);
    rig.ring.publish(0);
    rig.driver.kick(0);
    assert.deepEqual(kinds(rig.events), ["needs-reset"]);
    assert.ok(rig.events[0].kind === "needs-reset" && /len = 20/.test(rig.events[0].reason));
  });

  it("on a descriptor buffer outside the IOMMU view: dma-fault, then needs-reset", () => {
    const rig = rngRig();
    start(rig);
    rig.ring.setDesc(0, 0x2000_0000, 64, WRITE);
    rig.ring.publish(0);
    rig.driver.kick(0);
    assert.deepEqual(kinds(rig.events), ["dma-fault", "needs-reset"]);
    const fault = rig.events[0];
    assert.ok(fault.kind === "dma-fault");
    assert.deepEqual([fault.device, fault.address, fault.length, fault.write], ["virtio-rng0", 0x2000_0000, 64, true]);
    assert.match(fault.detail, /descriptor 0 buffer \(addr 0x20000000, len 64, device-writable\)/);
  });

  it("on rings in memory the device was not given: dma-fault", () => {
    const rig = rngRig();
    const other = rig.machine.allocateDma(4096);
    const ring = new DriverRing(other, 8);
    assert.ok(rig.driver.negotiate(VERSION_1));
    rig.driver.setupQueue(0, ring.layout);
    rig.driver.driverOk();
    ring.setDesc(0, rig.ring.layout.dataAddr, 8, WRITE);
    ring.publish(0);
    rig.driver.kick(0);
    assert.deepEqual(kinds(rig.events), ["dma-fault", "needs-reset"]);
    assert.ok(rig.events[0].kind === "dma-fault" && rig.events[0].address === other.phys + 16 * 8 + 2);
  });

  it("with no IOMMU view at all: every access faults", () => {
    const rig = rngRig();
    rig.machine.setIommuView("virtio-rng0", []);
    start(rig);
    request(rig, 8);
    assert.deepEqual(kinds(rig.events), ["dma-fault", "needs-reset"]);
    assert.ok(rig.events[0].kind === "dma-fault" && /no IOMMU view/.test(rig.events[0].detail));
  });

  it("when the buffer's memory is freed while the request is in flight", () => {
    const rig = rngRig();
    const buffer = rig.machine.allocateDma(4096);
    rig.machine.setIommuView("virtio-rng0", [rig.region, buffer]);
    start(rig);
    rig.ring.setDesc(0, buffer.phys, 32, WRITE);
    rig.ring.publish(0);
    rig.driver.kick(0);
    rig.machine.freeDma(buffer.phys);
    rig.machine.clock.advance(LATENCY);
    assert.deepEqual(kinds(rig.events), ["dma-fault", "needs-reset"]);
    assert.equal(rig.ring.usedIdx(), 0);
  });

  it("ignores further kicks until the driver resets", () => {
    const rig = rngRig();
    start(rig);
    rig.ring.publish(8);
    rig.driver.kick(0);
    rig.ring.setDesc(1, rig.ring.layout.dataAddr, 8, WRITE);
    rig.ring.publish(1);
    rig.driver.kick(0);
    rig.machine.clock.advance(LATENCY);
    assert.equal(rig.ring.usedIdx(), 0);
    assert.deepEqual(kinds(rig.events), ["needs-reset"]);
  });
});
