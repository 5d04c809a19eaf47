// `zds bench --quick` as a user runs it: the table and the JSON carry every figure with its baseline.
// Speed is never asserted (shared CI machines vary by 2–3×); only that the figures are there.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { allBenchmarks, formatTable, type BenchReport } from "../../bench/run";

const root = path.join(__dirname, "..", "..");

describe("zds bench", () => {
  it("knows the syscall, storage and network benchmarks, and takes other modules' Benchmark exports", () => {
    const names = allBenchmarks().map((b) => b.name);
    assert.ok(names.includes("syscall") && names.includes("storage") && names.includes("network"), names.join(", "));
    assert.equal(new Set(names).size, names.length, "no benchmark twice");
  });

  it("--quick prints the syscall and storage figures and writes them as JSON", function () {
    this.timeout(180_000);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "zds-bench-test-"));
    try {
      const out = path.join(dir, "results.json");
      const r = spawnSync(
        process.execPath,
        [path.join(root, "bin", "zds.js"), "bench", "--quick", "--only", "syscall,storage", "--out", out],
        { cwd: root, encoding: "utf8", timeout: 170_000 },
      );
      assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
      for (const label of [
        "syscall round trip",
        "spinning Atomics ping-pong",
        "sleeping Atomics ping-pong",
        "sequential 64 KiB reads",
        "fs.readSync",
        "queue depth 1",
        "queue depth 32",
      ]) {
        assert.ok(r.stdout.includes(label), `the table lacks "${label}":\n${r.stdout}`);
      }
      const report = JSON.parse(fs.readFileSync(out, "utf8")) as BenchReport;
      const figures = report.results.flatMap((res) => res.figures);
      assert.ok(report.quick);
      for (const res of report.results) assert.equal(res.error, undefined, `${res.name}: ${res.error}`);
      for (const f of figures) assert.ok(Number.isFinite(f.value) && f.value > 0, `${f.label}: ${f.value}`);
      const withTarget = figures.filter((f) => f.target !== undefined);
      // (a), (b) and (c), and (b) and (c) again for NVMe, whose targets are virtio-blk's.
      assert.equal(withTarget.length, 5, "targets (a), (b) and (c), and NVMe's (b) and (c)");
      for (const f of withTarget) {
        assert.ok(f.baseline && f.baseline.value > 0, `${f.label} has a baseline`);
        assert.equal(typeof f.met, "boolean");
      }
      assert.match(formatTable(report), /^benchmark +figure +value +baseline +ratio +target +met$/m);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("--quick --only network measures UDP echo round trips through virtio-net and the e1000 against loopback UDP", function () {
    this.timeout(120_000);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "zds-bench-net-test-"));
    try {
      const out = path.join(dir, "results.json");
      const r = spawnSync(
        process.execPath,
        [path.join(root, "bin", "zds.js"), "bench", "--quick", "--only", "network", "--out", out],
        { cwd: root, encoding: "utf8", timeout: 110_000 },
      );
      assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
      const report = JSON.parse(fs.readFileSync(out, "utf8")) as BenchReport;
      assert.deepEqual(
        report.results.map((res) => [res.name, res.error]),
        [["network", undefined]],
      );
      const figures = report.results[0].figures;
      assert.deepEqual(
        figures.map((f) => /through the whole stack, (\S+) /.exec(f.label)?.[1]),
        ["virtio-net", "e1000"],
      );
      for (const figure of figures) {
        assert.match(figure.label, /UDP echo round trips/);
        assert.ok(figure.value > 0 && (figure.baseline?.value ?? 0) > 0);
      }
      assert.equal(figures[0].baseline?.value, figures[1].baseline?.value, "one baseline, measured in the same run");
      const notes = report.results[0].notes ?? [];
      assert.equal(notes.length, 2);
      for (const [i, card] of ["virtio-net", "e1000"].entries())
        assert.match(
          notes[i],
          new RegExp(`^${card}, per round trip: .*µs virtual; [\\d.]+ syscalls, 4 IPC messages, 2 interrupts`),
        );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
