// The full stack: the virtio-net sample driver with ping and a protocol client on the virt machine
// (virtio-net0 at 0x1000_2000, IRQ 2), the peer host answering on the simulated wire, and the
// capture `zds run --pcap` writes.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  DEFAULT_PEER,
  EtherType,
  IcmpType,
  LINKTYPE_ETHERNET,
  parseArp,
  parseEthernet,
  parseIcmpEcho,
  parseIpv4,
  readPcap,
  VirtioNet,
  ArpOp,
} from "../../devices";
import { fixture, runPrograms, sample } from "../helpers/run-session";

const root = path.join(__dirname, "..", "..");
const zds = (...args: string[]) =>
  spawnSync(process.execPath, [path.join(root, "bin", "zds.js"), ...args], {
    cwd: root,
    encoding: "utf8",
    timeout: 60_000,
  });

describe("virtio-net driver + ping on the virt machine", () => {
  it("ping resolves the peer with ARP and gets 4 echo replies with round-trip times; both programs exit 0", async () => {
    const run = await runPrograms([sample("virtio-net"), sample("ping")]);
    assert.equal(run.summary.outcome, "completed");
    for (const p of run.summary.processes)
      assert.equal(p.exitCode, 0, `${p.name} ${p.state}: ${JSON.stringify(p.faults)} ${run.faults.join("\n")}`);
    assert.equal(run.summary.processes[0].device, "virtio-net0");
    assert.deepEqual(run.summary.violations, []);
    assert.deepEqual(run.summary.deviceEvents, []);
    assert.match(run.console, /^ping: 10\.0\.2\.2 is at 52:54:00:12:35:02$/m);
    const replies = [
      ...run.console.matchAll(/^64 bytes from 10\.0\.2\.2: icmp_seq=(\d) ttl=64 time=(\d+\.\d{3}) ms$/gm),
    ];
    assert.deepEqual(
      replies.map((m) => Number(m[1])),
      [1, 2, 3, 4],
    );
    // A round trip crosses the wire twice (25 µs + 8 ns/byte each way) and waits for the peer (10 µs +):
    // at least 60 µs of virtual time, and well under a millisecond.
    for (const m of replies) assert.ok(Number(m[2]) >= 0.06 && Number(m[2]) < 1, m[0]);
    assert.match(run.console, /^4 packets transmitted, 4 received, 0% packet loss$/m);
    const nic = run.machine.backend("virtio-net0", VirtioNet);
    assert.deepEqual([nic.stats.txFrames, nic.stats.rxFrames, nic.stats.rxNoBuffer], [5, 5, 0]);
    const peer = run.machine.network("virtio-net0").peer.stats;
    assert.deepEqual([peer.arpReplies, peer.echoReplies], [1, 4]);
  });

  it("the same seed gives the same replies, times and SysLog; another seed other times", async () => {
    const times = (console: string): string[] => [...console.matchAll(/time=(\S+) ms/g)].map((m) => m[1]);
    const [a, b, c] = [
      await runPrograms([sample("virtio-net"), sample("ping")], { seed: 5 }),
      await runPrograms([sample("virtio-net"), sample("ping")], { seed: 5 }),
      await runPrograms([sample("virtio-net"), sample("ping")], { seed: 6 }),
    ];
    assert.equal(a.console, b.console);
    assert.equal(a.summary.syslogHash, b.summary.syslogHash);
    assert.notDeepEqual(times(a.console), times(c.console));
  });

  it("the protocol refuses malformed requests, answers NO_FRAME with NOWAIT, and carries a UDP echo", async () => {
    const run = await runPrograms([sample("virtio-net"), fixture("net", "udp-echo.ts")]);
    assert.match(run.console, /^nowait=tag 0x6308$/m);
    assert.match(run.console, /^short-send=error 1$/m);
    assert.match(run.console, /^long-send=error 1$/m);
    assert.match(run.console, /^bad-receive=error 1$/m);
    assert.match(run.console, /^unknown=error 3$/m);
    assert.match(run.console, /^udp=hello, peer$/m);
    assert.equal(run.machine.network("virtio-net0").peer.stats.udpEchoes, 1);
    for (const p of run.summary.processes) assert.equal(p.exitCode, 0, `${p.name}: ${run.faults.join("\n")}`);
  });

  describe("zds run --pcap", () => {
    let dir: string;
    before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "zds-net-"))));
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("exits 0 with the replies counted in --json, and the capture holds every frame in order", () => {
      const file = path.join(dir, "ping.pcap");
      const r = zds("run", "drivers/virtio-net", "drivers/ping", "--pcap", file, "--json");
      assert.equal(r.status, 0, r.stderr);
      const summary = JSON.parse(r.stdout.trim().split("\n").pop()!) as {
        network: { device: string; txFrames: number; rxFrames: number; peer: { echoReplies: number } }[];
      };
      assert.deepEqual(
        summary.network.map((n) => [n.device, n.txFrames, n.rxFrames, n.peer.echoReplies]),
        [
          ["virtio-net0", 5, 5, 4],
          ["e1000-0", 0, 0, 0],
        ],
      );

      const capture = readPcap(fs.readFileSync(file));
      assert.equal(capture.linkType, LINKTYPE_ETHERNET);
      assert.equal(capture.packets.length, 10);
      const times = capture.packets.map((p) => p.atNs);
      assert.deepEqual(
        times,
        [...times].sort((x, y) => x - y),
        "timestamps in virtual time order",
      );
      const frames = capture.packets.map((p) => parseEthernet(p.data)!);
      assert.equal(frames[0].etherType, EtherType.ARP);
      assert.equal(parseArp(frames[0].payload)?.op, ArpOp.Request);
      assert.equal(parseArp(frames[1].payload)?.op, ArpOp.Reply);
      assert.deepEqual(frames[1].src, DEFAULT_PEER.mac);
      const echoes = frames.slice(2).map((f) => {
        const ip = parseIpv4(f.payload);
        assert.ok(!("problem" in ip));
        const echo = parseIcmpEcho(ip.payload);
        assert.ok(echo && !("problem" in echo));
        return [echo.type, echo.seq];
      });
      assert.deepEqual(
        echoes,
        [1, 2, 3, 4].flatMap((seq) => [
          [IcmpType.EchoRequest, seq],
          [IcmpType.EchoReply, seq],
        ]),
      );
      for (const p of capture.packets) assert.equal(p.originalLength, p.data.length);
    });

    it("a traced ping run replays identically (zds replay --verify)", () => {
      const trace = path.join(dir, "ping.zlog");
      assert.equal(zds("run", "drivers/virtio-net", "drivers/ping", "--seed", "3", "--trace", trace).status, 0);
      const r = zds("replay", trace, "--verify");
      assert.equal(r.status, 0, r.stdout + r.stderr);
      assert.match(r.stdout + r.stderr, /replay verified: \d+ SysLog events and \d+ commits match/);
    });

    it("tshark or tcpdump decodes the capture, if one is installed: 4 echo replies, no bad checksum", function () {
      const has = (tool: string): boolean => spawnSync("sh", ["-c", `command -v ${tool}`]).status === 0;
      const tool = ["tshark", "tcpdump"].find(has);
      if (tool === undefined) this.skip();
      const file = path.join(dir, "decoded.pcap");
      assert.equal(zds("run", "drivers/virtio-net", "drivers/ping", "--pcap", file).status, 0);
      const t =
        tool === "tshark"
          ? spawnSync("tshark", ["-r", file, "-V"], { encoding: "utf8" })
          : spawnSync("tcpdump", ["-r", file, "-nn", "-vv"], { encoding: "utf8" });
      assert.equal(t.status, 0, t.stderr);
      assert.equal(
        t.stdout.match(tool === "tshark" ? /Echo \(ping\) reply/g : /ICMP echo reply/g)?.length,
        4,
        t.stdout,
      );
      assert.doesNotMatch(t.stdout, /bad cksum|incorrect/i);
    });
  });
});
