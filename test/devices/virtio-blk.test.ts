// virtio-blk device duties (virtio-reference §6 and §9), one case per test, at register level.
import assert from "node:assert/strict";
import {
  BLK_IRQ,
  blkRig,
  CountingDisk,
  F,
  header,
  LATENCY,
  pattern,
  request,
  S,
  SECTORS,
  T,
  areas,
  type BlkRig,
} from "./helpers/blk-rig";
import { INDIRECT, NEXT, WRITE } from "./helpers/driver-ring";
import { EVENT_IDX, INDIRECT_DESC, NEEDS_RESET, R, VERSION_1 } from "./helpers/mini-driver";

const statusOf = (rig: BlkRig): number => rig.bytes(areas(rig).status, 1)[0];
const needsReset = (rig: BlkRig): boolean => (rig.driver.read(R.Status) & NEEDS_RESET) !== 0;
const config32 = (rig: BlkRig, offset: number): number => rig.driver.read(0x100 + offset);

function diskBytes(rig: BlkRig, sector: number, sectors: number): Uint8Array {
  const out = new Uint8Array(sectors * 512);
  rig.disk.read(sector, out);
  return out;
}

describe("virtio-blk device", () => {
  describe("identity and configuration", () => {
    it("is device id 2 with a request queue of at least 128 entries", () => {
      const rig = blkRig();
      assert.equal(rig.driver.read(R.DeviceId), 2);
      rig.driver.write(R.QueueSel, 0);
      assert.ok(rig.driver.read(R.QueueSizeMax) >= 128);
      rig.driver.write(R.QueueSel, 1);
      assert.equal(rig.driver.read(R.QueueSizeMax), 0);
    });

    it("offers VERSION_1, INDIRECT_DESC, EVENT_IDX, SEG_MAX, BLK_SIZE and FLUSH, not RO, for a writable disk", () => {
      const rig = blkRig();
      assert.equal(
        rig.driver.deviceFeatures(),
        VERSION_1 | INDIRECT_DESC | EVENT_IDX | F.SEG_MAX | F.BLK_SIZE | F.FLUSH,
      );
    });

    it("offers RO for a read-only disk", () => {
      const rig = blkRig({ disk: new CountingDisk(SECTORS, true) });
      assert.ok(rig.driver.deviceFeatures() & F.RO);
    });

    it("reports capacity (two 32-bit halves), seg_max and blk_size in config space, readable before FEATURES_OK", () => {
      const rig = blkRig();
      assert.equal(config32(rig, 0), SECTORS);
      assert.equal(config32(rig, 4), 0);
      assert.equal(config32(rig, 12), 256 - 2);
      assert.equal(config32(rig, 20), 512);
      assert.equal(config32(rig, 16), 0, "geometry is not offered and reads 0");
    });

    it("ignores and logs config writes (nothing is writable without CONFIG_WCE)", () => {
      const rig = blkRig();
      rig.start();
      rig.driver.write(0x100, 1);
      assert.equal(config32(rig, 0), SECTORS);
      assert.match(rig.errors()[0], /read-only field/);
    });
  });

  describe("requests", () => {
    it("IN reads sectors into the writable buffer after a virtual latency: status OK, used len = data + 1", () => {
      const rig = blkRig();
      rig.disk.write(3, pattern(1024));
      rig.start();
      request(rig, T.IN, 3, { len: 1024, write: true });
      assert.equal(rig.ring.usedIdx(), 0, "nothing completes inside the kick");
      rig.clock.advance(LATENCY);
      assert.equal(rig.ring.usedIdx(), 1);
      assert.deepEqual(rig.ring.usedElem(0), { id: 0, len: 1025 });
      assert.equal(statusOf(rig), S.OK);
      assert.deepEqual(rig.bytes(areas(rig).data, 1024), pattern(1024));
      assert.equal(rig.irq(), true);
    });

    it("OUT writes the readable data to the disk: status OK, used len 1", () => {
      const rig = blkRig();
      rig.start();
      rig.fill(areas(rig).data, pattern(512, 9));
      request(rig, T.OUT, 7, { len: 512, write: false });
      rig.clock.advance(LATENCY);
      assert.deepEqual(rig.ring.usedElem(0), { id: 0, len: 1 });
      assert.equal(statusOf(rig), S.OK);
      assert.deepEqual(diskBytes(rig, 7, 1), pattern(512, 9));
    });

    it("FLUSH flushes the disk before it completes", () => {
      const rig = blkRig();
      rig.start();
      request(rig, T.FLUSH, 0, undefined);
      assert.equal(rig.disk.flushes, 0);
      rig.clock.advance(LATENCY);
      assert.equal(rig.disk.flushes, 1);
      assert.equal(statusOf(rig), S.OK);
    });

    it("makes every write stable before completing when FLUSH was not negotiated (write-through)", () => {
      const rig = blkRig();
      rig.start(VERSION_1);
      request(rig, T.OUT, 0, { len: 512, write: false });
      rig.clock.advance(LATENCY);
      assert.equal(rig.disk.flushes, 1);
    });

    it("leaves a write in the cache until FLUSH when FLUSH was negotiated", () => {
      const rig = blkRig();
      rig.start(VERSION_1 | F.FLUSH);
      request(rig, T.OUT, 0, { len: 512, write: false });
      rig.clock.advance(LATENCY);
      assert.equal(rig.disk.flushes, 0);
    });

    it("GET_ID writes the serial, NUL padded to 20 bytes", () => {
      const rig = blkRig();
      rig.start();
      request(rig, T.GET_ID, 0, { len: 20, write: true });
      rig.clock.advance(LATENCY);
      assert.deepEqual(rig.ring.usedElem(0), { id: 0, len: 21 });
      const id = rig.bytes(areas(rig).data, 20);
      assert.equal(Buffer.from(id).toString("latin1").replace(/\0+$/, ""), "ZDS-virtio-blk0");
      assert.equal(id[19], 0);
    });

    it("answers an unknown request type with UNSUPP and carries on", () => {
      const rig = blkRig();
      rig.start();
      request(rig, 11, 0, undefined); // DISCARD, not offered
      rig.clock.advance(LATENCY);
      assert.equal(statusOf(rig), S.UNSUPP);
      assert.equal(needsReset(rig), false);
    });

    it("frames the chain as a byte stream: header and data in one descriptor, data and status in another", () => {
      const rig = blkRig();
      rig.disk.write(1, pattern(512, 4));
      rig.start();
      const { header: at, data } = areas(rig);
      // Readable: 16-byte header + 0 bytes; writable: 512 data bytes and the status byte together.
      rig.fill(at, header(T.IN, 1));
      rig.ring.setDesc(0, at, 8, NEXT, 1);
      rig.ring.setDesc(1, at + 8, 8, NEXT, 2);
      rig.ring.setDesc(2, data, 300, WRITE | NEXT, 3);
      rig.ring.setDesc(3, data + 300, 213, WRITE);
      rig.ring.publish(0);
      rig.driver.kick(0);
      rig.clock.advance(LATENCY);
      assert.deepEqual(rig.ring.usedElem(0), { id: 0, len: 513 });
      assert.deepEqual(rig.bytes(data, 512), pattern(512, 4));
      assert.equal(rig.bytes(data + 512, 1)[0], S.OK);
    });

    it("serves a request laid out in an indirect table when INDIRECT_DESC is negotiated", () => {
      const rig = blkRig();
      rig.disk.write(2, pattern(512, 5));
      rig.start(VERSION_1 | INDIRECT_DESC);
      const { header: at, data, status } = areas(rig);
      const table = at + 0x100;
      rig.fill(at, header(T.IN, 2));
      rig.ring.writeDescAt(table, at, 16, NEXT, 1);
      rig.ring.writeDescAt(table + 16, data, 512, WRITE | NEXT, 2);
      rig.ring.writeDescAt(table + 32, status, 1, WRITE);
      rig.ring.setDesc(0, table, 48, INDIRECT);
      rig.ring.publish(0);
      rig.driver.kick(0);
      rig.clock.advance(LATENCY);
      assert.equal(statusOf(rig), S.OK);
      assert.deepEqual(rig.bytes(data, 512), pattern(512, 5));
    });
  });

  describe("malformed requests", () => {
    it("short header (fewer than 16 readable bytes): DEVICE_NEEDS_RESET, not completed (QEMU virtio_error)", () => {
      const rig = blkRig();
      rig.start();
      const { header: at, status } = areas(rig);
      rig.ring.setDesc(0, at, 12, NEXT, 1);
      rig.ring.setDesc(1, status, 1, WRITE);
      rig.ring.publish(0);
      rig.driver.kick(0);
      rig.clock.advance(LATENCY);
      assert.equal(needsReset(rig), true);
      assert.equal(rig.ring.usedIdx(), 0);
      const event = rig.events.find((e) => e.kind === "needs-reset");
      assert.ok(event && event.kind === "needs-reset");
      assert.match(
        event.reason,
        /12 device-readable bytes; a virtio-blk request starts with a 16-byte device-readable header/,
      );
      assert.equal(rig.irq(), true, "a config-change interrupt tells the live driver");
    });

    it("no status byte (nothing device-writable): DEVICE_NEEDS_RESET, not completed", () => {
      const rig = blkRig();
      rig.start();
      const { header: at, data } = areas(rig);
      rig.fill(at, header(T.OUT, 0));
      rig.ring.setDesc(0, at, 16, NEXT, 1);
      rig.ring.setDesc(1, data, 512);
      rig.ring.publish(0);
      rig.driver.kick(0);
      assert.equal(needsReset(rig), true);
      assert.equal(rig.ring.usedIdx(), 0);
    });

    it("IN with its data in device-readable buffers (wrong direction): IOERR, nothing written, the device carries on", () => {
      const rig = blkRig();
      rig.disk.write(0, pattern(512));
      rig.start();
      request(rig, T.IN, 0, { len: 512, write: false });
      rig.clock.advance(LATENCY);
      assert.deepEqual(rig.ring.usedElem(0), { id: 0, len: 1 });
      assert.equal(statusOf(rig), S.IOERR);
      assert.deepEqual(
        rig.bytes(areas(rig).data, 512),
        new Uint8Array(512),
        "the device never writes a readable buffer",
      );
      assert.equal(needsReset(rig), false);
      assert.match(rig.errors()[0], /IN \(read\) carries 512 data bytes in device-readable buffers/);
    });

    it("OUT with its data in device-writable buffers (wrong direction): IOERR, the disk untouched", () => {
      const rig = blkRig();
      rig.start();
      rig.fill(areas(rig).data, pattern(512));
      request(rig, T.OUT, 0, { len: 512, write: true });
      rig.clock.advance(LATENCY);
      assert.equal(statusOf(rig), S.IOERR);
      assert.deepEqual(diskBytes(rig, 0, 1), new Uint8Array(512));
      assert.equal(needsReset(rig), false);
    });

    it("sector beyond capacity: IOERR, the device carries on", () => {
      const rig = blkRig();
      rig.start();
      request(rig, T.IN, SECTORS - 1, { len: 1024, write: true });
      rig.clock.advance(LATENCY);
      assert.equal(statusOf(rig), S.IOERR);
      assert.deepEqual(rig.ring.usedElem(0), { id: 0, len: 1 });
      assert.match(rig.errors()[0], /runs past the end of the disk \(capacity 64 sectors\)/);
    });

    it("a sector number near 2^64: IOERR, no wrap-around", () => {
      const rig = blkRig();
      rig.start();
      request(rig, T.OUT, (1n << 64n) - 1n, { len: 512, write: false });
      rig.clock.advance(LATENCY);
      assert.equal(statusOf(rig), S.IOERR);
    });

    it("data not a whole number of sectors: IOERR", () => {
      const rig = blkRig();
      rig.start();
      request(rig, T.IN, 0, { len: 500, write: true });
      rig.clock.advance(LATENCY);
      assert.equal(statusOf(rig), S.IOERR);
    });

    it("write to a read-only disk: IOERR, nothing written (§6.6)", () => {
      const rig = blkRig({ disk: new CountingDisk(SECTORS, true) });
      rig.start(VERSION_1 | F.RO);
      rig.fill(areas(rig).data, pattern(512));
      request(rig, T.OUT, 0, { len: 512, write: false });
      rig.clock.advance(LATENCY);
      assert.equal(statusOf(rig), S.IOERR);
      assert.deepEqual(diskBytes(rig, 0, 1), new Uint8Array(512));
    });

    it("more data segments than seg_max: IOERR", () => {
      const rig = blkRig();
      rig.start(VERSION_1 | INDIRECT_DESC);
      const { header: at, status } = areas(rig);
      const table = rig.ring.layout.dataAddr + 0x2000;
      const segments = 255; // seg_max is 254
      const data = rig.ring.layout.dataAddr + 0x4000;
      rig.fill(at, header(T.IN, 0));
      rig.ring.writeDescAt(table, at, 16, NEXT, 1);
      // 255 segments of one sector each (all over the same memory: the device must refuse before any I/O).
      for (let i = 1; i <= segments; i++) rig.ring.writeDescAt(table + 16 * i, data, 512, WRITE | NEXT, i + 1);
      rig.ring.writeDescAt(table + 16 * (segments + 1), status, 1, WRITE);
      rig.ring.setDesc(0, table, 16 * (segments + 2), INDIRECT);
      rig.ring.publish(0);
      rig.driver.kick(0);
      rig.clock.advance(LATENCY);
      assert.equal(statusOf(rig), S.IOERR);
      assert.match(rig.errors().at(-1) ?? "", /255 data segments, more than seg_max 254/);
    });

    it("a looping chain (too long): DEVICE_NEEDS_RESET, not completed", () => {
      const rig = blkRig();
      rig.start();
      const { header: at } = areas(rig);
      rig.fill(at, header(T.IN, 0));
      rig.ring.setDesc(0, at, 16, NEXT, 1);
      rig.ring.setDesc(1, at, 16, NEXT, 0);
      rig.ring.publish(0);
      rig.driver.kick(0);
      assert.equal(needsReset(rig), true);
      assert.equal(rig.ring.usedIdx(), 0);
      const event = rig.events.find((e) => e.kind === "needs-reset");
      assert.match(event && event.kind === "needs-reset" ? event.reason : "", /longer than 128 descriptors: it loops/);
    });

    it("a buffer outside the IOMMU view: a DMA fault event and DEVICE_NEEDS_RESET", () => {
      const rig = blkRig();
      rig.start();
      const { header: at, status } = areas(rig);
      rig.fill(at, header(T.IN, 0));
      rig.ring.setDesc(0, at, 16, NEXT, 1);
      rig.ring.setDesc(1, 0x9000_0000, 512, WRITE | NEXT, 2);
      rig.ring.setDesc(2, status, 1, WRITE);
      rig.ring.publish(0);
      rig.driver.kick(0);
      assert.equal(needsReset(rig), true);
      const fault = rig.events.find((e) => e.kind === "dma-fault");
      assert.ok(fault && fault.kind === "dma-fault");
      assert.equal(fault.address, 0x9000_0000);
      assert.equal(rig.ring.usedIdx(), 0);
    });
  });

  describe("buffers lent to the driver (another process's DMA memory in the view)", () => {
    it("IN of whole sectors lands straight in a buffer lent for writing", () => {
      const rig = blkRig({ lent: { read: false, write: true } });
      rig.start();
      const { header: at, status } = areas(rig);
      const lent = rig.lent!;
      const sectorData = new Uint8Array(1024).map((_, i) => (i * 5 + 1) & 0xff);
      rig.disk.write(3, sectorData);
      rig.fill(at, header(T.IN, 3));
      rig.ring.setDesc(0, at, 16, NEXT, 1);
      rig.ring.setDesc(1, lent.phys + 4096, 1024, WRITE | NEXT, 2);
      rig.ring.setDesc(2, status, 1, WRITE);
      rig.ring.publish(0);
      rig.driver.kick(0);
      rig.clock.advance(LATENCY);
      assert.equal(rig.bytes(status, 1)[0], S.OK);
      assert.deepEqual(new Uint8Array(lent.buffer, 4096, 1024), sectorData);
      assert.equal(needsReset(rig), false);
    });

    it("IN into a buffer lent read-only: a DMA fault event, DEVICE_NEEDS_RESET, the buffer untouched", () => {
      const rig = blkRig({ lent: { read: true, write: false } });
      rig.start();
      const { header: at, status } = areas(rig);
      const lent = rig.lent!;
      rig.disk.write(0, new Uint8Array(512).fill(0x77));
      rig.fill(at, header(T.IN, 0));
      rig.ring.setDesc(0, at, 16, NEXT, 1);
      rig.ring.setDesc(1, lent.phys, 512, WRITE | NEXT, 2);
      rig.ring.setDesc(2, status, 1, WRITE);
      rig.ring.publish(0);
      rig.driver.kick(0);
      rig.clock.advance(LATENCY);
      assert.equal(needsReset(rig), true);
      const fault = rig.events.find((e) => e.kind === "dma-fault");
      assert.ok(fault && fault.kind === "dma-fault");
      assert.equal(fault.address, lent.phys);
      assert.ok(new Uint8Array(lent.buffer, 0, 512).every((b) => b === 0));
      assert.equal(rig.ring.usedIdx(), 0);
    });

    it("OUT of whole sectors is taken straight from a buffer lent for reading", () => {
      const rig = blkRig({ lent: { read: true, write: false } });
      rig.start();
      const { header: at, status } = areas(rig);
      const lent = rig.lent!;
      new Uint8Array(lent.buffer).fill(0x3c, 0, 1024);
      rig.fill(at, header(T.OUT, 10));
      rig.ring.setDesc(0, at, 16, NEXT, 1);
      rig.ring.setDesc(1, lent.phys, 1024, NEXT, 2);
      rig.ring.setDesc(2, status, 1, WRITE);
      rig.ring.publish(0);
      rig.driver.kick(0);
      rig.clock.advance(LATENCY);
      assert.equal(rig.bytes(status, 1)[0], S.OK);
      const back = new Uint8Array(1024);
      rig.disk.read(10, back);
      assert.ok(back.every((b) => b === 0x3c));
    });
  });

  describe("queueing and interrupts", () => {
    it("takes several requests from one kick, completes them together with one used-ring update and one interrupt", () => {
      const rig = blkRig();
      for (let s = 0; s < 4; s++) rig.disk.write(s, pattern(512, s + 1));
      rig.start();
      const base = rig.ring.layout.dataAddr;
      const interrupts: boolean[] = [];
      rig.lines.onChange((line, level) => line === BLK_IRQ && interrupts.push(level));
      for (let s = 0; s < 4; s++) {
        const where = { header: base + 0x40 * s, status: base + 0x40 * s + 0x20, data: base + 0x1000 + 0x200 * s };
        rig.fill(where.header, header(T.IN, s));
        rig.ring.setDesc(3 * s, where.header, 16, NEXT, 3 * s + 1);
        rig.ring.setDesc(3 * s + 1, where.data, 512, WRITE | NEXT, 3 * s + 2);
        rig.ring.setDesc(3 * s + 2, where.status, 1, WRITE);
      }
      rig.ring.publish(0, 3, 6, 9);
      rig.driver.kick(0);
      assert.equal(rig.blk.stats.inFlight, 4);
      rig.clock.advance(LATENCY);
      assert.equal(rig.ring.usedIdx(), 4);
      assert.deepEqual(interrupts, [true]);
      assert.equal(rig.blk.stats.batches, 1);
      assert.equal(rig.blk.stats.maxInFlight, 4);
      for (let s = 0; s < 4; s++) assert.deepEqual(rig.bytes(base + 0x1000 + 0x200 * s, 512), pattern(512, s + 1));
    });

    it("keeps requests from several kicks in flight at once", () => {
      const rig = blkRig();
      rig.start();
      const base = rig.ring.layout.dataAddr;
      request(rig, T.FLUSH, 0, undefined, 0, { header: base, status: base + 0x20, data: 0 });
      rig.clock.advance(LATENCY / 2);
      request(rig, T.FLUSH, 0, undefined, 2, { header: base + 0x40, status: base + 0x60, data: 0 });
      assert.equal(rig.blk.stats.inFlight, 2);
      rig.clock.advance(LATENCY / 2);
      assert.equal(rig.ring.usedIdx(), 1);
      rig.clock.advance(LATENCY / 2);
      assert.equal(rig.ring.usedIdx(), 2);
      assert.equal(rig.blk.stats.maxInFlight, 2);
    });

    it("with EVENT_IDX, interrupts only when used.idx passes used_event", () => {
      const rig = blkRig();
      rig.start(VERSION_1 | F.FLUSH | EVENT_IDX);
      rig.ring.setUsedEvent(1); // "interrupt me after the second completion"
      const base = rig.ring.layout.dataAddr;
      request(rig, T.FLUSH, 0, undefined, 0, { header: base, status: base + 0x20, data: 0 });
      rig.clock.advance(LATENCY);
      assert.equal(rig.ring.usedIdx(), 1);
      assert.equal(rig.irq(), false);
      request(rig, T.FLUSH, 0, undefined, 2, { header: base + 0x40, status: base + 0x60, data: 0 });
      rig.clock.advance(LATENCY);
      assert.equal(rig.irq(), true);
    });

    it("with EVENT_IDX, publishes avail_event so the driver can skip kicks while the device is busy", () => {
      const rig = blkRig();
      rig.start(VERSION_1 | F.FLUSH | EVENT_IDX);
      request(rig, T.FLUSH, 0, undefined);
      assert.equal(rig.ring.availEvent(), 1);
    });

    it("drops requests in flight on a device reset: nothing completes, no interrupt", () => {
      const rig = blkRig();
      rig.start();
      request(rig, T.OUT, 0, { len: 512, write: false });
      rig.driver.write(R.Status, 0);
      rig.clock.advance(LATENCY);
      assert.equal(rig.ring.usedIdx(), 0);
      assert.equal(rig.irq(), false);
      assert.equal(rig.blk.stats.inFlight, 0);
    });
  });
});

describe('virtio-blk device caps (docs/architecture.md, "Device caps")', () => {
  /** A request of `data` descriptors (each {addr, len}) between header and status, published and kicked. */
  function chained(
    rig: BlkRig,
    type: number,
    sector: number,
    data: readonly { addr: number; len: number }[],
    write: boolean,
  ): void {
    const where = areas(rig);
    rig.fill(where.header, header(type, sector));
    rig.fill(where.status, Uint8Array.of(0xff));
    rig.ring.setDesc(0, where.header, 16, NEXT, 1);
    data.forEach((d, i) => rig.ring.setDesc(1 + i, d.addr, d.len, (write ? WRITE : 0) | NEXT, 2 + i));
    rig.ring.setDesc(1 + data.length, where.status, 1, WRITE);
    rig.ring.publish(0);
    rig.driver.kick(0);
    rig.clock.advance(LATENCY);
  }

  it("refuses a request of more than 4 MiB (aliased 40 KiB buffers) with IOERR and reads nothing", () => {
    const rig = blkRig({ disk: new CountingDisk(16384) });
    rig.start();
    const buffer = { addr: areas(rig).data, len: 40960 };
    rig.fill(buffer.addr, new Uint8Array(buffer.len).fill(0x5a));
    // 110 × 40 KiB = 4.4 MiB, inside the disk and within seg_max (126): only the size cap refuses it.
    chained(
      rig,
      T.IN,
      0,
      Array.from({ length: 110 }, () => buffer),
      true,
    );
    assert.equal(statusOf(rig), S.IOERR);
    assert.deepEqual(rig.ring.usedElem(0), { id: 0, len: 1 });
    assert.ok(
      rig.bytes(buffer.addr, buffer.len).every((b) => b === 0x5a),
      "no data was transferred",
    );
    assert.ok(
      rig.errors().some((e) => e.includes("more than the 4194304")),
      rig.errors().join("\n"),
    );
    assert.ok(!needsReset(rig));
  });

  it("moves data not in whole sectors through the bounce buffer in pieces, in stream order", () => {
    const rig = blkRig({ disk: new CountingDisk(256) });
    rig.start();
    const x = areas(rig).data;
    const data = pattern(40960, 3);
    rig.fill(x, data);
    // 300 + 40960 + 40660 = 81920 bytes (160 sectors), more than one 64 KiB bounce piece.
    chained(
      rig,
      T.OUT,
      8,
      [
        { addr: x, len: 300 },
        { addr: x, len: 40960 },
        { addr: x, len: 40660 },
      ],
      false,
    );
    assert.equal(statusOf(rig), S.OK);
    const expected = new Uint8Array(81920);
    expected.set(data.subarray(0, 300), 0);
    expected.set(data, 300);
    expected.set(data.subarray(0, 40660), 300 + 40960);
    const written = new Uint8Array(81920);
    rig.disk.read(8, written);
    assert.deepEqual(written, expected);

    // Read it back over an aliasing layout: the last buffer of the stream is written last.
    rig.ring.setAvailIdx(1);
    const y = x;
    rig.fill(y, new Uint8Array(40960));
    const where = areas(rig);
    rig.fill(where.header, header(T.IN, 8));
    rig.ring.setDesc(4, where.header, 16, NEXT, 5);
    rig.ring.setDesc(5, y, 300, WRITE | NEXT, 6);
    rig.ring.setDesc(6, y + 300, 40660, WRITE | NEXT, 7);
    rig.ring.setDesc(7, y, 40960, WRITE | NEXT, 8);
    rig.ring.setDesc(8, where.status, 1, WRITE);
    rig.ring.publish(4);
    rig.driver.kick(0);
    rig.clock.advance(LATENCY);
    assert.equal(statusOf(rig), S.OK);
    assert.deepEqual(rig.ring.usedElem(1), { id: 4, len: 81921 });
    assert.deepEqual(rig.bytes(y, 40960), expected.subarray(40960));
  });
});
