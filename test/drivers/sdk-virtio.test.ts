// The virtio helpers: DriverSplitQueue on its own (device side played by hand) and VirtioMmio against a
// fake virtio-mmio entropy device.

import assert from "node:assert/strict";
import type { StartupInfo } from "../../kernel/abi";
import {
  DmaBuffer,
  DriverSplitQueue,
  VirtioError,
  VirtioFeature,
  VirtioMmio,
  VirtioStatus,
  defineDriver,
  dma,
  mmio,
  needEvent,
  type MmioRegion,
} from "../../drivers/sdk";
import { FakeKernel } from "./sdk-fakes";
import { FakeVirtioRng, type FakeRngOptions } from "./sdk-fake-virtio";

const PHYS = 0x4000_0000;

function buffer(size = 8192): DmaBuffer {
  return new DmaBuffer({ slot: 9, phys: PHYS, size }, new SharedArrayBuffer(size));
}

/** The device's side of a used-ring write: entry `id`/`len` at used.idx, then bump used.idx. */
function complete(q: DriverSplitQueue, mem: DmaBuffer, id: number, len: number): void {
  const idx = mem.getU16(q.usedOffset + 2);
  const at = q.usedOffset + 4 + 8 * (idx % q.size);
  mem.setU32(at, id);
  mem.setU32(at + 4, len);
  mem.setU16(q.usedOffset + 2, (idx + 1) & 0xffff);
}

describe("SDK: DriverSplitQueue", () => {
  it("lays the rings out aligned and reports their physical addresses", () => {
    const mem = buffer();
    const q = new DriverSplitQueue({ dma: mem, offset: 100, size: 16 });
    assert.equal(q.descOffset, 112);
    assert.equal(q.availOffset, 112 + 256);
    assert.equal(q.usedOffset % 4, 0);
    assert.ok(q.usedOffset >= q.availOffset + 6 + 32);
    assert.equal(q.descPhys, PHYS + 112);
    assert.equal(DriverSplitQueue.bytesFor(16), 256 + 40 + 6 + 128);
    assert.throws(() => new DriverSplitQueue({ dma: mem, size: 12 }), /power of two/);
    assert.throws(() => new DriverSplitQueue({ dma: buffer(4096), size: 256 }), /needs .* bytes/);
  });

  it("writes a chain, readable buffers first, and publishes it on the available ring", () => {
    const mem = buffer();
    const q = new DriverSplitQueue({ dma: mem, size: 8 });
    const head = q.add({
      readable: [{ addr: 0x1000, len: 16 }],
      writable: [
        { addr: 0x2000, len: 512 },
        { addr: 0x3000, len: 1 },
      ],
    });
    assert.equal(q.numFree, 5);
    const desc = (i: number) => ({
      addr: Number(mem.getU64(q.descOffset + 16 * i)),
      len: mem.getU32(q.descOffset + 16 * i + 8),
      flags: mem.getU16(q.descOffset + 16 * i + 12),
      next: mem.getU16(q.descOffset + 16 * i + 14),
    });
    const first = desc(head);
    assert.deepEqual([first.addr, first.len, first.flags], [0x1000, 16, 1]);
    const second = desc(first.next);
    assert.deepEqual([second.addr, second.len, second.flags], [0x2000, 512, 3]);
    const third = desc(second.next);
    assert.deepEqual([third.addr, third.len, third.flags], [0x3000, 1, 2]);
    assert.equal(mem.getU16(q.availOffset + 2), 0, "not visible before publish");
    assert.equal(mem.getU16(q.availOffset + 4), head);
    assert.equal(q.publish(), true);
    assert.equal(mem.getU16(q.availOffset + 2), 1);
    assert.equal(q.publish(), false, "nothing new to publish");
  });

  it("lays a chain out in an indirect table that takes one ring descriptor (INDIRECT_DESC)", () => {
    const mem = buffer();
    const q = new DriverSplitQueue({ dma: mem, size: 8, indirect: true });
    const table = 4096;
    const head = q.add(
      {
        readable: [{ addr: 0x1000, len: 16 }],
        writable: [
          { addr: 0x2000, len: 65536 },
          { addr: 0x3000, len: 1 },
        ],
      },
      table,
    );
    assert.equal(q.numFree, 7, "one ring descriptor for a three-buffer chain");
    const at = q.descOffset + 16 * head;
    assert.deepEqual([Number(mem.getU64(at)), mem.getU32(at + 8), mem.getU16(at + 12)], [PHYS + table, 48, 4]);
    const entry = (i: number) => [
      Number(mem.getU64(table + 16 * i)),
      mem.getU32(table + 16 * i + 8),
      mem.getU16(table + 16 * i + 12),
      mem.getU16(table + 16 * i + 14),
    ];
    assert.deepEqual(entry(0), [0x1000, 16, 1, 1]);
    assert.deepEqual(entry(1), [0x2000, 65536, 3, 2]);
    assert.deepEqual(entry(2), [0x3000, 1, 2, 0]);
    q.publish();
    complete(q, mem, head, 65537);
    assert.deepEqual(q.popUsed(), { id: head, len: 65537 });
    assert.equal(q.numFree, 8);
  });

  it("refuses an indirect chain without INDIRECT_DESC, or with a misaligned or too short table", () => {
    const plain = new DriverSplitQueue({ dma: buffer(), size: 8 });
    assert.throws(() => plain.add({ writable: [{ addr: 0x1000, len: 1 }] }, 4096), /INDIRECT_DESC/);
    const q = new DriverSplitQueue({ dma: buffer(), size: 8, indirect: true });
    assert.throws(() => q.add({ writable: [{ addr: 0x1000, len: 1 }] }, 4100), /not 16-byte aligned/);
    assert.throws(
      () =>
        q.add(
          {
            writable: [
              { addr: 0x1000, len: 1 },
              { addr: 0x2000, len: 1 },
            ],
          },
          8192 - 16,
        ),
      // The DMA-range violation (ZDS103); a bare buffer has no kernel to report it to, so it is thrown.
      /^CapabilityViolation: physAt\(8208\): DMA address at offset 8208 \(0x2010\) is outside the DMA buffer \(8192 bytes\); it ends at 8192$/,
    );
    assert.equal(q.numFree, 8, "nothing was taken");
  });

  it("hands back finished chains and frees their descriptors", () => {
    const mem = buffer();
    const q = new DriverSplitQueue({ dma: mem, size: 4 });
    const a = q.add({
      writable: [
        { addr: 0x2000, len: 8 },
        { addr: 0x2008, len: 8 },
      ],
    });
    const b = q.add({
      writable: [
        { addr: 0x3000, len: 8 },
        { addr: 0x3008, len: 8 },
      ],
    });
    assert.throws(() => q.add({ writable: [{ addr: 0, len: 1 }] }), /does not fit/);
    q.publish();
    assert.equal(q.popUsed(), undefined);
    complete(q, mem, b, 5);
    assert.deepEqual(q.popUsed(), { id: b, len: 5 });
    assert.equal(q.numFree, 2);
    complete(q, mem, a, 16);
    assert.deepEqual(q.popUsed(), { id: a, len: 16 });
    assert.equal(q.numFree, 4);
    complete(q, mem, a, 1);
    assert.throws(
      () => q.popUsed(),
      (e: unknown) => e instanceof VirtioError && /not the head of a chain in flight/.test(e.message),
    );
  });

  it("wraps its 16-bit indices", () => {
    const mem = buffer();
    const q = new DriverSplitQueue({ dma: mem, size: 2 });
    for (let i = 0; i < 70000; i++) {
      const h = q.add({ writable: [{ addr: 0x2000, len: 1 }] });
      q.publish();
      complete(q, mem, h, 1);
      assert.deepEqual(q.popUsed(), { id: h, len: 1 });
    }
    assert.equal(mem.getU16(q.availOffset + 2), 70000 & 0xffff);
  });

  it("does not kick a device that set NO_NOTIFY", () => {
    const mem = buffer();
    let kicks = 0;
    const q = new DriverSplitQueue({ dma: mem, size: 4, notify: () => kicks++ });
    q.add({ writable: [{ addr: 0x2000, len: 1 }] });
    q.kick();
    mem.setU16(q.usedOffset, 1);
    q.add({ writable: [{ addr: 0x2000, len: 1 }] });
    q.kick();
    assert.equal(kicks, 1);
  });

  it("with EVENT_IDX, kicks only when avail.idx crosses avail_event, and asks for the next interrupt", () => {
    const mem = buffer();
    let kicks = 0;
    const q = new DriverSplitQueue({ dma: mem, size: 8, eventIdx: true, notify: () => kicks++ });
    const availEvent = q.usedOffset + 4 + 8 * 8;
    mem.setU16(q.usedOffset, 1); // flags are ignored with EVENT_IDX
    q.add({ writable: [{ addr: 0x2000, len: 1 }] });
    q.kick(); // avail_event 0: crossing 0 → 1 kicks
    assert.equal(kicks, 1);
    q.add({ writable: [{ addr: 0x2000, len: 1 }] });
    q.kick(); // device said "tell me at 0", already past: no kick
    assert.equal(kicks, 1);
    mem.setU16(availEvent, 2);
    q.add({ writable: [{ addr: 0x2000, len: 1 }] });
    q.kick(); // 2 → 3 crosses 2
    assert.equal(kicks, 2);
    complete(q, mem, 0, 1);
    q.popUsed();
    assert.equal(mem.getU16(q.availOffset + 4 + 2 * 8), 1, "used_event = next used index we wait for");
    assert.equal(needEvent(0xffff, 0, 0xfffe), true);
    assert.equal(needEvent(5, 5, 4), false);
  });
});

// ---- VirtioMmio against the fake device ----

const startup: StartupInfo = {
  pid: 3,
  name: "t",
  seed: 0,
  handles: {
    regs: { kind: "mmio", slot: 3, base: 0x1000_3000, size: 0x200, perms: 3 },
    ring: { kind: "dma", size: 8192 },
  },
};

/** Run `body` with an MMIO region wired to a fake device. */
function withDevice(
  opts: Partial<FakeRngOptions>,
  body: (regs: MmioRegion, ring: DmaBuffer, dev: FakeVirtioRng) => void,
): FakeVirtioRng {
  let device: FakeVirtioRng | undefined;
  const kernel: FakeKernel = new FakeKernel({
    startup,
    device: {
      read: (o, w) => (device as FakeVirtioRng).read(o, w),
      write: (o, w, v) => (device as FakeVirtioRng).write(o, w, v),
    },
  });
  device = new FakeVirtioRng({ memory: (p, l) => kernel.memory(p, l), setIrq: (l) => kernel.setIrqLevel(l), ...opts });
  const dev = device;
  defineDriver({
    name: "t",
    caps: { regs: mmio({ size: 0x200 }), ring: dma({ size: 8192 }) },
    main: ({ regs, ring }) => body(regs, ring, dev),
  }).run(kernel.gate);
  return dev;
}

describe("SDK: VirtioMmio", () => {
  it("probes: wrong magic, legacy version, empty slot and wrong type are clear errors", () => {
    const probe = (opts: Partial<FakeRngOptions>, re: RegExp) =>
      withDevice(opts, (regs) =>
        assert.throws(
          () => VirtioMmio.probe(regs, 4),
          (e: unknown) => e instanceof VirtioError && re.test(e.message),
        ),
      );
    probe({ magic: 0 }, /no virtio-mmio device at 0x10003000: magic value 0x0/);
    probe({ version: 1 }, /interface version 1; the SDK drives version 2/);
    probe({ deviceId: 0 }, /is empty/);
    probe({ deviceId: 2 }, /has device id 2 \(block\); this driver expects device id 4 \(entropy\)/);
  });

  it("runs the init sequence, sets up a queue and goes live", () => {
    const dev = withDevice(
      { offered: VirtioFeature.VERSION_1 | VirtioFeature.EVENT_IDX | 0x1n, queueSizeMax: 100 },
      (regs, ring) => {
        const v = VirtioMmio.probe(regs, 4);
        assert.equal(v.init(VirtioFeature.VERSION_1), VirtioFeature.VERSION_1, "accepts only what it asked for");
        const q = v.setupQueue(0, { dma: ring, offset: 0, maxSize: 256 });
        assert.equal(q.size, 64, "largest power of two ≤ QueueSizeMax");
        v.driverOk();
      },
    );
    assert.deepEqual(dev.statusWrites, [0, 1, 3, 11, 15]);
    assert.equal(dev.driverFeatures, VirtioFeature.VERSION_1);
    assert.deepEqual([dev.queueSize, dev.queueReady], [64, 1]);
    assert.ok(dev.desc >= 0x8000_0000 && dev.avail === dev.desc + 16 * 64 && dev.used % 4 === 0);
    assert.deepEqual(dev.violations, []);
  });

  it("sets FAILED and throws when the device refuses the features", () => {
    const dev = withDevice({ refuseFeatures: true }, (regs) => {
      const v = VirtioMmio.probe(regs, 4);
      assert.throws(() => v.init(VirtioFeature.VERSION_1), /refused features 0x100000000/);
    });
    assert.equal(dev.status & VirtioStatus.FAILED, VirtioStatus.FAILED);
  });

  it("refuses to negotiate without VERSION_1 or with ring features it cannot drive", () => {
    withDevice({}, (regs) => {
      const v = VirtioMmio.probe(regs, 4);
      assert.throws(() => v.init(0n), /VERSION_1/);
      assert.throws(() => v.init(VirtioFeature.VERSION_1 | VirtioFeature.RING_PACKED), /does not implement/);
      assert.throws(() => v.setupQueue(0, { dma: buffer() }), /call init\(\) first/);
    });
  });

  it("serves a request end to end: kick, completion, interrupt status", () => {
    const dev = withDevice(
      { offered: VirtioFeature.VERSION_1 | VirtioFeature.EVENT_IDX, maxBytesPerBuffer: 10 },
      (regs, ring) => {
        const v = VirtioMmio.probe(regs, 4);
        v.init(VirtioFeature.VERSION_1 | VirtioFeature.EVENT_IDX);
        const q = v.setupQueue(0, { dma: ring, maxSize: 4 });
        v.driverOk();
        for (let round = 0; round < 10; round++) {
          const head = q.add({ writable: [{ addr: ring.physAt(4096), len: 64 }] });
          q.kick();
          assert.equal(v.interruptStatus(), 1);
          v.ackInterrupt(1);
          assert.deepEqual(q.popUsed(), { id: head, len: 10 });
        }
      },
    );
    assert.equal(dev.notifications, 10, "the fake device keeps avail_event current, so every kick is needed");
    assert.deepEqual(dev.violations, []);
  });
});
