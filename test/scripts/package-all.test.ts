// The vsix files scripts/package-all.mjs makes (docs/packaging.md): each platform's holds esbuild's
// JS API and exactly that platform's @esbuild package, whose binary is an executable for that OS and
// CPU (read from its header: ELF machine, Mach-O CPU type, PE machine) with its executable bit kept;
// the universal one holds esbuild-wasm and no native binary, and runs a sample from the unpacked vsix.
//
// Packaging all six takes a few minutes, so `npm test` skips this unless ZDS_PACKAGE_TEST=1 (the
// script is run into a temp folder) or ZDS_VSIX_DIR names a folder it already wrote (.ci/run does).
import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { VSIX_TARGETS } from "../../kernel/loader/bundler";
import { ZipFile } from "../helpers/zip";
import { repoRoot } from "../helpers/zds-child";

/** What the first bytes of a native executable say it was built for, e.g. "linux-x64". */
export function executablePlatform(head: Buffer): string {
  if (head.readUInt32BE(0) === 0x7f454c46) {
    const machine = head.readUInt16LE(18);
    return `linux-${machine === 0x3e ? "x64" : machine === 0xb7 ? "arm64" : `elf-machine-${machine}`}`;
  }
  if (head.readUInt32LE(0) === 0xfeedfacf) {
    const cpu = head.readUInt32LE(4);
    return `darwin-${cpu === 0x01000007 ? "x64" : cpu === 0x0100000c ? "arm64" : `cpu-${cpu}`}`;
  }
  if (head.toString("latin1", 0, 2) === "MZ") {
    const pe = head.readUInt32LE(0x3c);
    if (head.toString("latin1", pe, pe + 4) !== "PE\0\0") return "unknown";
    const machine = head.readUInt16LE(pe + 4);
    return `win32-${machine === 0x8664 ? "x64" : machine === 0xaa64 ? "arm64" : `machine-${machine}`}`;
  }
  return "unknown";
}

function targetOf(zip: ZipFile): string | undefined {
  return /TargetPlatform="([^"]+)"/.exec(zip.read("extension.vsixmanifest").toString("utf8"))?.[1];
}

const wanted = process.env.ZDS_PACKAGE_TEST === "1" || process.env.ZDS_VSIX_DIR !== undefined;

(wanted ? describe : describe.skip)("vsix per platform (scripts/package-all.mjs)", function () {
  this.timeout(900_000);
  let dir = process.env.ZDS_VSIX_DIR ?? "";
  let made = false;

  before(() => {
    if (dir !== "") return;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "zds-vsix-"));
    made = true;
    execFileSync(process.execPath, [path.join(repoRoot, "scripts", "package-all.mjs"), "--out-dir", dir], {
      cwd: repoRoot,
      stdio: ["ignore", "ignore", "inherit"],
    });
  });
  after(() => {
    if (made) fs.rmSync(dir, { recursive: true, force: true });
  });

  for (const target of VSIX_TARGETS) {
    it(`${target}: esbuild with the ${target} binary, and nothing of other platforms`, () => {
      const zip = ZipFile.open(path.join(dir, `zero-driver-studio-${target}.vsix`));
      assert.equal(targetOf(zip), target);
      const names = zip.names();
      const platformPackages = new Set(
        names.flatMap((n) => /^extension\/node_modules\/@esbuild\/([^/]+)\//.exec(n)?.[1] ?? []),
      );
      assert.deepEqual([...platformPackages], [target]);
      assert.ok(names.includes("extension/node_modules/esbuild/lib/main.js"), "esbuild's JS API");
      assert.ok(!names.some((n) => n.includes("/esbuild-wasm/")), "no esbuild-wasm in a platform vsix");
      const binary = `extension/node_modules/@esbuild/${target}/${target.startsWith("win32") ? "esbuild.exe" : "bin/esbuild"}`;
      assert.ok(names.includes(binary), `${binary} in ${names.filter((n) => n.includes("@esbuild")).join(", ")}`);
      assert.equal(executablePlatform(zip.read(binary).subarray(0, 4096)), target);
      if (!target.startsWith("win32")) {
        const mode = zip.entries.find((e) => e.name === binary)?.mode ?? 0;
        assert.ok((mode & 0o111) !== 0, `${binary} keeps its executable bit (mode ${mode.toString(8)})`);
      }
    });
  }

  it("every vsix holds the same files but for the bundler", () => {
    const bundlerFile = /^extension\/node_modules\/(esbuild|esbuild-wasm|@esbuild\/[^/]+)\//;
    const rest = (file: string): string =>
      ZipFile.open(path.join(dir, file))
        .names()
        .filter((n) => !bundlerFile.test(n))
        .sort()
        .join("\n");
    const universal = rest("zero-driver-studio-universal.vsix");
    assert.ok(universal.includes("extension/dist/extension.js"));
    for (const target of VSIX_TARGETS) assert.equal(rest(`zero-driver-studio-${target}.vsix`), universal, target);
  });

  it("universal: esbuild-wasm and no native binary, and a sample runs from the unpacked vsix", async () => {
    const zip = ZipFile.open(path.join(dir, "zero-driver-studio-universal.vsix"));
    assert.equal(targetOf(zip), undefined);
    const names = zip.names();
    assert.ok(!names.some((n) => n.includes("/node_modules/@esbuild/") || n.includes("/node_modules/esbuild/")));
    const wasm = zip.read("extension/node_modules/esbuild-wasm/esbuild.wasm");
    assert.equal(wasm.toString("latin1", 0, 4), "\0asm");
    const unpacked = fs.mkdtempSync(path.join(os.tmpdir(), "zds-universal-"));
    try {
      for (const e of zip.entries) {
        if (!e.name.startsWith("extension/") || e.name.endsWith("/")) continue;
        const to = path.join(unpacked, e.name);
        fs.mkdirSync(path.dirname(to), { recursive: true });
        fs.writeFileSync(to, zip.read(e.name));
      }
      const env = { ...process.env };
      delete env.ZDS_BUNDLER;
      const root = path.join(unpacked, "extension");
      const status = await new Promise<number>((resolve) =>
        execFile(
          process.execPath,
          [path.join(root, "bin", "zds.js"), "run", "drivers/virtio-rng", "drivers/rng-cat"],
          { cwd: root, env, timeout: 180_000 },
          (error) => resolve(error ? Number((error as { code?: unknown }).code ?? 70) : 0),
        ),
      );
      assert.equal(status, 0);
    } finally {
      fs.rmSync(unpacked, { recursive: true, force: true });
    }
  });
});

describe("executable headers", () => {
  it("tells the platforms apart (the check the vsix test relies on)", () => {
    const elf = Buffer.alloc(64);
    elf.writeUInt32BE(0x7f454c46, 0);
    elf.writeUInt16LE(0xb7, 18);
    assert.equal(executablePlatform(elf), "linux-arm64");
    const macho = Buffer.alloc(64);
    macho.writeUInt32LE(0xfeedfacf, 0);
    macho.writeUInt32LE(0x01000007, 4);
    assert.equal(executablePlatform(macho), "darwin-x64");
    const pe = Buffer.alloc(256);
    pe.write("MZ", 0, "latin1");
    pe.writeUInt32LE(0x80, 0x3c);
    pe.write("PE\0\0", 0x80, "latin1");
    pe.writeUInt16LE(0x8664, 0x84);
    assert.equal(executablePlatform(pe), "win32-x64");
    // This machine's own esbuild binary, when it has one.
    const own = path.join(repoRoot, "node_modules", "@esbuild", `${process.platform}-${process.arch}`);
    const file = path.join(own, process.platform === "win32" ? "esbuild.exe" : path.join("bin", "esbuild"));
    if (fs.existsSync(file))
      assert.equal(executablePlatform(fs.readFileSync(file).subarray(0, 4096)), `${process.platform}-${process.arch}`);
  });
});
