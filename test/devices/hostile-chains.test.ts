// The attacker's probe against the devices ("a hostile driver must not get out"): descriptor chains
// whose claimed length has nothing to do with the guest memory behind them. A driver with 2 MiB of
// DMA can alias that memory from thousands of descriptors; the device must neither throw (that
// would end the whole run) nor materialise the claimed bytes on the host. The caps are written as
// numbers here on purpose: they are the documented contract (docs/architecture.md, "Device caps").
import assert from "node:assert/strict";
import {
  createMachine,
  hostBufferMeter,
  parseMachineDescription,
  resetHostBufferMeter,
  type DeviceEvent,
  type DmaRegion,
  type Machine,
} from "../../devices";
import { DriverRing, INDIRECT, NEXT, WRITE } from "./helpers/driver-ring";
import { INDIRECT_DESC, MiniDriver, NEEDS_RESET, R, VERSION_1 } from "./helpers/mini-driver";

const BASE = 0x1000_1000;
const MIB = 1024 * 1024;
const RNG_MAX_REQUEST_BYTES = 64 * 1024;
const CONSOLE_MAX_TX_CHAIN_BYTES = 32 * 1024;

interface Hostile {
  machine: Machine;
  driver: MiniDriver;
  region: DmaRegion;
  ring: DriverRing;
  events: DeviceEvent[];
  output: number;
  settle(): void;
}

/** One device whose driver owns exactly one 2 MiB DMA region, with a ring of `size` at its start. */
function hostile(type: "virtio-rng" | "virtio-net" | "virtio-console" | "virtio-blk", size: number): Hostile {
  const machine = createMachine(
    parseMachineDescription(
      {
        name: "hostile",
        dma: { base: "0x40000000", size: "0x400000" },
        devices: [{ name: "dev0", type, base: BASE, size: "0x1000", irq: 1 }],
      },
      "hostile",
    ),
    { seed: 7 },
  );
  const events: DeviceEvent[] = [];
  machine.onDeviceEvent((e) => events.push(e));
  const region = machine.allocateDma(2 * MIB);
  machine.setIommuView("dev0", [region]);
  const rig: Hostile = {
    machine,
    region,
    events,
    output: 0,
    driver: new MiniDriver(machine, BASE),
    ring: new DriverRing(region, size),
    settle() {
      for (let due = machine.clock.nextEventAt(); due !== undefined; due = machine.clock.nextEventAt())
        machine.clock.advance(due - machine.clock.now());
    },
  };
  machine.onConsoleOutput((_d, bytes) => (rig.output += bytes.length));
  return rig;
}

function start(rig: Hostile, queues: number[], features = VERSION_1 | INDIRECT_DESC): void {
  assert.ok(rig.driver.negotiate(features));
  for (const q of queues) rig.driver.setupQueue(q, rig.ring.layout);
  rig.driver.driverOk();
}

/** An indirect table at the ring's data area: `entries` descriptors chained in order, each over
 *  the driver's whole 2 MiB region. Returns its address and byte length. */
function aliasingTable(
  rig: Hostile,
  entries: number,
  flags: number,
  buffer = { addr: rig.region.phys, len: 2 * MIB },
): { addr: number; len: number } {
  const addr = rig.ring.layout.dataAddr;
  for (let i = 0; i < entries; i++)
    rig.ring.writeDescAt(addr + 16 * i, buffer.addr, buffer.len, flags | (i + 1 < entries ? NEXT : 0), i + 1);
  return { addr, len: 16 * entries };
}

const needsReset = (rig: Hostile): boolean => (rig.driver.read(R.Status) & NEEDS_RESET) !== 0;

describe("hostile chains: an indirect table claiming a 2^35-byte chain", () => {
  // 16384 entries of 2 MiB each (the table itself is 256 KiB of the region): 2^35 bytes claimed.
  const ENTRIES = 2 ** 35 / (2 * MIB);

  it("virtio-rng: no exception, DEVICE_NEEDS_RESET and a device event, nothing written", () => {
    const rig = hostile("virtio-rng", 8);
    start(rig, [0]);
    const table = aliasingTable(rig, ENTRIES, WRITE);
    rig.ring.setDesc(0, table.addr, table.len, INDIRECT);
    rig.ring.publish(0);
    assert.doesNotThrow(() => {
      rig.driver.kick(0);
      rig.settle();
    });
    assert.ok(needsReset(rig), "a chain of 16384 descriptors is a ring error");
    assert.equal(rig.ring.usedIdx(), 0);
    assert.ok(
      rig.events.some((e) => e.kind === "needs-reset"),
      JSON.stringify(rig.events.map((e) => e.kind)),
    );
  });

  it("virtio-net transmit: no exception, DEVICE_NEEDS_RESET and a device event", () => {
    const rig = hostile("virtio-net", 8);
    start(rig, [0, 1]);
    const table = aliasingTable(rig, ENTRIES, 0);
    rig.ring.setDesc(0, table.addr, table.len, INDIRECT);
    rig.ring.publish(0);
    assert.doesNotThrow(() => {
      rig.driver.kick(1);
      rig.settle();
    });
    assert.ok(needsReset(rig));
    assert.ok(rig.events.some((e) => e.kind === "needs-reset"));
  });

  it("virtio-blk: no exception, DEVICE_NEEDS_RESET and a device event", () => {
    const rig = hostile("virtio-blk", 128);
    start(rig, [0]);
    const table = aliasingTable(rig, ENTRIES, WRITE);
    rig.ring.setDesc(0, table.addr, table.len, INDIRECT);
    rig.ring.publish(0);
    assert.doesNotThrow(() => {
      rig.driver.kick(0);
      rig.settle();
    });
    assert.ok(needsReset(rig));
  });
});

describe("hostile chains: 2 MiB of DMA aliased by every descriptor of the ring", () => {
  it("virtio-rng fills at most 64 KiB per request, so 256 requests over one buffer cost 16 MiB, not 1 GiB", () => {
    // 256 heads, each an indirect table of two ~2 MiB buffers over the same memory: ~1 GiB claimed.
    const rig = hostile("virtio-rng", 256);
    start(rig, [0]);
    const buffer = { addr: rig.region.phys + 64 * 1024, len: 2 * MIB - 64 * 1024 };
    const table = aliasingTable(rig, 2, WRITE, buffer);
    for (let i = 0; i < 256; i++) rig.ring.setDesc(i, table.addr, table.len, INDIRECT);
    rig.ring.publish(...Array.from({ length: 256 }, (_, i) => i));
    resetHostBufferMeter();
    assert.doesNotThrow(() => {
      rig.driver.kick(0);
      rig.settle();
    });
    assert.ok(!needsReset(rig), "offering more than the device uses is legal");
    assert.equal(rig.ring.usedIdx(), 256);
    for (let slot = 0; slot < 256; slot++) {
      const { len } = rig.ring.usedElem(slot);
      assert.ok(len > 0 && len <= RNG_MAX_REQUEST_BYTES, `used len ${len} of slot ${slot}`);
    }
    assert.equal(hostBufferMeter.bytes, 0, "the device fills through its one 4 KiB scratch buffer");
  });

  it("virtio-console transmits at most 32 KiB of a chain that aliases 2 MiB 64 times", () => {
    const rig = hostile("virtio-console", 64);
    start(rig, [1], VERSION_1);
    const buffer = { addr: rig.region.phys + 64 * 1024, len: 2 * MIB - 64 * 1024 };
    for (let i = 0; i < 64; i++) rig.ring.setDesc(i, buffer.addr, buffer.len, i < 63 ? NEXT : 0, i + 1);
    rig.ring.publish(0);
    resetHostBufferMeter();
    assert.doesNotThrow(() => {
      rig.driver.kick(1);
      rig.settle();
    });
    assert.ok(hostBufferMeter.largest <= CONSOLE_MAX_TX_CHAIN_BYTES);
    assert.equal(rig.ring.usedIdx(), 1, "the chain is completed");
    assert.ok(rig.output <= CONSOLE_MAX_TX_CHAIN_BYTES, `${rig.output} bytes went to the console`);
    assert.ok(
      rig.events.some((e) => e.kind === "driver-error"),
      "the truncation is reported",
    );
  });

  it("virtio-net transmit drops a 64-descriptor chain over 2 MiB as oversize without copying it", () => {
    const rig = hostile("virtio-net", 64);
    start(rig, [0, 1]);
    const buffer = { addr: rig.region.phys + 64 * 1024, len: 2 * MIB - 64 * 1024 };
    for (let i = 0; i < 64; i++) rig.ring.setDesc(i, buffer.addr, buffer.len, i < 63 ? NEXT : 0, i + 1);
    rig.ring.publish(0);
    resetHostBufferMeter();
    assert.doesNotThrow(() => {
      rig.driver.kick(1);
      rig.settle();
    });
    assert.ok(!needsReset(rig));
    assert.equal(rig.ring.usedIdx(), 1);
    assert.equal(hostBufferMeter.bytes, 12, "only the virtio_net_hdr was copied");
  });
});
