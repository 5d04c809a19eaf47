// virtio-net under arbitrary driver input (fast-check, fixed seed): random transmit headers, frame
// lengths and splits, random receive buffer sizes and incoming frames, with and without MRG_RXBUF.
// Whatever the driver writes, the device never throws, every chain it takes is completed (or the
// device stops in DEVICE_NEEDS_RESET), no used length overstates what fits, and every frame
// is either delivered or counted as dropped.
import assert from "node:assert/strict";
import fc from "fast-check";
import { createMachine, parseMachineDescription, VirtioNet } from "../../devices";
import { DriverRing, NEXT, WRITE } from "./helpers/driver-ring";
import { BIT, MiniDriver, NEEDS_RESET, R, VERSION_1 } from "./helpers/mini-driver";

const BASE = 0x1000_2000;
const SIZE = 8;

const scenario = fc.record({
  mergeable: fc.boolean(),
  tx: fc.array(
    fc.record({
      header: fc.uint8Array({ minLength: 12, maxLength: 12 }),
      zeroHeader: fc.boolean(),
      frameLen: fc.oneof(fc.integer({ min: 0, max: 20 }), fc.integer({ min: 14, max: 1600 })),
      headerBytes: fc.integer({ min: 0, max: 16 }),
      split: fc.boolean(),
    }),
    { maxLength: SIZE },
  ),
  rxSizes: fc.array(fc.integer({ min: 0, max: 1600 }), { maxLength: SIZE }),
  incoming: fc.array(fc.integer({ min: 0, max: 1600 }), { maxLength: 12 }),
});

describe("virtio-net (property: arbitrary driver input)", () => {
  it("never throws, completes every chain it takes or needs a reset, and accounts for every frame", () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const machine = createMachine(
          parseMachineDescription(
            {
              name: "p",
              dma: { base: "0x40000000", size: "0x100000" },
              devices: [{ name: "net0", type: "virtio-net", base: BASE, size: "0x1000", irq: 2 }],
            },
            "p",
          ),
          { seed: 1 },
        );
        const rxRegion = machine.allocateDma(SIZE * 2048 + 4096);
        const txRegion = machine.allocateDma(SIZE * 2048 + 4096);
        machine.setIommuView("net0", [rxRegion, txRegion]);
        const rx = new DriverRing(rxRegion, SIZE);
        const tx = new DriverRing(txRegion, SIZE);
        const driver = new MiniDriver(machine, BASE);
        assert.ok(driver.negotiate(VERSION_1 | BIT(5) | (s.mergeable ? BIT(15) : 0n)));
        driver.setupQueue(0, rx.layout);
        driver.setupQueue(1, tx.layout);
        driver.driverOk();
        const nic = machine.backend("net0", VirtioNet);
        const settle = (): void => {
          for (let due = machine.clock.nextEventAt(); due !== undefined; due = machine.clock.nextEventAt())
            machine.clock.advance(due - machine.clock.now());
        };

        s.rxSizes.forEach((len, i) => rx.setDesc(i, rx.layout.dataAddr + 2048 * i, len, WRITE));
        rx.publish(...s.rxSizes.map((_, i) => i));
        driver.kick(0);

        // Transmit chains: one or two readable descriptors (header part, rest), in slots 2i and 2i+1.
        const txChains = s.tx.slice(0, SIZE / 2);
        txChains.forEach((t, i) => {
          const bytes = new Uint8Array(t.headerBytes + t.frameLen);
          bytes.set((t.zeroHeader ? new Uint8Array(12) : t.header).subarray(0, Math.min(12, bytes.length)));
          const at = tx.layout.dataAddr + 2048 * i;
          new Uint8Array(txRegion.buffer).set(bytes.subarray(0, 2048), at - txRegion.phys);
          const total = Math.min(bytes.length, 2048);
          if (t.split && total > 1) {
            tx.setDesc(2 * i, at, 1, NEXT, 2 * i + 1);
            tx.setDesc(2 * i + 1, at + 1, total - 1);
          } else {
            tx.setDesc(2 * i, at, total);
          }
        });
        tx.publish(...txChains.map((_, i) => 2 * i));
        driver.kick(1);
        settle();

        for (const len of s.incoming) machine.network("net0").inject(new Uint8Array(len).fill(0xee));
        settle();

        const broken = (driver.read(R.Status) & NEEDS_RESET) !== 0;
        const st = nic.stats;
        if (!broken) {
          assert.equal(tx.usedIdx(), txChains.length, "every transmit chain completed");
          for (let i = 0; i < txChains.length; i++) assert.equal(tx.usedElem(i).len, 0);
          const txDropped = st.txOversize + st.txRunt + st.txBadHeader + st.txWrongDirection;
          assert.equal(st.txFrames + txDropped, txChains.length, "every transmit frame sent or dropped");
        }
        // Every frame that reached the device (ours, and any the peer answered) was delivered or counted.
        const peer = machine.network("net0").peer.stats;
        const arrived = s.incoming.length + peer.arpReplies + peer.echoReplies + peer.udpEchoes;
        assert.equal(
          st.rxFrames + st.rxNoBuffer + st.rxTooSmall + st.rxOversize + st.rxNotReady,
          arrived,
          "every incoming frame delivered or counted",
        );
        // Used lengths never exceed the buffer they describe.
        for (let slot = 0; slot < rx.usedIdx(); slot++) {
          const { id, len } = rx.usedElem(slot);
          assert.ok(id < s.rxSizes.length && len <= s.rxSizes[id], `rx used ${id} len ${len} > ${s.rxSizes[id]}`);
        }
        assert.ok(st.txNoHeader <= 1);
        assert.equal(broken, st.txNoHeader === 1);
      }),
      { seed: 20261202, numRuns: 150 },
    );
  });
});
