// The simulated network's parts on their own: the peer host's answers and what it ignores (with
// the reason), the wire's timing and capture, and the pcap encoding read back, including the
// errors a damaged capture gives.
import assert from "node:assert/strict";
import {
  ArpOp,
  BROADCAST_MAC,
  buildArp,
  buildEthernet,
  buildIcmpEcho,
  buildIpv4,
  buildUdp,
  DEFAULT_PEER,
  EtherType,
  IcmpType,
  IpProtocol,
  parseArp,
  parseEthernet,
  parseIp,
  parseMac,
  pcapFileHeader,
  pcapRecord,
  PeerHost,
  readPcap,
  SimulatedNetwork,
  VirtualClock,
} from "../../../devices";

const GUEST_MAC = parseMac("52:54:00:aa:bb:cc");
const GUEST_IP = parseIp("10.0.2.15");

const ip = (protocol: number, payload: Uint8Array, dst = DEFAULT_PEER.ip): Uint8Array =>
  buildEthernet(DEFAULT_PEER.mac, GUEST_MAC, EtherType.IPv4, buildIpv4(GUEST_IP, dst, protocol, payload, 1));
const echo = (type: number = IcmpType.EchoRequest): Uint8Array =>
  buildIcmpEcho({ type, id: 1, seq: 1, data: new Uint8Array(8) });

describe("peer host", () => {
  it("answers an ARP request for its address to the asker's MAC, and only that", () => {
    const peer = new PeerHost(DEFAULT_PEER);
    const ask = (targetIp: Uint8Array) =>
      buildEthernet(
        BROADCAST_MAC,
        GUEST_MAC,
        EtherType.ARP,
        buildArp({
          op: ArpOp.Request,
          senderMac: GUEST_MAC,
          senderIp: GUEST_IP,
          targetMac: new Uint8Array(6),
          targetIp,
        }),
      );
    const [reply] = peer.receive(ask(DEFAULT_PEER.ip));
    const eth = parseEthernet(reply)!;
    assert.deepEqual([eth.dst, eth.src], [GUEST_MAC, DEFAULT_PEER.mac]);
    const arp = parseArp(eth.payload)!;
    assert.deepEqual(
      [arp.op, arp.senderIp, arp.targetIp, arp.targetMac],
      [ArpOp.Reply, DEFAULT_PEER.ip, GUEST_IP, GUEST_MAC],
    );
    assert.deepEqual(peer.receive(ask(parseIp("10.0.2.3"))), []);
    assert.equal(peer.lastIgnored, "an ARP request for another address");
  });

  it("ignores, counts and names everything it does not answer", () => {
    const peer = new PeerHost(DEFAULT_PEER);
    const badChecksum = ip(IpProtocol.ICMP, echo());
    badChecksum[14 + 10] ^= 0xff;
    const cases: [Uint8Array, RegExp][] = [
      [new Uint8Array(10), /runt frame of 10 bytes/],
      [buildEthernet(parseMac("02:00:00:00:00:01"), GUEST_MAC, EtherType.IPv4, new Uint8Array(20)), /another MAC/],
      [buildEthernet(DEFAULT_PEER.mac, GUEST_MAC, 0x86dd, new Uint8Array(40)), /EtherType 0x86dd/],
      [badChecksum, /bad header checksum/],
      [ip(IpProtocol.ICMP, echo(), parseIp("10.0.2.9")), /IPv4 packet for another address/],
      [ip(IpProtocol.ICMP, echo(IcmpType.EchoReply)), /ICMP echo reply/],
      [
        ip(IpProtocol.UDP, buildUdp(GUEST_IP, DEFAULT_PEER.ip, { srcPort: 1, dstPort: 9, data: new Uint8Array(1) })),
        /UDP datagram to port 9/,
      ],
      [ip(6, new Uint8Array(20)), /IP protocol 6/],
    ];
    for (const [frame, why] of cases) {
      assert.deepEqual(peer.receive(frame), []);
      assert.match(peer.lastIgnored ?? "", why);
    }
    assert.deepEqual(peer.stats, {
      framesSeen: cases.length,
      arpReplies: 0,
      echoReplies: 0,
      udpEchoes: 0,
      ignored: cases.length,
    });
  });
});

describe("simulated wire", () => {
  it("delivers the peer's answer after propagation, serialisation and processing time, and captures both directions", () => {
    const clock = new VirtualClock();
    const timing = { propagationNs: 1000, nsPerByte: 10, peerProcessingNs: 500, jitterNs: 0 };
    const net = new SimulatedNetwork({ clock, seed: 1n, timing });
    const arrived: number[] = [];
    const captured: string[] = [];
    net.connect(() => arrived.push(clock.now()));
    net.onFrame((frame, direction, at) => captured.push(`${direction}@${at}:${frame.length}`));
    net.send(ip(IpProtocol.ICMP, echo()));
    while (clock.nextEventAt() !== undefined) clock.advance(clock.nextEventAt()! - clock.now());
    const crossing = 1000 + 50 * 10; // 14 + 20 + 16 = 50 bytes
    assert.deepEqual(arrived, [crossing + 500 + crossing]);
    assert.deepEqual(captured, [`out@0:50`, `in@${arrived[0]}:50`]);
  });
});

describe("pcap", () => {
  it("reads back what it writes: nanosecond timestamps, lengths, bytes", () => {
    const frames = [Uint8Array.of(1, 2, 3), new Uint8Array(1514).fill(7)];
    const file = new Uint8Array([
      ...pcapFileHeader(),
      ...pcapRecord(frames[0], 1_500_000_123),
      ...pcapRecord(frames[1], 2_000_000_000),
    ]);
    const capture = readPcap(file);
    assert.deepEqual(
      { link: capture.linkType, ns: capture.nanosecond, snap: capture.snapLen },
      { link: 1, ns: true, snap: 65535 },
    );
    assert.deepEqual(
      capture.packets.map((p) => [p.atNs, p.originalLength, p.data]),
      [
        [1_500_000_123, 3, frames[0]],
        [2_000_000_000, 1514, frames[1]],
      ],
    );
  });

  it("names what is wrong with a damaged capture", () => {
    const good = new Uint8Array([...pcapFileHeader(), ...pcapRecord(new Uint8Array(60), 0)]);
    assert.throws(() => readPcap(good.subarray(0, 10)), /24-byte header; this one has 10 bytes/);
    const magic = good.slice();
    magic[0] = 0;
    assert.throws(() => readPcap(magic), /bad pcap magic/);
    assert.throws(() => readPcap(good.subarray(0, good.length - 1)), /record 1: 60 bytes announced, 59 present/);
    assert.throws(() => readPcap(good.subarray(0, 30)), /record 1: truncated header/);
  });
});
