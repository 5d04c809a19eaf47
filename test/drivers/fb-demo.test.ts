// drivers/fb-demo on the virtio-gpu display, as a user runs it: `zds run --screenshot` writes a PNG
// that matches the expected image pixel by pixel, every frame is a SysLog event that replay checks,
// and the picture is a function of the run alone.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { decodePng } from "../helpers/png-decode";

const root = path.join(__dirname, "..", "..");
const golden = path.join(root, "test", "fixtures", "display", "fb-demo.png");
const zds = (...args: string[]) =>
  spawnSync(process.execPath, [path.join(root, "bin", "zds.js"), ...args], {
    cwd: root,
    encoding: "utf8",
    timeout: 120_000,
  });

describe("drivers/fb-demo on virtio-gpu", function () {
  this.timeout(180_000);
  let dir: string;
  before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "zds-fb-demo-"))));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("zds run --screenshot writes the last frame, equal to the expected image pixel by pixel", () => {
    const out = path.join(dir, "shot.png");
    const r = zds("run", "drivers/fb-demo", "--screenshot", out, "--json");
    assert.equal(r.status, 0, r.stderr);
    const summary = JSON.parse(r.stdout.trim().split("\n").pop() ?? "{}") as {
      display?: { device: string; frames: number; lastFrame: { width: number; height: number; sha256: string } }[];
      violations: unknown[];
    };
    assert.deepEqual(summary.violations, []);
    assert.equal(summary.display?.[0]?.device, "virtio-gpu0");
    assert.equal(summary.display?.[0]?.frames, 40);
    const shot = decodePng(fs.readFileSync(out));
    const expected = decodePng(fs.readFileSync(golden));
    assert.deepEqual([shot.width, shot.height], [640, 480]);
    assert.deepEqual([expected.width, expected.height], [640, 480]);
    let differing = 0;
    for (let i = 0; i < shot.rgba.length; i++) if (shot.rgba[i] !== expected.rgba[i]) differing++;
    assert.equal(differing, 0, `${differing} bytes differ from ${golden}`);

    // And what the driver's comment promises, read from the picture itself.
    const px = (x: number, y: number) => [...shot.rgba.subarray((y * 640 + x) * 4, (y * 640 + x) * 4 + 4)];
    const t = 300 / 479;
    assert.deepEqual(px(600, 300), [Math.round(16 + 16 * t), Math.round(32 + 96 * t), Math.round(96 + 64 * t), 255]);
    assert.deepEqual(px(40, 40), [255, 255, 255, 255], "the H of the text, top-left pixel");
    const orange = [];
    for (let y = 100; y < 480; y++)
      for (let x = 0; x < 640; x++) if (px(x, y)[0] === 255 && px(x, y)[2] === 0) orange.push([x, y]);
    assert.equal(orange.length, 48 * 48, "one 48×48 box");
  });

  it("puts every frame's hash in the SysLog: the trace has 40 frame lines and replay --verify passes", () => {
    const trace = path.join(dir, "fb.zlog");
    assert.equal(zds("run", "drivers/fb-demo", "--trace", trace).status, 0);
    const lines = fs
      .readFileSync(trace, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { k?: string; dev?: string; f?: number; fh?: string });
    const frames = lines.filter((l) => l.k === "frm");
    assert.equal(frames.length, 40);
    assert.deepEqual(
      frames.map((f) => f.f),
      Array.from({ length: 40 }, (_, i) => i),
    );
    assert.ok(frames.every((f) => f.dev === "virtio-gpu0" && /^[0-9a-f]{64}$/.test(f.fh ?? "")));
    const verify = zds("replay", trace, "--verify");
    assert.equal(verify.status, 0, verify.stdout + verify.stderr);

    // A recorded frame that differs from what the replay draws is a divergence at that frame.
    const tampered = path.join(dir, "tampered.zlog");
    let changed = false;
    fs.writeFileSync(
      tampered,
      fs
        .readFileSync(trace, "utf8")
        .split("\n")
        .map((l) => {
          if (changed || !l.includes('"k":"frm"')) return l;
          changed = true;
          return l.replace(/"fh":"[0-9a-f]/, '"fh":"x');
        })
        .join("\n"),
    );
    const diverged = zds("replay", tampered, "--verify");
    assert.notEqual(diverged.status, 0);
    assert.match(diverged.stdout + diverged.stderr, /frame 0/);
  });

  it("draws the same pixels whatever the seed", () => {
    const hashes = [1, 99].map((seed) => {
      const r = zds("run", "drivers/fb-demo", "--seed", String(seed), "--json");
      assert.equal(r.status, 0, r.stderr);
      return (JSON.parse(r.stdout.trim().split("\n").pop() ?? "{}") as { display: { lastFrame: { sha256: string } }[] })
        .display[0].lastFrame.sha256;
    });
    assert.equal(hashes[0], hashes[1]);
  });

  it("--screenshot with no display frame is a usage error that names the fix", () => {
    const r = zds("run", "drivers/virtio-rng", "drivers/rng-cat", "--screenshot", path.join(dir, "none.png"));
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /no display showed a frame in this run .*RESOURCE_FLUSH/);
    assert.equal(fs.existsSync(path.join(dir, "none.png")), false);
  });
});
