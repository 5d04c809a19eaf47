// After `vsce package`: the vsix's size, what takes the room, and a check that nothing slipped in
// that the .vscodeignore means to keep out (node_modules other than esbuild and esbuild-wasm, tests, sources maps,
// TypeScript sources outside the driver SDK, samples and kernel/abi that drivers bundle at run time).
// Reads the zip's central directory itself (no unzip tool needed). Exit 1 on a violation.
import fs from "node:fs";

const file = process.argv[2] ?? "zero-driver-studio.vsix";
const zip = fs.readFileSync(file);
const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
if (eocd < 0) throw new Error(`${file} is not a zip file`);
const count = zip.readUInt16LE(eocd + 10);
let at = zip.readUInt32LE(eocd + 16);
const entries = [];
for (let i = 0; i < count; i++) {
  const compressed = zip.readUInt32LE(at + 20);
  const size = zip.readUInt32LE(at + 24);
  const nameLength = zip.readUInt16LE(at + 28);
  const extra = zip.readUInt16LE(at + 30);
  const comment = zip.readUInt16LE(at + 32);
  entries.push({ name: zip.toString("utf8", at + 46, at + 46 + nameLength), size, compressed });
  at += 46 + nameLength + extra + comment;
}

const allowed = [/^extension\/(package\.json|README\.md|CHANGELOG\.md|LICENSE(\.txt)?)$/i, /^extension\/images\//, /^extension\/dist\/[\w-]+\.js$/, /^extension\/(drivers|kernel\/abi|syntaxes|docs)\//, /^extension\/kernel\/abi\.ts$/, /^extension\/bin\/zds\.js$/, /^extension\/node_modules\/(esbuild|esbuild-wasm|@esbuild)\//, /^\[Content_Types\]\.xml$/, /^extension\.vsixmanifest$/];
// The SDK's declarations and the TypeScript server plugin's package (docs/sdk-types.md).
allowed.push(/^extension\/dist\/types\/.+\.d\.ts$/, /^extension\/node_modules\/zds-tsserver-plugin\/package\.json$/);
const stray = entries.filter((e) => !allowed.some((re) => re.test(e.name)));
const groups = new Map();
for (const e of entries) {
  const key = e.name.replace(/^extension\//, "").split("/").slice(0, e.name.includes("node_modules") ? 3 : 2).join("/");
  const g = groups.get(key) ?? { files: 0, size: 0, compressed: 0 };
  g.files++;
  g.size += e.size;
  g.compressed += e.compressed;
  groups.set(key, g);
}
const mb = (n) => `${(n / 1024 / 1024).toFixed(2)} MiB`;
console.log(`${file}: ${mb(zip.length)} (${entries.length} files, ${mb(entries.reduce((n, e) => n + e.size, 0))} unpacked)`);
for (const [key, g] of [...groups].sort((a, b) => b[1].compressed - a[1].compressed).slice(0, 8)) console.log(`  ${mb(g.compressed).padStart(10)} packed  ${mb(g.size).padStart(10)} unpacked  ${key} (${g.files} files)`);
if (stray.length) {
  console.error(`vsix: files the .vscodeignore should keep out:\n${stray.map((e) => `  ${e.name}`).join("\n")}`);
  process.exit(1);
}
