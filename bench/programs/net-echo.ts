// A client of the "net" service (docs/net-protocol.md) for the network benchmark: `count` UDP echo
// round trips with the peer host (port 7), one at a time — SEND a datagram, RECEIVE until the echo —
// each checked for its sequence number, so a fast but wrong path cannot pass. The datagram goes to
// the broadcast MAC (the peer takes broadcasts), so no ARP is needed. Marks on the console
// ("bench:go", "bench:done") let the host time the run; the virtual time per round trip is
// printed too ("bench:virtual-ns=…"), the same on every machine.
import { NetTag, Writer, client, defineDriver, type Driver } from "@zds/sdk";

export interface NetEchoParams {
  count: number;
  warmup: number;
  /** UDP payload bytes per datagram (≥ 4: the sequence number). */
  bytes: number;
}

const OURS = [10, 0, 2, 15];
const PEER = [10, 0, 2, 2];

export function netEcho(params: NetEchoParams): Driver {
  return defineDriver({
    name: "bench-net-echo",
    caps: { net: client("net") },
    main({ net }, sys) {
      const conn = net.connect();
      const mac = conn.call(NetTag.MAC).payload;
      const frame = datagram(mac, params.bytes);
      const view = new DataView(frame.buffer);
      const seqAt = frame.length - params.bytes;
      const wait = new Writer().u32(0).finish();
      const roundTrip = (seq: number): void => {
        view.setUint32(seqAt, seq);
        if (conn.call(NetTag.SEND, frame).tag !== NetTag.SENT) throw new Error(`SEND ${seq} refused`);
        const reply = conn.call(NetTag.RECEIVE, wait);
        if (reply.tag !== NetTag.FRAME || reply.payload.length !== frame.length)
          throw new Error(`echo ${seq}: tag 0x${reply.tag.toString(16)}, ${reply.payload.length} bytes`);
        const got = new DataView(reply.payload.buffer, reply.payload.byteOffset).getUint32(seqAt);
        if (got !== seq) throw new Error(`echo ${seq} came back as ${got}`);
      };
      for (let i = 0; i < params.warmup; i++) roundTrip(i);
      const t0 = sys.time();
      sys.console("bench:go\n");
      for (let i = 0; i < params.count; i++) roundTrip(params.warmup + i);
      sys.console("bench:done\n");
      sys.console(`bench:virtual-ns=${Math.round((sys.time() - t0) / params.count)}\n`);
      return 0;
    },
  });
}

/** Ethernet (to broadcast) + IPv4 + UDP 40000 → 7 without a UDP checksum, `bytes` of payload. */
function datagram(mac: Uint8Array, bytes: number): Uint8Array {
  const udpLength = 8 + bytes;
  const ip = [0x45, 0, (20 + udpLength) >> 8, (20 + udpLength) & 0xff, 0, 1, 0x40, 0, 64, 17, 0, 0, ...OURS, ...PEER];
  let sum = 0;
  for (let i = 0; i < ip.length; i += 2) sum += (ip[i] << 8) | ip[i + 1];
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  ip[10] = (~sum >> 8) & 0xff;
  ip[11] = ~sum & 0xff;
  const udp = [0x9c, 0x40, 0, 7, udpLength >> 8, udpLength & 0xff, 0, 0];
  return Uint8Array.from([
    0xff,
    0xff,
    0xff,
    0xff,
    0xff,
    0xff,
    ...mac,
    0x08,
    0x00,
    ...ip,
    ...udp,
    ...new Array<number>(bytes).fill(0x5a),
  ]);
}
