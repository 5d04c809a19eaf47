// Axiom traces: `zds run --trace` records, `zds replay --verify` re-executes and checks every hash.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { verifyChain, type Commit } from "../../kernel/axiom/commitlog";
import { readZlog } from "../../kernel/trace/zlog-reader";

const root = path.join(__dirname, "..", "..");
const zds = (...args: string[]) =>
  spawnSync(process.execPath, [path.join(root, "bin", "zds.js"), ...args], {
    cwd: root,
    encoding: "utf8",
    timeout: 60_000,
  });

describe("zlog traces and replay", () => {
  let dir: string;
  let client: string;
  let trace: string;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "zds-trace-"));
    client = path.join(dir, "rng-cat");
    fs.cpSync(path.join(root, "drivers", "rng-cat"), client, { recursive: true });
    trace = path.join(dir, "t.zlog");
    const r = zds("run", "drivers/virtio-rng", client, "--trace", trace, "--seed", "3");
    assert.equal(r.status, 0, r.stderr);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("records a versioned header, every syscall event, and a valid commit chain", () => {
    const z = readZlog(trace);
    assert.equal(z.header.zlog, 1);
    assert.equal(z.header.seed, 3);
    assert.deepEqual(
      z.header.programs.map((p) => p.name),
      ["virtio-rng", "rng-cat"],
    );
    assert.match(z.header.programs[0].sha256, /^[0-9a-f]{64}$/);
    assert.ok(z.end, "the trace is closed");
    assert.equal(z.syscalls.length, z.end!.events);
    assert.equal(z.commits.length, z.end!.commits);
    const commits: Commit[] = z.commits.map((c) => ({ seq: c.c, timestamp: c.t, id: c.id, prev: "", body: c.b }));
    commits.forEach((c, i) => (c.prev = i === 0 ? "0".repeat(64) : commits[i - 1].id));
    assert.deepEqual(verifyChain(commits), { ok: true });
  });

  it("replay --verify re-executes and says the hashes match", () => {
    const r = zds("replay", trace, "--verify");
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /replay verified: \d+ SysLog events and \d+ commits match; hashes match/);
  });

  it("reports the first divergence after one byte of a driver changed", () => {
    const file = path.join(client, "index.ts");
    const source = fs.readFileSync(file, "utf8");
    fs.writeFileSync(file, source.replace("const COUNT = 32;", "const COUNT = 33;"));
    try {
      const r = zds("replay", trace, "--verify", "--json");
      assert.equal(r.status, 1);
      const report = JSON.parse(r.stdout.trim().split("\n").pop()!) as {
        match: boolean;
        changedPrograms: string[];
        divergence: { kind: string; index: number; expected: string; actual: string };
      };
      assert.equal(report.match, false);
      assert.deepEqual(report.changedPrograms, ["rng-cat"]);
      assert.equal(report.divergence.kind, "syscall");
      assert.match(report.divergence.expected, /SYS_CALL/);
      assert.notEqual(report.divergence.expected, report.divergence.actual);
    } finally {
      fs.writeFileSync(file, source);
    }
  });

  it("records the disk image it ran on, and replays against it", () => {
    const img = path.join(dir, "disk.img");
    fs.writeFileSync(img, Buffer.alloc(1 << 20));
    const t = path.join(dir, "disk.zlog");
    assert.equal(zds("run", "drivers/virtio-blk", "drivers/blk-check", "--disk", img, "--trace", t).status, 0);
    assert.deepEqual(
      readZlog(t).header.inputs.map((i) => (i as { kind: string; path: string }).path),
      [img],
    );
    const r = zds("replay", t, "--verify");
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /hashes match/);
  });

  it("replays an nvme run on a persisted disk image exactly (same SysLog and CommitLog hashes)", () => {
    const img = path.join(dir, "nvme.img");
    fs.writeFileSync(img, Buffer.alloc(1 << 20));
    const t = path.join(dir, "nvme.zlog");
    const run = zds("run", "drivers/nvme", "drivers/blk-check", "--disk", img, "--persist", "--trace", t);
    assert.equal(run.status, 0, run.stderr);
    const r = zds("replay", t, "--verify");
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /hashes match/);
  });

  it("names a file that is not a trace", () => {
    const bogus = path.join(dir, "bogus.zlog");
    fs.writeFileSync(bogus, "hello\n");
    const r = zds("replay", bogus, "--verify");
    assert.equal(r.status, 2);
    assert.match(r.stderr, /bogus\.zlog:1: not a \.zlog trace/);
  });
});
