import assert from "node:assert/strict";
import { createMachine, loadMachineDescription, VirtioRng } from "../../devices";
import { R } from "./helpers/mini-driver";
import { RNG_BASE, rngRig, virtDescription } from "./helpers/rig";

describe("machine", () => {
  it("boots the bundled virt machine: virtio-blk at slot 0, net at slot 1, rng at slot 2, ATA on the primary IDE channel, a UART on COM1", () => {
    const machine = createMachine(loadMachineDescription("virt"), { seed: 1 });
    assert.deepEqual(machine.devices, [
      { name: "virtio-blk0", kind: "virtio-mmio", virtioId: 2, mmio: { base: 0x1000_1000, size: 0x1000 }, irq: 1 },
      { name: "virtio-net0", kind: "virtio-mmio", virtioId: 1, mmio: { base: 0x1000_2000, size: 0x1000 }, irq: 2 },
      { name: "virtio-rng0", kind: "virtio-mmio", virtioId: 4, mmio: { base: 0x1000_3000, size: 0x1000 }, irq: 3 },
      { name: "virtio-console0", kind: "virtio-mmio", virtioId: 3, mmio: { base: 0x1000_4000, size: 0x1000 }, irq: 5 },
      { name: "virtio-gpu0", kind: "virtio-mmio", virtioId: 16, mmio: { base: 0x1000_5000, size: 0x1000 }, irq: 6 },
      { name: "e1000-0", kind: "mmio", type: "e1000", mmio: { base: 0x1002_0000, size: 0x2_0000 }, irq: 11 },
      { name: "nvme0", kind: "mmio", type: "nvme", mmio: { base: 0x1001_0000, size: 0x2000 }, irq: 10 },
      { name: "ahci0", kind: "mmio", type: "ahci", mmio: { base: 0x1004_0000, size: 0x1100 }, irq: 9 },
      {
        name: "ata0",
        kind: "ata",
        ports: [
          { first: 0x1f0, last: 0x1f7 },
          { first: 0x3f6, last: 0x3f6 },
        ],
        irq: 14,
      },
      { name: "uart0", kind: "uart16550", ports: [{ first: 0x3f8, last: 0x3ff }], irq: 4 },
    ]);
    assert.equal(machine.mmioRead(0x1000_3000 + R.Magic, 4), 0x74726976);
    assert.equal(machine.mmioRead(0x1000_1000 + R.DeviceId, 4), 2);
    assert.equal(machine.mmioRead(0x1000_2000 + R.DeviceId, 4), 1);
    // Status: DRDY after power-on; both controllers share the blank 8 MiB disk in slot disk0.
    assert.equal(machine.portRead(0x1f7, 1), 0x40);
    assert.equal(machine.disk().sectors, 16384);
    machine.close();
  });

  it("reads an 8-byte access as two 4-byte register reads, low half first", () => {
    const machine = createMachine(virtDescription(), { seed: 1 });
    assert.equal(machine.mmioRead(RNG_BASE, 8), (2n << 32n) | 0x74726976n);
  });

  it("reads all ones where no device sits, and ignores writes there", () => {
    const machine = createMachine(virtDescription(), { seed: 1 });
    assert.equal(machine.mmioRead(0x1000_1000, 4), 0xffff_ffff);
    machine.mmioWrite(0x1000_1000, 4, 1);
    assert.equal(machine.portRead(0x3f8, 1), 0xff);
  });

  it("rejects an IOMMU view with memory that is not a live DMA allocation", () => {
    const machine = createMachine(virtDescription(), { seed: 1 });
    const fake = { phys: 0x4000_0000, size: 4096, buffer: new SharedArrayBuffer(4096) };
    assert.throws(() => machine.setIommuView("virtio-rng0", [fake]), /not a live DMA allocation/);
    assert.throws(() => machine.setIommuView("nope", []), /no device named "nope"/);
  });

  it("takes freed memory out of every device's view", () => {
    const rig = rngRig();
    const snapshot = (): number => rig.machine.inspect("virtio-rng0").queues.length;
    assert.equal(snapshot(), 1);
    rig.machine.freeDma(rig.region.phys);
    // The ring now lives in memory the device cannot reach: the first kick faults.
    assert.ok(rig.driver.negotiate(1n << 32n));
    rig.driver.setupQueue(0, rig.ring.layout);
    rig.driver.driverOk();
    rig.driver.kick(0);
    assert.deepEqual(
      rig.events.map((e) => e.kind),
      ["dma-fault", "needs-reset"],
    );
  });

  it("resets a device to its power-on state", () => {
    const rig = rngRig();
    rig.driver.negotiate(1n << 32n);
    rig.machine.resetDevice("virtio-rng0");
    assert.equal(rig.driver.read(R.Status), 0);
  });

  it("resets each kind of device through resetDevice: a virtio transport, the ATA disk, the UART", () => {
    const machine = createMachine(loadMachineDescription("virt"), { seed: 1 });
    const blkStatus = 0x1000_1000 + R.Status;
    machine.mmioWrite(blkStatus, 4, 1);
    machine.portWrite(0x1f2, 1, 5); // ATA sector count
    machine.portWrite(0x3ff, 1, 0x5a); // UART scratch
    assert.deepEqual(
      [machine.mmioRead(blkStatus, 4), machine.portRead(0x1f2, 1), machine.portRead(0x3ff, 1)],
      [1, 5, 0x5a],
    );
    for (const device of ["virtio-blk0", "ata0", "uart0"]) machine.resetDevice(device);
    // Power-on values: Status 0, the ATA signature's sector count 1, the scratch register cleared.
    assert.deepEqual(
      [machine.mmioRead(blkStatus, 4), machine.portRead(0x1f2, 1), machine.portRead(0x3ff, 1)],
      [0, 1, 0],
    );
    machine.close();
  });

  it("takes console input on console devices only", () => {
    const machine = createMachine(loadMachineDescription("virt"), { seed: 1 });
    machine.consoleInput("virtio-console0", Uint8Array.of(0x61));
    machine.consoleInput("uart0", Uint8Array.of(0x61));
    for (const device of ["virtio-blk0", "virtio-net0", "virtio-rng0", "ata0"]) {
      assert.throws(
        () => machine.consoleInput(device, Uint8Array.of(1)),
        new RegExp(`device ${device} is not a console device`),
      );
    }
    machine.close();
  });

  it("hands out typed backends and refuses the wrong type", () => {
    const machine = createMachine(virtDescription(), { seed: 1 });
    assert.ok(machine.backend("virtio-rng0", VirtioRng) instanceof VirtioRng);
    class Other extends VirtioRng {}
    assert.throws(() => machine.backend("virtio-rng0", Other), /is not a Other/);
  });

  it("accepts a bigint seed and refuses a fractional one", () => {
    createMachine(virtDescription(), { seed: 2n ** 63n });
    assert.throws(() => createMachine(virtDescription(), { seed: 1.5 }), /not an integer/);
  });
});
