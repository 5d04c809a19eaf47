// ping: a client of the "net" service (docs/net-protocol.md). It finds the peer host's MAC address
// with ARP, then sends it COUNT ICMP echo requests, one at a time, and prints each reply with its
// round-trip time in virtual time — the same numbers in every run with the same seed.
//
// The driver moves whole Ethernet frames, so this program builds and parses them itself: an
// Ethernet header, ARP (RFC 826), IPv4 (RFC 791) and ICMP echo (RFC 792), with the Internet
// checksum (RFC 1071). It touches no hardware: its manifest asks only to call "net".

import { NetError, NetTag, Reader, Writer, client, defineDriver, type Connection, type System } from "@zds/sdk";

const OUR_IP = Uint8Array.of(10, 0, 2, 15);
const PEER_IP = Uint8Array.of(10, 0, 2, 2);
const COUNT = 4;
/** Bytes of data in each echo request, as ping's default: 56 + 8 ICMP header = 64. */
const DATA_BYTES = 56;
const ECHO_ID = 0x5a44; // "ZD"
/** Frames that are not the answer we wait for, before we give up on one. */
const MAX_UNRELATED = 16;

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_ARP = 0x0806;
const ARP_REQUEST = 1;
/** A RECEIVE without NOWAIT: the driver answers with the next frame. */
const RECEIVE_WAITING = new Writer().u32(0).finish();
const ARP_REPLY = 2;
const IP_ICMP = 1;
const ICMP_ECHO_REPLY = 0;
const ICMP_ECHO_REQUEST = 8;
const BROADCAST = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff);

export default defineDriver({
  name: "ping",
  caps: { net: client("net") },
  main({ net }, sys) {
    // connect() waits inside Init until the network driver has registered.
    const conn = net.connect();
    const mac = conn.call(NetTag.MAC).payload;
    const link = new Reader(conn.call(NetTag.LINK).payload);
    const up = link.u8() === 1;
    link.u8();
    const mtu = link.u16();
    if (!up) {
      sys.console("ping: the link is down\n");
      return 1;
    }
    sys.console(`ping: ${fmtMac(mac)} ${fmtIp(OUR_IP)}, mtu ${mtu}\n`);

    const peerMac = resolve(conn, mac);
    if (!peerMac) {
      sys.console(`ping: no ARP reply from ${fmtIp(PEER_IP)}\n`);
      return 1;
    }
    sys.console(`ping: ${fmtIp(PEER_IP)} is at ${fmtMac(peerMac)}\n`);
    sys.console(`PING ${fmtIp(PEER_IP)}: ${DATA_BYTES} data bytes\n`);

    const rtts: number[] = [];
    for (let seq = 1; seq <= COUNT; seq++) {
      const sent = sys.time();
      const refused = send(conn, ethernet(peerMac, mac, ETHERTYPE_IPV4, ipv4(OUR_IP, PEER_IP, IP_ICMP, seq, echoRequest(seq))));
      if (refused !== undefined) {
        sys.console(`icmp_seq=${seq} not sent: ${refused}\n`);
        continue;
      }
      const reply = awaitFrame(conn, (frame) => echoReplyTtl(frame, seq));
      if (reply === undefined) {
        sys.console(`no reply for icmp_seq=${seq}\n`);
        continue;
      }
      const rtt = sys.time() - sent;
      rtts.push(rtt);
      sys.console(`${8 + DATA_BYTES} bytes from ${fmtIp(PEER_IP)}: icmp_seq=${seq} ttl=${reply} time=${ms(rtt)} ms\n`);
    }
    printStatistics(sys, rtts);
    return rtts.length === COUNT ? 0 : 1;
  },
});

/** Ask who has PEER_IP; the MAC in the reply, or undefined. */
function resolve(conn: Connection, mac: Uint8Array): Uint8Array | undefined {
  const arp = new Packet().u16(1).u16(ETHERTYPE_IPV4).u8(6).u8(4).u16(ARP_REQUEST).raw(mac).raw(OUR_IP).raw(new Uint8Array(6)).raw(PEER_IP).finish();
  if (send(conn, ethernet(BROADCAST, mac, ETHERTYPE_ARP, arp)) !== undefined) return undefined;
  return awaitFrame(conn, (frame) => {
    if (etherType(frame) !== ETHERTYPE_ARP || frame.length < 14 + 28) return undefined;
    const p = frame.subarray(14);
    const isReply = ((p[6] << 8) | p[7]) === ARP_REPLY;
    return isReply && equal(p.subarray(14, 18), PEER_IP) ? p.slice(8, 14) : undefined;
  });
}

/** Send a frame; undefined once it is on the wire, else why the driver refused it (the link went
 *  down: the echo is lost, like a real ping's, and the next one may get through). */
function send(conn: Connection, frame: Uint8Array): string | undefined {
  const reply = conn.call(NetTag.SEND, frame);
  if (reply.tag === NetTag.SENT) return undefined;
  if (reply.tag === NetTag.ERROR && new Reader(reply.payload).u32() === NetError.LINK_DOWN) return "link down";
  throw new Error(`ping: the net service refused a frame (tag 0x${reply.tag.toString(16)})`);
}

/** Receive frames (waiting for each) until `match` recognises one; undefined after MAX_UNRELATED others. */
function awaitFrame<T>(conn: Connection, match: (frame: Uint8Array) => T | undefined): T | undefined {
  for (let seen = 0; seen < MAX_UNRELATED; seen++) {
    const reply = conn.call(NetTag.RECEIVE, RECEIVE_WAITING);
    if (reply.tag !== NetTag.FRAME) return undefined;
    const found = match(reply.payload);
    if (found !== undefined) return found;
  }
  return undefined;
}

function echoRequest(seq: number): Uint8Array {
  const data = Uint8Array.from({ length: DATA_BYTES }, (_, i) => (i + seq) & 0xff);
  const icmp = new Packet().u8(ICMP_ECHO_REQUEST).u8(0).u16(0).u16(ECHO_ID).u16(seq).raw(data).finish();
  setChecksum(icmp, 2, icmp);
  return icmp;
}

/** The reply's TTL if `frame` is the echo reply to our request `seq` (checksums checked). */
function echoReplyTtl(frame: Uint8Array, seq: number): number | undefined {
  if (etherType(frame) !== ETHERTYPE_IPV4) return undefined;
  const ip = frame.subarray(14);
  const headerBytes = (ip[0] & 0x0f) * 4;
  if (ip.length < 20 || ip[0] >> 4 !== 4 || ip[9] !== IP_ICMP || checksum(ip.subarray(0, headerBytes)) !== 0) return undefined;
  if (!equal(ip.subarray(12, 16), PEER_IP)) return undefined;
  const icmp = ip.subarray(headerBytes, (ip[2] << 8) | ip[3]);
  if (icmp.length < 8 || checksum(icmp) !== 0 || icmp[0] !== ICMP_ECHO_REPLY) return undefined;
  const id = (icmp[4] << 8) | icmp[5];
  const replySeq = (icmp[6] << 8) | icmp[7];
  return id === ECHO_ID && replySeq === seq ? ip[8] : undefined;
}

function ethernet(dst: Uint8Array, src: Uint8Array, type: number, payload: Uint8Array): Uint8Array {
  return new Packet().raw(dst).raw(src).u16(type).raw(payload).finish();
}

function ipv4(src: Uint8Array, dst: Uint8Array, protocol: number, id: number, payload: Uint8Array): Uint8Array {
  const header = new Packet().u8(0x45).u8(0).u16(20 + payload.length).u16(id).u16(0x4000).u8(64).u8(protocol).u16(0).raw(src).raw(dst).finish();
  setChecksum(header, 10, header);
  return new Packet().raw(header).raw(payload).finish();
}

/** Network byte order (big-endian), unlike the SDK's Writer for IPC payloads (little-endian). */
class Packet {
  private readonly parts: number[] = [];

  u8(value: number): this {
    this.parts.push(value & 0xff);
    return this;
  }

  u16(value: number): this {
    this.parts.push((value >> 8) & 0xff, value & 0xff);
    return this;
  }

  raw(bytes: Uint8Array): this {
    for (const b of bytes) this.parts.push(b);
    return this;
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

function etherType(frame: Uint8Array): number {
  return frame.length >= 14 ? (frame[12] << 8) | frame[13] : -1;
}

/** RFC 1071: ones'-complement of the ones'-complement sum of 16-bit big-endian words. 0 over a
 *  message that carries its checksum means the message is intact. */
function checksum(bytes: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 2) sum += (bytes[i] << 8) | (i + 1 < bytes.length ? bytes[i + 1] : 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

function setChecksum(target: Uint8Array, at: number, over: Uint8Array): void {
  const sum = checksum(over);
  target[at] = sum >> 8;
  target[at + 1] = sum & 0xff;
}

function printStatistics(sys: System, rtts: number[]): void {
  const lost = COUNT - rtts.length;
  sys.console(`--- ${fmtIp(PEER_IP)} ping statistics ---\n`);
  sys.console(`${COUNT} packets transmitted, ${rtts.length} received, ${Math.round((100 * lost) / COUNT)}% packet loss\n`);
  if (rtts.length > 0) {
    const avg = rtts.reduce((a, b) => a + b, 0) / rtts.length;
    sys.console(`rtt min/avg/max = ${ms(Math.min(...rtts))}/${ms(avg)}/${ms(Math.max(...rtts))} ms (virtual time)\n`);
  }
}

/** Nanoseconds as milliseconds with microsecond precision. */
function ms(ns: number): string {
  return (ns / 1e6).toFixed(3);
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function fmtMac(mac: Uint8Array): string {
  return Array.from(mac, (b) => b.toString(16).padStart(2, "0")).join(":");
}

function fmtIp(ip: Uint8Array): string {
  return Array.from(ip).join(".");
}
