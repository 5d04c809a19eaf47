// The storage stack end to end: each block driver on its device, blk-check as the client, on blank
// disks and on image files.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { AtaDevice, NvmeController, VirtioBlk } from "../../devices";
import { fixture, runPrograms, sample, type SessionResult } from "../helpers/run-session";

const PASS = /^blk-check: PASS wrote, flushed and read back sectors (\d+)\.\.(\d+) of (\d+)$/m;
const dir = mkdtempSync(path.join(tmpdir(), "zds-blk-e2e-"));

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

for (const [driver, device] of [
  ["virtio-blk", "virtio-blk0"],
  ["ata-pio", "ata0"],
  ["nvme", "nvme0"],
] as const) {
  describe(`${driver} driver + blk-check on the virt machine`, () => {
    it(`passes on the blank 8 MiB disk, bound to ${device}, waiting for interrupts`, async () => {
      const run = await runPrograms([sample(driver), sample("blk-check")]);
      assertClean(run);
      const m = PASS.exec(run.console);
      assert.ok(m, run.console);
      assert.deepEqual([m[1], m[2], m[3]], ["16368", "16383", "16384"]);
      assert.equal(run.summary.processes[0].device, device);
      assert.ok(run.summary.irqs >= 3);
      // virtio-blk and nvme offer the bulk path and blk-check checks it across both paths; ata-pio does not.
      if (driver !== "ata-pio")
        assert.match(
          run.console,
          /^blk-check: bulk path PASS sectors 16368\.\.16383 through a lent buffer, both ways$/m,
        );
      else assert.match(run.console, /^blk-check: bulk path not offered \(no BULK in INFO\); messages only$/m);
    });

    it("leaves an image file untouched by default (copy-on-write)", async () => {
      const file = image(64, (s) => s);
      const before = readFileSync(file);
      const run = await runPrograms([sample(driver), sample("blk-check")], { disk: { path: file } });
      assertClean(run);
      assert.match(run.console, PASS);
      assert.deepEqual(readFileSync(file), before);
    });

    it("writes the pattern through to the image file with persist", async () => {
      const file = image(64);
      const run = await runPrograms([sample(driver), sample("blk-check")], { disk: { path: file, persist: true } });
      assertClean(run);
      const bytes = readFileSync(file);
      for (let s = 48; s < 64; s++)
        for (let i = 0; i < 512; i += 97) assert.equal(bytes[s * 512 + i], patternByte(s, i), `sector ${s} byte ${i}`);
      assert.ok(
        bytes.subarray(0, 48 * 512).every((b) => b === 0),
        "nothing else was written",
      );
    });
  });
}

describe("block drivers: more", () => {
  it("virtio-blk keeps several requests from several clients in flight, and each gets its own sectors", async () => {
    const file = image(2048, (s) => (s * 3 + 1) & 0xff);
    const readers = Array.from({ length: 6 }, () => fixture("blk", "blk-reader.ts"));
    const run = await runPrograms([sample("virtio-blk"), ...readers], { disk: { path: file } });
    assertClean(run);
    assert.equal(run.console.match(/: ok$/gm)?.length, 6, run.console);
    const stats = run.machine.backend("virtio-blk0", VirtioBlk).stats;
    assert.equal(stats.completed, 24);
    assert.ok(stats.maxInFlight > 1, `max in flight ${stats.maxInFlight}`);
    assert.ok(stats.batches < stats.completed, "completions were batched");
  });

  it("nvme keeps several requests from several clients in flight on its I/O queue pair, each with its own sectors", async () => {
    const file = image(2048, (s) => (s * 3 + 1) & 0xff);
    const readers = Array.from({ length: 6 }, () => fixture("blk", "blk-reader.ts"));
    const run = await runPrograms([sample("nvme"), ...readers], { disk: { path: file } });
    assertClean(run);
    assert.equal(run.console.match(/: ok$/gm)?.length, 6, run.console);
    const stats = run.machine.backend("nvme0", NvmeController).stats;
    // Bring-up: 2 IDENTIFY, SET FEATURES, 2 CREATE; then the readers' 24 READs.
    assert.equal(stats.completed, 5 + 24);
    assert.ok(stats.maxInFlight > 1, `max in flight ${stats.maxInFlight}`);
    assert.ok(stats.batches < stats.completed, "completions were batched");
  });

  it("nvme reports a read-only disk through INFO (IDENTIFY's write-protected namespace)", async () => {
    const run = await runPrograms([sample("nvme"), sample("blk-check")], { disk: { path: image(64), readOnly: true } });
    assert.match(run.console, /^blk-check: FAIL the disk is read-only; blk-check writes a pattern$/m);
  });

  it("ata-pio serves the same readers one command at a time", async () => {
    const file = image(2048, (s) => (s * 3 + 1) & 0xff);
    const readers = Array.from({ length: 3 }, () => fixture("blk", "blk-reader.ts"));
    const run = await runPrograms([sample("ata-pio"), ...readers], { disk: { path: file } });
    assertClean(run);
    assert.equal(run.console.match(/: ok$/gm)?.length, 3, run.console);
    assert.equal(run.machine.backend("ata0", AtaDevice).stats.sectorsRead, 3 * 32);
  });

  it("blk-check reports FAIL on a read-only disk, which virtio-blk reports through INFO", async () => {
    const run = await runPrograms([sample("virtio-blk"), sample("blk-check")], {
      disk: { path: image(64), readOnly: true },
    });
    assert.match(run.console, /^blk-check: FAIL the disk is read-only; blk-check writes a pattern$/m);
    assert.equal(run.summary.processes.find((p) => p.name === "blk-check")?.exitCode, 1);
  });
});

for (const [driver, device] of [
  ["virtio-blk", "virtio-blk0"],
  ["nvme", "nvme0"],
] as const)
  describe(`${driver} bulk path (lent DMA buffers, BATCH)`, () => {
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
      run = await runPrograms([sample(driver), fixture("blk", "bulk-client.ts")], {
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

    it("moves a 64 KiB transfer as one device request, and a full batch with all 128 in flight at once", () => {
      const stats =
        device === "nvme0"
          ? run.machine.backend(device, NvmeController).stats
          : run.machine.backend(device, VirtioBlk).stats;
      // virtio-blk: three ring descriptors per request would allow 42; one indirect descriptor each
      // allows 128. nvme: 128 command IDs on a 256-entry I/O queue pair.
      assert.equal(stats.maxInFlight, 128);
      // INFO and the refused entries never reach the device: 1 + 32 + 128 + 2 + 2 + 2 (mixed) + 1
      // (lent for a while); nvme also counts its 5 bring-up admin commands.
      assert.equal(stats.completed, 168 + (device === "nvme0" ? 5 : 0));
    });
  });
