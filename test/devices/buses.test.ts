import assert from "node:assert/strict";
import { MmioBus, PortBus, type AccessWidth, type BusDevice } from "../../devices";

/** A device that records every access and answers reads with a fixed pattern. */
class Recorder implements BusDevice {
  readonly log: string[] = [];
  read(offset: number, width: AccessWidth): number {
    this.log.push(`r${width}@${offset}`);
    return 0x1000 + offset;
  }
  write(offset: number, width: AccessWidth, value: number): void {
    this.log.push(`w${width}@${offset}=${value.toString(16)}`);
  }
}

describe("devices/mmio-bus", () => {
  it("routes accesses to the device with offsets relative to its base", () => {
    const bus = new MmioBus();
    const dev = new Recorder();
    bus.map("dev", 0x1000_0000, 0x1000, dev);
    assert.equal(bus.read(0x1000_0010, 4), 0x1010);
    bus.write(0x1000_0020, 2, 0xabcd);
    assert.deepEqual(dev.log, ["r4@16", "w2@32=abcd"]);
  });

  it("splits an 8-byte read into two 4-byte reads, low half first", () => {
    const bus = new MmioBus();
    const dev = new Recorder();
    bus.map("dev", 0x2000, 0x100, dev);
    assert.equal(bus.read(0x2008, 8), (0x100cn << 32n) | 0x1008n);
    assert.deepEqual(dev.log, ["r4@8", "r4@12"]);
  });

  it("splits an 8-byte write into two 4-byte writes, low half first", () => {
    const bus = new MmioBus();
    const dev = new Recorder();
    bus.map("dev", 0x2000, 0x100, dev);
    bus.write(0x2010, 8, 0x11223344_55667788n);
    assert.deepEqual(dev.log, ["w4@16=55667788", "w4@20=11223344"]);
  });

  it("reads all ones where no device decodes, at every width", () => {
    const bus = new MmioBus();
    assert.equal(bus.read(0x5000, 1), 0xff);
    assert.equal(bus.read(0x5000, 2), 0xffff);
    assert.equal(bus.read(0x5000, 4), 0xffff_ffff);
    assert.equal(bus.read(0x5000, 8), 0xffff_ffff_ffff_ffffn);
  });

  it("ignores writes where no device decodes", () => {
    const bus = new MmioBus();
    const dev = new Recorder();
    bus.map("dev", 0x2000, 0x100, dev);
    bus.write(0x3000, 4, 1);
    assert.deepEqual(dev.log, []);
  });

  it("does not decode an access that runs past the end of a window", () => {
    const bus = new MmioBus();
    const dev = new Recorder();
    bus.map("dev", 0x2000, 0x100, dev);
    assert.equal(bus.read(0x20fe, 4), 0xffff_ffff);
    assert.deepEqual(dev.log, []);
  });

  it("rejects overlapping windows when mapping", () => {
    const bus = new MmioBus();
    bus.map("a", 0x2000, 0x1000, new Recorder());
    assert.throws(() => bus.map("b", 0x2800, 0x1000, new Recorder()), /overlaps a/);
    assert.throws(() => bus.map("c", 0x1800, 0x801, new Recorder()), /overlaps a/);
    bus.map("d", 0x3000, 0x1000, new Recorder());
  });

  it("masks values to the access width", () => {
    const bus = new MmioBus();
    const dev = new Recorder();
    bus.map("dev", 0, 0x100, dev);
    bus.write(0, 1, 0x1ff);
    assert.deepEqual(dev.log, ["w1@0=ff"]);
  });
});

describe("devices/port-bus", () => {
  it("routes port accesses relative to the first port", () => {
    const bus = new PortBus();
    const dev = new Recorder();
    bus.map("ata", 0x1f0, 0x1f7, dev);
    assert.equal(bus.read(0x1f7, 1), (0x1000 + 7) & 0xff);
    bus.write(0x1f2, 1, 9);
    assert.deepEqual(dev.log, ["r1@7", "w1@2=9"]);
  });

  it("reads all ones from unmapped ports and ignores writes", () => {
    const bus = new PortBus();
    assert.equal(bus.read(0x80, 1), 0xff);
    assert.equal(bus.read(0x80, 4), 0xffff_ffff);
    bus.write(0x80, 1, 1);
  });

  it("rejects overlaps and ports outside 0x0000–0xFFFF", () => {
    const bus = new PortBus();
    bus.map("uart", 0x3f8, 0x3ff, new Recorder());
    assert.throws(() => bus.map("other", 0x3ff, 0x400, new Recorder()), /overlap uart/);
    assert.throws(() => bus.map("big", 0xfff0, 0x10000, new Recorder()), RangeError);
    assert.throws(() => bus.read(0x10000, 1), RangeError);
  });
});
