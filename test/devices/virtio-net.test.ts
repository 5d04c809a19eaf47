// virtio-net device duties (virtio-reference §7), at register level through a mini driver: identity
// and config (MAC, STATUS, MTU), transmit through the 12-byte header onto the simulated wire, the
// peer host's answers (ARP, ICMP echo, UDP echo) landing in receive buffers, mergeable receive
// buffers, and every bad case: oversize, runt and header-less transmits, wrong-direction chains,
// frames arriving with no buffer posted, receive buffers too small.
import assert from "node:assert/strict";
import {
  ArpOp,
  buildArp,
  buildEthernet,
  buildIcmpEcho,
  buildIpv4,
  buildUdp,
  BROADCAST_MAC,
  createMachine,
  DEFAULT_PEER,
  EtherType,
  IcmpType,
  IpProtocol,
  parseArp,
  parseEthernet,
  parseIcmpEcho,
  parseIp,
  parseIpv4,
  parseMachineDescription,
  parseUdp,
  VirtioNet,
  type DeviceEvent,
} from "../../devices";
import { DriverRing, NEXT, WRITE } from "./helpers/driver-ring";
import { BIT, EVENT_IDX, MiniDriver, NEEDS_RESET, R, VERSION_1 } from "./helpers/mini-driver";

const BASE = 0x1000_2000;
const IRQ = 2;
const CONFIG = 0x100;
const HDR = 12;
const MAC_F = BIT(5);
const STATUS_F = BIT(16);
const MTU_F = BIT(3);
const MRG_RXBUF = BIT(15);
const GUEST_IP = parseIp("10.0.2.15");

function rig(seed = 1) {
  const machine = createMachine(
    parseMachineDescription(
      {
        name: "t",
        dma: { base: "0x40000000", size: "0x100000" },
        devices: [{ name: "net0", type: "virtio-net", base: BASE, size: "0x1000", irq: IRQ }],
      },
      "test",
    ),
    { seed },
  );
  const events: DeviceEvent[] = [];
  machine.onDeviceEvent((e) => events.push(e));
  const wire: { frame: Uint8Array; direction: string; at: number }[] = [];
  machine.onNetworkFrame((_d, frame, direction, at) => wire.push({ frame, direction, at }));
  const rxRegion = machine.allocateDma(16384);
  const txRegion = machine.allocateDma(16384);
  machine.setIommuView("net0", [rxRegion, txRegion]);
  const rx = new DriverRing(rxRegion, 8);
  const tx = new DriverRing(txRegion, 8);
  const driver = new MiniDriver(machine, BASE);
  const device = machine.backend("net0", VirtioNet);
  return { machine, events, wire, rx, tx, driver, device, network: machine.network("net0") };
}
type Rig = ReturnType<typeof rig>;

function start(r: Rig, features = VERSION_1 | MAC_F | STATUS_F): void {
  assert.ok(r.driver.negotiate(features));
  r.driver.setupQueue(0, r.rx.layout);
  r.driver.setupQueue(1, r.tx.layout);
  r.driver.driverOk();
}

/** Post receive chains of the given sizes, one descriptor each, 2 KiB apart. */
function postRx(r: Rig, sizes: number[], firstHead = 0): void {
  sizes.forEach((len, i) => r.rx.setDesc(firstHead + i, r.rx.layout.dataAddr + 2048 * i, len, WRITE));
  r.rx.publish(...sizes.map((_, i) => firstHead + i));
  r.driver.kick(0);
}

/** Transmit header + frame as one readable descriptor (or two: header, frame). */
function send(r: Rig, frame: Uint8Array, options: { head?: number; split?: boolean; header?: Uint8Array } = {}): void {
  const head = options.head ?? 0;
  const header = options.header ?? new Uint8Array(HDR);
  const at = r.tx.layout.dataAddr;
  const mem = new Uint8Array(r.tx.region.buffer);
  const off = at - r.tx.region.phys;
  if (options.split) {
    mem.set(header, off);
    mem.set(frame, off + 64);
    r.tx.setDesc(head, at, header.length, NEXT, head + 1);
    r.tx.setDesc(head + 1, at + 64, frame.length);
  } else {
    mem.set(header, off);
    mem.set(frame, off + header.length);
    r.tx.setDesc(head, at, header.length + frame.length);
  }
  r.tx.publish(head);
  r.driver.kick(1);
}

function arpRequest(r: Rig): Uint8Array {
  const arp = buildArp({
    op: ArpOp.Request,
    senderMac: r.device.mac,
    senderIp: GUEST_IP,
    targetMac: new Uint8Array(6),
    targetIp: DEFAULT_PEER.ip,
  });
  return buildEthernet(BROADCAST_MAC, r.device.mac, EtherType.ARP, arp);
}

function echoRequest(r: Rig, seq: number, data = new TextEncoder().encode("zero driver studio ping")): Uint8Array {
  const icmp = buildIcmpEcho({ type: IcmpType.EchoRequest, id: 0x5a44, seq, data });
  return buildEthernet(
    DEFAULT_PEER.mac,
    r.device.mac,
    EtherType.IPv4,
    buildIpv4(GUEST_IP, DEFAULT_PEER.ip, IpProtocol.ICMP, icmp, seq),
  );
}

/** Run the clock until nothing is scheduled. */
function settle(r: Rig): void {
  for (let due = r.machine.clock.nextEventAt(); due !== undefined; due = r.machine.clock.nextEventAt())
    r.machine.clock.advance(due - r.machine.clock.now());
}

/** The frame in receive buffer `i` (header stripped) and the header's num_buffers. */
function received(
  r: Rig,
  slot: number,
  bufferIndex = slot,
): { frame: Uint8Array; numBuffers: number; header: Uint8Array } {
  const used = r.rx.usedElem(slot);
  const bytes = r.rx.bytes(r.rx.layout.dataAddr + 2048 * bufferIndex, used.len);
  return { header: bytes.subarray(0, HDR), numBuffers: bytes[10] | (bytes[11] << 8), frame: bytes.subarray(HDR) };
}

describe("virtio-net (register level)", () => {
  it("is device 1 with receiveq1 and transmitq1 only, and offers MAC, STATUS, MTU, MRG_RXBUF, ring features", () => {
    const r = rig();
    assert.equal(r.driver.read(R.DeviceId), 1);
    assert.equal(r.driver.deviceFeatures(), VERSION_1 | MAC_F | STATUS_F | MTU_F | MRG_RXBUF | EVENT_IDX | BIT(28));
    for (const q of [0, 1]) {
      r.driver.write(R.QueueSel, q);
      assert.ok(r.driver.read(R.QueueSizeMax) > 0);
    }
    r.driver.write(R.QueueSel, 2);
    assert.equal(r.driver.read(R.QueueSizeMax), 0, "no control queue without CTRL_VQ");
  });

  it("config: a locally administered MAC fixed by the seed, LINK_UP, mtu 1500; the driver cannot write it", () => {
    const r = rig(7);
    const mac = Array.from({ length: 6 }, (_, i) => Number(r.machine.mmioRead(BASE + CONFIG + i, 1)));
    assert.deepEqual(mac, Array.from(r.device.mac));
    assert.deepEqual(mac.slice(0, 3), [0x52, 0x54, 0x00]);
    assert.deepEqual(Array.from(rig(7).device.mac), mac, "same seed, same MAC");
    assert.notDeepEqual(Array.from(rig(8).device.mac), mac, "another seed, another MAC");
    assert.equal(r.machine.mmioRead(BASE + CONFIG + 6, 2), 1);
    assert.equal(r.machine.mmioRead(BASE + CONFIG + 10, 2), 1500);
    start(r);
    r.machine.mmioWrite(BASE + CONFIG, 1, 0x02);
    assert.equal(r.machine.mmioRead(BASE + CONFIG, 1), 0x52);
    assert.match((r.events.at(-1) as { message: string }).message, /read-only/);
  });

  it("transmits an ARP request onto the wire after a latency, used len 0; the peer's reply lands in a receive buffer", () => {
    const r = rig();
    start(r);
    postRx(r, [1526, 1526]);
    send(r, arpRequest(r), { split: true, head: 3 });
    assert.equal(r.wire.length, 0, "not on the wire before the transmit latency");
    settle(r);
    assert.deepEqual(r.tx.usedElem(0), { id: 3, len: 0 });
    assert.deepEqual(
      r.wire.map((w) => w.direction),
      ["out", "in"],
    );
    assert.equal(r.rx.usedIdx(), 1);
    const { frame, numBuffers, header } = received(r, 0);
    assert.equal(numBuffers, 1);
    assert.deepEqual(Array.from(header.subarray(0, 10)), new Array(10).fill(0), "no offloads: flags and gso fields 0");
    const eth = parseEthernet(frame);
    assert.ok(eth);
    assert.deepEqual(eth.src, DEFAULT_PEER.mac);
    assert.deepEqual(eth.dst, r.device.mac);
    const arp = parseArp(eth.payload);
    assert.equal(arp?.op, ArpOp.Reply);
    assert.deepEqual(arp?.senderIp, DEFAULT_PEER.ip);
    assert.deepEqual(arp?.senderMac, DEFAULT_PEER.mac);
    assert.equal(r.machine.irqLevel(IRQ), true);
    assert.deepEqual(r.device.stats, { ...r.device.stats, txFrames: 1, rxFrames: 1, rxBuffers: 1 });
    assert.equal(r.network.peer.stats.arpReplies, 1);
    assert.deepEqual(r.events, []);
  });

  it("the peer answers ICMP echo with the same id, sequence and data, and echoes UDP on port 7", () => {
    const r = rig();
    start(r);
    postRx(r, [1526, 1526]);
    send(r, echoRequest(r, 9));
    settle(r);
    const reply = parseIpv4(parseEthernet(received(r, 0).frame)?.payload ?? new Uint8Array());
    assert.ok(!("problem" in reply));
    assert.equal(reply.protocol, IpProtocol.ICMP);
    const echo = parseIcmpEcho(reply.payload);
    assert.ok(echo && !("problem" in echo));
    assert.deepEqual(
      { type: echo.type, id: echo.id, seq: echo.seq, data: new TextDecoder().decode(echo.data) },
      { type: IcmpType.EchoReply, id: 0x5a44, seq: 9, data: "zero driver studio ping" },
    );

    const udp = buildUdp(GUEST_IP, DEFAULT_PEER.ip, {
      srcPort: 40000,
      dstPort: 7,
      data: new TextEncoder().encode("echo me"),
    });
    send(
      r,
      buildEthernet(
        DEFAULT_PEER.mac,
        r.device.mac,
        EtherType.IPv4,
        buildIpv4(GUEST_IP, DEFAULT_PEER.ip, IpProtocol.UDP, udp, 1),
      ),
      { head: 1 },
    );
    settle(r);
    const ip = parseIpv4(parseEthernet(received(r, 1).frame)?.payload ?? new Uint8Array());
    assert.ok(!("problem" in ip));
    const back = parseUdp(ip.payload, ip.src, ip.dst);
    assert.ok(!("problem" in back));
    assert.deepEqual(
      { src: back.srcPort, dst: back.dstPort, data: new TextDecoder().decode(back.data) },
      { src: 7, dst: 40000, data: "echo me" },
    );
    assert.deepEqual([r.network.peer.stats.echoReplies, r.network.peer.stats.udpEchoes], [1, 1]);
  });

  it("round trips are deterministic: the same seed gives the same wire timestamps, another seed other jitter", () => {
    const times = (seed: number): number[] => {
      const r = rig(seed);
      start(r);
      postRx(r, [1526, 1526, 1526]);
      for (const seq of [1, 2, 3]) {
        send(r, echoRequest(r, seq), { head: seq });
        settle(r);
      }
      return r.wire.map((w) => w.at);
    };
    assert.deepEqual(times(3), times(3));
    assert.notDeepEqual(times(3), times(4));
  });

  it("with MRG_RXBUF a frame spans several buffers: num_buffers counts them, all but the last are full", () => {
    const r = rig();
    start(r, VERSION_1 | MAC_F | MRG_RXBUF);
    postRx(r, [256, 256, 256, 256]);
    const big = echoRequest(r, 1, new Uint8Array(600).fill(0xab));
    r.network.inject(big);
    settle(r);
    // 12 + 642 bytes = 654: 256 + 256 + 142.
    assert.equal(r.rx.usedIdx(), 3);
    assert.deepEqual(
      [0, 1, 2].map((i) => r.rx.usedElem(i).len),
      [256, 256, HDR + big.length - 512],
    );
    const first = r.rx.bytes(r.rx.layout.dataAddr, 256);
    assert.equal(first[10], 3);
    const joined = new Uint8Array([
      ...first.subarray(HDR),
      ...r.rx.bytes(r.rx.layout.dataAddr + 2048, 256),
      ...r.rx.bytes(r.rx.layout.dataAddr + 4096, HDR + big.length - 512),
    ]);
    assert.deepEqual(joined, big);
    assert.equal(r.device.stats.rxBuffers, 3);
    // A frame that needs two buffers while one is left: dropped, the one buffer kept for the next.
    r.network.inject(big);
    settle(r);
    assert.equal(r.device.stats.rxNoBuffer, 1);
    assert.equal(r.rx.usedIdx(), 3);
    r.network.inject(arpRequest(r));
    settle(r);
    assert.deepEqual(r.rx.usedElem(3), { id: 3, len: HDR + 42 });
  });

  describe("bad input: handled, counted, shown", () => {
    it("a transmit frame larger than the MTU is dropped and completed; nothing reaches the wire", () => {
      const r = rig();
      start(r);
      send(r, new Uint8Array(1515));
      settle(r);
      assert.deepEqual(r.tx.usedElem(0), { id: 0, len: 0 });
      assert.equal(r.device.stats.txOversize, 1);
      assert.equal(r.device.stats.txFrames, 0);
      assert.equal(r.wire.length, 0);
      assert.equal(r.events.length, 1);
      assert.match(
        (r.events[0] as { message: string }).message,
        /1515-byte frame is larger than the MTU allows \(1514/,
      );
      // The device carries on: the next frame goes out.
      send(r, arpRequest(r), { head: 1 });
      settle(r);
      assert.equal(r.device.stats.txFrames, 1);
    });

    it("a transmit chain too short for the 12-byte header breaks the device (DEVICE_NEEDS_RESET), as a missing blk header does", () => {
      const r = rig();
      start(r);
      r.tx.setDesc(0, r.tx.layout.dataAddr, 8);
      r.tx.publish(0);
      r.driver.kick(1);
      assert.equal(r.device.stats.txNoHeader, 1);
      assert.ok(r.driver.read(R.Status) & NEEDS_RESET);
      const event = r.events.find((e) => e.kind === "needs-reset");
      assert.match(
        (event as { reason: string }).reason,
        /8 device-readable bytes, fewer than the 12-byte virtio_net_hdr/,
      );
      assert.equal(r.driver.read(R.InterruptStatus) & 2, 2, "config-change interrupt after DRIVER_OK");
    });

    it("a header with no frame (a runt) and a header asking for offloads not offered are dropped and counted", () => {
      const r = rig();
      start(r);
      send(r, new Uint8Array(0));
      const gso = new Uint8Array(HDR);
      gso[1] = 1; // GSO TCPv4
      send(r, arpRequest(r), { head: 1, header: gso });
      const csum = new Uint8Array(HDR);
      csum[0] = 1; // NEEDS_CSUM
      send(r, arpRequest(r), { head: 2, header: csum });
      settle(r);
      assert.deepEqual([r.device.stats.txRunt, r.device.stats.txBadHeader, r.device.stats.txFrames], [1, 2, 0]);
      assert.equal(r.tx.usedIdx(), 3);
      assert.equal(r.events.filter((e) => e.kind === "driver-error").length, 3);
    });

    it("a transmit chain with a device-writable buffer is dropped and completed, not fatal", () => {
      const r = rig();
      start(r);
      const frame = arpRequest(r);
      new Uint8Array(r.tx.region.buffer).set(frame, r.tx.layout.dataAddr - r.tx.region.phys + HDR);
      r.tx.setDesc(0, r.tx.layout.dataAddr, HDR + frame.length, NEXT, 1);
      r.tx.setDesc(1, r.tx.layout.dataAddr + 1024, 64, WRITE);
      r.tx.publish(0);
      r.driver.kick(1);
      settle(r);
      assert.equal(r.device.stats.txWrongDirection, 1);
      assert.deepEqual(r.tx.usedElem(0), { id: 0, len: 0 });
      assert.equal(r.driver.read(R.Status) & NEEDS_RESET, 0);
    });

    it("frames arriving with no receive buffer are dropped and counted, with one event per run of drops; nothing waits", () => {
      const r = rig();
      start(r);
      for (let i = 0; i < 5; i++) r.network.inject(arpRequest(r), i * 1000);
      settle(r);
      assert.equal(r.machine.clock.nextEventAt(), undefined, "no frame is kept waiting for a buffer");
      assert.equal(r.device.stats.rxNoBuffer, 5);
      assert.equal(r.events.length, 1);
      assert.match((r.events[0] as { message: string }).message, /no buffer for an incoming 42-byte frame/);
      postRx(r, [1526]);
      r.network.inject(arpRequest(r));
      settle(r);
      assert.equal(r.device.stats.rxFrames, 1);
      r.network.inject(arpRequest(r));
      settle(r);
      assert.equal(r.device.stats.rxNoBuffer, 6);
      assert.equal(r.events.length, 2, "a new run of drops is reported again");
    });

    it("frames before DRIVER_OK are dropped and counted as not ready", () => {
      const r = rig();
      r.network.inject(arpRequest(r));
      settle(r);
      assert.equal(r.device.stats.rxNotReady, 1);
      assert.deepEqual(r.events, []);
    });

    it("a receive buffer too small for the frame (no MRG_RXBUF): frame dropped, buffer completed with used len 0", () => {
      const r = rig();
      start(r);
      postRx(r, [40, 1526]);
      r.network.inject(echoRequest(r, 1));
      settle(r);
      assert.deepEqual(r.rx.usedElem(0), { id: 0, len: 0 });
      assert.equal(r.device.stats.rxTooSmall, 1);
      assert.match(
        (r.events[0] as { message: string }).message,
        /chain 0 holds 40 bytes, too small for a \d+-byte frame/,
      );
      // The next frame takes the next buffer.
      r.network.inject(arpRequest(r));
      settle(r);
      assert.deepEqual(r.rx.usedElem(1), { id: 1, len: HDR + 42 });
    });

    it("a device-readable receive chain is completed with used len 0 and skipped", () => {
      const r = rig();
      start(r);
      r.rx.setDesc(0, r.rx.layout.dataAddr, 1526, 0);
      r.rx.setDesc(1, r.rx.layout.dataAddr + 2048, 1526, WRITE);
      r.rx.publish(0, 1);
      r.driver.kick(0);
      r.network.inject(arpRequest(r));
      settle(r);
      assert.deepEqual(
        [r.rx.usedElem(0), r.rx.usedElem(1)],
        [
          { id: 0, len: 0 },
          { id: 1, len: HDR + 42 },
        ],
      );
      assert.equal(r.device.stats.rxBadBuffer, 1);
    });

    it("link down: config status clears with a config-change interrupt; frames are neither sent nor received", () => {
      const r = rig();
      start(r);
      postRx(r, [1526]);
      r.device.setLink(false);
      assert.equal(r.machine.mmioRead(BASE + CONFIG + 6, 2), 0);
      assert.equal(r.driver.read(R.InterruptStatus) & 2, 2);
      send(r, arpRequest(r));
      settle(r);
      assert.equal(r.device.stats.txLinkDown, 1);
      assert.equal(r.wire.length, 0);
      r.network.inject(arpRequest(r));
      settle(r);
      assert.deepEqual([r.device.stats.rxLinkDown, r.rx.usedIdx()], [1, 0]);
      r.device.setLink(true);
      assert.equal(r.machine.mmioRead(BASE + CONFIG + 6, 2), 1);
    });
  });
});
