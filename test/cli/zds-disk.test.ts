// `zds run … --disk IMG [--persist]` as a user runs it, and durability: data written and flushed
// survives the host process being killed hard.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

const root = path.join(__dirname, "..", "..");
const zdsBin = path.join(root, "bin", "zds.js");
const zds = (...args: string[]) =>
  spawnSync(process.execPath, [zdsBin, ...args], { cwd: root, encoding: "utf8", timeout: 60_000 });
const dir = mkdtempSync(path.join(tmpdir(), "zds-cli-disk-"));

function image(name: string, bytes: number): string {
  const file = path.join(dir, name);
  writeFileSync(file, new Uint8Array(bytes));
  return file;
}

/** Run zds in a child until its stdout shows `marker`, then SIGKILL it; resolves with the signal. */
function runUntilThenKill(
  args: string[],
  marker: string,
): Promise<{ signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
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
      resolve({ signal, stdout, stderr });
    });
  });
}

describe("zds run --disk", () => {
  for (const driver of ["virtio-blk", "ata-pio", "nvme"]) {
    it(`zds run drivers/${driver} drivers/blk-check --disk IMG --json exits 0 with the check passed`, () => {
      const img = image(`${driver}.img`, 1024 * 1024);
      const r = zds("run", `drivers/${driver}`, "drivers/blk-check", "--disk", img, "--json");
      assert.equal(r.status, 0, `signal ${r.signal}, error ${r.error?.message}; stderr: ${r.stderr}`);
      const lines = r.stdout.trim().split("\n");
      assert.match(lines[0], /^blk-check: PASS wrote, flushed and read back sectors 2032\.\.2047 of 2048$/);
      const summary = JSON.parse(lines[lines.length - 1]) as {
        processes: { name: string; state: string; exitCode: number }[];
        violations: unknown[];
      };
      assert.deepEqual(
        summary.processes.map((p) => [p.name, p.state, p.exitCode]),
        [
          [driver, "exited", 0],
          ["blk-check", "exited", 0],
        ],
      );
      assert.deepEqual(summary.violations, []);
      assert.ok(
        readFileSync(img).every((b) => b === 0),
        "without --persist the image is untouched",
      );
    });

    it(`zds run drivers/${driver} drivers/blk-check --disk IMG --persist --json exits 0 and the pattern is in the image`, () => {
      const img = image(`persist-${driver}.img`, 1024 * 1024);
      const r = zds("run", `drivers/${driver}`, "drivers/blk-check", "--disk", img, "--persist", "--json");
      assert.equal(r.status, 0, `signal ${r.signal}, error ${r.error?.message}; stderr: ${r.stderr}`);
      assert.match(r.stdout, /^blk-check: PASS /m);
      const bytes = readFileSync(img);
      // blk-check's pattern in the last 16 sectors (drivers/blk-check).
      for (let s = 2032; s < 2048; s++) assert.equal(bytes[s * 512 + 1], (s * 7 + 13 + 0x5a) & 0xff, `sector ${s}`);
    });

    it(`durability (${driver}): data written and flushed is in the image after the host is killed with SIGKILL`, async () => {
      const img = image(`durable-${driver}.img`, 1024 * 1024);
      const run = await runUntilThenKill(
        ["run", `drivers/${driver}`, "test/fixtures/blk/flush-and-hold.ts", "--disk", img, "--persist"],
        "flushed\n",
      );
      assert.equal(run.signal, "SIGKILL", `the host was killed, not ended: ${run.stderr}`);
      const bytes = readFileSync(img);
      for (let s = 100; s < 104; s++) {
        for (let i = 0; i < 512; i++) assert.equal(bytes[s * 512 + i], (s + i * 5) & 0xff, `sector ${s} byte ${i}`);
      }
    });
  }

  it("names a missing image and exits 2", () => {
    const missing = path.join(dir, "missing.img");
    const r = zds("run", "drivers/virtio-blk", "drivers/blk-check", "--disk", missing);
    assert.equal(r.status, 2);
    assert.equal(r.stderr.trim(), `zds: disk image ${missing}: does not exist`);
  });

  it("names an image that is not a whole number of sectors and exits 2", () => {
    const odd = image("odd.img", 1000);
    const r = zds("run", "drivers/virtio-blk", "--disk", odd);
    assert.equal(r.status, 2);
    assert.match(
      r.stderr,
      new RegExp(
        `disk image ${odd.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: is 1000 bytes, not a whole number of 512-byte sectors`,
      ),
    );
  });

  it("refuses --persist without --disk", () => {
    const r = zds("run", "drivers/virtio-blk", "--persist");
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--persist needs --disk IMG/);
  });
});
