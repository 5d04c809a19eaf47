import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  bundledMachineNames,
  defaultMachineName,
  loadMachineDescription,
  MachineDescriptionError,
  parseMachineDescription,
} from "../../devices";

const rng = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  name: "virtio-rng0",
  type: "virtio-rng",
  base: "0x10003000",
  size: "0x1000",
  irq: 3,
  ...over,
});
const machine = (devices: unknown[], extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  name: "m",
  dma: { base: "0x40000000", size: "0x4000000" },
  devices,
  ...extra,
});

function problems(json: unknown, source = "m.json"): string[] {
  try {
    parseMachineDescription(json, source);
  } catch (error) {
    assert.ok(error instanceof MachineDescriptionError);
    assert.ok(error.message.startsWith(`${source}: `), error.message);
    return [...error.problems];
  }
  assert.fail("expected a MachineDescriptionError");
}

describe("machine descriptions", () => {
  it("loads the bundled default machine by name", () => {
    assert.equal(defaultMachineName, "virt");
    assert.deepEqual(bundledMachineNames(), ["virt"]);
    const virt = loadMachineDescription("virt");
    assert.equal(virt.name, "virt");
    assert.deepEqual(virt.dma, { base: 0x4000_0000, size: 0x400_0000 });
    assert.deepEqual(virt.devices, [
      { name: "virtio-blk0", type: "virtio-blk", base: 0x1000_1000, size: 0x1000, irq: 1, disk: "disk0" },
      { name: "virtio-net0", type: "virtio-net", base: 0x1000_2000, size: 0x1000, irq: 2 },
      { name: "virtio-rng0", type: "virtio-rng", base: 0x1000_3000, size: 0x1000, irq: 3 },
      { name: "virtio-console0", type: "virtio-console", base: 0x1000_4000, size: 0x1000, irq: 5 },
      { name: "virtio-gpu0", type: "virtio-gpu", base: 0x1000_5000, size: 0x1000, irq: 6 },
      { name: "e1000-0", type: "e1000", base: 0x1002_0000, size: 0x2_0000, irq: 11 },
      { name: "nvme0", type: "nvme", base: 0x1001_0000, size: 0x2000, irq: 10, disk: "disk0" },
      { name: "ahci0", type: "ahci", base: 0x1004_0000, size: 0x1100, irq: 9, disk: "disk0" },
      { name: "ata0", type: "ata", command: 0x1f0, control: 0x3f6, irq: 14, disk: "disk0" },
      { name: "uart0", type: "uart16550", base: 0x3f8, irq: 4 },
    ]);
  });

  it("accepts JSON numbers, hex strings with underscores and $comment fields", () => {
    const d = parseMachineDescription(
      { $comment: "hi", ...machine([rng({ base: 0x1000_3000, size: "0x10_00", $comment: "x" })]) },
      "m.json",
    );
    const [device] = d.devices;
    assert.ok(device.type !== "ata" && device.type !== "uart16550");
    assert.equal(device.base, 0x1000_3000);
    assert.equal(device.size, 0x1000);
  });

  it("names the file, the device and the field for an unknown type", () => {
    const [problem] = problems(machine([rng({ type: "virtio-tpm" })]));
    assert.equal(
      problem,
      `device "virtio-rng0": field "type": unknown device type "virtio-tpm" (known: virtio-rng, virtio-blk, virtio-console, virtio-net, virtio-gpu, ata, nvme, ahci, e1000, uart16550)`,
    );
  });

  it("reports a bad number", () => {
    const [problem] = problems(machine([rng({ base: "0x10zz" })]));
    assert.match(problem, /^device "virtio-rng0": field "base": "0x10zz" is not a number/);
    assert.match(problems(machine([rng({ irq: -1 })]))[0], /field "irq": -1 is not a number/);
    assert.match(problems(machine([rng({ size: 1.5 })]))[0], /field "size": 1.5 is not a number/);
  });

  it("reports overlapping device windows, naming both devices", () => {
    const [problem] = problems(machine([rng(), rng({ name: "virtio-rng1", base: "0x10003800", irq: 4 })]));
    assert.match(problem, /device "virtio-rng1": field "base": .* overlaps the window of device "virtio-rng0"/);
  });

  it("reports a window overlapping the DMA window", () => {
    const [problem] = problems(machine([rng({ base: "0x40001000" })]));
    assert.match(problem, /overlaps the DMA window/);
  });

  it("reports an IRQ shared by two devices", () => {
    const [problem] = problems(machine([rng(), rng({ name: "virtio-rng1", base: "0x10004000" })]));
    assert.equal(
      problem,
      `device "virtio-rng1": field "irq": line 3 is already used by device "virtio-rng0" (interrupt lines are not shared)`,
    );
  });

  it("reports duplicate names, missing and unknown fields, all at once", () => {
    const found = problems(
      machine([
        rng(),
        rng({ base: "0x10005000", irq: 5 }),
        { name: "x", type: "virtio-rng", base: 0x1000_6000, size: 0x1000, colour: "red" },
      ]),
    );
    assert.deepEqual(found, [
      `device "virtio-rng0": field "name": another device already has this name`,
      `device "x": unknown field "colour" (expected name, type, base, size, irq)`,
      `device "x": field "irq": missing`,
    ]);
  });

  it("reports a misaligned DMA window and a too-small device window", () => {
    const found = problems(machine([rng({ size: 0x80 })], { dma: { base: "0x40000800", size: "0x1000" } }));
    assert.deepEqual(found, [
      `field "dma.base": 0x40000800 is not a multiple of the page size 0x1000`,
      `device "virtio-rng0": field "size": 0x80 is smaller than the 0x100 bytes of virtio-mmio registers`,
    ]);
  });

  it("reports a description that is not an object", () => {
    assert.deepEqual(problems([]), ["the description must be a JSON object"]);
  });

  it("loads a description from a file, naming the file in errors", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "zds-machine-"));
    const good = path.join(dir, "good.json");
    writeFileSync(good, JSON.stringify(machine([rng()])));
    assert.equal(loadMachineDescription(good).source, good);
    const bad = path.join(dir, "bad.json");
    writeFileSync(bad, JSON.stringify(machine([rng({ type: "nope" })])));
    assert.throws(
      () => loadMachineDescription(bad),
      (e: unknown) =>
        e instanceof MachineDescriptionError && e.message.startsWith(`${bad}: device "virtio-rng0": field "type"`),
    );
    const broken = path.join(dir, "broken.json");
    writeFileSync(broken, "{ nope");
    assert.throws(() => loadMachineDescription(broken), /not valid JSON/);
    assert.throws(() => loadMachineDescription(path.join(dir, "missing.json")), /cannot read the machine description/);
  });
});
