// devices/ may import nothing of ours, so the emulated virtio-mmio transport keeps its own copy of the
// wire's numbers (devices/virtio/registers.ts, descriptors.ts). kernel/abi/virtio-mmio.ts is the one
// table everything else uses (the SDK, the language server). This test holds the two equal, entry by
// entry and both ways: the same names (up to spelling: the devices' copy is PascalCase, kernel/abi's
// SCREAMING_CASE or the spec's own), the same numbers, nothing in one that the other lacks except
// what is listed here with its reason.

import assert from "node:assert/strict";
import * as abi from "../../kernel/abi";
import { Feature, Interrupt, MAGIC_VALUE, MMIO_VERSION, Reg, Status } from "../../devices/virtio/registers";
import { AvailFlag, DESC_SIZE, DescFlag } from "../../devices/virtio/descriptors";

/** "DRIVER_OK", "DriverOk" and "driverOK" all become "driverok". */
const spelling = (name: string): string => name.replace(/_/g, "").toLowerCase();

/** Pair the entries of two tables by name and check every pair's value. `renamed` maps a devices
 *  name to kernel/abi's where they differ by more than spelling; `onlyAbi` lists kernel/abi names
 *  the devices' copy may lack. */
function assertSameTable(
  what: string,
  devices: Readonly<Record<string, number | bigint>>,
  kernelAbi: Readonly<Record<string, number | bigint>>,
  options: { renamed?: Readonly<Record<string, string>>; onlyAbi?: readonly string[] } = {},
): void {
  const abiBySpelling = new Map(Object.entries(kernelAbi).map(([name, value]) => [spelling(name), { name, value }]));
  const matched = new Set<string>();
  for (const [name, value] of Object.entries(devices)) {
    const wanted = spelling(options.renamed?.[name] ?? name);
    const entry = abiBySpelling.get(wanted);
    assert.ok(entry, `${what}: devices/virtio has ${name} = ${String(value)}, kernel/abi has no such entry`);
    assert.equal(
      value,
      entry.value,
      `${what}: devices/virtio ${name} = ${String(value)}, kernel/abi ${entry.name} = ${String(entry.value)}`,
    );
    matched.add(entry.name);
  }
  const missing = Object.keys(kernelAbi).filter(
    (name) => !matched.has(name) && !(options.onlyAbi ?? []).includes(name),
  );
  assert.deepEqual(missing, [], `${what}: kernel/abi entries devices/virtio lacks`);
  for (const name of options.onlyAbi ?? [])
    assert.ok(name in kernelAbi, `${what}: ${name} is listed as kernel/abi-only but kernel/abi has no such entry`);
}

describe("virtio-mmio numbers: devices/virtio's copy equals kernel/abi's", () => {
  it("register offsets, against the spec-named table (VIRTIO_MMIO_REGISTERS)", () => {
    assertSameTable("register", Reg, Object.fromEntries(abi.VIRTIO_MMIO_REGISTERS.map((r) => [r.name, r.offset])));
  });

  it("register offsets, against the SDK's VirtioReg constants", () => {
    // VirtioReg names only the registers a driver of ours touches: the shared-memory registers and
    // QueueReset have no constant (VIRTIO_MMIO_REGISTERS has them, checked above).
    const unnamed = ["ShmSel", "ShmLenLow", "ShmLenHigh", "ShmBaseLow", "ShmBaseHigh", "QueueReset"];
    const named = Object.fromEntries(Object.entries(Reg).filter(([name]) => !unnamed.includes(name)));
    assertSameTable("VirtioReg", named, abi.VirtioReg, { renamed: { MagicValue: "MAGIC" } });
    for (const r of abi.VIRTIO_MMIO_REGISTERS) {
      if (r.constant !== undefined)
        assert.equal(
          abi.VirtioReg[r.constant],
          r.offset,
          `${r.name}: its constant VirtioReg.${r.constant} is another offset`,
        );
      else
        assert.ok(
          unnamed.some((name) => spelling(name) === spelling(r.name)),
          `${r.name} has no VirtioReg constant`,
        );
    }
  });

  it("magic value and version", () => {
    assert.equal(MAGIC_VALUE, abi.VIRTIO_MAGIC);
    assert.equal(MMIO_VERSION, abi.VIRTIO_MMIO_VERSION);
  });

  it("status bits", () => {
    assertSameTable("status", Status, abi.VirtioStatus, { renamed: { NeedsReset: "DEVICE_NEEDS_RESET" } });
  });

  it("interrupt bits", () => {
    assertSameTable("interrupt", Interrupt, abi.VirtioInterrupt);
  });

  it("device-independent feature bits, as bit numbers and as masks", () => {
    // The devices' Feature lists the transport bits the emulator knows; ORDER_PLATFORM (36) is a
    // bit no emulated device offers and the transport never looks at.
    assertSameTable("feature", Feature, abi.VirtioFeatureBit, { onlyAbi: ["ORDER_PLATFORM"] });
    for (const [name, bit] of Object.entries(abi.VirtioFeatureBit)) {
      assert.equal(
        abi.VirtioFeature[name as keyof typeof abi.VirtioFeature],
        1n << BigInt(bit),
        `VirtioFeature.${name} is not bit ${bit}`,
      );
    }
    assert.deepEqual(Object.keys(abi.VirtioFeature), Object.keys(abi.VirtioFeatureBit));
  });

  it("split-ring descriptor size and flags, avail flags", () => {
    assert.equal(DESC_SIZE, abi.VIRTQ_DESC_BYTES);
    assertSameTable("descriptor flag", DescFlag, abi.DescFlag);
    assertSameTable("avail flag", AvailFlag, { NoInterrupt: abi.VIRTQ_AVAIL_F_NO_INTERRUPT });
  });
});
