// `zds run --pcap FILE` and the network part of the summary, as a user runs them.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { LINKTYPE_ETHERNET, readPcap } from "../../devices";

const root = path.join(__dirname, "..", "..");
const zds = (...args: string[]) =>
  spawnSync(process.execPath, [path.join(root, "bin", "zds.js"), ...args], {
    cwd: root,
    encoding: "utf8",
    timeout: 60_000,
  });

describe("zds run --pcap", () => {
  let dir: string;
  before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "zds-pcap-"))));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("writes a valid Ethernet capture even when nothing is sent, and reports the network device in --json", () => {
    const file = path.join(dir, "quiet.pcap");
    const r = zds("run", "drivers/virtio-rng", "drivers/rng-cat", "--pcap", file, "--json");
    assert.equal(r.status, 0, r.stderr);
    const capture = readPcap(fs.readFileSync(file));
    assert.equal(capture.linkType, LINKTYPE_ETHERNET);
    assert.equal(capture.nanosecond, true);
    assert.deepEqual(capture.packets, []);
    const summary = JSON.parse(r.stdout.trim().split("\n").pop()!) as {
      network: { device: string; mac: string; txFrames: number; peer: { ip: string } }[];
    };
    assert.deepEqual(
      summary.network.map((n) => n.device),
      ["virtio-net0", "e1000-0"],
    );
    assert.match(summary.network[0].mac, /^52:54:00(:[0-9a-f]{2}){3}$/);
    assert.equal(summary.network[0].peer.ip, "10.0.2.2");
  });

  it("names an unwritable capture file and a machine without a network device", () => {
    const r = zds("run", "drivers/rng-cat", "--pcap", path.join(dir, "no", "such", "dir", "x.pcap"));
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--pcap .*x\.pcap: cannot write the capture file/);
    const machine = path.join(dir, "quiet.json");
    fs.writeFileSync(
      machine,
      JSON.stringify({
        name: "quiet",
        dma: { base: "0x40000000", size: "0x100000" },
        devices: [{ name: "rng0", type: "virtio-rng", base: "0x10003000", size: "0x1000", irq: 3 }],
      }),
    );
    const r2 = zds("run", "drivers/rng-cat", "--machine", machine, "--pcap", path.join(dir, "y.pcap"));
    assert.equal(r2.status, 2);
    assert.match(r2.stderr, /machine quiet has no network device/);
  });
});
