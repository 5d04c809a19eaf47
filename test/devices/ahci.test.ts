// AHCI HBA duties (AHCI 1.3.1, ACS-3), one case per test, through the MMIO bus as a driver reaches
// it: every register, every command, every bad input and what it gets.
import assert from "node:assert/strict";
import { FaultPoints, IommuView } from "../../devices";
import { CountingDisk } from "./helpers/blk-rig";
import { AhciRig, ATA, CMD, DATA_PAGE, H, IS, LATENCY_NS, P, PAGE, pattern } from "./helpers/ahci-rig";

const TFD_OK = 0x50;
const TFD_ERR = 0x51;
const ABRT = 0x04;
const IDNF = 0x10;

/** WRITE DMA EXT `data` at `lba` from DATA_PAGE, READ DMA EXT it back through two PRD entries. */
function roundTrip(rig: AhciRig, lba: number, data: Uint8Array): Uint8Array {
  const count = data.length / 512;
  rig.bytes(rig.phys(DATA_PAGE), data.length).set(data);
  assert.equal(
    rig.run(1, { command: ATA.writeDmaExt, lba, count, write: true, prds: [[rig.phys(DATA_PAGE), data.length]] }),
    IS.DHRS,
  );
  const half = data.length / 2;
  const back = rig.phys(DATA_PAGE + 100);
  assert.equal(
    rig.run(2, {
      command: ATA.readDmaExt,
      lba,
      count,
      prds: [
        [back, half],
        [back + half, half],
      ],
    }),
    IS.DHRS,
  );
  return rig.bytes(back, data.length).slice();
}

describe("AHCI HBA: generic host control", () => {
  it("CAP: 32 command slots (NCS 31), NCQ, 64-bit addressing, AHCI only, Gen 1, one port (NP 0)", () => {
    const cap = new AhciRig().read(H.CAP);
    assert.equal((cap >>> 8) & 0x1f, 31);
    assert.equal(cap >>> 31, 1, "S64A");
    assert.equal((cap >>> 30) & 1, 1, "SNCQ");
    assert.equal((cap >>> 18) & 1, 1, "SAM");
    assert.equal((cap >>> 20) & 0xf, 1, "ISS");
    assert.equal(cap & 0x1f, 0, "NP");
  });

  it("CAP.NCS follows the slots the HBA was built with", () => {
    assert.equal((new AhciRig({ hba: { commandSlots: 8 } }).read(H.CAP) >>> 8) & 0x1f, 7);
  });

  it("PI = 1 (port 0 only) and VS = 1.3", () => {
    const rig = new AhciRig();
    assert.equal(rig.read(H.PI), 1);
    assert.equal(rig.read(H.VS), 0x0001_0300);
  });

  it("GHC.AE reads 1 and stays 1 when software clears it (CAP.SAM)", () => {
    const rig = new AhciRig();
    assert.equal(rig.read(H.GHC) >>> 31, 1);
    rig.write(H.GHC, 0);
    assert.equal(rig.read(H.GHC) >>> 31, 1);
    assert.match(rig.errors()[0], /clears AE: CAP.SAM says this HBA is AHCI only/);
  });

  it("GHC.IE gates the interrupt line; IS bit 0 follows PxIS & PxIE", () => {
    const rig = new AhciRig().start();
    rig.write(H.GHC, 1 << 31);
    rig.place(0, { command: ATA.flushExt });
    rig.write(P.CI, 1);
    rig.clock.advance(LATENCY_NS);
    assert.equal(rig.read(H.IS), 1);
    assert.equal(rig.irq(), false, "IE = 0: no interrupt");
    rig.write(H.GHC, (1 << 31) | 2);
    assert.equal(rig.irq(), true);
    rig.write(H.IS, 1);
    assert.equal(rig.read(H.IS), 1, "IS stays set while the port's status is pending");
    rig.write(P.IS, IS.DHRS);
    assert.equal(rig.read(H.IS), 0);
    assert.equal(rig.irq(), false);
  });

  it("GHC.HR resets the HBA at once: port stopped, registers cleared, HR reads 0", () => {
    const rig = new AhciRig().start();
    rig.write(H.GHC, 1);
    assert.equal(rig.read(H.GHC), (1 << 31) >>> 0);
    assert.deepEqual(
      [rig.read(P.CMD), rig.read(P.CLB), rig.read(P.FB), rig.read(P.IE), rig.read(P.CI)],
      [0, 0, 0, 0, 0],
    );
    assert.equal(rig.read(P.TFD), 0x150);
  });
});

describe("AHCI HBA: port registers", () => {
  it("PxCLB/PxCLBU and PxFB/PxFBU read back; the alignment bits are ignored and named", () => {
    const rig = new AhciRig();
    rig.write(P.CLB, 0x4000_0400);
    rig.write(P.CLBU, 1);
    rig.write(P.FB, 0x4000_0123);
    assert.deepEqual([rig.read(P.CLB), rig.read(P.CLBU), rig.read(P.FB)], [0x4000_0400, 1, 0x4000_0100]);
    assert.match(rig.errors()[0], /P0FB ← 0x40000123: the received FIS area is 256-byte aligned/);
  });

  it("PxCLB cannot move while PxCMD.ST = 1, nor PxFB while FRE = 1", () => {
    const rig = new AhciRig().start();
    const clb = rig.read(P.CLB);
    rig.write(P.CLB, rig.phys(9));
    rig.write(P.FB, rig.phys(9));
    assert.equal(rig.read(P.CLB), clb);
    assert.match(rig.errors()[0], /P0CLB ← .* while PxCMD.ST = 1/);
    assert.match(rig.errors()[1], /P0FB ← .* while PxCMD.FRE = 1/);
  });

  it("PxCMD: CR follows ST and FR follows FRE; clearing ST drops PxCI and PxSACT", () => {
    const rig = new AhciRig().start();
    assert.equal(rig.read(P.CMD) & (CMD.CR | CMD.FR), CMD.CR | CMD.FR);
    rig.place(0, { command: ATA.flushExt });
    rig.write(P.SACT, 2);
    rig.write(P.CI, 1);
    rig.write(P.CMD, CMD.FRE);
    assert.equal(rig.read(P.CMD) & CMD.CR, 0);
    assert.deepEqual([rig.read(P.CI), rig.read(P.SACT)], [0, 0]);
    rig.clock.advance(LATENCY_NS);
    assert.equal(rig.read(P.IS), 0, "the dropped command never completes");
  });

  it("PxIS is write-1-to-clear and PxIE masks what reaches the line", () => {
    const rig = new AhciRig().start();
    rig.write(P.IE, IS.TFES);
    rig.place(0, { command: ATA.flushExt });
    rig.write(P.CI, 1);
    rig.clock.advance(LATENCY_NS);
    assert.equal(rig.read(P.IS), IS.DHRS);
    assert.equal(rig.irq(), false, "DHRS is not enabled");
    rig.write(P.IS, 0);
    assert.equal(rig.read(P.IS), IS.DHRS, "writing 0 clears nothing");
    rig.write(P.IS, IS.DHRS);
    assert.equal(rig.read(P.IS), 0);
  });

  it("PxTFD 0x150 after reset, PxSIG 0x101 (an ATA disk), PxSSTS DET 3 / SPD 1 / IPM 1", () => {
    const rig = new AhciRig();
    assert.deepEqual([rig.read(P.TFD), rig.read(P.SIG), rig.read(P.SSTS)], [0x150, 0x101, 0x113]);
  });

  it("PxSCTL.DET = 1 holds COMRESET (no device); DET = 0 brings the disk back with its signature FIS", () => {
    const rig = new AhciRig();
    rig.write(P.FB, rig.phys(1));
    rig.write(P.SCTL, 1);
    assert.equal(rig.read(P.SSTS), 0);
    assert.equal(rig.read(P.TFD) & 0x80, 0x80, "BSY during reset");
    rig.write(P.CMD, CMD.FRE);
    rig.write(P.SCTL, 0);
    assert.equal(rig.read(P.SSTS), 0x113);
    assert.equal(rig.read(P.TFD), 0x150);
    const fis = rig.fis(0x40);
    assert.deepEqual([fis[0], fis[4], fis[12]], [0x34, 1, 1]);
  });

  it("FRE posts the disk's signature D2H FIS into the received FIS area", () => {
    const rig = new AhciRig().start();
    const fis = rig.fis(0x40);
    assert.deepEqual([fis[0], fis[2], fis[3], fis[4], fis[12]], [0x34, 0x50, 0x01, 1, 1]);
  });

  it("PxCI ignores writes while PxCMD.ST = 0", () => {
    const rig = new AhciRig();
    rig.write(P.CI, 1);
    assert.equal(rig.read(P.CI), 0);
    assert.match(rig.errors()[0], /P0CI ← 0x1 while PxCMD.ST = 0/);
  });

  it("registers of ports PI does not name read 0 and ignore writes", () => {
    const rig = new AhciRig();
    rig.write(0x180 + 0x18, 0x11);
    assert.equal(rig.read(0x180 + 0x18), 0);
    assert.match(rig.errors()[0], /P1CMD \(port 1 is not implemented, PI bit 1 = 0\)/);
  });

  it("a 1-byte or unaligned access reads 0 and is dropped as a write", () => {
    const rig = new AhciRig();
    assert.equal(Number(rig.bus.read(H.CAP, 1)), 0);
    rig.bus.write(P.CLB + 2, 4, 0x1234);
    assert.equal(rig.read(P.CLB), 0);
    assert.equal(rig.errors().length, 2);
  });

  it("completes at a deterministic virtual time: not one nanosecond early", () => {
    const rig = new AhciRig().start();
    rig.place(0, { command: ATA.flushExt });
    rig.write(P.CI, 1);
    rig.clock.advance(LATENCY_NS - 1);
    assert.equal(rig.read(P.CI), 1);
    rig.clock.advance(1);
    assert.equal(rig.read(P.CI), 0);
  });
});

describe("AHCI HBA: commands", () => {
  it("IDENTIFY DEVICE: 512 bytes by PIO (a PIO setup FIS, then the D2H FIS), 48-bit capacity, NCQ depth 32", () => {
    const rig = new AhciRig().start();
    const buf = rig.phys(DATA_PAGE);
    assert.equal(rig.run(0, { command: ATA.identify, prds: [[buf, 512]] }), IS.PSS | IS.DHRS);
    assert.equal(rig.prdbc(0), 512);
    const pio = rig.fis(0x20);
    assert.deepEqual([pio[0], pio[1] & 0x20, pio[16] | (pio[17] << 8)], [0x5f, 0x20, 512]);
    const d2h = rig.fis(0x40);
    assert.deepEqual([d2h[0], d2h[1] & 0x40, d2h[2]], [0x34, 0x40, TFD_OK]);
    const w = (i: number) => rig.view().getUint16(DATA_PAGE * PAGE + 2 * i, true);
    assert.equal(w(83) & (1 << 10), 1 << 10, "48-bit LBA");
    assert.equal(w(83) & (1 << 13), 1 << 13, "FLUSH CACHE EXT");
    assert.equal(w(76) & (1 << 8), 1 << 8, "NCQ");
    assert.equal(w(75), 31);
    assert.equal(w(100) + w(101) * 0x10000, 2048);
    const sum = rig.bytes(buf, 512).reduce((a, b) => a + b, 0);
    assert.equal(sum % 256, 0, "integrity word");
    assert.equal(w(255) & 0xff, 0xa5);
  });

  it("WRITE DMA EXT then READ DMA EXT through two PRD entries: the data round-trips, PRDBC counts it", () => {
    const rig = new AhciRig().start();
    const data = pattern(3, 8 * 512);
    assert.deepEqual(roundTrip(rig, 100, data), data);
    assert.equal(rig.prdbc(2), 8 * 512);
    assert.equal(rig.read(P.TFD), TFD_OK);
    assert.equal(rig.read(P.CI), 0);
    const sector = new Uint8Array(512);
    rig.disk.read(107, sector);
    assert.deepEqual(sector, data.subarray(7 * 512));
  });

  it("a sector count of 0 means 65536 sectors (READ DMA EXT)", () => {
    const rig = new AhciRig({ disk: new CountingDisk(70_000), pages: 60 });
    rig.start();
    const status = rig.run(0, { command: ATA.readDmaExt, count: 0, prds: [[rig.phys(DATA_PAGE), 512]] });
    assert.equal(status & IS.OFS, IS.OFS, "one sector of PRD room for 32 MiB");
  });

  it("FLUSH CACHE EXT flushes the disk (fsync for an image file) and completes with D2H", () => {
    const rig = new AhciRig().start();
    assert.equal(rig.run(0, { command: ATA.flushExt }), IS.DHRS);
    assert.equal(rig.disk.flushes, 1);
  });

  it("the HBA takes issued slots in turn from PxCMD.CCS + 1, wrapping (slot 0 first after ST)", () => {
    const rig = new AhciRig().start();
    rig.run(5, { command: ATA.flushExt });
    for (const slot of [3, 7]) rig.place(slot, { command: ATA.flushExt });
    rig.write(P.CI, (1 << 3) | (1 << 7));
    assert.equal((rig.read(P.CMD) >>> 8) & 0x1f, 7, "slot 7 comes after 5, before 3");
    rig.clock.advance(LATENCY_NS);
    assert.equal(rig.read(P.CI), 1 << 3);
    assert.equal((rig.read(P.CMD) >>> 8) & 0x1f, 3);
  });

  it("slots issued together after ST run from slot 0 up, one at a time, each with its own D2H interrupt", () => {
    const rig = new AhciRig().start();
    for (const slot of [5, 2, 9]) rig.place(slot, { command: ATA.flushExt });
    rig.write(P.CI, (1 << 5) | (1 << 2) | (1 << 9));
    rig.clock.advance(LATENCY_NS);
    assert.equal(rig.read(P.CI), (1 << 5) | (1 << 9));
    rig.clock.advance(LATENCY_NS);
    assert.equal(rig.read(P.CI), 1 << 9);
    rig.clock.advance(LATENCY_NS);
    assert.equal(rig.read(P.CI), 0);
    assert.equal(rig.hba.stats.completed, 3);
  });

  it("NCQ: WRITE/READ FPDMA QUEUED leave PxCI at once and finish by a Set Device Bits FIS clearing PxSACT", () => {
    const rig = new AhciRig({ hba: { transferNsPerKiB: 1000 } }).start();
    const data = pattern(9, 4096);
    rig.bytes(rig.phys(DATA_PAGE), 4096).set(data);
    rig.write(P.SACT, 0b110);
    rig.place(1, {
      command: ATA.writeFpdma,
      lba: 10,
      count: 8,
      ncqTag: 1,
      write: true,
      prds: [[rig.phys(DATA_PAGE), 4096]],
    });
    rig.place(2, {
      command: ATA.writeFpdma,
      lba: 30,
      count: 1,
      ncqTag: 2,
      write: true,
      prds: [[rig.phys(DATA_PAGE), 512]],
    });
    rig.write(P.CI, 0b110);
    rig.clock.advance(2_000);
    assert.equal(rig.read(P.CI), 0, "both handed to the disk, 1 µs each");
    assert.equal(rig.read(P.SACT), 0b110, "and both still in flight");
    assert.deepEqual(rig.hba.snapshot().port.ncqInFlight, [1, 2]);
    rig.clock.advance(LATENCY_NS + 4_000);
    assert.equal(rig.read(P.SACT), 0, "both done");
    assert.equal(rig.read(P.IS) & IS.SDBS, IS.SDBS);
    const sdb = rig.fis(0x58, 8);
    assert.equal(sdb[0], 0xa1);
    const sector = new Uint8Array(4096);
    rig.disk.read(10, sector);
    assert.deepEqual(sector, data);
    rig.write(P.IS, 0xffff_ffff);
    rig.write(P.SACT, 1);
    rig.place(0, { command: ATA.readFpdma, lba: 10, count: 8, ncqTag: 0, prds: [[rig.phys(DATA_PAGE + 10), 4096]] });
    rig.write(P.CI, 1);
    rig.clock.advance(LATENCY_NS + 8_000);
    assert.equal(rig.read(P.SACT), 0);
    assert.deepEqual(rig.bytes(rig.phys(DATA_PAGE + 10), 4096), data);
    assert.equal(rig.hba.stats.maxQueued, 2);
  });
});

describe("AHCI HBA: injected faults", () => {
  const arm = (points: FaultPoints, action: { kind: "io-error" } | { kind: "drop" } | { kind: "delay"; ns: number }) =>
    points.arm({ point: "request", device: "ahci0", match: { op: "read" }, action, nth: 1, count: 1, fired: () => {} });

  it("io-error on a read: ERR with UNC, PxIS.TFES, nothing moves; the next command after recovery is fine", () => {
    const faults = new FaultPoints();
    arm(faults, { kind: "io-error" });
    const rig = new AhciRig({ hba: { faults } }).start();
    rig.bytes(rig.phys(DATA_PAGE), 512).fill(0x33);
    assert.equal(rig.run(0, { command: ATA.readDmaExt, prds: [[rig.phys(DATA_PAGE), 512]] }) & IS.TFES, IS.TFES);
    assert.equal(rig.read(P.TFD), (0x40 << 8) | TFD_ERR);
    assert.ok(rig.bytes(rig.phys(DATA_PAGE), 512).every((b) => b === 0x33));
    rig.recover();
    assert.equal(rig.run(1, { command: ATA.readDmaExt, prds: [[rig.phys(DATA_PAGE), 512]] }), IS.DHRS);
  });

  it("completion-delay and completion-drop: later, or never until ST is cleared", () => {
    const faults = new FaultPoints();
    arm(faults, { kind: "delay", ns: 5_000 });
    const rig = new AhciRig({ hba: { faults } }).start();
    rig.place(0, { command: ATA.readDmaExt, prds: [[rig.phys(DATA_PAGE), 512]] });
    rig.write(P.CI, 1);
    rig.clock.advance(LATENCY_NS);
    assert.equal(rig.read(P.CI), 1);
    rig.clock.advance(5_000);
    assert.equal(rig.read(P.CI), 0);
    arm(faults, { kind: "drop" });
    rig.write(P.CI, 1);
    rig.clock.advance(1_000_000_000);
    assert.equal(rig.read(P.CI), 1);
    rig.write(P.CMD, CMD.FRE);
    assert.equal(rig.read(P.CI), 0);
  });
});

describe("AHCI HBA: bad input", () => {
  it("a PRD entry outside the DMA grant: PxIS.HBFS, PxTFD.STS.ERR, a DMA fault, the port stops with the slot in CI and CCS", () => {
    const rig = new AhciRig().start();
    const outside = rig.region.phys + rig.region.size;
    const status = rig.run(3, { command: ATA.readDmaExt, lba: 0, count: 1, prds: [[outside, 512]] });
    assert.equal(status & IS.HBFS, IS.HBFS);
    assert.equal(rig.read(P.TFD) & 0xff, TFD_ERR);
    assert.equal(rig.read(P.CI), 1 << 3);
    assert.equal((rig.read(P.CMD) >>> 8) & 0x1f, 3);
    const fault = rig.events.find((e) => e.kind === "dma-fault");
    assert.ok(fault, JSON.stringify(rig.events));
    // The stopped port takes nothing more until software clears ST.
    rig.place(4, { command: ATA.flushExt });
    rig.write(P.CI, 1 << 4);
    rig.clock.advance(LATENCY_NS);
    assert.equal(rig.disk.flushes, 0);
    rig.recover();
    assert.equal(rig.run(4, { command: ATA.flushExt }), IS.DHRS);
    assert.equal(rig.disk.flushes, 1);
  });

  it("a PRD entry running past the end of a DMA region writes nothing at all", () => {
    const rig = new AhciRig({ pages: 4 }).start();
    rig.disk.write(0, new Uint8Array(1024).fill(0xee));
    const last = rig.region.phys + rig.region.size - 512;
    rig.bytes(last, 512).fill(0x11);
    const status = rig.run(0, { command: ATA.readDmaExt, count: 2, prds: [[last, 1024]] });
    assert.equal(status & IS.HBFS, IS.HBFS);
    assert.ok(rig.bytes(last, 512).every((b) => b === 0x11));
  });

  it("the command list outside the grant: PxIS.HBFS when the HBA fetches the slot", () => {
    const rig = new AhciRig();
    rig.write(P.CLB, 0x1000_0000);
    rig.write(P.FB, rig.phys(1));
    rig.write(P.IE, 0xffff_ffff);
    rig.write(P.CMD, CMD.FRE | CMD.ST);
    rig.write(P.CI, 1);
    rig.clock.advance(LATENCY_NS);
    assert.equal(rig.read(P.IS) & IS.HBFS, IS.HBFS);
    assert.match(rig.hba.snapshot().port.stoppedBy ?? "", /host bus fatal error: fetching command slot 0/);
  });

  it("PRD entries describing fewer bytes than the command moves: PxIS.OFS and a task-file error", () => {
    const rig = new AhciRig().start();
    const status = rig.run(0, { command: ATA.readDmaExt, count: 4, prds: [[rig.phys(DATA_PAGE), 1024]] });
    assert.equal(status & (IS.OFS | IS.TFES), IS.OFS | IS.TFES);
    assert.equal(rig.read(P.TFD), (ABRT << 8) | TFD_ERR);
  });

  it("an LBA past the end of the disk: ERR with IDNF, PxIS.TFES", () => {
    const rig = new AhciRig().start();
    const status = rig.run(0, { command: ATA.readDmaExt, lba: 2047, count: 2, prds: [[rig.phys(DATA_PAGE), 1024]] });
    assert.equal(status & IS.TFES, IS.TFES);
    assert.equal(rig.read(P.TFD), (IDNF << 8) | TFD_ERR);
    const d2h = rig.fis(0x40);
    assert.deepEqual([d2h[2], d2h[3]], [TFD_ERR, IDNF]);
  });

  it("a command the disk does not know: ERR with ABRT, PxIS.TFES", () => {
    const rig = new AhciRig().start();
    assert.equal(rig.run(0, { command: 0x20 }) & IS.TFES, IS.TFES);
    assert.equal(rig.read(P.TFD), (ABRT << 8) | TFD_ERR);
    assert.match(rig.errors()[0], /command 0x20 in slot 0: not a command this disk knows/);
  });

  it("a command FIS that is not a register H2D FIS (or has C = 0): aborted, PxSERR protocol error", () => {
    const rig = new AhciRig().start();
    assert.equal(rig.run(0, { command: ATA.flushExt, fisType: 0x46 }) & IS.TFES, IS.TFES);
    assert.equal(rig.read(P.SERR) & (1 << 10), 1 << 10);
    rig.write(P.SERR, 0xffff_ffff);
    assert.equal(rig.read(P.SERR), 0, "PxSERR is write-1-to-clear");
    rig.recover();
    assert.equal(rig.run(0, { command: ATA.flushExt, c: false }) & IS.TFES, IS.TFES);
    assert.equal(rig.disk.flushes, 0);
  });

  it("a write to a read-only disk: aborted, the disk unchanged", () => {
    const rig = new AhciRig({ disk: new CountingDisk(64, true) }).start();
    rig.bytes(rig.phys(DATA_PAGE), 512).fill(7);
    assert.equal(
      rig.run(0, { command: ATA.writeDmaExt, write: true, prds: [[rig.phys(DATA_PAGE), 512]] }) & IS.TFES,
      IS.TFES,
    );
    const sector = new Uint8Array(512);
    rig.disk.read(0, sector);
    assert.ok(sector.every((b) => b === 0));
  });

  it("PxCMD.ST before FRE: named; the command runs but no FIS is posted to memory", () => {
    const rig = new AhciRig();
    rig.write(P.CLB, rig.phys(0));
    rig.write(P.FB, rig.phys(1));
    rig.write(P.IE, 0xffff_ffff);
    rig.write(P.CMD, CMD.ST);
    assert.match(rig.errors()[0], /PxCMD.ST set while PxCMD.FRE = 0/);
    assert.equal(rig.run(0, { command: ATA.flushExt }), IS.DHRS);
    assert.ok(
      rig.fis(0x40).every((b) => b === 0),
      "FIS receive is off",
    );
  });

  it("a slot beyond CAP.NCS: its CI bit is ignored and named", () => {
    const rig = new AhciRig({ hba: { commandSlots: 8 } }).start();
    rig.place(0, { command: ATA.flushExt });
    rig.write(P.CI, 0x101);
    assert.equal(rig.read(P.CI), 1);
    assert.match(rig.errors()[0], /slots beyond CAP.NCS \(8 slots\) do not exist; bits 0x100 ignored/);
  });

  it("NCQ with its PxSACT bit not set first: a task-file error", () => {
    const rig = new AhciRig().start();
    const status = rig.run(0, { command: ATA.readFpdma, count: 1, ncqTag: 0, prds: [[rig.phys(DATA_PAGE), 512]] });
    assert.equal(status & IS.TFES, IS.TFES);
    assert.match(rig.errors()[0], /PxSACT bit 0 was not set before PxCI/);
  });

  it("an NCQ command whose PRD leaves the grant: HBFS and TFES, PxSACT keeps the tag", () => {
    const rig = new AhciRig().start();
    rig.write(P.SACT, 1);
    rig.place(0, { command: ATA.readFpdma, count: 1, ncqTag: 0, prds: [[0x10, 512]] });
    rig.write(P.CI, 1);
    rig.clock.advance(2 * LATENCY_NS);
    assert.equal(rig.read(P.IS) & (IS.HBFS | IS.TFES), IS.HBFS | IS.TFES);
    assert.equal(rig.read(P.SACT), 1);
    assert.ok(rig.events.some((e) => e.kind === "dma-fault"));
  });

  it("no IOMMU view (no driver bound): every command ends in HBFS, nothing is touched", () => {
    const rig = new AhciRig().start();
    rig.hba.setIommuView(IommuView.empty);
    rig.write(P.CI, 1);
    rig.clock.advance(LATENCY_NS);
    assert.equal(rig.read(P.IS) & IS.HBFS, IS.HBFS);
  });
});
