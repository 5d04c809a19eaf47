// drivers/ahci on the virt machine's AHCI HBA, with blk-check and the other block clients unchanged:
// blank disks, image files (copy-on-write, --persist), the bulk path, several clients in flight, the
// CLI as a user runs it, durability across a SIGKILL of the host, and exact replay.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { AhciHba } from "../../devices";
import { fixture, runPrograms, sample, type SessionResult } from "../helpers/run-session";

const PASS = /^blk-check: PASS wrote, flushed and read back sectors (\d+)\.\.(\d+) of (\d+)$/m;
const root = path.join(__dirname, "..", "..");
const zdsBin = path.join(root, "bin", "zds.js");
const zds = (...args: string[]) =>
  spawnSync(process.execPath, [zdsBin, ...args], { cwd: root, encoding: "utf8", timeout: 60_000 });
const dir = mkdtempSync(path.join(tmpdir(), "zds-ahci-e2e-"));

function image(sectors: number, fill: (sector: number) => number = () => 0): string {
  const file = path.join(dir, `disk-${Math.random().toString(16).slice(2)}.img`);
  const bytes = new Uint8Array(sectors * 512);
  for (let s = 0; s < sectors; s++) bytes.fill(fill(s), s * 512, (s + 1) * 512);
  writeFileSync(file, bytes);
  return file;
}

/** blk-check's pattern (drivers/blk-check). */
const patternByte = (sector: number, offset: number): number => (sector * 7 + offset * 13 + 0x5a) & 0xff;

function assertClean(run: SessionResult): void {
  assert.equal(run.summary.outcome, "completed", run.console + run.faults.join("\n"));
  for (const p of run.summary.processes)
    assert.deepEqual([p.name, p.state, p.exitCode], [p.name, "exited", 0], `${p.name}: ${JSON.stringify(p.faults)}`);
  assert.deepEqual(run.summary.violations, []);
  assert.deepEqual(run.summary.deviceEvents, []);
}

describe("ahci driver + blk-check on the virt machine", () => {
  it("passes on the blank 8 MiB disk, bound to ahci0, both paths (messages and bulk), waiting for interrupts", async () => {
    const run = await runPrograms([sample("ahci"), sample("blk-check")]);
    assertClean(run);
    const m = PASS.exec(run.console);
    assert.ok(m, run.console);
    assert.deepEqual([m[1], m[2], m[3]], ["16368", "16383", "16384"]);
    assert.equal(run.summary.processes[0].device, "ahci0");
    assert.match(run.console, /^blk-check: bulk path PASS sectors 16368\.\.16383 through a lent buffer, both ways$/m);
    assert.ok(run.summary.irqs >= 3);
    const stats = run.machine.backend("ahci0", AhciHba).stats;
    assert.ok(stats.flushes >= 1, "blk-check's FLUSH reached the disk as FLUSH CACHE EXT");
    assert.equal(stats.errors, 0);
  });

  it("leaves an image file untouched by default (copy-on-write)", async () => {
    const file = image(64, (s) => s);
    const before = readFileSync(file);
    const run = await runPrograms([sample("ahci"), sample("blk-check")], { disk: { path: file } });
    assertClean(run);
    assert.match(run.console, PASS);
    assert.deepEqual(readFileSync(file), before);
  });

  it("writes the pattern through to the image file with persist, and nothing else", async () => {
    const file = image(64);
    const run = await runPrograms([sample("ahci"), sample("blk-check")], { disk: { path: file, persist: true } });
    assertClean(run);
    const bytes = readFileSync(file);
    for (let s = 48; s < 64; s++)
      for (let i = 0; i < 512; i += 97) assert.equal(bytes[s * 512 + i], patternByte(s, i), `sector ${s} byte ${i}`);
    assert.ok(bytes.subarray(0, 48 * 512).every((b) => b === 0));
  });

  it("keeps several clients' requests in its 32 command slots, each reader getting its own sectors", async () => {
    const file = image(2048, (s) => (s * 3 + 1) & 0xff);
    const readers = Array.from({ length: 6 }, () => fixture("blk", "blk-reader.ts"));
    const run = await runPrograms([sample("ahci"), ...readers], { disk: { path: file } });
    assertClean(run);
    assert.equal(run.console.match(/: ok$/gm)?.length, 6, run.console);
    // IDENTIFY, then the readers' 24 READ DMA EXTs.
    assert.equal(run.machine.backend("ahci0", AhciHba).stats.completed, 1 + 24);
  });
});

describe("ahci bulk path (lent DMA buffers, BATCH)", () => {
  const checks = [
    "info-bulk",
    "read-64k",
    "batch-of-32",
    "full-batch",
    "too-large-batch",
    "write-then-read",
    "write-from-read-only-lent-buffer",
    "read-into-read-only-lent-buffer",
    "unknown-buffer",
    "past-the-buffer",
    "past-the-disk",
    "mixed-batch",
    "detach",
    "lent-for-a-while",
    "revoked-by-the-client",
  ];
  let run: SessionResult;
  before(async function () {
    this.timeout(60_000);
    run = await runPrograms([sample("ahci"), fixture("blk", "bulk-client.ts")], {
      disk: { path: image(4096, (s) => (s * 3 + 1) & 0xff) },
    });
  });

  it("runs to the end with no fault, violation or device event", () => {
    assertClean(run);
    assert.match(run.console, /^bulk: done$/m, run.console);
  });

  for (const name of checks) {
    it(`client check: ${name}`, () => {
      const line = run.console.split("\n").find((l) => l.startsWith(`bulk: ${name} `));
      assert.equal(line, `bulk: ${name} ok`, run.console);
    });
  }

  it("moves every transfer as one ATA command with one PRD entry (168 commands, plus IDENTIFY)", () => {
    assert.equal(run.machine.backend("ahci0", AhciHba).stats.completed, 168 + 1);
  });
});

/** Run zds in a child until its stdout shows `marker`, then SIGKILL it. */
function runUntilThenKill(args: string[], marker: string): Promise<{ signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [zdsBin, ...args], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`no "${marker}" within 30 s; stdout: ${stdout}; stderr: ${stderr}`));
    }, 30_000);
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString("utf8");
      if (stdout.includes(marker)) child.kill("SIGKILL");
    });
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    child.on("exit", (_code, signal) => {
      clearTimeout(timer);
      resolve({ signal, stderr });
    });
  });
}

describe("zds run drivers/ahci", () => {
  it("zds run drivers/ahci drivers/blk-check --json exits 0", () => {
    const r = zds("run", "drivers/ahci", "drivers/blk-check", "--json");
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split("\n");
    const summary = JSON.parse(lines[lines.length - 1]) as {
      processes: { name: string; exitCode: number; device: string | null }[];
    };
    assert.deepEqual(
      summary.processes.map((p) => [p.name, p.exitCode, p.device]),
      [
        ["ahci", 0, "ahci0"],
        ["blk-check", 0, null],
      ],
    );
  });

  it("--disk IMG --persist --json exits 0 and the pattern is in the image", () => {
    const img = path.join(dir, "persist.img");
    writeFileSync(img, new Uint8Array(1024 * 1024));
    const r = zds("run", "drivers/ahci", "drivers/blk-check", "--disk", img, "--persist", "--json");
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^blk-check: PASS wrote, flushed and read back sectors 2032\.\.2047 of 2048$/m);
    const bytes = readFileSync(img);
    for (let s = 2032; s < 2048; s++) assert.equal(bytes[s * 512 + 1], patternByte(s, 1), `sector ${s}`);
  });

  it("durability: data written and flushed (FLUSH CACHE EXT) is in the image after the host is killed with SIGKILL", async () => {
    const img = path.join(dir, "durable.img");
    writeFileSync(img, new Uint8Array(1024 * 1024));
    const run = await runUntilThenKill(
      ["run", "drivers/ahci", "test/fixtures/blk/flush-and-hold.ts", "--disk", img, "--persist"],
      "flushed\n",
    );
    assert.equal(run.signal, "SIGKILL", `the host was killed, not ended: ${run.stderr}`);
    const bytes = readFileSync(img);
    for (let s = 100; s < 104; s++)
      for (let i = 0; i < 512; i++) assert.equal(bytes[s * 512 + i], (s + i * 5) & 0xff, `sector ${s} byte ${i}`);
  });

  it("a disk error (an injected io-error): that client gets ERROR, the driver restarts the port and the other clients' reads complete", () => {
    const img = image(2048, (s) => (s * 3 + 1) & 0xff);
    const reader = "test/fixtures/blk/blk-reader.ts";
    const r = zds(
      "run",
      "drivers/ahci",
      reader,
      reader,
      reader,
      reader,
      "--disk",
      img,
      "--fault",
      "io-error@ahci0,op=read,request=3",
      "--json",
    );
    const lines = r.stdout.trim().split("\n");
    const summary = JSON.parse(lines[lines.length - 1]) as {
      processes: { name: string; exitCode: number }[];
      deviceEvents: { message?: string }[];
    };
    assert.equal(r.stdout.match(/^blk-reader \d+: ok$/gm)?.length, 3, r.stdout);
    assert.deepEqual(
      summary.processes.map((p) => p.exitCode).sort(),
      [0, 0, 0, 0, 2],
      "the failed reader exits 2 (an ERROR reply)",
    );
    assert.match(summary.deviceEvents[0]?.message ?? "", /injected fault \(io-error\); PxTFD.STS.ERR, PxIS.TFES/);
  });

  it("a traced run replays identically (zds replay --verify)", () => {
    const trace = path.join(dir, "ahci.zlog");
    assert.equal(zds("run", "drivers/ahci", "drivers/blk-check", "--seed", "5", "--trace", trace).status, 0);
    const r = zds("replay", trace, "--verify");
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout + r.stderr, /replay verified: \d+ SysLog events and \d+ commits match/);
  });
});
