// The sample drivers, run against the fake kernel (and, for virtio-rng, the fake entropy device):
// the whole protocol the real kernel will speak, minus the kernel.

import assert from "node:assert/strict";
import {
  Errno,
  RNG_MAX_REQUEST,
  RngTag,
  Tag,
  isRunnableDriver,
  validateManifest,
  type StartupInfo,
} from "../../kernel/abi";
import { ServiceError } from "../../drivers/sdk";
import virtioRng from "../../drivers/virtio-rng";
import rngCat from "../../drivers/rng-cat";
import { FakeKernel, Idle, fakeInit, message, readU32, u32 } from "./sdk-fakes";
import { FakeVirtioRng, type FakeRngOptions } from "./sdk-fake-virtio";

const rngStartup: StartupInfo = {
  pid: 4,
  name: "virtio-rng",
  seed: 0,
  handles: {
    regs: { kind: "mmio", slot: 3, base: 0x1000_3000, size: 0x200, perms: 3 },
    irq: { kind: "irq", slot: 4, line: 3, endpointSlot: 5 },
    ring: { kind: "dma", size: 8192 },
    rng: { kind: "serve", slot: 1, service: "rng", endpointId: 9 },
  },
};

function runRng(requests: { sender: number; tag: number; payload: Uint8Array }[], opts: Partial<FakeRngOptions> = {}) {
  let device: FakeVirtioRng | undefined;
  const registered: string[] = [];
  const kernel: FakeKernel = new FakeKernel({
    startup: rngStartup,
    device: {
      read: (o, w) => (device as FakeVirtioRng).read(o, w),
      write: (o, w, v) => (device as FakeVirtioRng).write(o, w, v),
    },
    onCall: fakeInit({}, registered),
  });
  device = new FakeVirtioRng({ memory: (p, l) => kernel.memory(p, l), setIrq: (l) => kernel.setIrqLevel(l), ...opts });
  for (const r of requests) kernel.post(1, message(r.sender, r.tag, r.payload));
  assert.throws(() => virtioRng.run(kernel.gate), Idle, "serves until no request is left");
  return { kernel, device, registered };
}

describe("sample: virtio-rng", () => {
  it("has a manifest the kernel accepts", () => {
    assert.ok(isRunnableDriver(virtioRng));
    assert.deepEqual(validateManifest(JSON.parse(JSON.stringify(virtioRng.manifest))), {
      ok: true,
      manifest: virtioRng.manifest,
    });
  });

  it("brings the device up, registers, and answers with exactly the bytes asked for", () => {
    const { kernel, device, registered } = runRng(
      [
        { sender: 20, tag: RngTag.GET_BYTES, payload: u32(32) },
        { sender: 21, tag: RngTag.GET_BYTES, payload: u32(RNG_MAX_REQUEST) },
      ],
      { maxBytesPerBuffer: 7 },
    );
    assert.deepEqual(device.statusWrites, [0, 1, 3, 11, 15]);
    assert.equal(device.driverFeatures, 1n << 32n, "VERSION_1 and nothing else");
    assert.equal(device.queueSize, 16);
    assert.deepEqual(device.violations, []);
    assert.deepEqual(registered, ["rng"]);
    assert.deepEqual(
      kernel.replies.map((r) => [r.pid, r.tag, r.payload.length]),
      [
        [20, RngTag.BYTES, 32],
        [21, RngTag.BYTES, RNG_MAX_REQUEST],
      ],
    );
    // The fake device writes a counter-based pattern: the bytes must be the device's, in order.
    const expected = Array.from({ length: 32 }, (_, i) => (i * 37 + 11) & 0xff);
    assert.deepEqual(Array.from(kernel.replies[0].payload), expected);
  });

  it("clears the device's interrupt before acknowledging the line, every time", () => {
    const { kernel } = runRng([{ sender: 20, tag: RngTag.GET_BYTES, payload: u32(20) }], { maxBytesPerBuffer: 7 });
    assert.deepEqual(kernel.events, [
      "wait",
      "device-ack",
      "irq-ack",
      "wait",
      "device-ack",
      "irq-ack",
      "wait",
      "device-ack",
      "irq-ack",
    ]);
  });

  it("answers bad requests with RngTag.ERROR and keeps serving", () => {
    const { kernel } = runRng([
      { sender: 20, tag: RngTag.GET_BYTES, payload: u32(0) },
      { sender: 21, tag: RngTag.GET_BYTES, payload: u32(RNG_MAX_REQUEST + 1) },
      { sender: 22, tag: RngTag.GET_BYTES, payload: new Uint8Array(2) },
      { sender: 23, tag: 0x6666, payload: new Uint8Array(0) },
      { sender: 24, tag: RngTag.GET_BYTES, payload: u32(1) },
    ]);
    assert.deepEqual(
      kernel.replies.map((r) => [r.pid, r.tag, r.tag === RngTag.ERROR ? readU32(r.payload) : r.payload.length]),
      [
        [20, RngTag.ERROR, Errno.E_INVAL],
        [21, RngTag.ERROR, Errno.E_INVAL],
        [22, RngTag.ERROR, Errno.E_INVAL],
        [23, RngTag.ERROR, Errno.E_NOSYS],
        [24, RngTag.BYTES, 1],
      ],
    );
  });

  it("gives up on a device that completes buffers without writing", () => {
    const { kernel } = runRng([{ sender: 20, tag: RngTag.GET_BYTES, payload: u32(8) }], { maxBytesPerBuffer: 0 });
    assert.deepEqual(
      kernel.replies.map((r) => [r.tag, readU32(r.payload)]),
      [[RngTag.ERROR, Errno.E_AGAIN]],
    );
  });
});

const catStartup: StartupInfo = {
  pid: 6,
  name: "rng-cat",
  seed: 0,
  handles: { rng: { kind: "client", service: "rng" } },
};

function runCat(answer: (tag: number, payload: Uint8Array) => ReturnType<typeof message>) {
  const init = fakeInit({ rng: { endpointId: 9, slot: 7 } });
  const kernel = new FakeKernel({
    startup: catStartup,
    onCall: (slot, tag, payload) => (slot === 7 ? answer(tag, payload) : init(slot, tag, payload)),
  });
  return { kernel, run: () => rngCat.run(kernel.gate) };
}

describe("sample: rng-cat", () => {
  it("has a manifest the kernel accepts", () => {
    assert.equal(validateManifest(JSON.parse(JSON.stringify(rngCat.manifest))).ok, true);
  });

  it("asks for 32 bytes and prints them as one hex line", () => {
    const { kernel, run } = runCat((tag, payload) => {
      assert.deepEqual([tag, readU32(payload)], [RngTag.GET_BYTES, 32]);
      return message(
        4,
        RngTag.BYTES,
        Uint8Array.from({ length: 32 }, (_, i) => i * 8),
      );
    });
    assert.equal(run(), 0);
    assert.equal(
      kernel.console,
      `rng-cat: 32 random bytes: ${Array.from({ length: 32 }, (_, i) => (i * 8).toString(16).padStart(2, "0")).join("")}\n`,
    );
    assert.match(kernel.console, /^rng-cat: 32 random bytes: [0-9a-f]{64}\n$/);
  });

  it("prints the error and exits 1 when the service refuses", () => {
    const { kernel, run } = runCat(() => message(4, RngTag.ERROR, u32(Errno.E_INVAL)));
    assert.equal(run(), 1);
    assert.equal(kernel.console, "rng-cat: the rng service refused: E_INVAL (invalid argument)\n");
  });

  it("faults with a ServiceError naming rng when the driver died", () => {
    const { run } = runCat(() => message(0, Tag.CALL_FAILED, u32(Errno.E_NOENT)));
    assert.throws(run, (e: unknown) => e instanceof ServiceError && e.service === "rng");
  });
});
