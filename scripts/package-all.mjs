// Builds the vsix files: one per platform, each carrying esbuild with that platform's native binary
// (`vsce package --target`), and a universal one carrying esbuild-wasm instead (docs/packaging.md).
//
//   node scripts/package-all.mjs                      every target and the universal vsix → vsix/
//   node scripts/package-all.mjs --target host --out zero-driver-studio.vsix   this machine's only
//   node scripts/package-all.mjs --target linux-arm64,win32-x64 --out-dir /tmp/v
//
// The files are those `vsce ls` lists for this tree (.vscodeignore decides), built once with
// `scripts/build.mjs --production`; each vsix is packaged from its own staging folder holding those
// files with node_modules/@esbuild/ replaced by the target's package: the one installed here when it
// is this machine's, else the tarball `npm pack` fetches from the registry (kept in the cache folder,
// the same version as esbuild). Every vsix then goes through scripts/vsix-report.mjs.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";

export const TARGETS = ["linux-x64", "linux-arm64", "darwin-x64", "darwin-arm64", "win32-x64"];
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const hostTarget = `${process.platform}-${process.arch}`;

const { values } = parseArgs({
  options: {
    target: { type: "string", default: "all" },
    out: { type: "string" },
    "out-dir": { type: "string", default: "vsix" },
    cache: { type: "string", default: path.join(root, "node_modules", ".cache", "zds-package") },
    universal: { type: "boolean" },
    "no-build": { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (values.help) {
  console.log(`usage: node scripts/package-all.mjs [--target all|host|T,T…] [--universal] [--out FILE | --out-dir DIR] [--cache DIR] [--no-build]
targets: ${TARGETS.join(", ")}; all = every target and the universal vsix (also with --universal)`);
  process.exit(0);
}
const asked = values.target === "all" ? [...TARGETS] : values.target.split(",").map((t) => (t === "host" ? hostTarget : t.trim()));
for (const t of asked)
  if (!TARGETS.includes(t)) {
    console.error(`package-all: no vsix for ${t}: the targets are ${TARGETS.join(", ")} (other platforms use the universal vsix)`);
    process.exit(2);
  }
const universal = values.universal ?? values.target === "all";
const jobs = [...asked.map((t) => ({ target: t })), ...(universal ? [{ target: undefined }] : [])];
if (values.out && jobs.length !== 1) {
  console.error("package-all: --out names one vsix; with several use --out-dir");
  process.exit(2);
}
const outFor = (target) => path.resolve(values.out ?? path.join(values["out-dir"], `zero-driver-studio-${target ?? "universal"}.vsix`));

const isWindows = process.platform === "win32";
const npx = (args, cwd) => execFileSync(isWindows ? "npx.cmd" : "npx", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], shell: isWindows });
const version = JSON.parse(fs.readFileSync(path.join(root, "node_modules", "esbuild", "package.json"), "utf8")).version;
const wasmVersion = JSON.parse(fs.readFileSync(path.join(root, "node_modules", "esbuild-wasm", "package.json"), "utf8")).version;
if (wasmVersion !== version) {
  console.error(`package-all: esbuild ${version} and esbuild-wasm ${wasmVersion} differ: run npm ci`);
  process.exit(1);
}

/** Minimal tar reader (npm tarballs: ustar, regular files): [{ name, mode, data }]. */
export function untar(gz) {
  const tar = zlib.gunzipSync(gz);
  const files = [];
  for (let at = 0; at + 512 <= tar.length; ) {
    const header = tar.subarray(at, at + 512);
    if (header.every((b) => b === 0)) break;
    const field = (from, len) => header.toString("utf8", from, from + len).replace(/\0.*$/s, "");
    const size = parseInt(field(124, 12).trim() || "0", 8);
    const name = [field(345, 155), field(0, 100)].filter(Boolean).join("/");
    const type = String.fromCharCode(header[156] || 48);
    if (type === "0") files.push({ name, mode: parseInt(field(100, 8).trim() || "644", 8), data: tar.subarray(at + 512, at + 512 + size) });
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return files;
}

/** The files of @esbuild/<target>, relative to its folder, with their modes. */
function platformPackage(target) {
  const installed = path.join(root, "node_modules", "@esbuild", target);
  if (fs.existsSync(path.join(installed, "package.json")) && JSON.parse(fs.readFileSync(path.join(installed, "package.json"), "utf8")).version === version) {
    return fs
      .readdirSync(installed, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => {
        const full = path.join(e.parentPath, e.name);
        return { name: path.relative(installed, full).split(path.sep).join("/"), mode: fs.statSync(full).mode & 0o777, data: fs.readFileSync(full) };
      });
  }
  fs.mkdirSync(values.cache, { recursive: true });
  const tgz = path.join(values.cache, `esbuild-${target}-${version}.tgz`);
  if (!fs.existsSync(tgz)) {
    console.log(`package-all: npm pack @esbuild/${target}@${version}`);
    execFileSync(isWindows ? "npm.cmd" : "npm", ["pack", `@esbuild/${target}@${version}`, "--pack-destination", values.cache, "--silent"], { stdio: ["ignore", "ignore", "inherit"], shell: isWindows });
  }
  return untar(fs.readFileSync(tgz))
    .filter((f) => f.name.startsWith("package/"))
    .map((f) => ({ ...f, name: f.name.slice("package/".length) }));
}

if (!values["no-build"]) execFileSync(process.execPath, [path.join(root, "scripts", "build.mjs"), "--production"], { cwd: root, stdio: "inherit" });
// --follow-symlinks: a file: dependency (the TypeScript server plugin) is a symlink in node_modules.
const listed = npx(["vsce", "ls", "--follow-symlinks"], root).split(/\r?\n/).filter(Boolean);
/** The package a node_modules path belongs to ("esbuild", "@esbuild/linux-x64"), or undefined. */
const packageOf = (f) => /^node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(f)?.[1];
const bundlerPackage = (name) => name === "esbuild" || name === "esbuild-wasm" || name?.startsWith("@esbuild/");
// Our files and every other dependency's go into every vsix; the bundler's are chosen per target.
const common = listed.filter((f) => !bundlerPackage(packageOf(f)));
const esbuildApi = listed.filter((f) => packageOf(f) === "esbuild");
const esbuildWasm = listed.filter((f) => packageOf(f) === "esbuild-wasm");
if (esbuildApi.length === 0 || !esbuildWasm.some((f) => f.endsWith("esbuild.wasm"))) {
  console.error("package-all: vsce ls lists no esbuild or esbuild-wasm files: check .vscodeignore and run npm ci");
  process.exit(1);
}

const manifest = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8"));
// The staged package.json: no scripts (vscode:prepublish ran above, once), no dev dependencies, and
// as dependencies only those staged, so that vsce's `npm list` there finds exactly what is there.
delete manifest.scripts;
delete manifest.devDependencies;
const dependencies = manifest.dependencies;

for (const { target } of jobs) {
  const t0 = Date.now();
  const stage = path.join(values.cache, `stage-${target ?? "universal"}`);
  fs.rmSync(stage, { recursive: true, force: true });
  const copy = (rel) => {
    const to = path.join(stage, rel);
    fs.mkdirSync(path.dirname(to), { recursive: true });
    fs.copyFileSync(path.join(root, rel), to);
    fs.chmodSync(to, fs.statSync(path.join(root, rel)).mode & 0o777);
  };
  for (const f of common) copy(f);
  if (target) {
    for (const f of esbuildApi) copy(f);
    for (const f of platformPackage(target)) {
      const to = path.join(stage, "node_modules", "@esbuild", target, f.name);
      fs.mkdirSync(path.dirname(to), { recursive: true });
      fs.writeFileSync(to, f.data, { mode: f.mode });
      fs.chmodSync(to, f.mode);
    }
  } else {
    for (const f of esbuildWasm) copy(f);
  }
  const staged = new Set([...common.map(packageOf), target ? "esbuild" : "esbuild-wasm"]);
  // "*": a file: dependency staged as a plain folder would be "invalid" to npm list under its spec.
  manifest.dependencies = Object.fromEntries(Object.keys(dependencies).filter((name) => staged.has(name)).map((name) => [name, "*"]));
  fs.writeFileSync(path.join(stage, "package.json"), JSON.stringify(manifest, null, 2) + "\n");
  copy(".vscodeignore");
  const out = outFor(target);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.rmSync(out, { force: true });
  npx(["vsce", "package", ...(target ? ["--target", target] : []), "--out", out], stage);
  execFileSync(process.execPath, [path.join(root, "scripts", "vsix-report.mjs"), out], { stdio: "inherit" });
  console.log(`package-all: ${path.relative(process.cwd(), out)} (${target ?? "universal"}) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}
