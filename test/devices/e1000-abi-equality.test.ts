// devices/ may import nothing of ours, so the emulated e1000 keeps its own copy of the 82540EM's
// numbers (devices/e1000/registers.ts). kernel/abi/e1000.ts is the table drivers (through the SDK)
// and the language server use. This test holds the two equal, name by name and both ways.

import assert from "node:assert/strict";
import * as abi from "../../kernel/abi";
import * as dev from "../../devices/e1000/registers";

function assertSame(
  what: string,
  devices: Readonly<Record<string, number>>,
  kernelAbi: Readonly<Record<string, number>>,
): void {
  assert.deepEqual(Object.keys(devices).sort(), Object.keys(kernelAbi).sort(), `${what}: the same names`);
  for (const [name, value] of Object.entries(devices))
    assert.equal(value, kernelAbi[name], `${what}: devices ${name} = ${value}, kernel/abi ${kernelAbi[name]}`);
}

describe("e1000 numbers: devices/e1000's copy equals kernel/abi's", () => {
  it("register offsets and the window", () => {
    assertSame("register", dev.E1000Reg, abi.E1000Reg);
    assert.equal(dev.E1000_MMIO_BYTES, abi.E1000_MMIO_BYTES);
  });

  it("register directions: every register kernel/abi lists has the device's access", () => {
    for (const r of abi.E1000_REGISTERS) {
      const device = dev.e1000Register(r.offset);
      assert.ok(device, `${r.name}: the device has no register at 0x${r.offset.toString(16)}`);
      assert.equal(device.access, r.access, `${r.name}: access`);
    }
  });

  it("CTRL, STATUS, EERD, ICR, RCTL, TCTL bits", () => {
    assertSame("CTRL", dev.Ctrl, abi.E1000Ctrl);
    assertSame("STATUS", dev.StatusBit, abi.E1000Status);
    assertSame("EERD", dev.Eerd, abi.E1000Eerd);
    assertSame("ICR", dev.Icr, abi.E1000Icr);
    assertSame("RCTL", dev.Rctl, abi.E1000Rctl);
    assertSame("TCTL", dev.Tctl, abi.E1000Tctl);
    assert.equal(dev.RAH_AV, abi.E1000_RAH_AV);
  });

  it("legacy descriptor layouts and bits", () => {
    assert.equal(dev.DESCRIPTOR_BYTES, abi.E1000_DESC_BYTES);
    assert.equal(dev.RING_LENGTH_ALIGN, abi.E1000_RING_ALIGN);
    const upper = (t: Readonly<Record<string, number>>) =>
      Object.fromEntries(Object.entries(t).map(([k, v]) => [k.toUpperCase(), v]));
    assertSame("RX descriptor", upper(dev.RxDesc), abi.E1000RxDesc);
    assertSame("TX descriptor", upper(dev.TxDesc), abi.E1000TxDesc);
    assertSame("RX status", dev.RxStatus, abi.E1000RxStatus);
    assertSame("TX CMD", dev.TxCmd, abi.E1000TxCmd);
    assertSame("TX status", dev.TxStatus, abi.E1000TxStatus);
  });
});
