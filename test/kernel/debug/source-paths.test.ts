// Windows paths and CRLF sources in the source debugger (kernel/debug/source.ts, source-paths.ts):
// breakpoints bind when VS Code names the file `c:\…` while the bundle's cwd says `C:\…` (or with
// `/`), the frames keep the source map's spelling, and a driver checked out with CRLF line endings
// binds every breakpoint line where the LF copy does. Windows is simulated with path.win32.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { bundleDriver, type ScriptBundle } from "../../../kernel/loader/bundle-driver";
import { SourceDebugger } from "../../../kernel/debug/source";
import { sourceKey } from "../../../kernel/debug/source-paths";
import { repoRoot } from "../../helpers/zds-child";

async function scriptBundle(target: string): Promise<ScriptBundle> {
  const b = await bundleDriver(target);
  assert.equal(b.kind, "script");
  return b as ScriptBundle;
}

/** 1-based lines of `file` that hold a call: code a breakpoint binds to. */
function codeLines(text: string): number[] {
  return text.split(/\r?\n/).flatMap((l, i) => (/\w\(/.test(l) && !/^\s*(\/\/|import)/.test(l) ? [i + 1] : []));
}

describe("source debugger: Windows paths", () => {
  it("sourceKey: drive letter case, separators and case do not matter on Windows; they do elsewhere", () => {
    const w = path.win32;
    const fromMap = sourceKey(w.resolve("C:\\Users\\Dev\\ws", "drivers/virtio-rng/index.ts"), w);
    assert.equal(sourceKey("c:\\Users\\Dev\\ws\\drivers\\virtio-rng\\index.ts", w), fromMap);
    assert.equal(sourceKey("C:/Users/Dev/ws/drivers/virtio-rng/index.ts", w), fromMap);
    assert.equal(sourceKey("c:\\users\\dev\\WS\\drivers\\virtio-rng\\..\\virtio-rng\\index.ts", w), fromMap);
    assert.notEqual(sourceKey("D:\\Users\\Dev\\ws\\drivers\\virtio-rng\\index.ts", w), fromMap);
    const p = path.posix;
    assert.notEqual(sourceKey("/home/Dev/x.ts", p), sourceKey("/home/dev/x.ts", p));
    assert.equal(sourceKey("/home/dev/a/../x.ts", p), "/home/dev/x.ts");
  });

  it("a breakpoint VS Code sets as c:\\… binds in a bundle made with cwd C:\\…", async () => {
    // The map's sources are relative to the bundling cwd (here the repository): drivers/rng-cat/index.ts.
    const bundle = await scriptBundle(path.join(repoRoot, "drivers", "rng-cat"));
    const text = fs.readFileSync(path.join(repoRoot, "drivers", "rng-cat", "index.ts"), "utf8");
    const line = codeLines(text)[0];
    const cwd = "C:\\Users\\Dev\\zero-driver-studio";
    for (const client of [
      "c:\\Users\\Dev\\zero-driver-studio\\drivers\\rng-cat\\index.ts",
      "C:/Users/Dev/zero-driver-studio/drivers/rng-cat/index.ts",
      "c:\\users\\dev\\zero-driver-studio\\drivers\\rng-cat\\index.ts",
    ]) {
      const debug = new SourceDebugger(() => undefined, undefined, path.win32);
      debug.addProgram(bundle, cwd);
      const [r] = debug.setBreakpoints(client, [{ line }]);
      assert.equal(r.verified, true, `${client}: ${r.message}`);
      assert.equal(r.line, line);
      // Set again through the resolution after launch: same id, still bound.
      const again = debug.resolveAll();
      assert.equal(again.length, 1);
      assert.equal(again[0].id, r.id);
      assert.equal(again[0].verified, true);
    }
  });

  it("a file the bundle does not hold stays unbound, on another drive too", async () => {
    const bundle = await scriptBundle(path.join(repoRoot, "drivers", "rng-cat"));
    const debug = new SourceDebugger(() => undefined, undefined, path.win32);
    debug.addProgram(bundle, "C:\\ws");
    const [r] = debug.setBreakpoints("D:\\ws\\drivers\\rng-cat\\index.ts", [{ line: 14 }]);
    assert.equal(r.verified, false);
  });
});

describe("source debugger: CRLF sources", () => {
  it("every breakpoint line binds the same in a CRLF copy of a driver as in the LF one", async function () {
    this.timeout(30_000);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "zds-crlf-"));
    try {
      const text = fs
        .readFileSync(path.join(repoRoot, "drivers", "rng-cat", "index.ts"), "utf8")
        .replace(/\r\n/g, "\n");
      const lines = text.split("\n").map((_, i) => i + 1);
      const results: { verified: boolean; line: number }[][] = [];
      for (const [name, body] of [
        ["lf", text],
        ["crlf", text.replace(/\n/g, "\r\n")],
      ] as const) {
        const file = path.join(dir, name, "index.ts");
        fs.mkdirSync(path.dirname(file));
        fs.writeFileSync(file, body);
        const debug = new SourceDebugger(() => undefined);
        debug.addProgram(await scriptBundle(path.dirname(file)), process.cwd());
        results.push(
          debug
            .setBreakpoints(
              file,
              lines.map((line) => ({ line })),
            )
            .map(({ verified, line }) => ({ verified, line })),
        );
      }
      assert.deepEqual(results[1], results[0]);
      for (const line of codeLines(text)) assert.equal(results[1][line - 1].verified, true, `line ${line}`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
