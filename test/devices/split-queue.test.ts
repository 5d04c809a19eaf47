import assert from "node:assert/strict";
import { GuestMemory, IommuView, needEvent, SplitQueue, type DmaRegion, type PopResult } from "../../devices";
import { DriverRing, INDIRECT, NEXT, WRITE } from "./helpers/driver-ring";

const SIZE = 8;

interface Setup {
  ring: DriverRing;
  region: DmaRegion;
  queue: SplitQueue;
  data: number;
}

function setup(features: { indirectDesc?: boolean; eventIdx?: boolean } = {}): Setup {
  const memory = new GuestMemory({ base: 0x4000_0000, size: 0x10000 });
  const region = memory.allocateDma(0x4000);
  const view = new IommuView([region]);
  const ring = new DriverRing(region, SIZE);
  const { descAddr, availAddr, usedAddr } = ring.layout;
  const queue = new SplitQueue(
    { size: SIZE, descAddr, availAddr, usedAddr },
    { indirectDesc: features.indirectDesc ?? false, eventIdx: features.eventIdx ?? false },
    () => view,
  );
  return { ring, region, queue, data: ring.layout.dataAddr };
}

function chainOf(result: PopResult): Extract<PopResult, { kind: "chain" }>["chain"] {
  assert.equal(result.kind, "chain", JSON.stringify(result));
  if (result.kind !== "chain") throw new Error("unreachable");
  return result.chain;
}

function errorOf(result: PopResult): string {
  assert.equal(result.kind, "error");
  return result.kind === "error" ? result.error.kind : "";
}

describe("split virtqueue (device side): chains", () => {
  it("is empty until the driver publishes", () => {
    const { queue } = setup();
    assert.deepEqual(queue.pop(), { kind: "empty" });
  });

  it("takes a readable-then-writable chain", () => {
    const { ring, queue, data } = setup();
    ring.setDesc(3, data, 16, NEXT, 5);
    ring.setDesc(5, data + 16, 32, WRITE);
    ring.publish(3);
    const chain = chainOf(queue.pop());
    assert.equal(chain.head, 3);
    assert.deepEqual(chain.readable, [{ addr: data, len: 16 }]);
    assert.deepEqual(chain.writable, [{ addr: data + 16, len: 32 }]);
    assert.deepEqual(queue.pop(), { kind: "empty" });
  });

  it("takes several published chains in ring order, wrapping the avail ring", () => {
    const { ring, queue, data } = setup();
    for (let round = 0; round < 3; round++) {
      const heads = [0, 1, 2, 3, 4, 5];
      heads.forEach((h) => ring.setDesc(h, data, 4, WRITE));
      ring.publish(...heads);
      for (const h of heads) {
        const chain = chainOf(queue.pop());
        assert.equal(chain.head, h);
        assert.equal(queue.pushUsed(h, 4), undefined);
      }
    }
    assert.equal(ring.usedIdx(), 18);
  });

  it("accepts a zero-length descriptor", () => {
    const { ring, queue } = setup();
    ring.setDesc(0, 0xdead_0000, 0, WRITE);
    ring.publish(0);
    assert.deepEqual(chainOf(queue.pop()).writable, [{ addr: 0xdead_0000, len: 0 }]);
  });

  it("follows an indirect table when INDIRECT_DESC is negotiated", () => {
    const { ring, queue, data } = setup({ indirectDesc: true });
    const table = data + 0x100;
    ring.writeDescAt(table, data, 8, NEXT, 2);
    ring.writeDescAt(table + 32, data + 8, 24, WRITE);
    ring.setDesc(1, table, 48, INDIRECT);
    ring.publish(1);
    const chain = chainOf(queue.pop());
    assert.equal(chain.head, 1);
    assert.deepEqual(chain.readable, [{ addr: data, len: 8 }]);
    assert.deepEqual(chain.writable, [{ addr: data + 8, len: 24 }]);
  });

  it("accepts direct descriptors followed by one indirect descriptor", () => {
    const { ring, queue, data } = setup({ indirectDesc: true });
    const table = data + 0x100;
    ring.writeDescAt(table, data + 8, 8, WRITE);
    ring.setDesc(0, data, 8, NEXT, 1);
    ring.setDesc(1, table, 16, INDIRECT | WRITE);
    ring.publish(0);
    const chain = chainOf(queue.pop());
    assert.deepEqual(chain.readable, [{ addr: data, len: 8 }]);
    assert.deepEqual(chain.writable, [{ addr: data + 8, len: 8 }]);
  });

  it("writes the used element before publishing used.idx", () => {
    const { ring, queue, data } = setup();
    ring.setDesc(2, data, 4, WRITE);
    ring.publish(2);
    chainOf(queue.pop());
    assert.equal(queue.pushUsed(2, 3), undefined);
    assert.deepEqual(ring.usedElem(0), { id: 2, len: 3 });
    assert.equal(ring.usedIdx(), 1);
  });
});

describe("split virtqueue (device side): malformed rings are values", () => {
  const cases: [string, (s: Setup) => void, string, { indirectDesc?: boolean }?][] = [
    ["avail.idx moved by more than N", (s) => s.ring.setAvailIdx(SIZE + 1), "avail-idx-jump"],
    ["a head index ≥ N", (s) => s.ring.publish(SIZE), "head-out-of-range"],
    [
      "next ≥ N",
      (s) => {
        s.ring.setDesc(0, s.data, 4, NEXT, SIZE);
        s.ring.publish(0);
      },
      "next-out-of-range",
    ],
    [
      "a looping chain",
      (s) => {
        s.ring.setDesc(0, s.data, 4, NEXT, 1);
        s.ring.setDesc(1, s.data, 4, NEXT, 0);
        s.ring.publish(0);
      },
      "chain-too-long",
    ],
    [
      "a self loop",
      (s) => {
        s.ring.setDesc(4, s.data, 4, NEXT, 4);
        s.ring.publish(4);
      },
      "chain-too-long",
    ],
    [
      "a readable descriptor after a writable one",
      (s) => {
        s.ring.setDesc(0, s.data, 4, WRITE | NEXT, 1);
        s.ring.setDesc(1, s.data, 4);
        s.ring.publish(0);
      },
      "readable-after-writable",
    ],
    [
      "INDIRECT without the feature",
      (s) => {
        s.ring.setDesc(0, s.data, 16, INDIRECT);
        s.ring.publish(0);
      },
      "indirect-not-negotiated",
    ],
    [
      "an indirect table of length 0",
      (s) => {
        s.ring.setDesc(0, s.data, 0, INDIRECT);
        s.ring.publish(0);
      },
      "indirect-bad-length",
      { indirectDesc: true },
    ],
    [
      "an indirect table of length 24",
      (s) => {
        s.ring.setDesc(0, s.data, 24, INDIRECT);
        s.ring.publish(0);
      },
      "indirect-bad-length",
      { indirectDesc: true },
    ],
    [
      "INDIRECT with NEXT",
      (s) => {
        s.ring.setDesc(0, s.data, 16, INDIRECT | NEXT, 1);
        s.ring.publish(0);
      },
      "indirect-with-next",
      { indirectDesc: true },
    ],
    [
      "a nested indirect table",
      (s) => {
        s.ring.writeDescAt(s.data, s.data, 16, INDIRECT);
        s.ring.setDesc(0, s.data, 16, INDIRECT);
        s.ring.publish(0);
      },
      "nested-indirect",
      { indirectDesc: true },
    ],
    [
      "next outside an indirect table",
      (s) => {
        s.ring.writeDescAt(s.data, s.data, 4, NEXT, 2);
        s.ring.setDesc(0, s.data, 32, INDIRECT);
        s.ring.publish(0);
      },
      "next-out-of-range",
      { indirectDesc: true },
    ],
    [
      "a loop inside an indirect table",
      (s) => {
        s.ring.writeDescAt(s.data, s.data, 4, NEXT, 1);
        s.ring.writeDescAt(s.data + 16, s.data, 4, NEXT, 0);
        s.ring.setDesc(0, s.data, 32, INDIRECT);
        s.ring.publish(0);
      },
      "chain-too-long",
      { indirectDesc: true },
    ],
    [
      "a buffer outside the IOMMU view",
      (s) => {
        s.ring.setDesc(0, 0x9000_0000, 4, WRITE);
        s.ring.publish(0);
      },
      "dma",
    ],
    [
      "a buffer running past its region",
      (s) => {
        s.ring.setDesc(0, s.region.phys + s.region.size - 2, 4);
        s.ring.publish(0);
      },
      "dma",
    ],
    [
      "an indirect table outside the IOMMU view",
      (s) => {
        s.ring.setDesc(0, 0x9000_0000, 32, INDIRECT);
        s.ring.publish(0);
      },
      "dma",
      { indirectDesc: true },
    ],
    [
      "a descriptor address beyond 2^53",
      (s) => {
        s.ring.setDesc(0, 1n << 60n, 4);
        s.ring.publish(0);
      },
      "dma",
    ],
  ];
  for (const [label, arrange, kind, features] of cases) {
    it(`reports ${label} as ${kind}`, () => {
      const s = setup(features);
      arrange(s);
      assert.equal(errorOf(s.queue.pop()), kind);
    });
  }

  it("reports more chains in flight than the ring holds", () => {
    const s = setup();
    for (let i = 0; i < SIZE; i++) s.ring.setDesc(i, s.data, 4, WRITE);
    s.ring.publish(0, 1, 2, 3, 4, 5, 6, 7);
    for (let i = 0; i < SIZE; i++) chainOf(s.queue.pop());
    s.ring.publish(0);
    assert.equal(errorOf(s.queue.pop()), "too-many-in-flight");
  });

  it("reports ring memory outside the view as a DMA error", () => {
    const memory = new GuestMemory({ base: 0x4000_0000, size: 0x10000 });
    const view = new IommuView([memory.allocateDma(0x1000)]);
    // The rings sit in the next page, which the device was never given.
    const queue = new SplitQueue(
      { size: 4, descAddr: 0x4000_1000, availAddr: 0x4000_1100, usedAddr: 0x4000_1200 },
      { indirectDesc: false, eventIdx: false },
      () => view,
    );
    const result = queue.pop();
    assert.ok(result.kind === "error" && result.error.kind === "dma", JSON.stringify(result));
    assert.equal(result.error.what, "avail.idx");
    assert.equal(result.error.fault.address, 0x4000_1102);
  });
});

describe("split virtqueue (device side): notification suppression", () => {
  it("notifies when avail.flags is 0 and not when NO_INTERRUPT is set (no EVENT_IDX)", () => {
    const { ring, queue } = setup();
    assert.equal(queue.shouldNotify(), true);
    ring.setAvailFlags(1);
    assert.equal(queue.shouldNotify(), false);
  });

  it("with EVENT_IDX, writes avail_event = last taken index after each pop", () => {
    const { ring, queue, data } = setup({ eventIdx: true });
    ring.setDesc(0, data, 4, WRITE);
    ring.setDesc(1, data, 4, WRITE);
    ring.publish(0, 1);
    chainOf(queue.pop());
    assert.equal(ring.availEvent(), 1);
    chainOf(queue.pop());
    assert.equal(ring.availEvent(), 2);
  });

  it("with EVENT_IDX, notifies only when used.idx passes used_event", () => {
    const { ring, queue, data } = setup({ eventIdx: true });
    ring.setUsedEvent(2);
    // NO_INTERRUPT is ignored with EVENT_IDX.
    ring.setAvailFlags(1);
    const decisions: boolean[] = [];
    for (let i = 0; i < 4; i++) {
      ring.setDesc(i, data, 4, WRITE);
      ring.publish(i);
      chainOf(queue.pop());
      queue.pushUsed(i, 4);
      const decision = queue.shouldNotify();
      assert.equal(typeof decision, "boolean");
      decisions.push(decision === true);
    }
    // used.idx goes 1, 2, 3, 4: only the step to 3 passes used_event = 2.
    assert.deepEqual(decisions, [false, false, true, false]);
  });

  it("with EVENT_IDX, a batch that jumps over used_event still notifies once", () => {
    const { ring, queue, data } = setup({ eventIdx: true });
    ring.setUsedEvent(1);
    for (let i = 0; i < 3; i++) ring.setDesc(i, data, 4, WRITE);
    ring.publish(0, 1, 2);
    for (let i = 0; i < 3; i++) {
      chainOf(queue.pop());
      queue.pushUsed(i, 4);
    }
    assert.equal(queue.shouldNotify(), true);
    assert.equal(queue.shouldNotify(), false, "nothing new since the last decision");
  });

  it("computes need_event modulo 2^16", () => {
    assert.equal(needEvent(0, 1, 0), true);
    assert.equal(needEvent(0, 2, 1), false);
    assert.equal(needEvent(0xffff, 0, 0xfffe), true);
    assert.equal(needEvent(5, 10, 3), true);
    assert.equal(needEvent(12, 10, 3), false);
  });
});
