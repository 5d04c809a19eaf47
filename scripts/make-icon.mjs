// Writes images/icon.png (128×128, the extension's icon) with nothing but node:zlib, so the icon is
// reproducible and needs no image tool. `--check` only verifies the committed icon exists.
// The picture: a dark chip with pins and a green "0" ring (Zero OS) in the middle.
import fs from "node:fs";
import zlib from "node:zlib";

const out = new URL("../images/icon.png", import.meta.url);
if (process.argv.includes("--check")) {
  if (!fs.existsSync(out)) throw new Error("images/icon.png is missing: run node scripts/make-icon.mjs");
  process.exit(0);
}
const N = 128;
const rgba = Buffer.alloc(N * N * 4);
const set = (x, y, [r, g, b, a]) => rgba.set([r, g, b, a], (y * N + x) * 4);
for (let y = 0; y < N; y++) {
  for (let x = 0; x < N; x++) {
    const chip = x >= 24 && x < 104 && y >= 24 && y < 104;
    const pin = ((x >= 12 && x < 24) || (x >= 104 && x < 116)) && y >= 32 && y < 96 && (y - 32) % 16 < 8;
    const pinV = ((y >= 12 && y < 24) || (y >= 104 && y < 116)) && x >= 32 && x < 96 && (x - 32) % 16 < 8;
    const d = Math.hypot(x - 63.5, y - 63.5);
    const ring = Math.abs(d - 24) < 6;
    if (chip && ring) set(x, y, [64, 200, 120, 255]);
    else if (chip) set(x, y, [36, 41, 51, 255]);
    else if (pin || pinV) set(x, y, [170, 176, 186, 255]);
    else set(x, y, [0, 0, 0, 0]);
  }
}
const raw = Buffer.alloc(N * (N * 4 + 1));
for (let y = 0; y < N; y++) rgba.copy(raw, y * (N * 4 + 1) + 1, y * N * 4, (y + 1) * N * 4);
const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc = (buf) => {
  let c = 0xffffffff;
  for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};
const chunk = (type, data) => {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const sum = Buffer.alloc(4);
  sum.writeUInt32BE(crc(body));
  return Buffer.concat([len, body, sum]);
};
const ihdr = Buffer.alloc(13);
ihdr.writeUInt32BE(N, 0);
ihdr.writeUInt32BE(N, 4);
ihdr.set([8, 6, 0, 0, 0], 8); // 8-bit RGBA, no interlace
fs.writeFileSync(out, Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk("IHDR", ihdr), chunk("IDAT", zlib.deflateSync(raw, { level: 9 })), chunk("IEND", Buffer.alloc(0))]));
