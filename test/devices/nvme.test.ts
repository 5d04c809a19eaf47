// NVMe controller duties (NVMe Base 2.0, NVM Command Set 1.0), one case per test, through the MMIO bus
// as a driver reaches it: every register, every command, every bad input and what it gets.
import assert from "node:assert/strict";
import { IommuView } from "../../devices";
import { CountingDisk } from "./helpers/blk-rig";
import {
  ADMIN_NS,
  CC_READY,
  DATA_PAGE,
  IO_NS,
  NvmeRig,
  OP,
  PAGE,
  R,
  READY_NS,
  expectOk,
  pattern,
  statusOf,
} from "./helpers/nvme-rig";

const GENERIC = 0;
const SPECIFIC = 1;
const MEDIA = 2;
const SC = {
  invalidOpcode: [GENERIC, 0x01],
  invalidField: [GENERIC, 0x02],
  cidConflict: [GENERIC, 0x03],
  dataTransfer: [GENERIC, 0x04],
  abortedSqDeletion: [GENERIC, 0x08],
  invalidNamespace: [GENERIC, 0x0b],
  sequence: [GENERIC, 0x0c],
  prpOffset: [GENERIC, 0x13],
  writeProtected: [GENERIC, 0x20],
  lbaRange: [GENERIC, 0x80],
  cqInvalid: [SPECIFIC, 0x00],
  qid: [SPECIFIC, 0x01],
  qsize: [SPECIFIC, 0x02],
  aerLimit: [SPECIFIC, 0x05],
  vector: [SPECIFIC, 0x08],
  queueDeletion: [SPECIFIC, 0x0c],
  notSaveable: [SPECIFIC, 0x0d],
  writeFault: [MEDIA, 0x80],
  readError: [MEDIA, 0x81],
} as const;
const CSTS_RDY = 1;
const CSTS_CFS = 2;

/** WRITE `data` at `lba` from DATA_PAGE, READ it back into another page; returns what was read. */
function roundTrip(rig: NvmeRig, lba: number, data: Uint8Array): Uint8Array {
  const blocks = data.length / 512;
  rig.bytes(rig.phys(DATA_PAGE), data.length).set(data);
  const prp = prps(rig, DATA_PAGE, data.length, 300);
  expectOk(rig.run(1, { opcode: OP.write, nsid: 1, ...prp, cdw10: lba, cdw12: blocks - 1 }));
  const back = prps(rig, DATA_PAGE + 100, data.length, 301);
  expectOk(rig.run(1, { opcode: OP.read, nsid: 1, ...back, cdw10: lba, cdw12: blocks - 1 }));
  return rig.bytes(rig.phys(DATA_PAGE + 100), data.length).slice();
}

/** PRP1/PRP2 for `bytes` at page `page` (contiguous), with a PRP list in `listPage` when needed. */
function prps(rig: NvmeRig, page: number, bytes: number, listPage: number): { prp1: number; prp2: number } {
  const pages = Math.ceil(bytes / PAGE);
  if (pages <= 1) return { prp1: rig.phys(page), prp2: 0 };
  if (pages === 2) return { prp1: rig.phys(page), prp2: rig.phys(page + 1) };
  const v = rig.view();
  for (let i = 1; i < pages; i++) v.setBigUint64(listPage * PAGE + (i - 1) * 8, BigInt(rig.phys(page + i)), true);
  return { prp1: rig.phys(page), prp2: rig.phys(listPage) };
}

describe("NVMe controller: registers", () => {
  it("CAP: MQES 1023, CQR, TO 1 (500 ms), DSTRD 0, CSS NVM, MPSMIN = MPSMAX = 0; as one 64-bit read or two halves", () => {
    const rig = new NvmeRig();
    const cap = rig.read64(R.CAP);
    assert.equal(cap & 0xffffn, 1023n);
    assert.equal((cap >> 16n) & 1n, 1n);
    assert.equal((cap >> 24n) & 0xffn, 1n);
    assert.equal((cap >> 32n) & 0xfn, 0n);
    assert.equal((cap >> 37n) & 0xffn, 1n);
    assert.equal((cap >> 48n) & 0xffn, 0n);
    assert.equal(BigInt(rig.read32(R.CAP)) | (BigInt(rig.read32(R.CAP + 4)) << 32n), cap);
  });

  it("VS reads 0x00020000 (NVMe 2.0)", () => {
    assert.equal(new NvmeRig().read32(R.VS), 0x0002_0000);
  });

  it("INTMS masks vector 0 and INTMC unmasks it; both read the mask; a masked vector keeps the line low", () => {
    const rig = new NvmeRig();
    rig.enable();
    rig.write32(R.INTMS, 1);
    assert.equal(rig.read32(R.INTMS), 1);
    assert.equal(rig.read32(R.INTMC), 1);
    rig.place(0, { opcode: OP.abort });
    rig.ring(0);
    rig.clock.advance(ADMIN_NS);
    assert.equal(rig.irq(), false, "masked: the completion is posted but the line stays low");
    rig.write32(R.INTMC, 1);
    assert.equal(rig.read32(R.INTMS), 0);
    assert.equal(rig.irq(), true);
    rig.reap(0);
    assert.equal(rig.irq(), false, "the head doorbell consumed the entry: the line drops");
  });

  it("CC reads back what was written, without reserved bits; CSS/MPS/AMS do not change while enabled", () => {
    const rig = new NvmeRig();
    rig.enable();
    assert.equal(rig.read32(R.CC), CC_READY);
    rig.write32(R.CC, CC_READY | (1 << 7) | (1 << 30));
    assert.equal(rig.read32(R.CC), CC_READY);
    assert.equal(rig.errors().length, 2, rig.errors().join("\n"));
  });

  it("CSTS.RDY follows CC.EN after the controller's delay, both ways; CSTS is read-only", () => {
    const rig = new NvmeRig();
    rig.write32(R.AQA, 0x000f000f);
    rig.write64(R.ASQ, rig.phys(0));
    rig.write64(R.ACQ, rig.phys(1));
    rig.write32(R.CC, CC_READY);
    assert.equal(rig.read32(R.CSTS) & CSTS_RDY, 0, "not yet");
    rig.clock.advance(READY_NS - 1);
    assert.equal(rig.read32(R.CSTS) & CSTS_RDY, 0);
    rig.clock.advance(1);
    assert.equal(rig.read32(R.CSTS) & CSTS_RDY, 1);
    assert.ok(READY_NS < 500_000_000, "well inside CAP.TO");
    rig.write32(R.CSTS, 0);
    assert.equal(rig.read32(R.CSTS) & CSTS_RDY, 1);
    assert.match(rig.errors()[0], /CSTS \(0x1C\), which is read-only/);
    rig.write32(R.CC, 0);
    assert.equal(rig.read32(R.CSTS) & CSTS_RDY, 1, "the reset takes a moment");
    rig.clock.advance(READY_NS);
    assert.equal(rig.read32(R.CSTS) & CSTS_RDY, 0);
  });

  it("AQA, ASQ and ACQ read back (ASQ/ACQ bits 11:0 reserved); writes while enabled are ignored", () => {
    const rig = new NvmeRig();
    rig.write32(R.AQA, 0x0007_0003);
    rig.write64(R.ASQ, rig.phys(0) + 0x10);
    rig.write64(R.ACQ, 0x1_2345_6000n);
    assert.equal(rig.read32(R.AQA), 0x0007_0003);
    assert.equal(rig.read64(R.ASQ), BigInt(rig.phys(0)));
    assert.equal(rig.read64(R.ACQ), 0x1_2345_6000n);
    rig.enable();
    rig.write32(R.AQA, 0);
    assert.notEqual(rig.read32(R.AQA), 0);
    assert.match(rig.errors().at(-1) ?? "", /AQA \(0x24\) while CC\.EN = 1/);
  });

  it("CC.EN = 0 resets the controller: queues gone, commands in flight dropped, doorbells ignored", () => {
    const rig = new NvmeRig().ready();
    rig.place(1, { opcode: OP.flush, nsid: 1 });
    rig.ring(1);
    rig.write32(R.CC, 0);
    rig.clock.advance(IO_NS + READY_NS);
    assert.equal(rig.nvme.snapshot().submissionQueues.length, 0);
    assert.equal(rig.nvme.stats.completed, 2, "only the two queue creations completed");
    rig.ring(1);
    assert.match(rig.errors().at(-1) ?? "", /not ready/);
  });

  it("CC.SHN: CSTS.SHST goes 01 (occurring) then 10 (complete), and the disk is flushed", () => {
    const disk = new CountingDisk(2048);
    const rig = new NvmeRig({ disk });
    rig.enable();
    rig.write32(R.CC, CC_READY | (1 << 14));
    assert.equal((rig.read32(R.CSTS) >> 2) & 3, 1);
    rig.clock.advance(READY_NS);
    assert.equal((rig.read32(R.CSTS) >> 2) & 3, 2);
    assert.equal(disk.flushes, 1);
  });

  it("takes aligned 32-bit accesses only: a 2-byte read reads 0, a misaligned write is dropped", () => {
    const rig = new NvmeRig();
    assert.equal(Number(rig.bus.read(R.VS, 2)), 0);
    rig.bus.write(R.CC + 1, 1, 1);
    assert.equal(rig.read32(R.CC), 0);
    assert.equal(rig.errors().length, 2);
    assert.match(rig.errors()[0], /aligned 32-bit accesses/);
  });

  it("doorbells sit 4 << CAP.DSTRD apart: with DSTRD 2, CQ 0's head doorbell is at 0x1010", () => {
    const rig = new NvmeRig({ nvme: { doorbellStride: 2 } });
    assert.equal((rig.read64(R.CAP) >> 32n) & 0xfn, 2n);
    rig.enable();
    rig.place(0, { opcode: OP.abort });
    rig.write32(0x1000, 1);
    rig.clock.advance(ADMIN_NS);
    assert.equal(rig.irq(), true);
    rig.write32(0x1010, 1);
    assert.equal(rig.irq(), false);
    rig.write32(0x1004, 0);
    assert.match(rig.errors().at(-1) ?? "", /between doorbells \(stride 16 bytes\)/);
  });

  it("doorbells are write-only: a read gives 0 and a device event", () => {
    const rig = new NvmeRig();
    assert.equal(rig.read32(0x1000), 0);
    assert.match(rig.errors()[0], /SQ 0 tail doorbell \(0x1000\): doorbells are write-only/);
  });
});

describe("NVMe controller: enabling with a configuration it cannot use sets CSTS.CFS", () => {
  const cases: [string, (rig: NvmeRig) => void, RegExp][] = [
    ["CC.MPS = 1 (8 KiB pages)", (rig) => rig.enable(16, CC_READY | (1 << 7)), /CC\.MPS = 1/],
    ["CC.CSS = 1", (rig) => rig.enable(16, CC_READY | (1 << 4)), /CC\.CSS = 1/],
    ["CC.AMS = 1 (weighted round robin)", (rig) => rig.enable(16, CC_READY | (1 << 11)), /CC\.AMS = 1/],
    ["AQA of 1-entry queues", (rig) => rig.enable(1), /admin queues need at least 2 entries/],
    [
      "ASQ outside the driver's DMA memory",
      (rig) => {
        rig.write64(R.ASQ, 0x2000_0000);
        rig.write32(R.AQA, 0x000f000f);
        rig.write64(R.ACQ, rig.phys(1));
        rig.write32(R.CC, CC_READY);
      },
      /admin submission queue .* outside the driver's DMA memory/,
    ],
  ];
  for (const [name, act, reason] of cases) {
    it(name, () => {
      const rig = new NvmeRig();
      act(rig);
      rig.clock.advance(READY_NS);
      assert.equal(rig.read32(R.CSTS) & (CSTS_RDY | CSTS_CFS), CSTS_CFS);
      const event = rig.events.find((e) => e.kind === "needs-reset");
      assert.ok(event && event.kind === "needs-reset");
      assert.match(event.reason, /controller fatal status \(CSTS\.CFS\)/);
      assert.match(event.reason, reason);
      // A reset clears it, and a good configuration then works.
      rig.write32(R.CC, 0);
      assert.equal(rig.read32(R.CSTS) & CSTS_CFS, 0);
    });
  }
});

describe("NVMe controller: admin commands", () => {
  it("IDENTIFY controller (CNS 1): serial, model, MDTS 8, SQES/CQES 6/4, one namespace, VER, a volatile write cache", () => {
    const rig = new NvmeRig();
    rig.enable();
    expectOk(rig.admin({ opcode: OP.identify, prp1: rig.phys(DATA_PAGE), cdw10: 1 }));
    const id = rig.bytes(rig.phys(DATA_PAGE), 4096);
    const text = (at: number, n: number) => new TextDecoder().decode(id.subarray(at, at + n)).trim();
    assert.equal(text(4, 20), "ZDS-nvme0");
    assert.equal(text(24, 40), "ZDS NVMe Controller");
    assert.equal(id[77], 8);
    assert.equal(id[512], 0x66);
    assert.equal(id[513], 0x44);
    const v = new DataView(id.buffer, id.byteOffset);
    assert.equal(v.getUint32(516, true), 1);
    assert.equal(v.getUint32(80, true), 0x0002_0000);
    assert.equal(id[525] & 1, 1);
    assert.equal(id[259], 3, "AERL, 0's based");
  });

  it("IDENTIFY namespace 1 (CNS 0): NSZE, 512-byte LBA format; another NSID is Invalid Namespace or Format", () => {
    const rig = new NvmeRig();
    rig.enable();
    expectOk(rig.admin({ opcode: OP.identify, nsid: 1, prp1: rig.phys(DATA_PAGE), cdw10: 0 }));
    const v = rig.view();
    assert.equal(v.getBigUint64(DATA_PAGE * PAGE, true), 2048n);
    assert.equal(rig.bytes(rig.phys(DATA_PAGE) + 130, 1)[0], 9);
    assert.deepEqual(
      statusOf(rig.admin({ opcode: OP.identify, nsid: 2, prp1: rig.phys(DATA_PAGE), cdw10: 0 })),
      SC.invalidNamespace,
    );
  });

  it("IDENTIFY active namespace list (CNS 2) lists NSID 1; an unknown CNS is Invalid Field", () => {
    const rig = new NvmeRig();
    rig.enable();
    expectOk(rig.admin({ opcode: OP.identify, prp1: rig.phys(DATA_PAGE), cdw10: 2 }));
    assert.equal(rig.view().getUint32(DATA_PAGE * PAGE, true), 1);
    assert.equal(rig.view().getUint32(DATA_PAGE * PAGE + 4, true), 0);
    assert.deepEqual(
      statusOf(rig.admin({ opcode: OP.identify, prp1: rig.phys(DATA_PAGE), cdw10: 0x10 })),
      SC.invalidField,
    );
  });

  it("IDENTIFY into memory outside the grant: Data Transfer Error and a DMA fault, nothing written", () => {
    const rig = new NvmeRig();
    rig.enable();
    assert.deepEqual(statusOf(rig.admin({ opcode: OP.identify, prp1: 0x2000_0000, cdw10: 1 })), SC.dataTransfer);
    assert.ok(rig.events.some((e) => e.kind === "dma-fault" && e.address === 0x2000_0000));
  });

  it("CREATE I/O COMPLETION and SUBMISSION QUEUE: commands on the new pair complete in the new CQ with SQID and SQHD", () => {
    const rig = new NvmeRig().ready(8);
    const c = rig.run(1, { opcode: OP.flush, nsid: 1 });
    expectOk(c);
    assert.equal(c.sqid, 1);
    assert.equal(c.sqhd, 1);
    assert.deepEqual(
      rig.nvme.snapshot().submissionQueues.map((q) => [q.id, q.size, q.cqid]),
      [
        [0, 16, 0],
        [1, 8, 1],
      ],
    );
  });

  it("CREATE I/O queues: queues of up to 1024 entries (CAP.MQES + 1); 1025 is Invalid Queue Size", () => {
    const rig = new NvmeRig();
    rig.enable();
    rig.createPair(1, 1024, 2);
    assert.deepEqual(
      statusOf(rig.admin({ opcode: OP.createCq, prp1: rig.phys(100), cdw10: (1024 << 16) | 2, cdw11: 3 })),
      SC.qsize,
    );
  });

  const cqCases: [
    string,
    { cdw10: number; cdw11: number; prp1Page?: number; prp1Offset?: number; cc?: number },
    readonly number[],
  ][] = [
    ["QID 0", { cdw10: (7 << 16) | 0, cdw11: 3 }, SC.qid],
    ["QID above the number of queues", { cdw10: (7 << 16) | 17, cdw11: 3 }, SC.qid],
    ["a QSIZE of 1 entry", { cdw10: (0 << 16) | 1, cdw11: 3 }, SC.qsize],
    ["PC = 0 (CAP.CQR requires contiguous queues)", { cdw10: (7 << 16) | 1, cdw11: 2 }, SC.invalidField],
    ["a PRP1 that is not page aligned", { cdw10: (7 << 16) | 1, cdw11: 3, prp1Offset: 0x40 }, SC.prpOffset],
    ["interrupt vector 1 (pin-based: vector 0 only)", { cdw10: (7 << 16) | 1, cdw11: (1 << 16) | 3 }, SC.vector],
    ["CC.IOCQES not set to 4", { cdw10: (7 << 16) | 1, cdw11: 3, cc: 1 | (6 << 16) }, SC.invalidField],
    ["a queue outside the driver's DMA memory", { cdw10: (7 << 16) | 1, cdw11: 3, prp1Page: 100_000 }, SC.dataTransfer],
  ];
  for (const [name, f, want] of cqCases) {
    it(`CREATE I/O COMPLETION QUEUE with ${name}`, () => {
      const rig = new NvmeRig();
      rig.enable(16, f.cc ?? CC_READY);
      const prp1 = rig.phys(f.prp1Page ?? 20, f.prp1Offset ?? 0);
      assert.deepEqual(statusOf(rig.admin({ opcode: OP.createCq, prp1, cdw10: f.cdw10, cdw11: f.cdw11 })), want);
      assert.equal(rig.nvme.snapshot().completionQueues.length, 1, "only the admin CQ");
    });
  }

  it("CREATE I/O COMPLETION QUEUE with a QID that exists: Invalid Queue Identifier", () => {
    const rig = new NvmeRig().ready();
    assert.deepEqual(
      statusOf(rig.admin({ opcode: OP.createCq, prp1: rig.phys(40), cdw10: (7 << 16) | 1, cdw11: 3 })),
      SC.qid,
    );
  });

  it("CREATE I/O SUBMISSION QUEUE naming a CQ that does not exist (or the admin CQ): Completion Queue Invalid", () => {
    const rig = new NvmeRig();
    rig.enable();
    assert.deepEqual(
      statusOf(rig.admin({ opcode: OP.createSq, prp1: rig.phys(20), cdw10: (7 << 16) | 1, cdw11: (5 << 16) | 1 })),
      SC.cqInvalid,
    );
    assert.deepEqual(
      statusOf(rig.admin({ opcode: OP.createSq, prp1: rig.phys(20), cdw10: (7 << 16) | 1, cdw11: 1 })),
      SC.cqInvalid,
    );
  });

  it("DELETE I/O SUBMISSION QUEUE: its commands in flight complete as aborted first; an unknown QID is Invalid Queue Identifier", () => {
    const rig = new NvmeRig().ready();
    const flush = rig.place(1, { opcode: OP.flush, nsid: 1 });
    rig.ring(1);
    expectOk(rig.admin({ opcode: OP.deleteSq, cdw10: 1 }));
    const aborted = rig.reap(1);
    assert.deepEqual(
      aborted.map((c) => [c.cid, ...statusOf(c)]),
      [[flush, ...SC.abortedSqDeletion]],
    );
    rig.clock.advance(IO_NS);
    assert.deepEqual(rig.reap(1), [], "the dropped batch never completes");
    assert.deepEqual(statusOf(rig.admin({ opcode: OP.deleteSq, cdw10: 1 })), SC.qid);
    assert.deepEqual(statusOf(rig.admin({ opcode: OP.deleteSq, cdw10: 0 })), SC.qid);
  });

  it("DELETE I/O COMPLETION QUEUE while an SQ completes into it: Invalid Queue Deletion; after the SQ: done", () => {
    const rig = new NvmeRig().ready();
    assert.deepEqual(statusOf(rig.admin({ opcode: OP.deleteCq, cdw10: 1 })), SC.queueDeletion);
    expectOk(rig.admin({ opcode: OP.deleteSq, cdw10: 1 }));
    expectOk(rig.admin({ opcode: OP.deleteCq, cdw10: 1 }));
    assert.deepEqual(statusOf(rig.admin({ opcode: OP.deleteCq, cdw10: 1 })), SC.qid);
  });

  it("SET FEATURES Number of Queues answers what it grants (at most 16 pairs); after queues exist it is a Command Sequence Error", () => {
    const rig = new NvmeRig();
    rig.enable();
    const c = expectOk(rig.admin({ opcode: OP.setFeatures, cdw10: 0x07, cdw11: (63 << 16) | 3 }));
    assert.equal(c.dw0, (15 << 16) | 3);
    rig.createPair(1, 8, 2);
    // 4 SQs granted (NSQR 3), 16 CQs (NCQR 63, capped): CQ 5 may exist, SQ 5 may not.
    expectOk(rig.admin({ opcode: OP.createCq, prp1: rig.phys(40), cdw10: (7 << 16) | 5, cdw11: 3 }));
    assert.deepEqual(
      statusOf(rig.admin({ opcode: OP.createSq, prp1: rig.phys(41), cdw10: (7 << 16) | 5, cdw11: (5 << 16) | 1 })),
      SC.qid,
    );
    assert.deepEqual(statusOf(rig.admin({ opcode: OP.setFeatures, cdw10: 0x07, cdw11: 0 })), SC.sequence);
  });

  it("SET FEATURES with SV = 1 is Feature Identifier Not Saveable; an unknown feature is Invalid Field", () => {
    const rig = new NvmeRig();
    rig.enable();
    assert.deepEqual(statusOf(rig.admin({ opcode: OP.setFeatures, cdw10: 0x8000_0007, cdw11: 0 })), SC.notSaveable);
    assert.deepEqual(statusOf(rig.admin({ opcode: OP.setFeatures, cdw10: 0x02, cdw11: 0 })), SC.invalidField);
  });

  it("GET FEATURES: Number of Queues (current and default) and the write cache", () => {
    const rig = new NvmeRig();
    rig.enable();
    expectOk(rig.admin({ opcode: OP.setFeatures, cdw10: 0x07, cdw11: (1 << 16) | 1 }));
    assert.equal(rig.admin({ opcode: OP.getFeatures, cdw10: 0x07 }).dw0, (1 << 16) | 1);
    assert.equal(rig.admin({ opcode: OP.getFeatures, cdw10: 0x107 }).dw0, (15 << 16) | 15);
    assert.equal(rig.admin({ opcode: OP.getFeatures, cdw10: 0x06 }).dw0, 1);
  });

  it("ABORT answers success with DW0 bit 0 set: command not aborted", () => {
    const rig = new NvmeRig().ready();
    const cid = rig.place(1, { opcode: OP.flush, nsid: 1 });
    rig.ring(1);
    const c = expectOk(rig.admin({ opcode: OP.abort, cdw10: (cid << 16) | 1 }));
    assert.equal(c.dw0 & 1, 1);
    rig.clock.advance(IO_NS);
    expectOk(rig.reap(1)[0]);
  });

  it("an unknown admin opcode, and GET LOG PAGE (not emulated), are Invalid Command Opcode", () => {
    const rig = new NvmeRig();
    rig.enable();
    assert.deepEqual(statusOf(rig.admin({ opcode: 0x7f })), SC.invalidOpcode);
    assert.deepEqual(statusOf(rig.admin({ opcode: OP.getLogPage })), SC.invalidOpcode);
    assert.match(rig.errors().join("\n"), /GET LOG PAGE \(0x02\) is not implemented/);
  });

  it("ASYNCHRONOUS EVENT REQUEST waits; a fifth outstanding one is Asynchronous Event Request Limit Exceeded", () => {
    const rig = new NvmeRig();
    rig.enable();
    for (let i = 0; i < 4; i++) rig.place(0, { opcode: OP.aer });
    rig.ring(0);
    rig.clock.advance(ADMIN_NS);
    assert.deepEqual(rig.reap(0), []);
    assert.equal(rig.nvme.snapshot().inFlight.length, 4);
    assert.deepEqual(statusOf(rig.admin({ opcode: OP.aer })), SC.aerLimit);
  });
});

describe("NVMe controller: I/O commands", () => {
  it("WRITE then READ of one block through PRP1", () => {
    const rig = new NvmeRig().ready();
    const data = pattern(1, 512);
    assert.deepEqual(roundTrip(rig, 7, data), data);
    const onDisk = new Uint8Array(512);
    rig.disk.read(7, onDisk);
    assert.deepEqual(onDisk, data);
  });

  it("8 KiB through PRP1 + PRP2 (two data pages)", () => {
    const rig = new NvmeRig().ready();
    const data = pattern(2, 8192);
    assert.deepEqual(roundTrip(rig, 100, data), data);
  });

  it("64 KiB through a PRP list", () => {
    const rig = new NvmeRig().ready();
    const data = pattern(3, 65536);
    assert.deepEqual(roundTrip(rig, 200, data), data);
    assert.equal(rig.nvme.stats.bytesRead, 65536);
    assert.equal(rig.nvme.stats.bytesWritten, 65536);
  });

  it("a PRP list that continues on a second list page (its last entry points at the next)", () => {
    const rig = new NvmeRig().ready();
    const data = pattern(4, 5 * PAGE);
    rig.bytes(rig.phys(DATA_PAGE), data.length).set(data);
    const v = rig.view();
    // The list starts 16 bytes before the end of page 300: two entries fit, the second is the chain.
    const list = 300 * PAGE + PAGE - 16;
    v.setBigUint64(list, BigInt(rig.phys(DATA_PAGE + 1)), true);
    v.setBigUint64(list + 8, BigInt(rig.phys(302)), true);
    for (let i = 0; i < 3; i++) v.setBigUint64(302 * PAGE + i * 8, BigInt(rig.phys(DATA_PAGE + 2 + i)), true);
    expectOk(
      rig.run(1, {
        opcode: OP.write,
        nsid: 1,
        prp1: rig.phys(DATA_PAGE),
        prp2: rig.region.phys + list,
        cdw10: 0,
        cdw12: 39,
      }),
    );
    const back = new Uint8Array(data.length);
    rig.disk.read(0, back);
    assert.deepEqual(back, data);
  });

  it("a PRP1 with an offset (dword aligned) moves data mid-page", () => {
    const rig = new NvmeRig().ready();
    const data = pattern(5, 1024);
    rig.disk.write(50, data);
    expectOk(
      rig.run(1, {
        opcode: OP.read,
        nsid: 1,
        prp1: rig.phys(DATA_PAGE, 4092),
        prp2: rig.phys(DATA_PAGE + 1),
        cdw10: 50,
        cdw12: 1,
      }),
    );
    assert.deepEqual(rig.bytes(rig.phys(DATA_PAGE, 4092), 1024), data);
  });

  it("FLUSH makes the disk flush; NSID 0xFFFFFFFF flushes too", () => {
    const disk = new CountingDisk(2048);
    const rig = new NvmeRig({ disk }).ready();
    expectOk(rig.run(1, { opcode: OP.flush, nsid: 1 }));
    expectOk(rig.run(1, { opcode: OP.flush, nsid: 0xffff_ffff }));
    assert.equal(disk.flushes, 2);
    assert.equal(rig.nvme.stats.flushes, 2);
  });

  it("WRITE with FUA, or with the write cache off (SET FEATURES 06h), is flushed before it completes", () => {
    const disk = new CountingDisk(2048);
    const rig = new NvmeRig({ disk }).ready();
    expectOk(rig.run(1, { opcode: OP.write, nsid: 1, prp1: rig.phys(DATA_PAGE), cdw10: 1, cdw12: 0 }));
    assert.equal(disk.flushes, 0);
    expectOk(rig.run(1, { opcode: OP.write, nsid: 1, prp1: rig.phys(DATA_PAGE), cdw10: 1, cdw12: 1 << 30 }));
    assert.equal(disk.flushes, 1);
    expectOk(rig.admin({ opcode: OP.setFeatures, cdw10: 0x06, cdw11: 0 }));
    expectOk(rig.run(1, { opcode: OP.write, nsid: 1, prp1: rig.phys(DATA_PAGE), cdw10: 1, cdw12: 0 }));
    assert.equal(disk.flushes, 2);
  });

  it("READ past the end of the namespace: LBA Out of Range", () => {
    const rig = new NvmeRig().ready();
    assert.deepEqual(
      statusOf(rig.run(1, { opcode: OP.read, nsid: 1, prp1: rig.phys(DATA_PAGE), cdw10: 2047, cdw12: 1 })),
      SC.lbaRange,
    );
  });

  it("READ of more than MDTS (1 MiB): Invalid Field in Command", () => {
    const rig = new NvmeRig().ready();
    assert.deepEqual(
      statusOf(
        rig.run(1, { opcode: OP.read, nsid: 1, prp1: rig.phys(DATA_PAGE), prp2: rig.phys(300), cdw10: 0, cdw12: 2048 }),
      ),
      SC.invalidField,
    );
  });

  it("READ on NSID 2: Invalid Namespace or Format", () => {
    const rig = new NvmeRig().ready();
    assert.deepEqual(
      statusOf(rig.run(1, { opcode: OP.read, nsid: 2, prp1: rig.phys(DATA_PAGE) })),
      SC.invalidNamespace,
    );
  });

  it("READ into memory outside the grant: Data Transfer Error, a DMA fault event, and no memory outside touched", () => {
    const rig = new NvmeRig().ready();
    const other = rig.memory.allocateDma(PAGE);
    new Uint8Array(other.buffer).fill(0xee);
    rig.disk.write(3, pattern(6, 512));
    assert.deepEqual(
      statusOf(rig.run(1, { opcode: OP.read, nsid: 1, prp1: other.phys, cdw10: 3, cdw12: 0 })),
      SC.dataTransfer,
    );
    assert.ok(new Uint8Array(other.buffer).every((b) => b === 0xee));
    const fault = rig.events.find((e) => e.kind === "dma-fault");
    assert.ok(fault && fault.kind === "dma-fault" && fault.address === other.phys && fault.write);
  });

  it("a PRP list entry outside the grant: Data Transfer Error before any data moves", () => {
    const rig = new NvmeRig().ready();
    const v = rig.view();
    v.setBigUint64(300 * PAGE, BigInt(rig.phys(DATA_PAGE + 1)), true);
    v.setBigUint64(300 * PAGE + 8, 0x2000_0000n, true);
    rig.bytes(rig.phys(DATA_PAGE), 3 * PAGE).fill(0xab);
    assert.deepEqual(
      statusOf(
        rig.run(1, { opcode: OP.write, nsid: 1, prp1: rig.phys(DATA_PAGE), prp2: rig.phys(300), cdw10: 0, cdw12: 23 }),
      ),
      SC.dataTransfer,
    );
    const back = new Uint8Array(3 * PAGE);
    rig.disk.read(0, back);
    assert.ok(
      back.every((b) => b === 0),
      "nothing reached the disk",
    );
  });

  const offsetCases: [string, (rig: NvmeRig) => { prp1: number; prp2: number; cdw12: number }][] = [
    ["PRP1 not dword aligned", (rig) => ({ prp1: rig.phys(DATA_PAGE, 2), prp2: 0, cdw12: 0 })],
    [
      "PRP2 with an offset as the second data page",
      (rig) => ({ prp1: rig.phys(DATA_PAGE), prp2: rig.phys(DATA_PAGE + 1, 512), cdw12: 15 }),
    ],
    [
      "a PRP list entry with an offset",
      (rig) => {
        rig.view().setBigUint64(300 * PAGE, BigInt(rig.phys(DATA_PAGE + 1, 8)), true);
        return { prp1: rig.phys(DATA_PAGE), prp2: rig.phys(300), cdw12: 23 };
      },
    ],
    [
      "a PRP list pointer not qword aligned",
      (rig) => ({ prp1: rig.phys(DATA_PAGE), prp2: rig.phys(300, 4), cdw12: 23 }),
    ],
  ];
  for (const [name, build] of offsetCases) {
    it(`${name}: PRP Offset Invalid`, () => {
      const rig = new NvmeRig().ready();
      assert.deepEqual(statusOf(rig.run(1, { opcode: OP.read, nsid: 1, ...build(rig), cdw10: 0 })), SC.prpOffset);
    });
  }

  it("an unknown I/O opcode: Invalid Command Opcode", () => {
    const rig = new NvmeRig().ready();
    assert.deepEqual(statusOf(rig.run(1, { opcode: 0x05, nsid: 1 })), SC.invalidOpcode);
  });

  it("WRITE to a read-only disk: Namespace is Write Protected (and IDENTIFY says so)", () => {
    const rig = new NvmeRig({ disk: new CountingDisk(2048, true) }).ready();
    assert.deepEqual(statusOf(rig.run(1, { opcode: OP.write, nsid: 1, prp1: rig.phys(DATA_PAGE) })), SC.writeProtected);
    expectOk(rig.admin({ opcode: OP.identify, nsid: 1, prp1: rig.phys(DATA_PAGE), cdw10: 0 }));
    assert.equal(rig.bytes(rig.phys(DATA_PAGE) + 99, 1)[0] & 1, 1);
  });

  it("fused commands (FUSE ≠ 0) and SGLs (PSDT ≠ 0): Invalid Field in Command", () => {
    const rig = new NvmeRig().ready();
    assert.deepEqual(statusOf(rig.run(1, { opcode: OP.flush, nsid: 1, flags: 0b01 })), SC.invalidField);
    assert.deepEqual(statusOf(rig.run(1, { opcode: OP.flush, nsid: 1, flags: 0b0100_0000 })), SC.invalidField);
  });

  it("two commands with one CID in flight on one SQ: the second is a Command ID Conflict", () => {
    const rig = new NvmeRig().ready();
    rig.place(1, { opcode: OP.flush, nsid: 1, cid: 9 });
    rig.place(1, { opcode: OP.flush, nsid: 1, cid: 9 });
    rig.ring(1);
    rig.clock.advance(IO_NS);
    assert.deepEqual(rig.reap(1).map(statusOf), [[0, 0], SC.cidConflict]);
  });

  it("a command whose CID is still in flight from an earlier doorbell: Command ID Conflict too", () => {
    const rig = new NvmeRig().ready();
    rig.place(1, { opcode: OP.flush, nsid: 1, cid: 4 });
    rig.ring(1);
    rig.place(1, { opcode: OP.flush, nsid: 1, cid: 4 });
    rig.ring(1);
    rig.clock.advance(IO_NS);
    assert.deepEqual(rig.reap(1).map(statusOf), [[0, 0], SC.cidConflict]);
  });

  it("a host failure: WRITE completes with Write Fault, READ with Unrecovered Read Error, and a host-error event", () => {
    const disk = new CountingDisk(2048);
    const rig = new NvmeRig({ disk }).ready();
    disk.write = () => {
      throw new Error("disk on fire");
    };
    disk.read = () => {
      throw new Error("disk on fire");
    };
    assert.deepEqual(statusOf(rig.run(1, { opcode: OP.write, nsid: 1, prp1: rig.phys(DATA_PAGE) })), SC.writeFault);
    assert.deepEqual(statusOf(rig.run(1, { opcode: OP.read, nsid: 1, prp1: rig.phys(DATA_PAGE) })), SC.readError);
    assert.equal(rig.events.filter((e) => e.kind === "host-error").length, 2);
  });
});

describe("NVMe controller: queues, doorbells and interrupts", () => {
  it("phase tags: entries of the first pass carry 1, of the second 0 (the CQ wraps)", () => {
    const rig = new NvmeRig().ready(4);
    const phases: number[] = [];
    for (let i = 0; i < 8; i++) phases.push(rig.run(1, { opcode: OP.flush, nsid: 1 }).phase);
    assert.deepEqual(phases, [1, 1, 1, 1, 0, 0, 0, 0]);
  });

  it("several requests in flight complete together after one latency, one interrupt for the batch", () => {
    const rig = new NvmeRig().ready(64);
    for (let i = 0; i < 32; i++)
      rig.place(1, { opcode: OP.read, nsid: 1, prp1: rig.phys(DATA_PAGE + i), cdw10: i * 8, cdw12: 7 });
    rig.ring(1);
    assert.equal(rig.nvme.stats.inFlight, 32);
    assert.equal(rig.nvme.snapshot().inFlight.length, 32);
    rig.clock.advance(IO_NS);
    assert.equal(rig.irq(), true);
    assert.equal(rig.reap(1).length, 32);
    assert.equal(rig.irq(), false);
    assert.equal(rig.nvme.stats.maxInFlight, 32);
  });

  it("several I/O queue pairs: each command completes in its own SQ's CQ", () => {
    const rig = new NvmeRig();
    rig.enable();
    rig.createPair(1, 8, 2);
    rig.createPair(2, 8, 6);
    const a = rig.place(1, { opcode: OP.flush, nsid: 1 });
    const b = rig.place(2, { opcode: OP.flush, nsid: 1 });
    rig.ring(1);
    rig.ring(2);
    rig.clock.advance(IO_NS);
    assert.deepEqual(
      rig.reap(1).map((c) => [c.cid, c.sqid]),
      [[a, 1]],
    );
    assert.deepEqual(
      rig.reap(2).map((c) => [c.cid, c.sqid]),
      [[b, 2]],
    );
  });

  it("a full CQ: the controller fetches no more commands than it can complete; the rest wait in the SQ until the head doorbell makes room", () => {
    const rig = new NvmeRig().ready(4);
    for (let i = 0; i < 3; i++) rig.place(1, { opcode: OP.flush, nsid: 1 });
    rig.ring(1);
    rig.clock.advance(IO_NS);
    for (let i = 0; i < 3; i++) rig.place(1, { opcode: OP.flush, nsid: 1 });
    rig.ring(1);
    rig.clock.advance(IO_NS);
    // A 4-entry CQ is full at 3 unconsumed entries: the next 3 commands stay in the SQ.
    const sq = rig.nvme.snapshot().submissionQueues[1];
    assert.deepEqual([sq.head, sq.tail, rig.nvme.stats.inFlight], [3, 2, 0]);
    assert.equal(rig.reap(1).length, 3);
    rig.clock.advance(IO_NS);
    assert.equal(rig.reap(1).length, 3, "the head doorbell let the controller fetch the rest");
    assert.equal(rig.nvme.snapshot().completionQueues[1].held, 0);
  });

  it("a CQ without interrupts (IEN = 0) posts completions but leaves the line low", () => {
    const rig = new NvmeRig();
    rig.enable();
    rig.createPair(1, 8, 2, 0b01);
    rig.place(1, { opcode: OP.flush, nsid: 1 });
    rig.ring(1);
    rig.clock.advance(IO_NS);
    assert.equal(rig.irq(), false);
    assert.equal(rig.reap(1).length, 1);
  });

  it("an SQ tail doorbell beyond the queue size is ignored and reported as an asynchronous event (Invalid Doorbell Write Value)", () => {
    const rig = new NvmeRig().ready(8);
    rig.place(0, { opcode: OP.aer });
    rig.ring(0);
    rig.clock.advance(ADMIN_NS);
    rig.doorbell(1, false, 8);
    rig.clock.advance(IO_NS);
    const [event] = rig.reap(0);
    expectOk(event);
    assert.equal(event.dw0, (0x01 << 16) | (0x01 << 8) | 0);
    assert.equal(rig.nvme.snapshot().submissionQueues[1].tail, 0);
    assert.match(rig.errors().join("\n"), /SQ 1 tail doorbell \(0x1008\) ← 8: beyond the 8-entry queue/);
  });

  it("a doorbell of a queue that does not exist: Invalid Doorbell Register, kept for the next ASYNC EVENT REQUEST", () => {
    const rig = new NvmeRig();
    rig.enable();
    rig.doorbell(5, false, 1);
    const c = expectOk(rig.admin({ opcode: OP.aer }));
    assert.equal(c.dw0, (0x01 << 16) | (0x00 << 8) | 0);
  });

  it("a CQ head doorbell past the entries posted: Invalid Doorbell Write Value, head unchanged", () => {
    const rig = new NvmeRig().ready(8);
    rig.doorbell(1, true, 3);
    assert.equal(rig.nvme.snapshot().completionQueues[1].head, 0);
    assert.match(rig.errors().join("\n"), /moves the head past entries the controller has not posted/);
  });

  it("its own SQ memory taken out of the grant: fetching a command sets CSTS.CFS; the controller stops", () => {
    const rig = new NvmeRig().ready();
    rig.place(1, { opcode: OP.flush, nsid: 1 });
    rig.nvme.setIommuView(IommuView.empty);
    rig.ring(1);
    assert.equal(rig.read32(R.CSTS) & CSTS_CFS, CSTS_CFS);
    assert.ok(rig.events.some((e) => e.kind === "needs-reset" && /fetching a command from SQ 1/.test(e.reason)));
    rig.ring(1);
    assert.match(rig.errors().at(-1) ?? "", /after a controller fatal error/);
  });

  it("power-on reset (the driver died) drops commands in flight and every register", () => {
    const rig = new NvmeRig().ready();
    rig.place(1, { opcode: OP.flush, nsid: 1 });
    rig.ring(1);
    rig.nvme.reset();
    rig.clock.advance(IO_NS);
    assert.equal(rig.read32(R.CC), 0);
    assert.equal(rig.read32(R.CSTS), 0);
    assert.equal(rig.read32(R.AQA), 0);
    assert.equal(rig.nvme.stats.inFlight, 0);
    assert.equal(rig.irq(), false);
  });
});
