// The e1000 under arbitrary driver behaviour (fast-check, fixed seeds): random register writes (ring
// bases, lengths, heads, tails, RCTL, TCTL, interrupt registers), random descriptor contents in the
// driver's DMA memory, and frames arriving from the wire in between. Whatever the driver does, the
// device never throws, never writes a byte of guest memory outside the driver's grant (a second DMA
// region, not granted, keeps its pattern), reports every refused access as a DMA fault event, and
// comes back to a clean state with CTRL.RST.
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  buildEthernet,
  createMachine,
  DEFAULT_PEER,
  E1000,
  E1000Ctrl,
  E1000Rctl,
  E1000Reg,
  E1000Tctl,
  E1000TxCmd,
  parseMachineDescription,
  type DeviceEvent,
} from "../../devices";

const BASE = 0x1002_0000;
const REGISTERS = [
  E1000Reg.CTRL,
  E1000Reg.ICR,
  E1000Reg.ICS,
  E1000Reg.IMS,
  E1000Reg.IMC,
  E1000Reg.RCTL,
  E1000Reg.TCTL,
  E1000Reg.RDBAL,
  E1000Reg.RDBAH,
  E1000Reg.RDLEN,
  E1000Reg.RDH,
  E1000Reg.RDT,
  E1000Reg.TDBAL,
  E1000Reg.TDBAH,
  E1000Reg.TDLEN,
  E1000Reg.TDH,
  E1000Reg.TDT,
];

type Step =
  /** What a working driver does first: both rings of 8 set up, buffers at `buffers` (maybe outside the grant). */
  | { kind: "setup"; buffers: number }
  /** A transmit descriptor at TDT for `length` bytes at `addr`, then TDT + 1. */
  | { kind: "send"; addr: number; length: number }
  | { kind: "write"; register: number; value: number }
  | { kind: "descriptor"; offset: number; bytes: number[] }
  | { kind: "frame"; length: number; broadcast: boolean }
  | { kind: "time"; ns: number };

function rig() {
  const machine = createMachine(
    parseMachineDescription(
      {
        name: "t",
        dma: { base: "0x40000000", size: "0x100000" },
        devices: [{ name: "nic", type: "e1000", base: BASE, size: "0x20000", irq: 11 }],
      },
      "test",
    ),
    { seed: 1 },
  );
  const granted = machine.allocateDma(0x4000);
  const other = machine.allocateDma(0x4000);
  new Uint8Array(other.buffer, 0, other.size).fill(0xa5);
  machine.setIommuView("nic", [granted]);
  const events: DeviceEvent[] = [];
  machine.onDeviceEvent((e) => events.push(e));
  return { machine, granted, other, events, nic: machine.backend("nic", E1000) };
}

/** Values a fuzzing driver would write: small indices, ring lengths, addresses in and around the grant. */
function valueFor(granted: number) {
  return fc.oneof(
    fc.integer({ min: 0, max: 40 }),
    fc.constantFrom(0, 128, 256, 100, 0x1000, 0xfff80),
    fc.integer({ min: -0x2000, max: 0x6000 }).map((d) => (granted + d) >>> 0),
    fc.integer({ min: 0, max: 0xffff_ffff }),
  );
}

describe("e1000 under arbitrary driver behaviour (property)", () => {
  it("never throws, never writes outside the grant, and resets clean", () => {
    const probe = rig();
    const granted = probe.granted.phys;
    const step: fc.Arbitrary<Step> = fc.oneof(
      fc.record({
        kind: fc.constant("setup" as const),
        buffers: fc.oneof(fc.constant(granted + 0x1000), valueFor(granted)),
      }),
      fc.record({
        kind: fc.constant("send" as const),
        addr: fc.oneof(fc.constant(granted + 0x3000), valueFor(granted)),
        length: fc.integer({ min: 0, max: 1600 }),
      }),
      fc.record({
        kind: fc.constant("write" as const),
        register: fc.constantFrom(...REGISTERS),
        value: valueFor(granted),
      }),
      fc.record({
        kind: fc.constant("descriptor" as const),
        offset: fc.integer({ min: 0, max: 0x4000 - 16 }),
        bytes: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 16, maxLength: 16 }),
      }),
      fc.record({
        kind: fc.constant("frame" as const),
        length: fc.integer({ min: 0, max: 2000 }),
        broadcast: fc.boolean(),
      }),
      fc.record({ kind: fc.constant("time" as const), ns: fc.integer({ min: 0, max: 200_000 }) }),
    );
    const seen = { dmaFaults: 0, ringStops: 0, rxFrames: 0, txFrames: 0 };
    fc.assert(
      fc.property(fc.array(step, { maxLength: 80 }), (steps) => {
        const r = rig();
        const memory = new Uint8Array(r.granted.buffer, 0, r.granted.size);
        for (const s of steps) {
          const wr = (register: number, value: number) => r.machine.mmioWrite(BASE + register, 4, value >>> 0);
          switch (s.kind) {
            case "setup": {
              const view = new DataView(r.granted.buffer);
              for (let i = 0; i < 8; i++) view.setBigUint64(16 * i, BigInt(s.buffers + 0x400 * i), true);
              wr(E1000Reg.RDBAL, r.granted.phys);
              wr(E1000Reg.RDLEN, 128);
              wr(E1000Reg.RDH, 0);
              wr(E1000Reg.RDT, 7);
              wr(E1000Reg.RCTL, E1000Rctl.EN | E1000Rctl.BAM | E1000Rctl.SECRC | (1 << 16)); // 1 KiB buffers
              wr(E1000Reg.TDBAL, r.granted.phys + 0x800);
              wr(E1000Reg.TDLEN, 128);
              wr(E1000Reg.TDH, 0);
              wr(E1000Reg.TDT, 0);
              wr(E1000Reg.TCTL, E1000Tctl.EN);
              break;
            }
            case "send": {
              const tail = Number(r.machine.mmioRead(BASE + E1000Reg.TDT, 4)) % 8;
              const view = new DataView(r.granted.buffer);
              view.setBigUint64(0x800 + 16 * tail, BigInt(s.addr), true);
              view.setUint16(0x800 + 16 * tail + 8, s.length, true);
              view.setUint8(0x800 + 16 * tail + 11, E1000TxCmd.EOP | E1000TxCmd.RS);
              wr(E1000Reg.TDT, (tail + 1) % 8);
              break;
            }
            case "write":
              // CTRL.RST is a legal write; keep it rare by clearing it unless the value is exactly RST.
              r.machine.mmioWrite(
                BASE + s.register,
                4,
                s.register === E1000Reg.CTRL && s.value !== E1000Ctrl.RST ? s.value & ~E1000Ctrl.RST : s.value,
              );
              break;
            case "descriptor":
              memory.set(s.bytes, s.offset);
              break;
            case "frame": {
              const dst = s.broadcast ? Uint8Array.of(255, 255, 255, 255, 255, 255) : r.nic.mac;
              r.machine
                .network("nic")
                .inject(buildEthernet(dst, DEFAULT_PEER.mac, 0x88b5, new Uint8Array(Math.max(0, s.length - 14))));
              break;
            }
            case "time":
              r.machine.clock.advance(s.ns);
              break;
          }
        }
        r.machine.clock.advance(10_000_000);
        assert.ok(
          new Uint8Array(r.other.buffer, 0, r.other.size).every((b) => b === 0xa5),
          "the region not granted to the device kept its pattern",
        );
        for (const e of r.events) assert.ok(["driver-error", "dma-fault"].includes(e.kind), e.kind);
        assert.equal(r.nic.stats.dmaFaults, r.events.filter((e) => e.kind === "dma-fault").length);
        for (const key of Object.keys(seen) as (keyof typeof seen)[]) seen[key] += r.nic.stats[key];
        r.machine.mmioWrite(BASE + E1000Reg.CTRL, 4, E1000Ctrl.RST);
        const after = r.nic.snapshot();
        assert.deepEqual(
          after.rings.map((ring) => [ring.head, ring.tail, ring.lengthBytes, ring.stopped, ring.enabled]),
          [
            [0, 0, 0, undefined, false],
            [0, 0, 0, undefined, false],
          ],
        );
        assert.equal(r.machine.irqLevel(11), false);
      }),
      { numRuns: 150, seed: 0x1000e, endOnFailure: true },
    );
    // The runs reached the interesting paths: frames moved, and rings were stopped and faulted.
    for (const [key, count] of Object.entries(seen))
      assert.ok(count > 0, `no run had any ${key}: ${JSON.stringify(seen)}`);
  });
});
