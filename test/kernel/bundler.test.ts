// Which bundler drivers get (kernel/loader/bundler.ts): the native esbuild when its platform binary
// runs, esbuild-wasm when it does not, and an error naming the platform and the fix when neither
// does. The fallback is also shown for real: a copy of the built CLI whose node_modules holds
// esbuild's JS API without any @esbuild/<platform> package (what a vsix for another platform, or an
// install without optional dependencies, leaves) runs a sample with the same SysLog hash as here.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { bundlerFix, BundlerUnavailableError, chooseBundler, platformName } from "../../kernel/loader/bundler";
import { repoRoot, zdsChild } from "../helpers/zds-child";

type Api = typeof import("esbuild");

const working = (version: string): Api =>
  ({
    version,
    transform: () => Promise.resolve({}),
    build: () => Promise.reject(new Error("unused")),
  }) as unknown as Api;

describe("bundler choice", () => {
  it("takes the native esbuild when it runs", async () => {
    const b = await chooseBundler({ forced: "", load: () => working("native") });
    assert.equal(b.kind, "native");
    assert.equal(b.nativeProblem, undefined);
  });

  it("falls back to esbuild-wasm when the platform package is missing, saying why", async () => {
    const b = await chooseBundler({
      forced: "",
      load: (name) => {
        if (name === "esbuild") throw new Error('The package "@esbuild/darwin-arm64" could not be found');
        return working("wasm");
      },
    });
    assert.equal(b.kind, "wasm");
    assert.match(b.nativeProblem ?? "", /@esbuild\/darwin-arm64/);
  });

  it("falls back when the binary is there but will not run (its service fails to start)", async () => {
    const broken = { ...working("x"), transform: () => Promise.reject(new Error("spawn ENOEXEC")) } as unknown as Api;
    const b = await chooseBundler({ forced: "", load: (name) => (name === "esbuild" ? broken : working("wasm")) });
    assert.equal(b.kind, "wasm");
    assert.match(b.nativeProblem ?? "", /ENOEXEC/);
  });

  it("with neither, names the platform, both failures and the fix", async () => {
    await assert.rejects(
      chooseBundler({
        forced: "",
        platform: "darwin-arm64",
        load: (name) => {
          throw new Error(`Cannot find module '${name}'`);
        },
      }),
      (e: unknown) => {
        assert.ok(e instanceof BundlerUnavailableError);
        assert.match(e.message, /cannot bundle drivers on darwin-arm64/);
        assert.match(e.message, /esbuild: Cannot find module 'esbuild'/);
        assert.match(e.message, /esbuild-wasm: Cannot find module 'esbuild-wasm'/);
        assert.match(e.message, /zero-driver-studio-darwin-arm64\.vsix/);
        return true;
      },
    );
  });

  it("the fix for a platform without a vsix of its own is the universal one with node on PATH", () => {
    assert.match(bundlerFix("linux-armhf"), /universal.*node/);
    assert.match(bundlerFix("win32-x64"), /zero-driver-studio-win32-x64\.vsix.*@esbuild\/win32-x64/);
  });

  it("ZDS_BUNDLER forces one, and refuses other values", async () => {
    const loaded: string[] = [];
    const b = await chooseBundler({ forced: "wasm", load: (name) => (loaded.push(name), working("wasm")) });
    assert.equal(b.kind, "wasm");
    assert.deepEqual(loaded, ["esbuild-wasm"]);
    await assert.rejects(chooseBundler({ forced: "swc" }), /ZDS_BUNDLER=swc/);
  });
});

/** A copy of what an installed extension runs `zds` from, with node_modules as `modules` says. */
function installedCopy(modules: { esbuildApi: boolean; wasm: boolean }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "zds-bundler-"));
  const copy = (rel: string): void => fs.cpSync(path.join(repoRoot, rel), path.join(dir, rel), { recursive: true });
  for (const rel of ["package.json", "bin", "dist/cli.js", "dist/worker.js", "drivers", "kernel/abi"]) copy(rel);
  if (modules.esbuildApi) for (const rel of ["package.json", "lib"]) copy(path.join("node_modules", "esbuild", rel));
  if (modules.wasm) {
    fs.mkdirSync(path.join(dir, "node_modules"), { recursive: true });
    fs.symlinkSync(
      path.join(repoRoot, "node_modules", "esbuild-wasm"),
      path.join(dir, "node_modules", "esbuild-wasm"),
      "junction",
    );
  }
  return dir;
}

function zdsIn(dir: string, args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  const env = { ...process.env };
  delete env.ZDS_BUNDLER;
  delete env.NODE_PATH;
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.join(dir, "bin", "zds.js"), ...args],
      { cwd: dir, env, encoding: "utf8", timeout: 120_000 },
      (error, stdout, stderr) => {
        const code = (error as { code?: unknown } | null)?.code;
        resolve({ status: typeof code === "number" ? code : error ? 70 : 0, stdout, stderr });
      },
    );
  });
}

describe("bundler fallback in a clean process", () => {
  const args = ["run", "drivers/virtio-rng", "drivers/rng-cat", "--json"];
  const hashOf = (stdout: string): string =>
    (JSON.parse(stdout.trim().split("\n").pop() ?? "{}") as { syslogHash: string }).syslogHash;

  it("without @esbuild/<platform>, esbuild-wasm bundles and the run is the same", async function () {
    this.timeout(180_000);
    const dir = installedCopy({ esbuildApi: true, wasm: true });
    try {
      assert.ok(!fs.existsSync(path.join(dir, "node_modules", "@esbuild")));
      const [portable, native] = await Promise.all([zdsIn(dir, args), zdsChild(args)]);
      assert.equal(portable.status, 0, portable.stderr);
      assert.equal(native.status, 0, native.stderr);
      assert.equal(hashOf(portable.stdout), hashOf(native.stdout));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("with no bundler at all, the run is a usage error naming the platform and the fix", async function () {
    this.timeout(60_000);
    const dir = installedCopy({ esbuildApi: true, wasm: false });
    try {
      const r = await zdsIn(dir, args);
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, new RegExp(`cannot bundle drivers on ${platformName()}`));
      assert.match(r.stderr, /Fix: /);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
