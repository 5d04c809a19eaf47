import assert from "node:assert/strict";
import { GuestMemory, IommuView, isDmaFault, PAGE_SIZE } from "../../devices";

const window = { base: 0x4000_0000, size: 16 * PAGE_SIZE };

describe("devices/memory: DMA allocation", () => {
  it("rounds up to whole pages, zeroed, inside the DMA window", () => {
    const memory = new GuestMemory(window);
    const region = memory.allocateDma(100);
    assert.equal(region.phys, window.base);
    assert.equal(region.size, PAGE_SIZE);
    assert.equal(region.buffer.byteLength, PAGE_SIZE);
    assert.ok(new Uint8Array(region.buffer).every((b) => b === 0));
  });

  it("places allocations first fit and reuses a freed hole", () => {
    const memory = new GuestMemory(window);
    const a = memory.allocateDma(PAGE_SIZE);
    const b = memory.allocateDma(2 * PAGE_SIZE);
    const c = memory.allocateDma(PAGE_SIZE);
    assert.deepEqual([a.phys, b.phys, c.phys], [window.base, window.base + PAGE_SIZE, window.base + 3 * PAGE_SIZE]);
    memory.freeDma(b.phys);
    assert.equal(memory.allocateDma(PAGE_SIZE).phys, window.base + PAGE_SIZE);
    // Two pages no longer fit in the one-page hole left: the next run is after c.
    assert.equal(memory.allocateDma(2 * PAGE_SIZE).phys, window.base + 4 * PAGE_SIZE);
  });

  it("gives fresh zeroed memory after a free, not the old buffer", () => {
    const memory = new GuestMemory(window);
    const a = memory.allocateDma(PAGE_SIZE);
    new Uint8Array(a.buffer).fill(0xaa);
    memory.freeDma(a.phys);
    const again = memory.allocateDma(PAGE_SIZE);
    assert.notEqual(again.buffer, a.buffer);
    assert.ok(new Uint8Array(again.buffer).every((b) => b === 0));
  });

  it("throws when the window is exhausted", () => {
    const memory = new GuestMemory(window);
    memory.allocateDma(window.size);
    assert.throws(() => memory.allocateDma(1), /no free run/);
  });

  it("rejects a free of an address that is not the start of an allocation", () => {
    const memory = new GuestMemory(window);
    const a = memory.allocateDma(2 * PAGE_SIZE);
    assert.throws(() => memory.freeDma(a.phys + PAGE_SIZE), /no DMA allocation starts there/);
  });

  it("rejects non-positive sizes", () => {
    const memory = new GuestMemory(window);
    assert.throws(() => memory.allocateDma(0), RangeError);
    assert.throws(() => memory.allocateDma(-5), RangeError);
  });
});

describe("devices/memory: IOMMU view", () => {
  function twoAdjacent(): { view: IommuView; memory: GuestMemory } {
    const memory = new GuestMemory(window);
    const a = memory.allocateDma(PAGE_SIZE);
    const b = memory.allocateDma(PAGE_SIZE);
    return { view: new IommuView([a, b]), memory };
  }

  it("reads and writes bytes inside a region", () => {
    const { view } = twoAdjacent();
    assert.equal(view.write(window.base + 10, Uint8Array.of(1, 2, 3)), undefined);
    assert.deepEqual(view.read(window.base + 10, 3), Uint8Array.of(1, 2, 3));
  });

  it("reads and writes little-endian 16, 32 and 64-bit values", () => {
    const { view } = twoAdjacent();
    view.writeLe16(window.base, 0x1234);
    view.writeLe32(window.base + 4, 0xdeadbeef);
    view.writeLe64(window.base + 8, 0x0102030405060708n);
    assert.deepEqual(view.read(window.base, 2), Uint8Array.of(0x34, 0x12));
    assert.equal(view.readLe32(window.base + 4), 0xdeadbeef);
    assert.deepEqual(view.read(window.base + 8, 8), Uint8Array.of(8, 7, 6, 5, 4, 3, 2, 1));
    assert.equal(view.readLe64(window.base + 8), 0x0102030405060708n);
  });

  it("faults, as a value, on an access outside every region", () => {
    const { view } = twoAdjacent();
    const fault = view.readLe32(window.base + 2 * PAGE_SIZE);
    assert.ok(isDmaFault(fault));
    assert.equal(fault.address, window.base + 2 * PAGE_SIZE);
    assert.equal(fault.length, 4);
    assert.equal(fault.write, false);
    assert.match(fault.reason, /outside every DMA region/);
  });

  it("faults on an access that spans two adjacent regions", () => {
    const { view } = twoAdjacent();
    const fault = view.write(window.base + PAGE_SIZE - 2, new Uint8Array(4));
    assert.ok(isDmaFault(fault));
    assert.equal(fault.write, true);
    assert.match(fault.reason, /runs past the end of DMA region/);
  });

  it("faults on memory the device was not given, even if allocated", () => {
    const memory = new GuestMemory(window);
    const mine = memory.allocateDma(PAGE_SIZE);
    const other = memory.allocateDma(PAGE_SIZE);
    const view = new IommuView([mine]);
    assert.ok(isDmaFault(view.read(other.phys, 1)));
    assert.equal(view.check(mine.phys, PAGE_SIZE, true), undefined);
  });

  it("lets the device only read a region shared read-only, and says so when it writes", () => {
    const memory = new GuestMemory(window);
    const lent = memory.allocateDma(PAGE_SIZE);
    new Uint8Array(lent.buffer)[5] = 42;
    const view = new IommuView([{ region: lent, read: true, write: false }]);
    assert.equal(view.readLe16(lent.phys + 5), 42);
    const fault = view.write(lent.phys, Uint8Array.of(1));
    assert.ok(isDmaFault(fault));
    assert.match(fault.reason, /may not write DMA region .* \(shared with the driver read-only\)/);
    assert.equal(new Uint8Array(lent.buffer)[0], 0);
  });

  it("lets the device only write a region shared write-only", () => {
    const memory = new GuestMemory(window);
    const lent = memory.allocateDma(PAGE_SIZE);
    const view = new IommuView([{ region: lent, read: false, write: true }]);
    assert.equal(view.writeLe32(lent.phys, 7), undefined);
    assert.ok(isDmaFault(view.read(lent.phys, 4)));
  });

  it("span() is the guest memory itself (for a transfer done at once), checked like any access", () => {
    const memory = new GuestMemory(window);
    const mine = memory.allocateDma(2 * PAGE_SIZE);
    const view = new IommuView([mine]);
    const span = view.span(mine.phys + PAGE_SIZE, 512, true);
    assert.ok(!isDmaFault(span));
    span[0] = 9;
    assert.equal(new Uint8Array(mine.buffer)[PAGE_SIZE], 9);
    assert.ok(isDmaFault(view.span(mine.phys + PAGE_SIZE, PAGE_SIZE + 1, true)));
  });

  it("faults on everything when empty", () => {
    const fault = IommuView.empty.writeLe16(window.base, 1);
    assert.ok(isDmaFault(fault));
    assert.match(fault.reason, /no IOMMU view/);
  });

  it("faults on addresses that are not safe integers", () => {
    const { view } = twoAdjacent();
    assert.ok(isDmaFault(view.read(2 ** 60, 1)));
    assert.ok(isDmaFault(view.read(-16, 1)));
  });
});
