// defineDriver, startup, handles and the sys object, against a scripted gate.

import assert from "node:assert/strict";
import { Errno, Sys, utf8Decode, utf8Encode, type StartupInfo } from "../../kernel/abi";
import {
  DmaBuffer,
  Irq,
  MmioRegion,
  PortRange,
  ProtocolError,
  Service,
  ServiceClient,
  SyscallFailedError,
  VirtioDevice,
  client,
  defineDriver,
  dma,
  irq,
  mmio,
  ports,
  serve,
  type System,
} from "../../drivers/sdk";
import { FakeKernel, ScriptedGate, type Call } from "./sdk-fakes";

const startup: StartupInfo = {
  pid: 5,
  name: "demo",
  seed: 1,
  handles: {
    regs: { kind: "mmio", slot: 3, base: 0x1000_1000, size: 0x200, perms: 3 },
    irq: { kind: "irq", slot: 4, line: 3, endpointSlot: 1 },
    ring: { kind: "dma", size: 5000 },
    io: { kind: "ports", slot: 5, first: 0x1f0, last: 0x1f7, perms: 3 },
    svc: { kind: "serve", slot: 6, service: "demo", endpointId: 42 },
    other: { kind: "client", service: "rng" },
  },
  device: { name: "virtio-rng0", kind: "virtio-mmio", virtioId: 4, mmioBase: 0x1000_1000, irq: 3 },
};

const caps = {
  regs: mmio({ size: 0x200 }),
  irq: irq(),
  ring: dma({ size: 5000 }),
  io: ports({ first: 0x1f0, last: 0x1f7, rights: "rw" }),
  svc: serve("demo"),
  other: client("rng"),
};

describe("SDK: defineDriver and startup", () => {
  it("exports the manifest as plain data and sends it as JSON with SYS_STARTUP", () => {
    const driver = defineDriver({ name: "demo", device: { virtio: VirtioDevice.Entropy }, caps, main: () => 7 });
    const manifest = {
      name: "demo",
      device: { virtio: 4 },
      caps: {
        regs: { kind: "mmio", size: 0x200 },
        irq: { kind: "irq" },
        ring: { kind: "dma", size: 5000 },
        io: { kind: "ports", first: 0x1f0, last: 0x1f7, rights: "rw" },
        svc: { kind: "serve", service: "demo" },
        other: { kind: "client", service: "rng" },
      },
    };
    assert.deepEqual(JSON.parse(JSON.stringify(driver.manifest)), manifest);
    const kernel = new FakeKernel({ startup });
    assert.equal(driver.run(kernel.gate), 7);
    const first = kernel.calls[0];
    assert.equal(first.num, Sys.STARTUP);
    assert.equal(first.a0, first.payload.length);
    assert.deepEqual(JSON.parse(utf8Decode(first.payload)), manifest);
  });

  it("gives main typed handles, allocating DMA at start", () => {
    const kernel = new FakeKernel({ startup });
    let seen: unknown[] = [];
    const driver = defineDriver({
      name: "demo",
      device: { virtio: 4 },
      caps,
      main(h) {
        // Compile-time check: each handle has the type its capability constructor promises.
        const typed: [MmioRegion, Irq, DmaBuffer, PortRange, Service, ServiceClient] = [
          h.regs,
          h.irq,
          h.ring,
          h.io,
          h.svc,
          h.other,
        ];
        seen = typed;
      },
    });
    assert.equal(driver.run(kernel.gate), 0, "main returning nothing exits 0");
    const [regs, line, ring, io, svc, other] = seen as [MmioRegion, Irq, DmaBuffer, PortRange, Service, ServiceClient];
    assert.ok(regs instanceof MmioRegion && regs.base === 0x1000_1000 && regs.slot === 3);
    assert.ok(line instanceof Irq && line.line === 3 && line.endpointSlot === 1);
    assert.ok(ring instanceof DmaBuffer);
    assert.equal(ring.size, 8192, "rounded up to pages");
    assert.equal(ring.physAt(16), ring.phys + 16);
    assert.ok(io instanceof PortRange && io.first === 0x1f0);
    assert.ok(svc instanceof Service && svc.name === "demo" && svc.endpointId === 42);
    assert.ok(other instanceof ServiceClient && other.service === "rng");
    const alloc = kernel.calls.find((c) => c.num === Sys.DMA_ALLOC);
    assert.equal(alloc?.a0, 5000);
  });

  it("rejects a grant whose kind differs from the manifest", () => {
    const bad: StartupInfo = { ...startup, handles: { ...startup.handles, irq: { kind: "dma", size: 1 } } };
    const driver = defineDriver({ name: "demo", caps, main: () => 0 });
    assert.throws(
      () => driver.run(new FakeKernel({ startup: bad }).gate),
      (e: unknown) =>
        e instanceof ProtocolError && /"irq" is irq in the manifest but the kernel granted dma/.test(e.message),
    );
  });

  it("lets exceptions from main propagate (the bootstrap reports them as faults)", () => {
    const driver = defineDriver({
      name: "demo",
      caps: {},
      main: () => {
        throw new Error("boom");
      },
    });
    assert.throws(() => driver.run(new FakeKernel({ startup: { ...startup, handles: {} } }).gate), /boom/);
  });
});

/** Run `body` as a driver's main over a scripted gate; returns the calls after startup. */
function withHandles(
  handler: (c: Call) => number | { result: number; response?: Uint8Array },
  body: (h: { regs: MmioRegion; io: PortRange }, sys: System) => void,
): Call[] {
  const gate = new ScriptedGate((c) =>
    c.num === Sys.STARTUP
      ? {
          result: 0,
          response: utf8Encode(
            JSON.stringify({ ...startup, handles: { regs: startup.handles.regs, io: startup.handles.io } }),
          ),
        }
      : handler(c),
  );
  defineDriver({ name: "demo", caps: { regs: caps.regs, io: caps.io }, main: body }).run(gate);
  return gate.calls.slice(1);
}

describe("SDK: MMIO and port handles", () => {
  it("encodes MMIO reads and writes of every width", () => {
    let read64 = false;
    const calls = withHandles(
      (c) => {
        if (c.num === Sys.MMIO_READ && c.a2 === 8) {
          read64 = true;
          const r = new Uint8Array(8);
          new DataView(r.buffer).setBigUint64(0, 0x1122334455667788n, true);
          return { result: 0, response: r };
        }
        return c.num === Sys.MMIO_READ ? 0xfedcba98 : 0;
      },
      ({ regs }) => {
        assert.equal(regs.read32(0x10), 0xfedcba98);
        assert.equal(regs.read64(0x100), 0x1122334455667788n);
        regs.write8(0x1, 0xab);
        regs.write16(0x2, 0xbeef);
        regs.write32(0x4, 0xdeadbeef);
        regs.write32(0x8, -1);
        regs.write64(0x108, 0x0102030405060708n);
        assert.throws(() => regs.write8(0, 256), RangeError);
      },
    );
    assert.ok(read64);
    assert.deepEqual(
      calls.slice(0, 2).map((c) => [c.num, c.a0, c.a1, c.a2]),
      [
        [Sys.MMIO_READ, 3, 0x10, 4],
        [Sys.MMIO_READ, 3, 0x100, 8],
      ],
    );
    const writes = calls.filter((c) => c.num === Sys.MMIO_WRITE).map((c) => [c.a1, c.a2, Array.from(c.payload)]);
    assert.deepEqual(writes, [
      [0x1, 1, [0xab]],
      [0x2, 2, [0xef, 0xbe]],
      [0x4, 4, [0xef, 0xbe, 0xad, 0xde]],
      [0x8, 4, [0xff, 0xff, 0xff, 0xff]],
      [0x108, 8, [8, 7, 6, 5, 4, 3, 2, 1]],
    ]);
  });

  it("encodes port I/O with absolute port numbers", () => {
    const calls = withHandles(
      (c) => (c.num === Sys.IN8 ? 0x50 : 0),
      ({ io }) => {
        assert.equal(io.in8(0x1f7), 0x50);
        io.out8(0x1f6, 0xe0);
        io.out32(0x1f0, 0xffffffff);
      },
    );
    assert.deepEqual(
      calls.map((c) => [c.num, c.a0, c.a1, c.a2 >>> 0]),
      [
        [Sys.IN8, 5, 0x1f7, 0],
        [Sys.OUT8, 5, 0x1f6, 0xe0],
        [Sys.OUT32, 5, 0x1f0, 0xffffffff],
      ],
    );
  });

  it("turns a negative result into a SyscallFailedError naming the syscall and errno", () => {
    withHandles(
      () => -Errno.E_BADF,
      ({ regs }) => {
        assert.throws(
          () => regs.read32(0),
          (e: unknown) =>
            e instanceof SyscallFailedError &&
            e.message ===
              "read32(0x0): SYS_MMIO_READ failed: E_BADF (bad capability slot): the capability slot is empty, or holds a capability of another type" &&
            e.errno === Errno.E_BADF &&
            e.syscall === "SYS_MMIO_READ",
        );
      },
    );
  });
});

describe("SDK: sys", () => {
  it("writes debug and console text, reads time, and exits", () => {
    const kernel = new FakeKernel({ startup: { ...startup, handles: {} } });
    const driver = defineDriver({
      name: "demo",
      caps: {},
      main(_h, sys) {
        assert.equal(sys.pid, 5);
        assert.equal(sys.device?.virtioId, 4);
        sys.debug("hello");
        sys.console("héllo ✓\n");
        assert.equal(sys.time(), 123_456_789);
        sys.console("x".repeat(20000));
        return 3;
      },
    });
    assert.equal(driver.run(kernel.gate), 3);
    assert.deepEqual(kernel.debug, ["hello"]);
    assert.equal(kernel.console, "héllo ✓\n" + "x".repeat(20000));
    const time = kernel.calls.find((c) => c.num === Sys.TIME);
    assert.equal(time?.a0, 2);
    for (const c of kernel.calls.filter((c) => c.num === Sys.CONSOLE_WRITE))
      assert.ok(c.a0 === c.payload.length && c.a0 <= 16356);
  });

  it("decodes ps, caps and inspect; an empty slot inspects as undefined", () => {
    const calls = withHandles(
      (c) => {
        if (c.num === Sys.PS) {
          const r = new Uint8Array(4 + 6 + 4);
          const v = new DataView(r.buffer);
          v.setUint32(0, 1, true);
          v.setUint32(4, 1, true);
          v.setUint16(8, 4, true);
          r.set(utf8Encode("init"), 10);
          return { result: 0, response: r };
        }
        if (c.num === Sys.CAP_INSPECT) return -Errno.E_BADF;
        if (c.num === Sys.CAP_LIST) return { result: 0, response: new Uint8Array(4) };
        return 0;
      },
      (_h, sys) => {
        assert.deepEqual(sys.ps(), [{ pid: 1, name: "init" }]);
        assert.deepEqual(sys.caps(), []);
        assert.equal(sys.inspect(99), undefined);
      },
    );
    assert.deepEqual(
      calls.map((c) => c.num),
      [Sys.PS, Sys.CAP_LIST, Sys.CAP_INSPECT],
    );
  });

  it("exit() does not return", () => {
    const gate = new ScriptedGate((c) =>
      c.num === Sys.STARTUP ? { result: 0, response: utf8Encode(JSON.stringify({ ...startup, handles: {} })) } : 0,
    );
    const driver = defineDriver({
      name: "demo",
      caps: {},
      main(_h, sys) {
        sys.exit(4);
      },
    });
    assert.throws(() => driver.run(gate), ProtocolError);
    assert.deepEqual([gate.calls[1].num, gate.calls[1].a0], [Sys.EXIT, 4]);
  });
});
