// The host at the far end of the simulated wire: one MAC, one IPv4 address. It answers ARP
// requests for its address, ICMP echo requests to it, and echoes UDP datagrams sent to its echo
// port back to their sender. Everything else is ignored and counted. It keeps no ARP cache: every
// answer goes back to the Ethernet source of the frame that asked, which is all a single link needs.

import { ArpOp, buildArp, parseArp } from "./arp";
import { BROADCAST_MAC, buildEthernet, EtherType, parseEthernet, sameMac, type Mac } from "./ethernet";
import { buildIcmpEcho, IcmpType, parseIcmpEcho } from "./icmp";
import { buildIpv4, IpProtocol, parseIpv4, sameIp, type Ipv4Address } from "./ipv4";
import { buildUdp, parseUdp } from "./udp";

export interface PeerConfig {
  readonly mac: Mac;
  readonly ip: Ipv4Address;
  /** UDP datagrams to this port come back with source and destination swapped. */
  readonly udpEchoPort: number;
}

export interface PeerStats {
  framesSeen: number;
  arpReplies: number;
  echoReplies: number;
  udpEchoes: number;
  /** Frames not for the peer, of a protocol it does not speak, or malformed. */
  ignored: number;
}

export class PeerHost {
  readonly stats: PeerStats = { framesSeen: 0, arpReplies: 0, echoReplies: 0, udpEchoes: 0, ignored: 0 };
  /** Why the last ignored frame was ignored: for tests and for a curious driver author. */
  lastIgnored: string | undefined;
  private ipId = 0;

  constructor(readonly config: PeerConfig) {}

  /** Take one frame off the wire; the frames the peer sends in answer (none or one). */
  receive(frame: Uint8Array): Uint8Array[] {
    this.stats.framesSeen++;
    const answer = this.answer(frame);
    if (typeof answer === "string") {
      this.stats.ignored++;
      this.lastIgnored = answer;
      return [];
    }
    return [answer];
  }

  private answer(frame: Uint8Array): Uint8Array | string {
    const eth = parseEthernet(frame);
    if (eth === undefined) return `a runt frame of ${frame.length} bytes`;
    if (!sameMac(eth.dst, this.config.mac) && !sameMac(eth.dst, BROADCAST_MAC)) return "addressed to another MAC";
    if (eth.etherType === EtherType.ARP) return this.answerArp(eth.src, eth.payload);
    if (eth.etherType === EtherType.IPv4) return this.answerIp(eth.src, eth.payload);
    return `EtherType 0x${eth.etherType.toString(16).padStart(4, "0")}`;
  }

  private answerArp(from: Mac, payload: Uint8Array): Uint8Array | string {
    const arp = parseArp(payload);
    if (arp === undefined) return "an ARP packet not for Ethernet/IPv4";
    if (arp.op !== ArpOp.Request) return `ARP op ${arp.op}`;
    if (!sameIp(arp.targetIp, this.config.ip)) return "an ARP request for another address";
    this.stats.arpReplies++;
    const reply = buildArp({
      op: ArpOp.Reply,
      senderMac: this.config.mac,
      senderIp: this.config.ip,
      targetMac: arp.senderMac,
      targetIp: arp.senderIp,
    });
    return buildEthernet(from, this.config.mac, EtherType.ARP, reply);
  }

  private answerIp(from: Mac, payload: Uint8Array): Uint8Array | string {
    const ip = parseIpv4(payload);
    if ("problem" in ip) return `an IPv4 packet with ${ip.problem}`;
    if (!sameIp(ip.dst, this.config.ip)) return "an IPv4 packet for another address";
    if (ip.protocol === IpProtocol.ICMP) {
      const echo = parseIcmpEcho(ip.payload);
      if (echo === undefined) return "an ICMP message other than echo";
      if ("problem" in echo) return `an ICMP message with ${echo.problem}`;
      if (echo.type !== IcmpType.EchoRequest) return "an ICMP echo reply";
      this.stats.echoReplies++;
      const icmp = buildIcmpEcho({ type: IcmpType.EchoReply, id: echo.id, seq: echo.seq, data: echo.data });
      return this.sendIp(from, ip.src, IpProtocol.ICMP, icmp);
    }
    if (ip.protocol === IpProtocol.UDP) {
      const udp = parseUdp(ip.payload, ip.src, ip.dst);
      if ("problem" in udp) return `a UDP datagram with ${udp.problem}`;
      if (udp.dstPort !== this.config.udpEchoPort) return `a UDP datagram to port ${udp.dstPort}`;
      this.stats.udpEchoes++;
      const echoed = buildUdp(this.config.ip, ip.src, { srcPort: udp.dstPort, dstPort: udp.srcPort, data: udp.data });
      return this.sendIp(from, ip.src, IpProtocol.UDP, echoed);
    }
    return `IP protocol ${ip.protocol}`;
  }

  private sendIp(toMac: Mac, toIp: Ipv4Address, protocol: number, payload: Uint8Array): Uint8Array {
    const packet = buildIpv4(this.config.ip, toIp, protocol, payload, this.ipId++);
    return buildEthernet(toMac, this.config.mac, EtherType.IPv4, packet);
  }
}
