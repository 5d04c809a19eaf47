import assert from "node:assert/strict";
import fc from "fast-check";
import { GuestMemory, IommuView, isQueueError, SplitQueue, walkChain } from "../../devices";

const BASE = 0x4000_0000;
const POOL = BASE + 0x800; // where indirect tables point
const DATA = BASE + 0xc00;

const descriptor = fc.record({
  addr: fc.oneof(
    fc.constant(BigInt(POOL)),
    fc.constant(BigInt(POOL + 16)),
    fc.integer({ min: DATA, max: BASE + 0x1000 }).map(BigInt),
    fc.constant(0x9000_0000n),
    fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  ),
  len: fc.oneof(
    fc.constant(0),
    fc.constantFrom(16, 32, 48, 64, 24),
    fc.integer({ min: 0, max: 0x1000 }),
    fc.constant(0xffff_ffff),
  ),
  flags: fc.oneof(fc.integer({ min: 0, max: 7 }), fc.integer({ min: 0, max: 0xffff })),
  next: fc.oneof(fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 0xffff })),
});

const scenario = fc.record({
  sizeLog2: fc.integer({ min: 0, max: 4 }),
  table: fc.array(descriptor, { minLength: 16, maxLength: 16 }),
  pool: fc.array(descriptor, { minLength: 16, maxLength: 16 }),
  head: fc.integer({ min: 0, max: 20 }),
  indirect: fc.boolean(),
  availIdx: fc.integer({ min: 0, max: 0xffff }),
  ring: fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 16, maxLength: 16 }),
});

type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

function build(s: Scenario): { view: IommuView; size: number } {
  const memory = new GuestMemory({ base: BASE, size: 0x10000 });
  const region = memory.allocateDma(0x1000);
  const dv = new DataView(region.buffer);
  const write = (at: number, d: Scenario["table"][number]): void => {
    dv.setBigUint64(at, d.addr, true);
    dv.setUint32(at + 8, d.len, true);
    dv.setUint16(at + 12, d.flags, true);
    dv.setUint16(at + 14, d.next, true);
  };
  s.table.forEach((d, i) => write(16 * i, d));
  s.pool.forEach((d, i) => write(0x800 + 16 * i, d));
  // avail ring at 0x400, used ring at 0x600
  dv.setUint16(0x402, s.availIdx, true);
  s.ring.forEach((h, i) => dv.setUint16(0x404 + 2 * i, h, true));
  return { view: new IommuView([region]), size: 1 << s.sizeLog2 };
}

describe("descriptor chain walker: properties on random descriptor tables", () => {
  it("never throws, always ends, and returns only buffers inside the view", () => {
    const outcomes = new Set<string>();
    fc.assert(
      fc.property(scenario, (s) => {
        const { view, size } = build(s);
        const result = walkChain(view, { addr: BASE, size }, s.head, s.indirect);
        outcomes.add(isQueueError(result) ? result.kind : "chain");
        if (isQueueError(result)) return;
        // A chain visits each entry of its ring table and of one indirect table at most once.
        assert.ok(result.readable.length + result.writable.length <= size + 0x1000 / 16);
        for (const b of [...result.readable, ...result.writable]) {
          if (b.len > 0) assert.equal(view.check(b.addr, b.len, false), undefined);
        }
      }),
      { numRuns: 3000, seed: 0x5a44 },
    );
    // The generator must reach the interesting paths, not only the first error it can make.
    for (const kind of [
      "chain",
      "next-out-of-range",
      "chain-too-long",
      "indirect-bad-length",
      "nested-indirect",
      "dma",
    ])
      assert.ok(outcomes.has(kind), `never produced ${kind}: ${[...outcomes].join(", ")}`);
  });

  it("pops from a random avail ring without throwing, and each pop ends", () => {
    fc.assert(
      fc.property(scenario, fc.boolean(), (s, eventIdx) => {
        const { view, size } = build(s);
        const queue = new SplitQueue(
          { size, descAddr: BASE, availAddr: BASE + 0x400, usedAddr: BASE + 0x600 },
          { indirectDesc: s.indirect, eventIdx },
          () => view,
        );
        for (let i = 0; i <= size; i++) {
          const result = queue.pop();
          if (result.kind !== "chain") break;
        }
      }),
      { numRuns: 2000, seed: 0x5a45 },
    );
  });
});
