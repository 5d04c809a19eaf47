// The full stack with the other network card: the e1000 sample driver serving "net" on the virt
// machine (e1000-0 at 0x1002_0000, IRQ 11), drivers/ping and a protocol client unchanged, the peer
// host on the e1000's own wire, the capture, and exact replay.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ArpOp, E1000, IcmpType, parseArp, parseEthernet, parseIcmpEcho, parseIpv4, readPcap } from "../../devices";
import { fixture, runPrograms, sample } from "../helpers/run-session";

const root = path.join(__dirname, "..", "..");
const zds = (...args: string[]) =>
  spawnSync(process.execPath, [path.join(root, "bin", "zds.js"), ...args], {
    cwd: root,
    encoding: "utf8",
    timeout: 60_000,
  });

describe("e1000 driver + ping on the virt machine", () => {
  it("ping, unchanged, resolves the peer and gets 4 echo replies through the e1000; both exit 0, no device event", async () => {
    const run = await runPrograms([sample("e1000"), sample("ping")]);
    assert.equal(run.summary.outcome, "completed");
    for (const p of run.summary.processes)
      assert.equal(p.exitCode, 0, `${p.name} ${p.state}: ${JSON.stringify(p.faults)} ${run.faults.join("\n")}`);
    assert.equal(run.summary.processes[0].device, "e1000-0");
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
    for (const m of replies) assert.ok(Number(m[2]) >= 0.06 && Number(m[2]) < 1, m[0]);
    const nic = run.machine.backend("e1000-0", E1000);
    assert.deepEqual(
      [nic.stats.txFrames, nic.stats.rxFrames, nic.stats.rxMissed, nic.stats.deviceErrors],
      [5, 5, 0, 0],
    );
    const peer = run.machine.network("e1000-0").peer.stats;
    assert.deepEqual([peer.arpReplies, peer.echoReplies], [1, 4]);
    assert.equal(run.machine.network("virtio-net0").peer.stats.framesSeen, 0, "virtio-net's wire stays quiet");
  });

  it("the same seed gives the same replies and SysLog", async () => {
    const [a, b] = [
      await runPrograms([sample("e1000"), sample("ping")], { seed: 5 }),
      await runPrograms([sample("e1000"), sample("ping")], { seed: 5 }),
    ];
    assert.equal(a.console, b.console);
    assert.equal(a.summary.syslogHash, b.summary.syslogHash);
  });

  it("the protocol refuses malformed requests, answers NO_FRAME with NOWAIT, and carries a UDP echo", async () => {
    const run = await runPrograms([sample("e1000"), fixture("net", "udp-echo.ts")]);
    assert.match(run.console, /^nowait=tag 0x6308$/m);
    assert.match(run.console, /^short-send=error 1$/m);
    assert.match(run.console, /^long-send=error 1$/m);
    assert.match(run.console, /^bad-receive=error 1$/m);
    assert.match(run.console, /^unknown=error 3$/m);
    assert.match(run.console, /^udp=hello, peer$/m);
    assert.equal(run.machine.network("e1000-0").peer.stats.udpEchoes, 1);
    for (const p of run.summary.processes) assert.equal(p.exitCode, 0, `${p.name}: ${run.faults.join("\n")}`);
  });

  describe("zds run drivers/e1000 drivers/ping", () => {
    let dir: string;
    before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "zds-e1000-"))));
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("--json exits 0 with the e1000's counters; --pcap holds ARP and the 4 echo pairs", () => {
      const file = path.join(dir, "ping.pcap");
      const r = zds("run", "drivers/e1000", "drivers/ping", "--pcap", file, "--json");
      assert.equal(r.status, 0, r.stderr);
      const summary = JSON.parse(r.stdout.trim().split("\n").pop()!) as {
        network: { device: string; type: string; txFrames: number; rxFrames: number; peer: { echoReplies: number } }[];
      };
      assert.deepEqual(
        summary.network.map((n) => [n.device, n.type, n.txFrames, n.rxFrames, n.peer.echoReplies]),
        [
          ["virtio-net0", "virtio-net", 0, 0, 0],
          ["e1000-0", "e1000", 5, 5, 4],
        ],
      );
      const frames = readPcap(fs.readFileSync(file)).packets.map((p) => parseEthernet(p.data)!);
      assert.equal(frames.length, 10);
      assert.equal(parseArp(frames[0].payload)?.op, ArpOp.Request);
      assert.equal(parseArp(frames[1].payload)?.op, ArpOp.Reply);
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
    });

    it("a traced run replays identically (zds replay --verify)", () => {
      const trace = path.join(dir, "ping.zlog");
      assert.equal(zds("run", "drivers/e1000", "drivers/ping", "--seed", "3", "--trace", trace).status, 0);
      const r = zds("replay", trace, "--verify");
      assert.equal(r.status, 0, r.stdout + r.stderr);
      assert.match(r.stdout + r.stderr, /replay verified: \d+ SysLog events and \d+ commits match/);
    });
  });
});
