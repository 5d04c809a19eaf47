// Messages, services, clients and the shared inbox, against the fake kernel.

import assert from "node:assert/strict";
import { Errno, Sys, Tag, irqTag, utf8Decode, type StartupInfo } from "../../kernel/abi";
import { Reader, ServiceError, Writer, client, defineDriver, irq, serve, type Connection } from "../../drivers/sdk";
import { FakeKernel, Idle, fakeInit, message, readU32, u32 } from "./sdk-fakes";

describe("SDK: Writer and Reader", () => {
  it("round-trips little-endian fields and length-prefixed strings", () => {
    const bytes = new Writer()
      .u8(1)
      .u16(0x0203)
      .u32(0x04050607)
      .u64(0x08090a0b0c0d0e0fn)
      .string("rng")
      .raw(Uint8Array.of(9))
      .finish();
    assert.deepEqual(Array.from(bytes.subarray(0, 7)), [1, 3, 2, 7, 6, 5, 4]);
    const r = new Reader(bytes);
    assert.deepEqual(
      [r.u8(), r.u16(), r.u32(), r.u64(), r.string(), Array.from(r.rest())],
      [1, 0x0203, 0x04050607, 0x08090a0b0c0d0e0fn, "rng", [9]],
    );
    assert.equal(r.remaining, 0);
  });

  it("refuses values that do not fit and reads past the end with a clear error", () => {
    assert.throws(() => new Writer().u8(256), RangeError);
    assert.throws(() => new Writer().u32(-1), RangeError);
    assert.throws(
      () => new Reader(new Uint8Array(2)).u32(),
      /message too short: wanted 4 bytes at offset 0, the message has 2/,
    );
  });

  it("grows past its first buffer", () => {
    const w = new Writer();
    for (let i = 0; i < 100; i++) w.u32(i);
    const r = new Reader(w.finish());
    for (let i = 0; i < 100; i++) assert.equal(r.u32(), i);
  });
});

const serverStartup: StartupInfo = {
  pid: 7,
  name: "server",
  seed: 0,
  handles: {
    svc: { kind: "serve", slot: 1, service: "echo", endpointId: 0x1_0000_0002 },
    line: { kind: "irq", slot: 4, line: 3, endpointSlot: 1 },
  },
};

describe("SDK: Service", () => {
  it("registers with Init, receives requests and replies to the caller's PID", () => {
    const registered: string[] = [];
    const kernel = new FakeKernel({ startup: serverStartup, onCall: fakeInit({}, registered) });
    kernel.post(1, message(9, 0x6100, u32(5)));
    kernel.post(1, message(10, 0x6100, u32(6)));
    const driver = defineDriver({
      name: "server",
      caps: { svc: serve("echo") },
      main({ svc }) {
        svc.ready();
        for (;;) {
          const req = svc.receive();
          assert.equal(req.reply(req.tag + 1, u32(readU32(req.payload) * 2)), true);
        }
      },
    });
    assert.throws(() => driver.run(kernel.gate), Idle);
    assert.deepEqual(registered, ["echo"]);
    const register = kernel.calls.find((c) => c.num === Sys.CALL);
    assert.deepEqual([register?.a0, register?.a1], [2, Tag.REGISTER_SERVICE]);
    const p = register?.payload ?? new Uint8Array(0);
    assert.equal(utf8Decode(p.subarray(1, 5)), "echo");
    assert.deepEqual(
      [p[0], readU32(p.subarray(5)), readU32(p.subarray(9))],
      [4, 2, 1],
      "endpoint id as u32 low, u32 high",
    );
    assert.deepEqual(
      kernel.replies.map((r) => [r.pid, r.tag, readU32(r.payload)]),
      [
        [9, 0x6101, 10],
        [10, 0x6101, 12],
      ],
    );
  });

  it("throws a ServiceError when Init refuses the registration", () => {
    const kernel = new FakeKernel({
      startup: serverStartup,
      onCall: () => message(1, Tag.SERVICE_READY, u32(Errno.E_EXIST)),
    });
    const driver = defineDriver({ name: "server", caps: { svc: serve("echo") }, main: ({ svc }) => svc.ready() });
    assert.throws(
      () => driver.run(kernel.gate),
      (e: unknown) => e instanceof ServiceError && e.message === 'registering service "echo" failed: E_EXIST (exists)',
    );
  });

  it("reply() returns false when the caller is gone", () => {
    const kernel = new FakeKernel({ startup: serverStartup });
    kernel.post(1, message(9, 1));
    const gate = kernel.gate;
    const driver = defineDriver({
      name: "server",
      caps: { svc: serve("echo") },
      main({ svc }) {
        const req = svc.receive();
        const original = gate.syscall.bind(gate);
        gate.syscall = (num, a0, a1, a2, payload) =>
          num === Sys.REPLY ? -Errno.E_NOENT : original(num, a0, a1, a2, payload);
        return req.reply(2) ? 1 : 0;
      },
    });
    assert.equal(driver.run(gate), 0);
  });

  it("shares an endpoint with an IRQ: each handle gets only its own messages", () => {
    const kernel = new FakeKernel({ startup: serverStartup });
    kernel.post(1, message(9, 0x6100));
    kernel.post(1, message(0, irqTag(3), Uint8Array.of(3)));
    kernel.post(1, message(11, 0x6100));
    const order: string[] = [];
    const driver = defineDriver({
      name: "server",
      caps: { svc: serve("echo"), line: irq() },
      main({ svc, line }) {
        line.wait(); // the request from 9 is kept for the service
        order.push("irq");
        order.push(`req ${svc.receive().sender}`);
        assert.equal(svc.poll()?.sender, 11);
        assert.equal(svc.poll(), undefined);
        assert.equal(line.poll(), false);
      },
    });
    driver.run(kernel.gate);
    assert.deepEqual(order, ["irq", "req 9"]);
  });
});

const clientStartup: StartupInfo = {
  pid: 8,
  name: "cli",
  seed: 0,
  handles: { rng: { kind: "client", service: "rng" } },
};

describe("SDK: ServiceClient", () => {
  it("looks the service up once and calls through the capability Init handed over", () => {
    const init = fakeInit({ rng: { endpointId: 77, slot: 12 } });
    const seen: number[] = [];
    const kernel = new FakeKernel({
      startup: clientStartup,
      onCall: (slot, tag, payload) => {
        seen.push(slot);
        return slot === 12 ? message(4, tag + 1, payload) : init(slot, tag, payload);
      },
    });
    const driver = defineDriver({
      name: "cli",
      caps: { rng: client("rng") },
      main({ rng }) {
        const conn: Connection = rng.connect();
        assert.equal(rng.connect(), conn);
        assert.deepEqual([conn.slot, conn.endpointId], [12, 77]);
        const reply = conn.call(0x6000, u32(32));
        assert.deepEqual([reply.tag, readU32(reply.payload)], [0x6001, 32]);
      },
    });
    driver.run(kernel.gate);
    assert.deepEqual(seen, [2, 12]);
    const lookup = kernel.calls.find((c) => c.num === Sys.CALL);
    assert.equal(lookup?.a1, Tag.LOOKUP_SERVICE);
    assert.equal(utf8Decode(lookup?.payload.subarray(1) ?? new Uint8Array(0)), "rng");
  });

  it("turns CALL_FAILED into a ServiceError naming the service", () => {
    const init = fakeInit({ rng: { endpointId: 77, slot: 12 } });
    const kernel = new FakeKernel({
      startup: clientStartup,
      onCall: (slot, tag, payload) =>
        slot === 12 ? message(0, Tag.CALL_FAILED, u32(Errno.E_NOENT)) : init(slot, tag, payload),
    });
    const driver = defineDriver({
      name: "cli",
      caps: { rng: client("rng") },
      main: ({ rng }) => void rng.connect().call(0x6000),
    });
    assert.throws(
      () => driver.run(kernel.gate),
      (e: unknown) =>
        e instanceof ServiceError &&
        e.service === "rng" &&
        e.message === 'calling service "rng" failed: E_NOENT (no such object)',
    );
  });

  it("reports a service Init does not know", () => {
    const kernel = new FakeKernel({ startup: clientStartup, onCall: fakeInit({}) });
    const driver = defineDriver({ name: "cli", caps: { rng: client("rng") }, main: ({ rng }) => void rng.connect() });
    assert.throws(
      () => driver.run(kernel.gate),
      (e: unknown) => e instanceof ServiceError && /looking up service "rng" failed: E_NOENT/.test(e.message),
    );
  });
});
