// Every virtio device under arbitrary ring contents (fast-check, fixed seeds): random descriptor
// tables, indirect tables, avail rings and indices written into the driver's DMA memory, then
// kicks. Whatever the driver wrote, the device never throws, the host buffers it allocates stay
// under its documented cap (hostBufferMeter), it reports no more used bytes than its cap, and it
// ends in a legal state: used.idx only moved by completions of published heads, or the device sits
// in DEVICE_NEEDS_RESET — and a reset brings it back to a clean status 0 either way.
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  BLK_BOUNCE_BYTES,
  CONSOLE_MAX_TX_CHAIN_BYTES,
  CowOverlay,
  GuestMemory,
  hostBufferMeter,
  InterruptLines,
  IommuView,
  MmioBus,
  RNG_MAX_REQUEST_BYTES,
  resetHostBufferMeter,
  VirtioBlk,
  VirtioConsole,
  VirtioMmioTransport,
  VirtioNet,
  VirtioRng,
  VirtualClock,
  ZeroDisk,
  type DeviceEvent,
  type VirtioBackend,
} from "../../devices";
import { BIT, EVENT_IDX, INDIRECT_DESC, MiniDriver, NEEDS_RESET, R, VERSION_1 } from "./helpers/mini-driver";

const REGION = 0x4000_0000;
const REGION_BYTES = 0x10000;
// Inside the region: the three ring areas, an indirect pool, then data.
const DESC = REGION;
const AVAIL = REGION + 0x1000;
const USED = REGION + 0x1400;
const POOL = REGION + 0x2000;
const POOL_ENTRIES = 64;
const DATA = REGION + 0x3000;

interface DeviceCase {
  readonly name: string;
  readonly make: () => VirtioBackend;
  readonly queues: readonly number[];
  readonly features: bigint;
  /** The largest single host buffer one request may cost. */
  readonly largest: number;
  /** The most bytes one used entry may report. */
  readonly maxUsedLen: number;
}

const NET_FRAME = 12 + 1500 + 14;
const devices: readonly DeviceCase[] = [
  {
    name: "virtio-rng",
    make: () => new VirtioRng({ machineSeed: 1n, deviceName: "rng0" }),
    queues: [0],
    features: VERSION_1 | INDIRECT_DESC | EVENT_IDX,
    largest: 0,
    maxUsedLen: RNG_MAX_REQUEST_BYTES,
  },
  {
    name: "virtio-blk",
    make: () =>
      new VirtioBlk({
        deviceName: "blk0",
        disk: new CowOverlay(new ZeroDisk(256, "disk"), { label: "disk" }),
        transferNsPerKiB: 0,
      }),
    queues: [0],
    features: VERSION_1 | INDIRECT_DESC | EVENT_IDX | BIT(9),
    largest: BLK_BOUNCE_BYTES,
    maxUsedLen: 4 * 1024 * 1024 + 1,
  },
  {
    name: "virtio-net",
    make: () =>
      new VirtioNet({ deviceName: "net0", mac: Uint8Array.of(2, 0, 0, 0, 0, 1), wire: { send: () => undefined } }),
    queues: [0, 1],
    features: VERSION_1 | INDIRECT_DESC | EVENT_IDX | BIT(5) | BIT(15),
    largest: NET_FRAME,
    maxUsedLen: NET_FRAME,
  },
  {
    name: "virtio-console",
    make: () => new VirtioConsole({ deviceName: "con0", output: () => undefined }),
    queues: [0, 1],
    features: VERSION_1,
    largest: CONSOLE_MAX_TX_CHAIN_BYTES,
    maxUsedLen: 4096,
  },
];

// Weighted towards what a driver could almost have meant, so runs get past the first ring error
// and into the devices; the rest is anything at all.
const address = fc.oneof(
  { arbitrary: fc.integer({ min: DATA, max: DATA + 0x1000 }), weight: 6 },
  { arbitrary: fc.integer({ min: DATA, max: REGION + REGION_BYTES }), weight: 2 },
  { arbitrary: fc.constantFrom(REGION, POOL, POOL + 16, DATA), weight: 2 },
  { arbitrary: fc.constant(0x9000_0000), weight: 1 },
  { arbitrary: fc.integer({ min: 0, max: 2 ** 53 - 1 }), weight: 1 },
);
const length = fc.oneof(
  { arbitrary: fc.integer({ min: 0, max: 64 }), weight: 3 },
  { arbitrary: fc.integer({ min: 0, max: 0x2000 }), weight: 3 },
  {
    arbitrary: fc.constantFrom(16, 512, 1024, REGION_BYTES, REGION_BYTES - 0x3000, POOL_ENTRIES * 16, 0xffff_ffff),
    weight: 2,
  },
);
const descriptor = fc.record({
  addr: address,
  len: length,
  flags: fc.oneof(
    { arbitrary: fc.constantFrom(0, 1, 2, 3, 4), weight: 8 },
    { arbitrary: fc.integer({ min: 0, max: 0xffff }), weight: 1 },
  ),
  next: fc.oneof(
    { arbitrary: fc.integer({ min: 0, max: 8 }), weight: 6 },
    { arbitrary: fc.integer({ min: 0, max: 0xffff }), weight: 1 },
  ),
});
const scenario = fc.record({
  sizeLog2: fc.integer({ min: 0, max: 5 }),
  table: fc.array(descriptor, { minLength: 32, maxLength: 32 }),
  pool: fc.array(descriptor, { minLength: POOL_ENTRIES, maxLength: POOL_ENTRIES }),
  ring: fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 32, maxLength: 32 }),
  availIdx: fc.integer({ min: 0, max: 0xffff }),
  /** Heads and avail.idx reduced into the queue's range (else taken as written). */
  tame: fc.boolean(),
  usedEvent: fc.integer({ min: 0, max: 0xffff }),
  /** Queue to kick, per kick (indices past the device's queues included). */
  kicks: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 4 }),
  /** Bytes typed into the console / frames arriving at the NIC, between kicks. */
  input: fc.array(fc.integer({ min: 0, max: 1600 }), { maxLength: 3 }),
  data: fc.uint8Array({ minLength: 64, maxLength: 64 }),
});
type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

function writeDescriptor(view: DataView, at: number, d: Scenario["table"][number]): void {
  view.setBigUint64(at, BigInt(d.addr), true);
  view.setUint32(at + 8, d.len, true);
  view.setUint16(at + 12, d.flags, true);
  view.setUint16(at + 14, d.next, true);
}

/** What one run ended in, so each test can check that its generator reached more than errors. */
type Outcome = "completed" | "needs-reset" | "idle";

function run(device: DeviceCase, s: Scenario): Outcome {
  const clock = new VirtualClock();
  const lines = new InterruptLines();
  const events: DeviceEvent[] = [];
  const backend = device.make();
  const transport = new VirtioMmioTransport({
    name: device.name,
    backend,
    irq: lines.line(1),
    clock,
    emit: (e) => events.push(e),
  });
  const region = new GuestMemory({ base: REGION, size: 0x10_0000 }).allocateDma(REGION_BYTES);
  transport.setIommuView(new IommuView([region]));
  const bus = new MmioBus();
  bus.map(device.name, 0, 0x1000, transport);
  const driver = new MiniDriver({ mmioRead: (a, w) => bus.read(a, w), mmioWrite: (a, w, v) => bus.write(a, w, v) }, 0);
  const size = 1 << s.sizeLog2;

  const view = new DataView(region.buffer);
  s.table.slice(0, size).forEach((d, i) => writeDescriptor(view, DESC - REGION + 16 * i, d));
  s.pool.forEach((d, i) => writeDescriptor(view, POOL - REGION + 16 * i, d));
  new Uint8Array(region.buffer).set(s.data, DATA - REGION);
  s.ring
    .slice(0, size)
    .forEach((head, i) => view.setUint16(AVAIL - REGION + 4 + 2 * i, s.tame ? head % size : head, true));
  view.setUint16(AVAIL - REGION + 4 + 2 * size, s.usedEvent, true);
  view.setUint16(AVAIL - REGION + 2, s.tame ? 1 + (s.availIdx % size) : s.availIdx, true);

  assert.ok(driver.negotiate(device.features), `${device.name} refused its own features`);
  // Every queue shares the one ring: a hostile driver may do that too.
  for (const q of device.queues)
    driver.setupQueue(q, { size, descAddr: DESC, availAddr: AVAIL, usedAddr: USED, dataAddr: DATA });
  driver.driverOk();

  const settle = (): void => {
    for (let due = clock.nextEventAt(); due !== undefined; due = clock.nextEventAt()) clock.advance(due - clock.now());
  };
  resetHostBufferMeter();
  // The device's own queues first, then the random kicks (wrong indices included).
  [...device.queues, ...s.kicks].forEach((queue, i) => {
    driver.kick(queue);
    const input = s.input[i];
    if (input !== undefined && backend instanceof VirtioConsole) backend.input(new Uint8Array(input).fill(0x61));
    if (input !== undefined && backend instanceof VirtioNet) backend.receive(new Uint8Array(input).fill(0xee));
    settle();
  });

  // Bounded work: no single host buffer above the device's cap, and at most one per descriptor
  // the ring can name (each queue's chains, each with the 1024-descriptor cap).
  assert.ok(
    hostBufferMeter.largest <= device.largest,
    `${device.name}: a ${hostBufferMeter.largest}-byte host buffer (cap ${device.largest})`,
  );
  assert.ok(
    hostBufferMeter.bytes <=
      (s.kicks.length + device.queues.length) * device.queues.length * size * Math.max(device.largest, 16) +
        s.input.length * NET_FRAME,
    `${device.name}: ${hostBufferMeter.bytes} host bytes`,
  );

  // A legal state: the used ring holds completions of published heads, each within the cap.
  const status = driver.read(R.Status);
  const usedIdx = view.getUint16(USED - REGION + 2, true);
  if ((status & NEEDS_RESET) === 0) {
    assert.ok(usedIdx <= (s.kicks.length + device.queues.length + s.input.length) * size, `used.idx ${usedIdx}`);
  } else {
    assert.ok(
      events.some((e) => e.kind === "needs-reset"),
      "DEVICE_NEEDS_RESET comes with its event",
    );
  }
  for (let i = 0; i < Math.min(usedIdx, size); i++) {
    const at = USED - REGION + 4 + 8 * i;
    assert.ok(view.getUint32(at, true) < size, "used id is a head index");
    assert.ok(
      view.getUint32(at + 4, true) <= device.maxUsedLen,
      `used len ${view.getUint32(at + 4, true)} above the cap ${device.maxUsedLen}`,
    );
  }
  driver.write(R.Status, 0);
  assert.equal(driver.read(R.Status), 0, "a reset always brings the device back");
  settle();
  return (status & NEEDS_RESET) !== 0 ? "needs-reset" : usedIdx > 0 ? "completed" : "idle";
}

function assertReached(outcomes: Map<Outcome, number>, wanted: readonly Outcome[]): void {
  for (const o of wanted) assert.ok((outcomes.get(o) ?? 0) > 0, `never ended ${o}: ${JSON.stringify([...outcomes])}`);
}

function tally(outcomes: Map<Outcome, number>, o: Outcome): void {
  outcomes.set(o, (outcomes.get(o) ?? 0) + 1);
}

describe("every virtio device under arbitrary rings (property)", () => {
  for (const [i, device] of devices.entries()) {
    it(`${device.name}: never throws, stays under its host-memory cap, ends in a legal state`, () => {
      const outcomes = new Map<Outcome, number>();
      fc.assert(
        fc.property(scenario, (s) => tally(outcomes, run(device, s))),
        { seed: 0x7a05 + i, numRuns: 400 },
      );
      assertReached(outcomes, ["completed", "needs-reset"]);
    });
  }
});

describe("a chain that aliases the driver's whole region from every descriptor (property)", () => {
  // The shape of the probe, randomised: every descriptor of the ring and of the indirect pool
  // points at the same large buffer, chained in random ways.
  const aliased = fc.record({
    sizeLog2: fc.integer({ min: 3, max: 5 }),
    write: fc.boolean(),
    /** The first buffer device-readable, the rest as `write` says: the shape of a blk request. */
    headerFirst: fc.boolean(),
    indirect: fc.boolean(),
    poolEntries: fc.integer({ min: 1, max: POOL_ENTRIES }),
    len: fc.constantFrom(REGION_BYTES - 0x3000, 0x8000, 4096, 513),
  });
  for (const [i, device] of devices.entries()) {
    it(`${device.name}: host buffers stay under the cap however often memory is aliased`, () => {
      const outcomes = new Map<Outcome, number>();
      fc.assert(
        fc.property(aliased, scenario, (a, base) => {
          const entry = (k: number, entries: number): Scenario["table"][number] => ({
            addr: DATA,
            len: a.len,
            flags: (a.write && !(a.headerFirst && k === 0) ? 2 : 0) | (k + 1 < entries ? 1 : 0),
            next: k + 1,
          });
          const size = 1 << a.sizeLog2;
          const table = a.indirect
            ? Array.from({ length: 32 }, () => ({ addr: POOL, len: 16 * a.poolEntries, flags: 4, next: 0 }))
            : Array.from({ length: 32 }, (_, k) => entry(k, size));
          const pool = Array.from({ length: POOL_ENTRIES }, (_, k) => entry(k, a.poolEntries));
          tally(
            outcomes,
            run(device, {
              ...base,
              sizeLog2: a.sizeLog2,
              table,
              pool,
              ring: Array.from({ length: 32 }, (_, k) => (a.indirect ? k % size : 0)),
              availIdx: a.indirect ? size : 1,
              tame: false,
            }),
          );
        }),
        { seed: 0x7b05 + i, numRuns: 60 },
      );
      assertReached(outcomes, ["completed"]);
    });
  }
});

describe("the virtio-mmio transport under arbitrary register access (property)", () => {
  // Any offset of the window, any width, any value, in any order: status bits, queue registers
  // written while live, kicks on any index, config writes. Never an exception, only values.
  const access = fc.record({
    write: fc.boolean(),
    offset: fc.oneof(fc.constantFrom(...Object.values(R)), fc.integer({ min: 0, max: 0xfff })),
    width: fc.constantFrom<1 | 2 | 4 | 8>(4, 4, 4, 1, 2, 8),
    value: fc.oneof(
      fc.integer({ min: 0, max: 0xff }),
      fc.integer({ min: 0, max: 0xffff_ffff }),
      fc.constantFrom(DESC, AVAIL, USED, 0),
    ),
  });
  for (const device of devices) {
    it(`${device.name}: never throws`, () => {
      fc.assert(
        fc.property(fc.array(access, { maxLength: 300, size: "max" }), (sequence) => {
          const clock = new VirtualClock();
          const transport = new VirtioMmioTransport({
            name: device.name,
            backend: device.make(),
            irq: new InterruptLines().line(1),
            clock,
            emit: () => undefined,
          });
          const region = new GuestMemory({ base: REGION, size: 0x10_0000 }).allocateDma(REGION_BYTES);
          transport.setIommuView(new IommuView([region]));
          const bus = new MmioBus();
          bus.map(device.name, 0, 0x1000, transport);
          for (const a of sequence) {
            if (a.write) bus.write(a.offset, a.width, a.width === 8 ? BigInt(a.value) : a.value);
            else bus.read(a.offset, a.width);
            if (a.offset === R.QueueNotify) clock.advance(1_000_000);
          }
        }),
        { seed: 0x3310, numRuns: 150 },
      );
    });
  }
});
