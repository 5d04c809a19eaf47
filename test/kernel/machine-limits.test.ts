// The machine description's "limits" and "services" sections, as the kernel reads them.
import assert from "node:assert/strict";
import { loadMachineDescription, parseMachineDescription } from "../../devices";

const base = {
  name: "m",
  dma: { base: "0x4000_0000", size: "0x10_0000" },
  devices: [{ name: "rng0", type: "virtio-rng", base: "0x1000_3000", size: "0x1000", irq: 3 }],
};
const problems = (json: unknown): string[] => {
  try {
    parseMachineDescription(json, "m.json");
    return [];
  } catch (error) {
    return (error as { problems: string[] }).problems;
  }
};

describe("machine descriptions: limits and services", () => {
  it("virt states the documented defaults, and a description without the sections gets them", () => {
    const defaults = { endpoints: 64, queuedBytes: 4 * 1024 * 1024, dmaBytes: 16 * 1024 * 1024, capabilities: 1024 };
    assert.deepEqual(loadMachineDescription("virt").limits, defaults);
    assert.deepEqual(parseMachineDescription(base, "m.json").limits, defaults);
    assert.deepEqual(loadMachineDescription("virt").services, {
      blk: ["virtio-blk0", "ata0", "nvme0", "ahci0"],
      net: ["virtio-net0", "e1000-0"],
      rng: ["virtio-rng0"],
      console: ["virtio-console0", "uart0"],
      display: ["virtio-gpu0"],
    });
    assert.deepEqual(parseMachineDescription(base, "m.json").services, { rng: ["rng0"] });
  });

  it("a limit may be lowered; bad values and unknown fields are named", () => {
    assert.equal(parseMachineDescription({ ...base, limits: { endpoints: 8 } }, "m.json").limits?.endpoints, 8);
    assert.deepEqual(problems({ ...base, limits: { endpoints: 2, dmaBytes: "lots", heap: 1 } }), [
      `"limits": unknown field "heap" (expected endpoints, queuedBytes, dmaBytes, capabilities)`,
      `field "limits.endpoints": 2 is outside 4..65536`,
      `field "limits.dmaBytes": "lots" is not a number (use a non-negative integer, or a "0x…" hex string)`,
    ]);
  });

  it("services name devices the machine has", () => {
    assert.deepEqual(parseMachineDescription({ ...base, services: {} }, "m.json").services, {});
    assert.deepEqual(problems({ ...base, services: { rng: ["rng9"], net: "x" } }), [
      `field "services.rng": no device named "rng9"`,
      `field "services.net": must be a list of device names`,
    ]);
  });
});
