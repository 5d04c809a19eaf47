// The NVMe controller under arbitrary driver behaviour (fast-check, fixed seeds): random submission
// entries (opcodes, CIDs, NSIDs, PRPs pointing anywhere, CDWs) written into its queues, random
// register writes and doorbell values, time passing. Whatever the driver does, the controller never
// throws, never writes a byte of memory outside the driver's DMA region (a canary region beside it
// stays untouched), keeps every queue's head and tail inside the queue and its own backlog of
// completions bounded by the queue, and a reset brings it back
// to CC = CSTS = 0 with no queue.
import assert from "node:assert/strict";
import fc from "fast-check";
import { ADMIN_NS, IO_NS, NvmeRig, PAGE, R } from "./helpers/nvme-rig";

type Step =
  | {
      kind: "command";
      qid: number;
      opcode: number;
      cid: number;
      nsid: number;
      prp1: bigint;
      prp2: bigint;
      cdw: number[];
      ring: boolean;
    }
  | { kind: "register"; offset: number; value: number }
  | { kind: "doorbell"; index: number; value: number }
  | { kind: "time"; ns: number };

describe("NVMe controller: hostile drivers (property)", function () {
  this.timeout(120_000);

  it("never throws, never writes outside the grant, keeps queue pointers in range; reset clears it", () => {
    const address = (rig: NvmeRig, canary: number) =>
      fc.oneof(
        fc.integer({ min: 0, max: 599 }).map((p) => BigInt(rig.phys(p, 0))),
        fc.integer({ min: 0, max: 600 * PAGE - 1 }).map((o) => BigInt(rig.region.phys + o)),
        fc.constant(BigInt(canary)),
        fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
      );
    const step = (rig: NvmeRig, canary: number): fc.Arbitrary<Step> =>
      fc.oneof(
        fc.record({
          kind: fc.constant("command" as const),
          qid: fc.integer({ min: 0, max: 2 }),
          opcode: fc.oneof(
            fc.constantFrom(0x01, 0x02),
            fc.integer({ min: 0, max: 0x0c }),
            fc.integer({ min: 0, max: 0xff }),
          ),
          cid: fc.integer({ min: 0, max: 7 }),
          nsid: fc.oneof(fc.constant(1), fc.integer({ min: 0, max: 0xffff_ffff })),
          prp1: address(rig, canary),
          prp2: address(rig, canary),
          cdw: fc.array(
            fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0x3f }), fc.integer({ min: 0, max: 0xffff_ffff })),
            {
              minLength: 3,
              maxLength: 3,
            },
          ),
          ring: fc.boolean(),
        }),
        fc.record({
          kind: fc.constant("register" as const),
          offset: fc.constantFrom(R.INTMS, R.INTMC, R.CC, R.CSTS, R.AQA, R.ASQ, R.ACQ, R.ASQ + 4, 0x40),
          value: fc.integer({ min: 0, max: 0xffff_ffff }),
        }),
        fc.record({
          kind: fc.constant("doorbell" as const),
          index: fc.integer({ min: 0, max: 6 }),
          value: fc.integer({ min: 0, max: 70 }),
        }),
        fc.record({ kind: fc.constant("time" as const), ns: fc.constantFrom(ADMIN_NS, IO_NS, 25_000) }),
      );

    // What the runs exercised, so the property cannot pass by doing nothing.
    let completed = 0;
    let dmaFaults = 0;
    let fatal = 0;
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 }), (seed) => {
        const rig = new NvmeRig().ready(16);
        const canaryRegion = rig.memory.allocateDma(PAGE);
        const canary = new Uint8Array(canaryRegion.buffer);
        canary.fill(0xa5);
        const steps = fc.sample(fc.array(step(rig, canaryRegion.phys), { minLength: 1, maxLength: 60 }), {
          seed,
          numRuns: 1,
        })[0];
        const tails = new Map<number, number>([
          [0, 0],
          [1, 0],
        ]);
        for (const s of steps) {
          if (s.kind === "command") {
            const sizes = [16, 16, 16];
            const tail = tails.get(s.qid) ?? 0;
            const base = s.qid === 0 ? rig.phys(0) : rig.phys(3);
            const at = base + tail * 64 - rig.region.phys;
            const v = rig.view();
            v.setUint32(at, ((s.cid << 16) | s.opcode) >>> 0, true);
            v.setUint32(at + 4, s.nsid >>> 0, true);
            v.setBigUint64(at + 24, s.prp1, true);
            v.setBigUint64(at + 32, s.prp2, true);
            s.cdw.forEach((d, i) => v.setUint32(at + 40 + 4 * i, d >>> 0, true));
            const next = (tail + 1) % sizes[s.qid];
            tails.set(s.qid, next);
            if (s.ring) rig.doorbell(s.qid, false, next);
          } else if (s.kind === "register") rig.write32(s.offset, s.value);
          else if (s.kind === "doorbell") rig.write32(0x1000 + 4 * s.index, s.value);
          else rig.clock.advance(s.ns);
        }
        rig.clock.advance(1_000_000);
        assert.ok(
          canary.every((b) => b === 0xa5),
          "memory outside the grant was written",
        );
        const snap = rig.nvme.snapshot();
        for (const q of [...snap.submissionQueues, ...snap.completionQueues]) {
          assert.ok(q.head >= 0 && q.head < q.size && q.tail >= 0 && q.tail < q.size, JSON.stringify(q));
        }
        // What a full CQ cannot take stays in the SQ: the controller's own backlog stays bounded.
        for (const q of snap.completionQueues) assert.ok(q.held <= q.size, JSON.stringify(q));
        completed += rig.nvme.stats.completed;
        dmaFaults += rig.events.filter((e) => e.kind === "dma-fault").length;
        fatal += rig.events.filter((e) => e.kind === "needs-reset").length;
        rig.nvme.reset();
        assert.equal(rig.read32(R.CC), 0);
        assert.equal(rig.read32(R.CSTS), 0);
        assert.equal(rig.nvme.snapshot().submissionQueues.length, 0);
      }),
      { numRuns: 200, seed: 15 },
    );
    assert.ok(
      completed > 400 && dmaFaults > 0 && fatal > 0,
      `completed ${completed}, DMA faults ${dmaFaults}, CFS ${fatal}`,
    );
  });
});
