// `zds run` as a user runs it: a child process, its stdout, stderr and exit status.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import path from "node:path";

const root = path.join(__dirname, "..", "..");
const zds = (...args: string[]) =>
  spawnSync(process.execPath, [path.join(root, "bin", "zds.js"), ...args], {
    cwd: root,
    encoding: "utf8",
    timeout: 60_000,
  });

describe("zds run", () => {
  it("runs the samples and ends with a JSON summary (both exited 0, no violations)", () => {
    const r = zds("run", "drivers/virtio-rng", "drivers/rng-cat", "--json");
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split("\n");
    assert.match(lines[0], /^rng-cat: 32 random bytes: [0-9a-f]{64}$/);
    const summary = JSON.parse(lines[lines.length - 1]) as Record<string, unknown>;
    for (const key of ["processes", "syscalls", "ipcMessages", "irqs", "violations", "syslogHash"])
      assert.ok(key in summary, key);
    const processes = summary.processes as {
      name: string;
      pid: number;
      state: string;
      exitCode: number;
      faults: unknown[];
    }[];
    assert.deepEqual(
      processes.map((p) => [p.name, p.state, p.exitCode]),
      [
        ["virtio-rng", "exited", 0],
        ["rng-cat", "exited", 0],
      ],
    );
    assert.deepEqual(summary.violations, []);
  });

  it("prints the same syslogHash for two runs with --seed 7", () => {
    const hash = () =>
      JSON.parse(
        zds("run", "drivers/virtio-rng", "drivers/rng-cat", "--json", "--seed", "7").stdout.trim().split("\n").pop()!,
      ).syslogHash as string;
    const first = hash();
    assert.match(first, /^[0-9a-f]{16}$/);
    assert.equal(hash(), first);
  });

  it("names a missing driver and exits non-zero", () => {
    const r = zds("run", "drivers/no-such-driver");
    assert.equal(r.status, 2);
    assert.match(r.stderr, /drivers\/no-such-driver: no such driver file or folder/);
  });

  it("names the file and the compiler error of a driver that does not compile", () => {
    const r = zds("run", "test/fixtures/broken-syntax");
    assert.equal(r.status, 2);
    assert.match(r.stderr, /broken-syntax does not compile/);
    assert.match(r.stderr, /index\.ts:\d+:\d+: error: /);
  });

  it("rejects a bad option value with a message naming the option", () => {
    const r = zds("run", "drivers/rng-cat", "--seed", "banana");
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--seed must be a number/);
  });

  it("exits non-zero when a driver faults", () => {
    const r = zds("run", "test/fixtures/raw/hostile-write.ts", "--json");
    assert.equal(r.status, 1);
    const summary = JSON.parse(r.stdout.trim().split("\n").pop()!) as { violations: unknown[] };
    assert.equal(summary.violations.length, 1);
  });

  it("prints what a console device transmits: the UART driver and hello-console", () => {
    const r = zds("run", "drivers/uart16550", "drivers/hello-console");
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^hello from Zero OS through the console service$/m);
  });

  it("names a machine file that does not exist", () => {
    const r = zds("run", "drivers/rng-cat", "--machine", "nope.json");
    assert.equal(r.status, 2);
    assert.match(r.stderr, /nope\.json/);
  });
});
