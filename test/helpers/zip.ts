// A small zip reader for the packaging tests (a vsix is a zip): the central directory's entries and
// one entry's bytes (stored or deflated). No zip64: a vsix is far below 4 GiB.
import fs from "node:fs";
import zlib from "node:zlib";

export interface ZipEntry {
  name: string;
  size: number;
  compressed: number;
  method: number;
  /** Unix mode bits (external attributes' high half); 0 when the archiver stored none. */
  mode: number;
  offset: number;
}

export class ZipFile {
  readonly entries: ZipEntry[] = [];

  constructor(readonly bytes: Buffer) {
    const eocd = bytes.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
    if (eocd < 0) throw new Error("not a zip file");
    const count = bytes.readUInt16LE(eocd + 10);
    let at = bytes.readUInt32LE(eocd + 16);
    for (let i = 0; i < count; i++) {
      if (bytes.readUInt32LE(at) !== 0x02014b50) throw new Error(`bad central directory entry ${i}`);
      const nameLength = bytes.readUInt16LE(at + 28);
      const extra = bytes.readUInt16LE(at + 30);
      const comment = bytes.readUInt16LE(at + 32);
      this.entries.push({
        name: bytes.toString("utf8", at + 46, at + 46 + nameLength),
        method: bytes.readUInt16LE(at + 10),
        compressed: bytes.readUInt32LE(at + 20),
        size: bytes.readUInt32LE(at + 24),
        mode: bytes.readUInt32LE(at + 38) >>> 16,
        offset: bytes.readUInt32LE(at + 42),
      });
      at += 46 + nameLength + extra + comment;
    }
  }

  static open(file: string): ZipFile {
    return new ZipFile(fs.readFileSync(file));
  }

  names(): string[] {
    return this.entries.map((e) => e.name);
  }

  read(name: string): Buffer {
    const e = this.entries.find((x) => x.name === name);
    if (!e) throw new Error(`${name}: not in the zip`);
    const at = e.offset;
    if (this.bytes.readUInt32LE(at) !== 0x04034b50) throw new Error(`${name}: bad local header`);
    const start = at + 30 + this.bytes.readUInt16LE(at + 26) + this.bytes.readUInt16LE(at + 28);
    const data = this.bytes.subarray(start, start + e.compressed);
    if (e.method === 0) return Buffer.from(data);
    if (e.method === 8) return zlib.inflateRawSync(data);
    throw new Error(`${name}: compression method ${e.method}`);
  }
}
