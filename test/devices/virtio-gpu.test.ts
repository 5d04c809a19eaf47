// virtio-gpu (2D) at register and queue level, as a driver sees it: a machine with one virtio-gpu, the
// driver's DMA pages mapped in its IOMMU view, requests laid out in them by hand. One test per
// command, per error response and per kind of bad input; the frame (pixels, hash) a flush makes.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { createMachine, parseMachineDescription, type DeviceEvent, type DmaRegion, type Machine } from "../../devices";
import { GpuCmd, GpuFormat, GpuResp } from "../../devices/virtio/gpu-spec";
import { VirtioGpu, type DisplayFrame } from "../../devices/virtio/gpu";
import { DriverRing, NEXT, WRITE } from "./helpers/driver-ring";
import { MiniDriver, R, VERSION_1 } from "./helpers/mini-driver";

const BASE = 0x1000_5000;
const IRQ = 6;
const LATENCY = 10_000;
const REQ = 0x2000; // offsets in the driver's DMA region
const RESP = 0x3000;
const FB = 0x4000;
const W = 8;
const H = 4;

interface GpuRig {
  machine: Machine;
  driver: MiniDriver;
  ring: DriverRing;
  /** The cursorq's ring, in a page of its own. */
  cursorRing: DriverRing;
  region: DmaRegion;
  gpu: VirtioGpu;
  events: DeviceEvent[];
  frames: DisplayFrame[];
}

function rig(): GpuRig {
  const machine = createMachine(
    parseMachineDescription(
      {
        name: "gpu-test",
        dma: { base: "0x40000000", size: "0x100000" },
        devices: [{ name: "virtio-gpu0", type: "virtio-gpu", base: BASE, size: "0x1000", irq: IRQ }],
      },
      "test machine",
    ),
    { seed: 1 },
  );
  const events: DeviceEvent[] = [];
  machine.onDeviceEvent((e) => events.push(e));
  const region = machine.allocateDma(16 * 4096);
  const cursorPage = machine.allocateDma(4096);
  machine.setIommuView("virtio-gpu0", [region, cursorPage]);
  const ring = new DriverRing(region, 8);
  const cursorRing = new DriverRing(cursorPage, 4);
  const driver = new MiniDriver(machine, BASE);
  assert.ok(driver.negotiate(VERSION_1));
  driver.setupQueue(0, ring.layout);
  driver.setupQueue(1, cursorRing.layout);
  driver.driverOk();
  const frames: DisplayFrame[] = [];
  machine.onDisplayFrame((_d, f) => frames.push(f));
  return { machine, driver, ring, cursorRing, region, gpu: machine.backend("virtio-gpu0", VirtioGpu), events, frames };
}

const view = (r: GpuRig) => new DataView(r.region.buffer);

/** Lay out `fields` (u32s after the 24-byte header) at REQ, submit with a response buffer, complete. */
function submit(r: GpuRig, type: number, fields: number[] = [], respBytes = 24, extra: Uint8Array = new Uint8Array(0)) {
  const v = view(r);
  const len = 24 + fields.length * 4 + extra.length;
  new Uint8Array(r.region.buffer, REQ, len).fill(0);
  v.setUint32(REQ, type, true);
  fields.forEach((f, i) => v.setUint32(REQ + 24 + i * 4, f, true));
  new Uint8Array(r.region.buffer, REQ + 24 + fields.length * 4, extra.length).set(extra);
  r.ring.setDesc(0, r.region.phys + REQ, len, NEXT, 1);
  r.ring.setDesc(1, r.region.phys + RESP, respBytes, WRITE);
  const before = r.ring.usedIdx();
  r.ring.publish(0);
  r.driver.kick(0);
  r.machine.clock.advance(LATENCY);
  assert.equal(r.ring.usedIdx(), before + 1, "the request completed");
  return {
    type: v.getUint32(RESP, true),
    used: r.ring.usedElem(before).len,
    resp: new DataView(r.region.buffer, RESP),
  };
}

const errors = (r: GpuRig) => r.events.flatMap((e) => (e.kind === "driver-error" ? [e.message] : []));

/** Resource 1 (W×H, B8G8R8X8) backed by the region at FB, on scanout 0. */
function setUp(r: GpuRig): void {
  assert.equal(submit(r, GpuCmd.RESOURCE_CREATE_2D, [1, GpuFormat.B8G8R8X8_UNORM, W, H]).type, GpuResp.OK_NODATA);
  assert.equal(
    submit(r, GpuCmd.RESOURCE_ATTACH_BACKING, [1, 1, r.region.phys + FB, 0, W * H * 4, 0]).type,
    GpuResp.OK_NODATA,
  );
  assert.equal(submit(r, GpuCmd.SET_SCANOUT, [0, 0, W, H, 0, 1]).type, GpuResp.OK_NODATA);
}

/** Pixel (x, y) of the backing as the driver writes it: 0x00RRGGBB little-endian. */
function paint(r: GpuRig, color: (x: number, y: number) => number): void {
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) view(r).setUint32(FB + (y * W + x) * 4, color(x, y), true);
}

describe("virtio-gpu (2D) at register and queue level", () => {
  it("identifies as device 16 with a controlq and a cursorq, one scanout and a display event pending", () => {
    const r = rig();
    assert.equal(r.driver.read(R.DeviceId), 16);
    r.driver.write(R.QueueSel, 1);
    assert.ok(r.driver.read(R.QueueSizeMax) > 0, "cursorq");
    r.driver.write(R.QueueSel, 2);
    assert.equal(r.driver.read(R.QueueSizeMax), 0);
    assert.equal(r.driver.read(0x100 + 8), 1, "num_scanouts");
    assert.equal(r.driver.read(0x100 + 12), 0, "num_capsets");
    assert.equal(r.driver.read(0x100), 1, "events_read: VIRTIO_GPU_EVENT_DISPLAY");
    r.driver.write(0x100 + 4, 1);
    assert.equal(r.driver.read(0x100), 0, "events_clear cleared it");
  });

  it("GET_DISPLAY_INFO: scanout 0 is 640×480 and enabled, the others empty; fences are echoed", () => {
    const r = rig();
    view(r).setUint32(REQ + 4, 1, true);
    const res = submit(r, GpuCmd.GET_DISPLAY_INFO, [], 408);
    assert.equal(res.type, GpuResp.OK_DISPLAY_INFO);
    assert.equal(res.used, 408);
    assert.deepEqual(
      [0, 4, 8, 12, 16].map((o) => res.resp.getUint32(24 + o, true)),
      [0, 0, 640, 480, 1],
    );
    assert.equal(res.resp.getUint32(24 + 24 + 16, true), 0, "scanout 1 disabled");
  });

  it("a fenced request gets its flags and fence id back", () => {
    const r = rig();
    const v = view(r);
    // submit() clears the request first, so lay the header by hand around it.
    v.setUint32(REQ, GpuCmd.GET_DISPLAY_INFO, true);
    v.setUint32(REQ + 4, 1, true);
    v.setBigUint64(REQ + 8, 0x1234_5678_9abcn, true);
    r.ring.setDesc(0, r.region.phys + REQ, 24, NEXT, 1);
    r.ring.setDesc(1, r.region.phys + RESP, 408, WRITE);
    r.ring.publish(0);
    r.driver.kick(0);
    r.machine.clock.advance(LATENCY);
    assert.equal(v.getUint32(RESP + 4, true), 1);
    assert.equal(v.getBigUint64(RESP + 8, true), 0x1234_5678_9abcn);
  });

  it("completes after a virtual latency and raises its interrupt, never inside the kick", () => {
    const r = rig();
    const v = view(r);
    v.setUint32(REQ, GpuCmd.GET_DISPLAY_INFO, true);
    r.ring.setDesc(0, r.region.phys + REQ, 24, NEXT, 1);
    r.ring.setDesc(1, r.region.phys + RESP, 408, WRITE);
    r.ring.publish(0);
    r.driver.kick(0);
    assert.equal(r.ring.usedIdx(), 0);
    assert.equal(r.machine.irqLevel(IRQ), false);
    r.machine.clock.advance(LATENCY);
    assert.equal(r.machine.irqLevel(IRQ), true);
  });

  it("create, attach, scanout, transfer, flush: a frame with the pixels in RGBA and their SHA-256", () => {
    const r = rig();
    setUp(r);
    paint(r, (x, y) => ((x * 30) << 16) | ((y * 60) << 8) | 0x40);
    assert.equal(submit(r, GpuCmd.TRANSFER_TO_HOST_2D, [0, 0, W, H, 0, 0, 1, 0]).type, GpuResp.OK_NODATA);
    assert.equal(r.frames.length, 0, "a transfer alone shows nothing");
    assert.equal(submit(r, GpuCmd.RESOURCE_FLUSH, [0, 0, W, H, 1, 0]).type, GpuResp.OK_NODATA);
    assert.equal(r.frames.length, 1);
    const f = r.frames[0];
    assert.deepEqual([f.index, f.width, f.height], [0, W, H]);
    assert.deepEqual([...f.rgba.subarray((1 * W + 2) * 4, (1 * W + 2) * 4 + 4)], [60, 60, 0x40, 255]);
    const size = Buffer.alloc(8);
    size.writeUInt32LE(W, 0);
    size.writeUInt32LE(H, 4);
    assert.equal(f.hash, createHash("sha256").update(size).update(f.rgba).digest("hex"));
    assert.equal(r.gpu.lastFrame(), f);
  });

  it("TRANSFER_TO_HOST_2D copies only its rectangle, from the offset the driver gives", () => {
    const r = rig();
    setUp(r);
    paint(r, () => 0xff0000);
    submit(r, GpuCmd.TRANSFER_TO_HOST_2D, [0, 0, W, H, 0, 0, 1, 0]);
    paint(r, () => 0x00ff00);
    // Rectangle 2×2 at (3, 1): its first pixel sits at (1·W + 3)·4 in the backing.
    submit(r, GpuCmd.TRANSFER_TO_HOST_2D, [3, 1, 2, 2, (1 * W + 3) * 4, 0, 1, 0]);
    submit(r, GpuCmd.RESOURCE_FLUSH, [0, 0, W, H, 1, 0]);
    const px = (x: number, y: number) => [...r.frames[0].rgba.subarray((y * W + x) * 4, (y * W + x) * 4 + 3)];
    assert.deepEqual(px(3, 1), [0, 255, 0]);
    assert.deepEqual(px(4, 2), [0, 255, 0]);
    assert.deepEqual(px(2, 1), [255, 0, 0]);
    assert.deepEqual(px(5, 1), [255, 0, 0]);
    assert.deepEqual(px(3, 3), [255, 0, 0]);
  });

  it("a scanout rectangle smaller than the resource makes frames of that rectangle", () => {
    const r = rig();
    setUp(r);
    submit(r, GpuCmd.SET_SCANOUT, [2, 1, 4, 2, 0, 1]);
    paint(r, (x, y) => (x === 2 && y === 1 ? 0x0000ff : 0));
    submit(r, GpuCmd.TRANSFER_TO_HOST_2D, [0, 0, W, H, 0, 0, 1, 0]);
    submit(r, GpuCmd.RESOURCE_FLUSH, [0, 0, W, H, 1, 0]);
    assert.deepEqual([r.frames[0].width, r.frames[0].height], [4, 2]);
    assert.deepEqual([...r.frames[0].rgba.subarray(0, 4)], [0, 0, 255, 255]);
  });

  it("pixel formats: R8G8B8A8 keeps alpha, X8R8G8B8 is opaque", () => {
    const r = rig();
    submit(r, GpuCmd.RESOURCE_CREATE_2D, [2, GpuFormat.R8G8B8A8_UNORM, 1, 1]);
    submit(r, GpuCmd.RESOURCE_ATTACH_BACKING, [2, 1, r.region.phys + FB, 0, 4, 0]);
    submit(r, GpuCmd.SET_SCANOUT, [0, 0, 1, 1, 0, 2]);
    new Uint8Array(r.region.buffer, FB, 4).set([10, 20, 30, 40]);
    submit(r, GpuCmd.TRANSFER_TO_HOST_2D, [0, 0, 1, 1, 0, 0, 2, 0]);
    submit(r, GpuCmd.RESOURCE_FLUSH, [0, 0, 1, 1, 2, 0]);
    assert.deepEqual([...r.frames[0].rgba], [10, 20, 30, 40]);
    submit(r, GpuCmd.RESOURCE_CREATE_2D, [3, GpuFormat.X8R8G8B8_UNORM, 1, 1]);
    submit(r, GpuCmd.RESOURCE_ATTACH_BACKING, [3, 1, r.region.phys + FB, 0, 4, 0]);
    submit(r, GpuCmd.SET_SCANOUT, [0, 0, 1, 1, 0, 3]);
    submit(r, GpuCmd.TRANSFER_TO_HOST_2D, [0, 0, 1, 1, 0, 0, 3, 0]);
    submit(r, GpuCmd.RESOURCE_FLUSH, [0, 0, 1, 1, 3, 0]);
    assert.deepEqual([...r.frames[1].rgba], [20, 30, 40, 255]);
  });

  it("RESOURCE_UNREF frees the resource and takes it off the scanout; DETACH_BACKING leaves it without", () => {
    const r = rig();
    setUp(r);
    assert.equal(submit(r, GpuCmd.RESOURCE_DETACH_BACKING, [1, 0]).type, GpuResp.OK_NODATA);
    assert.equal(submit(r, GpuCmd.TRANSFER_TO_HOST_2D, [0, 0, W, H, 0, 0, 1, 0]).type, GpuResp.ERR_UNSPEC);
    assert.match(errors(r).at(-1) ?? "", /no backing/);
    assert.equal(submit(r, GpuCmd.RESOURCE_UNREF, [1, 0]).type, GpuResp.OK_NODATA);
    assert.deepEqual(r.gpu.snapshot().resources, []);
    assert.equal(r.gpu.snapshot().scanout, undefined);
    assert.equal(submit(r, GpuCmd.RESOURCE_FLUSH, [0, 0, W, H, 1, 0]).type, GpuResp.ERR_INVALID_RESOURCE_ID);
  });

  it("SET_SCANOUT with resource 0 turns the scanout off: flushes then show nothing", () => {
    const r = rig();
    setUp(r);
    submit(r, GpuCmd.SET_SCANOUT, [0, 0, 0, 0, 0, 0]);
    submit(r, GpuCmd.TRANSFER_TO_HOST_2D, [0, 0, W, H, 0, 0, 1, 0]);
    submit(r, GpuCmd.RESOURCE_FLUSH, [0, 0, W, H, 1, 0]);
    assert.equal(r.frames.length, 0);
  });

  it("the cursorq takes UPDATE_CURSOR and MOVE_CURSOR without a response", () => {
    const r = rig();
    const v = view(r);
    const cursor = (type: number, x: number, y: number, resource: number) => {
      new Uint8Array(r.region.buffer, REQ, 56).fill(0);
      v.setUint32(REQ, type, true);
      v.setUint32(REQ + 28, x, true);
      v.setUint32(REQ + 32, y, true);
      v.setUint32(REQ + 40, resource, true);
      const before = r.cursorRing.usedIdx();
      r.cursorRing.setDesc(0, r.region.phys + REQ, 56);
      r.cursorRing.publish(0);
      r.driver.kick(1);
      r.machine.clock.advance(LATENCY);
      assert.equal(r.cursorRing.usedIdx(), before + 1);
      assert.equal(r.cursorRing.usedElem(before).len, 0);
    };
    cursor(GpuCmd.UPDATE_CURSOR, 10, 20, 7);
    assert.deepEqual(r.gpu.snapshot().cursor, { resourceId: 7, x: 10, y: 20 });
    cursor(GpuCmd.MOVE_CURSOR, 30, 40, 0);
    assert.deepEqual(r.gpu.snapshot().cursor, { resourceId: 7, x: 30, y: 40 });
    cursor(GpuCmd.GET_DISPLAY_INFO, 0, 0, 0);
    assert.match(errors(r).at(-1) ?? "", /not a 56-byte UPDATE_CURSOR or MOVE_CURSOR/);
  });
});

describe("virtio-gpu: bad requests get QEMU's error responses, never a crash or memory outside the grant", () => {
  const cases: [string, (r: GpuRig) => { type: number }, number, RegExp][] = [
    ["an unknown command", (r) => submit(r, 0x0999), GpuResp.ERR_UNSPEC, /unknown command 0x999/],
    [
      "a request shorter than its structure",
      (r) => submit(r, GpuCmd.RESOURCE_CREATE_2D, [1]),
      GpuResp.ERR_UNSPEC,
      /structure is 40/,
    ],
    [
      "resource id 0",
      (r) => submit(r, GpuCmd.RESOURCE_CREATE_2D, [0, 2, 4, 4]),
      GpuResp.ERR_INVALID_RESOURCE_ID,
      /reserved/,
    ],
    [
      "a resource id in use",
      (r) => (submit(r, GpuCmd.RESOURCE_CREATE_2D, [5, 2, 4, 4]), submit(r, GpuCmd.RESOURCE_CREATE_2D, [5, 2, 4, 4])),
      GpuResp.ERR_INVALID_RESOURCE_ID,
      /exists already/,
    ],
    [
      "an unknown format",
      (r) => submit(r, GpuCmd.RESOURCE_CREATE_2D, [1, 99, 4, 4]),
      GpuResp.ERR_INVALID_PARAMETER,
      /format 99/,
    ],
    [
      "a zero-sized resource",
      (r) => submit(r, GpuCmd.RESOURCE_CREATE_2D, [1, 2, 0, 4]),
      GpuResp.ERR_INVALID_PARAMETER,
      /each side/,
    ],
    [
      "more host memory than the device has",
      (r) => submit(r, GpuCmd.RESOURCE_CREATE_2D, [1, 2, 8192, 8192]),
      GpuResp.ERR_OUT_OF_MEMORY,
      /needs 268435456 bytes/,
    ],
    [
      "an unknown resource",
      (r) => submit(r, GpuCmd.RESOURCE_FLUSH, [0, 0, 1, 1, 9, 0]),
      GpuResp.ERR_INVALID_RESOURCE_ID,
      /resource 9 does not exist/,
    ],
    [
      "a scanout that does not exist",
      (r) => (submit(r, GpuCmd.RESOURCE_CREATE_2D, [1, 2, 4, 4]), submit(r, GpuCmd.SET_SCANOUT, [0, 0, 4, 4, 3, 1])),
      GpuResp.ERR_INVALID_SCANOUT_ID,
      /scanout 3/,
    ],
    [
      "a scanout rectangle outside the resource",
      (r) => (submit(r, GpuCmd.RESOURCE_CREATE_2D, [1, 2, 4, 4]), submit(r, GpuCmd.SET_SCANOUT, [2, 0, 4, 4, 0, 1])),
      GpuResp.ERR_INVALID_PARAMETER,
      /not inside resource 1/,
    ],
    [
      "backing outside the driver's DMA grant",
      (r) => (
        submit(r, GpuCmd.RESOURCE_CREATE_2D, [1, 2, 4, 4]),
        submit(r, GpuCmd.RESOURCE_ATTACH_BACKING, [1, 1, 0x1000_0000, 0, 64, 0])
      ),
      GpuResp.ERR_UNSPEC,
      /outside the driver's DMA grant/,
    ],
    [
      "backing twice",
      (r) => (setUp(r), submit(r, GpuCmd.RESOURCE_ATTACH_BACKING, [1, 1, r.region.phys + FB, 0, 64, 0])),
      GpuResp.ERR_UNSPEC,
      /backing already/,
    ],
    [
      "more backing entries than the request holds",
      (r) => (
        submit(r, GpuCmd.RESOURCE_CREATE_2D, [1, 2, 4, 4]),
        submit(r, GpuCmd.RESOURCE_ATTACH_BACKING, [1, 3, r.region.phys + FB, 0, 64, 0])
      ),
      GpuResp.ERR_UNSPEC,
      /3 entries need 80 request bytes/,
    ],
    [
      "a transfer past the end of the backing",
      (r) => (setUp(r), submit(r, GpuCmd.TRANSFER_TO_HOST_2D, [0, 0, W, H, 64, 0, 1, 0])),
      GpuResp.ERR_INVALID_PARAMETER,
      /the backing has 128/,
    ],
    [
      "a transfer rectangle outside the resource",
      (r) => (setUp(r), submit(r, GpuCmd.TRANSFER_TO_HOST_2D, [6, 0, 4, 1, 0, 0, 1, 0])),
      GpuResp.ERR_INVALID_PARAMETER,
      /not inside resource 1/,
    ],
    [
      "a flush of an empty rectangle",
      (r) => (setUp(r), submit(r, GpuCmd.RESOURCE_FLUSH, [0, 0, 0, 0, 1, 0])),
      GpuResp.ERR_INVALID_PARAMETER,
      /empty/,
    ],
  ];
  for (const [what, run, code, message] of cases) {
    it(`${what} → ${Object.entries(GpuResp).find(([, v]) => v === code)?.[0]}`, () => {
      const r = rig();
      assert.equal(run(r).type, code);
      assert.match(errors(r).at(-1) ?? "", message);
      assert.equal(r.gpu.stats.errors, 1);
    });
  }

  it("backing taken out of the grant after ATTACH_BACKING: the transfer is refused, nothing is read", () => {
    const r = rig();
    const pixels = r.machine.allocateDma(4096);
    new Uint8Array(pixels.buffer).fill(0x7f);
    const cursorPage = { phys: r.cursorRing.layout.descAddr, size: 4096, buffer: r.cursorRing.region.buffer };
    r.machine.setIommuView("virtio-gpu0", [r.region, cursorPage, pixels]);
    submit(r, GpuCmd.RESOURCE_CREATE_2D, [1, GpuFormat.B8G8R8X8_UNORM, W, H]);
    assert.equal(
      submit(r, GpuCmd.RESOURCE_ATTACH_BACKING, [1, 1, pixels.phys, 0, W * H * 4, 0]).type,
      GpuResp.OK_NODATA,
    );
    submit(r, GpuCmd.SET_SCANOUT, [0, 0, W, H, 0, 1]);
    // The driver frees the buffer (or its lend is revoked): the device's view loses it.
    r.machine.setIommuView("virtio-gpu0", [r.region, cursorPage]);
    assert.equal(submit(r, GpuCmd.TRANSFER_TO_HOST_2D, [0, 0, W, H, 0, 0, 1, 0]).type, GpuResp.ERR_UNSPEC);
    assert.match(errors(r).at(-1) ?? "", /no longer in the driver's DMA grant/);
    submit(r, GpuCmd.RESOURCE_FLUSH, [0, 0, W, H, 1, 0]);
    assert.ok(
      r.frames[0].rgba.every((b, i) => (i % 4 === 3 ? b === 255 : b === 0)),
      "the resource kept its zeros",
    );
  });

  it("a response buffer too small for the answer completes with used len 0 and says so", () => {
    const r = rig();
    const res = submit(r, GpuCmd.GET_DISPLAY_INFO, [], 24);
    assert.equal(res.used, 0);
    assert.match(errors(r).at(-1) ?? "", /needs 408 response bytes, the chain offers 24/);
  });

  it("a request shorter than the control header completes with used len 0", () => {
    const r = rig();
    r.ring.setDesc(0, r.region.phys + REQ, 8, NEXT, 1);
    r.ring.setDesc(1, r.region.phys + RESP, 24, WRITE);
    r.ring.publish(0);
    r.driver.kick(0);
    r.machine.clock.advance(LATENCY);
    assert.equal(r.ring.usedElem(0).len, 0);
    assert.match(errors(r).at(-1) ?? "", /shorter than the 24-byte control header/);
  });

  it("reset drops resources and the scanout but keeps the last frame shown", () => {
    const r = rig();
    setUp(r);
    submit(r, GpuCmd.TRANSFER_TO_HOST_2D, [0, 0, W, H, 0, 0, 1, 0]);
    submit(r, GpuCmd.RESOURCE_FLUSH, [0, 0, W, H, 1, 0]);
    r.machine.resetDevice("virtio-gpu0");
    assert.deepEqual(r.gpu.snapshot().resources, []);
    assert.equal(r.gpu.snapshot().scanout, undefined);
    assert.equal(r.gpu.lastFrame(), r.frames[0]);
  });
});
