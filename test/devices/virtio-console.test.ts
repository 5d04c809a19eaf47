// virtio-console device duties (virtio-reference §8.2), at register level through a mini driver:
// identity, config (SIZE, EMERG_WRITE), transmitq to the console output, receiveq from outside
// input, and the bad cases (wrong-direction buffers, input with no buffer posted, a flood).
import assert from "node:assert/strict";
import { createMachine, parseMachineDescription, VirtioConsole, type DeviceEvent } from "../../devices";
import { DriverRing, WRITE } from "./helpers/driver-ring";
import { BIT, MiniDriver, R, VERSION_1 } from "./helpers/mini-driver";

const BASE = 0x1000_4000;
const IRQ = 5;
const LATENCY = 2_000;
const CONFIG = 0x100;

function rig() {
  const machine = createMachine(
    parseMachineDescription(
      {
        name: "t",
        dma: { base: "0x40000000", size: "0x100000" },
        devices: [{ name: "con0", type: "virtio-console", base: BASE, size: "0x1000", irq: IRQ }],
      },
      "test",
    ),
    { seed: 1 },
  );
  const events: DeviceEvent[] = [];
  machine.onDeviceEvent((e) => events.push(e));
  const out: number[] = [];
  machine.onConsoleOutput((_d, bytes) => out.push(...bytes));
  const rxRegion = machine.allocateDma(4096);
  const txRegion = machine.allocateDma(4096);
  machine.setIommuView("con0", [rxRegion, txRegion]);
  const rx = new DriverRing(rxRegion, 8);
  const tx = new DriverRing(txRegion, 8);
  const driver = new MiniDriver(machine, BASE);
  return {
    machine,
    events,
    out,
    rx,
    tx,
    driver,
    device: machine.backend("con0", VirtioConsole),
    text: () => String.fromCharCode(...out),
  };
}
type Rig = ReturnType<typeof rig>;

function start(r: Rig, features = VERSION_1 | BIT(0)): void {
  assert.ok(r.driver.negotiate(features));
  r.driver.setupQueue(0, r.rx.layout);
  r.driver.setupQueue(1, r.tx.layout);
  r.driver.driverOk();
}

function send(r: Rig, text: string, head = 0): void {
  const bytes = new TextEncoder().encode(text);
  new Uint8Array(r.tx.region.buffer).set(bytes, r.tx.layout.dataAddr - r.tx.region.phys);
  r.tx.setDesc(head, r.tx.layout.dataAddr, bytes.length);
  r.tx.publish(head);
  r.driver.kick(1);
}

function postRx(r: Rig, len: number, head = 0, flags = WRITE): void {
  r.rx.setDesc(head, r.rx.layout.dataAddr, len, flags);
  r.rx.publish(head);
  r.driver.kick(0);
}

describe("virtio-console (register level)", () => {
  it("is device 3 with receiveq and transmitq, offers SIZE and EMERG_WRITE, and reports 80x25", () => {
    const r = rig();
    assert.equal(r.driver.read(R.DeviceId), 3);
    assert.equal(r.driver.deviceFeatures(), VERSION_1 | BIT(0) | BIT(2));
    r.driver.write(R.QueueSel, 1);
    assert.ok(r.driver.read(R.QueueSizeMax) > 0);
    r.driver.write(R.QueueSel, 2);
    assert.equal(r.driver.read(R.QueueSizeMax), 0, "no control queues without MULTIPORT");
    assert.equal(r.machine.mmioRead(BASE + CONFIG, 2), 80);
    assert.equal(r.machine.mmioRead(BASE + CONFIG + 2, 2), 25);
  });

  it("emerg_wr outputs its low byte at once, even before initialisation", () => {
    const r = rig();
    r.machine.mmioWrite(BASE + CONFIG + 8, 4, 0x121);
    assert.equal(r.text(), "!");
  });

  it("transmits a readable buffer to the console after a latency, used len 0, with an interrupt", () => {
    const r = rig();
    start(r);
    send(r, "hi there", 2);
    assert.equal(r.text(), "");
    r.machine.clock.advance(LATENCY);
    assert.equal(r.text(), "hi there");
    assert.deepEqual(r.tx.usedElem(0), { id: 2, len: 0 });
    assert.equal(r.machine.irqLevel(IRQ), true);
    assert.deepEqual(r.events, []);
  });

  it("delivers outside input into a posted writable buffer; input with no buffer posted waits", () => {
    const r = rig();
    start(r);
    r.machine.consoleInput("con0", new TextEncoder().encode("abc"));
    assert.equal(r.rx.usedIdx(), 0);
    postRx(r, 2, 1);
    assert.deepEqual(r.rx.usedElem(0), { id: 1, len: 2 });
    assert.equal(String.fromCharCode(...r.rx.bytes(r.rx.layout.dataAddr, 2)), "ab");
    assert.equal(r.machine.irqLevel(IRQ), true);
    postRx(r, 16, 3);
    assert.deepEqual(r.rx.usedElem(1), { id: 3, len: 1 });
    assert.equal(r.device.stats.rxBytes, 3);
  });

  it("wrong-direction buffers are reported and completed, not fatal", () => {
    const r = rig();
    start(r);
    r.machine.consoleInput("con0", Uint8Array.of(0x41));
    postRx(r, 4, 0, 0); // device-readable in the receiveq
    assert.deepEqual(r.rx.usedElem(0), { id: 0, len: 0 });
    assert.equal(r.events[0]?.kind, "driver-error");
  });

  it("a flood of input is bounded: what the device cannot hold is dropped and counted", () => {
    const r = rig();
    start(r);
    r.machine.consoleInput("con0", new Uint8Array(5000));
    assert.equal(r.device.stats.inputDropped, 5000 - 4096);
  });
});
