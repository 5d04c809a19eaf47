// ATA/IDE PIO device duties (ATA/ATAPI-6), one case per test, through the port bus as a driver
// would reach it: ports 0x1F0–0x1F7, control 0x3F6, IRQ 14.
import assert from "node:assert/strict";
import { AtaDevice, identifyString, InterruptLines, PortBus, VirtualClock, type DeviceEvent } from "../../devices";
import { identifyData } from "../../devices/ata/identify";
import { CountingDisk, pattern } from "./helpers/blk-rig";

const IRQ = 14;
const SECTOR_NS = 10_000;
const RESET_NS = 50_000;
const P = {
  data: 0x1f0,
  error: 0x1f1,
  count: 0x1f2,
  lbaLow: 0x1f3,
  lbaMid: 0x1f4,
  lbaHigh: 0x1f5,
  device: 0x1f6,
  status: 0x1f7,
  command: 0x1f7,
  control: 0x3f6,
} as const;
const BSY = 0x80,
  DRDY = 0x40,
  DF = 0x20,
  DRQ = 0x08,
  ERR = 0x01;
const ABRT = 0x04,
  IDNF = 0x10;
const NIEN = 0x02,
  SRST = 0x04;

interface AtaRig {
  ata: AtaDevice;
  disk: CountingDisk;
  bus: PortBus;
  clock: VirtualClock;
  events: DeviceEvent[];
  irq(): boolean;
  in8(port: number): number;
  out8(port: number, value: number): void;
  /** LBA28 task file + command. */
  issue(command: number, lba: number, count: number): void;
  readWords(n: number): number[];
  writeSector(data: Uint8Array): void;
  errors(): string[];
}

function ataRig(sectors = 64): AtaRig {
  const clock = new VirtualClock();
  const lines = new InterruptLines();
  const events: DeviceEvent[] = [];
  const disk = new CountingDisk(sectors);
  const ata = new AtaDevice({
    name: "ata0",
    disk,
    irq: lines.line(IRQ),
    clock,
    emit: (e) => events.push(e),
    sectorNs: SECTOR_NS,
    resetNs: RESET_NS,
  });
  const bus = new PortBus();
  bus.map("ata0", 0x1f0, 0x1f7, ata.commandBlock);
  bus.map("ata0 control", 0x3f6, 0x3f6, ata.controlBlock);
  const in8 = (port: number): number => bus.read(port, 1);
  const out8 = (port: number, value: number): void => bus.write(port, 1, value);
  return {
    ata,
    disk,
    bus,
    clock,
    events,
    in8,
    out8,
    irq: () => lines.level(IRQ),
    issue(command, lba, count) {
      out8(P.count, count & 0xff);
      out8(P.lbaLow, lba & 0xff);
      out8(P.lbaMid, (lba >> 8) & 0xff);
      out8(P.lbaHigh, (lba >> 16) & 0xff);
      out8(P.device, 0xe0 | ((lba >> 24) & 0x0f));
      out8(P.command, command);
    },
    readWords: (n) => Array.from({ length: n }, () => bus.read(P.data, 2)),
    writeSector(data) {
      for (let i = 0; i < 512; i += 2) bus.write(P.data, 2, data[i] | (data[i + 1] << 8));
    },
    errors: () => events.flatMap((e) => (e.kind === "driver-error" ? [e.message] : [])),
  };
}

const bytesOf = (words: number[]): Uint8Array => Uint8Array.from(words.flatMap((w) => [w & 0xff, w >> 8]));

describe("ATA PIO device", () => {
  it("powers on ready (DRDY) with the ATA signature in the task file and no interrupt", () => {
    const rig = ataRig();
    assert.equal(rig.in8(P.status), DRDY);
    assert.deepEqual(
      [rig.in8(P.error), rig.in8(P.count), rig.in8(P.lbaLow), rig.in8(P.lbaMid), rig.in8(P.lbaHigh)],
      [1, 1, 1, 0, 0],
    );
    assert.equal(rig.in8(P.device), 0xa0, "obsolete bits 7 and 5 read as 1");
    assert.equal(rig.irq(), false);
  });

  it("IDENTIFY DEVICE: BSY, then DRQ and an interrupt, then 256 words with model, serial, LBA28 capacity and capabilities", () => {
    const rig = ataRig(64);
    rig.out8(P.device, 0xe0);
    rig.out8(P.command, 0xec);
    assert.equal(rig.in8(P.control), BSY);
    rig.clock.advance(SECTOR_NS);
    assert.equal(rig.irq(), true);
    assert.equal(rig.in8(P.status), DRDY | DRQ);
    const words = Uint16Array.from(rig.readWords(256));
    assert.equal(words[0] & 0x8000, 0, "an ATA device, not ATAPI");
    assert.equal(identifyString(words, 27, 20), "ZDS ATA DISK");
    assert.equal(identifyString(words, 10, 10), "ZDS-ata0");
    assert.equal(words[60] | (words[61] << 16), 64);
    assert.ok(words[49] & 0x0200, "LBA supported");
    assert.equal(words[83] & 0xc000, 0x4000, "word 83 valid");
    assert.ok(words[83] & 0x1000, "FLUSH CACHE supported");
    const sum = bytesOf([...words]).reduce((a, b) => a + b, 0);
    assert.equal(words[255] & 0xff, 0xa5);
    assert.equal(sum % 256, 0, "integrity checksum");
    assert.equal(rig.in8(P.status), DRDY, "DRQ clears after the last word");
  });

  it("IDENTIFY words 60–61 saturate at 0x0FFFFFFF for disks beyond LBA28", () => {
    const words = identifyData({ sectors: 2 ** 30, serial: "s", firmware: "f", model: "m" });
    assert.equal(words[60] + words[61] * 0x10000, 0x0fff_ffff);
  });

  it("READ SECTORS: an interrupt and DRQ per sector, data as on the disk, no interrupt at the end", () => {
    const rig = ataRig();
    rig.disk.write(5, pattern(1024, 3));
    rig.issue(0x20, 5, 2);
    const got: number[] = [];
    for (let s = 0; s < 2; s++) {
      assert.equal(rig.irq(), false);
      rig.clock.advance(SECTOR_NS);
      assert.equal(rig.irq(), true, `interrupt for sector ${s}`);
      assert.equal(rig.in8(P.status), DRDY | DRQ);
      assert.equal(rig.irq(), false, "reading Status cleared it");
      got.push(...rig.readWords(256));
    }
    assert.deepEqual(bytesOf(got), pattern(1024, 3));
    rig.clock.advance(SECTOR_NS);
    assert.equal(rig.irq(), false);
    assert.equal(rig.in8(P.status), DRDY);
    assert.equal(rig.ata.stats.sectorsRead, 2);
  });

  it("READ SECTORS with count 0 transfers 256 sectors", () => {
    const rig = ataRig(512);
    rig.issue(0x20, 0, 0);
    for (let s = 0; s < 256; s++) {
      rig.clock.advance(SECTOR_NS);
      assert.equal(rig.in8(P.status), DRDY | DRQ, `sector ${s}`);
      rig.readWords(256);
    }
    assert.equal(rig.in8(P.status), DRDY);
    assert.equal(rig.ata.stats.sectorsRead, 256);
  });

  it("WRITE SECTORS: DRQ without an interrupt for the first sector, an interrupt after each sector taken, data on the disk", () => {
    const rig = ataRig();
    const data = pattern(1024, 8);
    rig.issue(0x30, 9, 2);
    rig.clock.advance(SECTOR_NS);
    assert.equal(rig.irq(), false, "PIO data-out: no interrupt for the first DRQ");
    assert.equal(rig.in8(P.control), DRDY | DRQ);
    rig.writeSector(data.subarray(0, 512));
    assert.equal(rig.in8(P.control), BSY);
    rig.clock.advance(SECTOR_NS);
    assert.equal(rig.irq(), true);
    assert.equal(rig.in8(P.status), DRDY | DRQ);
    rig.writeSector(data.subarray(512));
    rig.clock.advance(SECTOR_NS);
    assert.equal(rig.irq(), true, "completion interrupt");
    assert.equal(rig.in8(P.status), DRDY);
    const disk = new Uint8Array(1024);
    rig.disk.read(9, disk);
    assert.deepEqual(disk, data);
  });

  it("FLUSH CACHE flushes the disk, then interrupts", () => {
    const rig = ataRig();
    rig.out8(P.command, 0xe7);
    rig.clock.advance(SECTOR_NS);
    assert.equal(rig.disk.flushes, 1);
    assert.equal(rig.irq(), true);
    assert.equal(rig.in8(P.status), DRDY);
  });

  it("reading Alternate Status does not clear the interrupt; reading Status does", () => {
    const rig = ataRig();
    rig.out8(P.command, 0xe7);
    rig.clock.advance(SECTOR_NS);
    assert.equal(rig.in8(P.control), DRDY);
    assert.equal(rig.irq(), true);
    rig.in8(P.status);
    assert.equal(rig.irq(), false);
  });

  it("nIEN keeps the line low; clearing it raises a still-pending interrupt", () => {
    const rig = ataRig();
    rig.out8(P.control, NIEN);
    rig.out8(P.command, 0xe7);
    rig.clock.advance(SECTOR_NS);
    assert.equal(rig.irq(), false);
    rig.out8(P.control, 0);
    assert.equal(rig.irq(), true);
  });

  it("a sector range beyond the disk: ERR with IDNF, and an interrupt", () => {
    const rig = ataRig(64);
    rig.issue(0x20, 63, 2);
    rig.clock.advance(SECTOR_NS);
    assert.equal(rig.irq(), true);
    assert.equal(rig.in8(P.status), DRDY | ERR);
    assert.equal(rig.in8(P.error), IDNF);
    assert.equal(rig.ata.stats.sectorsRead, 0);
  });

  it("an unknown command is aborted: ERR with ABRT, and an interrupt", () => {
    const rig = ataRig();
    rig.out8(P.command, 0xc8); // READ DMA: this device does PIO only
    rig.clock.advance(SECTOR_NS);
    assert.equal(rig.in8(P.status), DRDY | ERR);
    assert.equal(rig.in8(P.error), ABRT);
    assert.match(rig.errors()[0], /command 0xC8 is not implemented/);
  });

  it("CHS addressing (LBA bit clear) is aborted", () => {
    const rig = ataRig();
    rig.out8(P.device, 0xa0);
    rig.out8(P.count, 1);
    rig.out8(P.command, 0x20);
    rig.clock.advance(SECTOR_NS);
    assert.equal(rig.in8(P.status), DRDY | ERR);
    assert.equal(rig.in8(P.error), ABRT);
  });

  it("SRST holds the device BSY, cancels the command in progress, and restores the signature when released", () => {
    const rig = ataRig();
    rig.issue(0x20, 0, 4);
    rig.out8(P.control, SRST);
    assert.equal(rig.in8(P.control), BSY);
    rig.clock.advance(SECTOR_NS * 4);
    assert.equal(rig.in8(P.control), BSY, "still held in reset");
    assert.equal(rig.irq(), false);
    rig.out8(P.control, 0);
    rig.clock.advance(RESET_NS);
    assert.equal(rig.in8(P.status), DRDY);
    assert.deepEqual([rig.in8(P.error), rig.in8(P.count), rig.in8(P.lbaLow)], [1, 1, 1]);
    assert.equal(rig.irq(), false, "no interrupt after a software reset");
    assert.equal(rig.ata.stats.sectorsRead, 0);
  });

  it("ignores register writes and commands while BSY, and logs them", () => {
    const rig = ataRig();
    rig.out8(P.command, 0xe7);
    rig.out8(P.lbaLow, 0x55);
    rig.out8(P.command, 0x20);
    rig.clock.advance(SECTOR_NS);
    assert.equal(rig.in8(P.status), DRDY);
    assert.equal(rig.in8(P.lbaLow), 1);
    assert.equal(rig.errors().length, 2);
    assert.match(rig.errors()[0], /while BSY is set/);
  });

  it("reads the data register without DRQ as all ones, and logs it", () => {
    const rig = ataRig();
    assert.equal(rig.bus.read(P.data, 2), 0xffff);
    assert.match(rig.errors()[0], /without DRQ/);
  });

  it("with device 1 selected (absent), Status reads 0 and commands are ignored", () => {
    const rig = ataRig();
    rig.out8(P.device, 0xf0);
    assert.equal(rig.in8(P.status), 0);
    rig.out8(P.command, 0xec);
    rig.clock.advance(SECTOR_NS);
    assert.equal(rig.irq(), false);
    assert.match(rig.errors()[0], /device 1 selected/);
  });

  it("a host I/O failure ends the command with DF and ERR (ABRT) and a host-error event", () => {
    const rig = ataRig();
    rig.disk.read = () => {
      throw new Error("EIO");
    };
    rig.issue(0x20, 0, 1);
    rig.clock.advance(SECTOR_NS);
    assert.equal(rig.in8(P.status), DRDY | DF | ERR);
    assert.equal(rig.in8(P.error), ABRT);
    assert.deepEqual(
      rig.events.map((e) => e.kind),
      ["host-error"],
    );
  });

  it("a hardware reset (the driver died) drops the command and leaves the device ready", () => {
    const rig = ataRig();
    rig.issue(0x20, 0, 1);
    rig.ata.reset();
    rig.clock.advance(SECTOR_NS);
    assert.equal(rig.in8(P.status), DRDY);
    assert.equal(rig.irq(), false);
  });
});
