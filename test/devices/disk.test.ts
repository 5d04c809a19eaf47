// Disk images: raw files read and written by position, the copy-on-write overlay, blank disks, and
// the errors a user sees for an image the machine cannot use.
import assert from "node:assert/strict";
import {
  chmodSync,
  ftruncateSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  closeSync,
  readFileSync,
  writeFileSync,
  writeSync,
  readSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  AtaDevice,
  createMachine,
  DiskImageError,
  loadMachineDescription,
  openDisk,
  RawFile,
  VirtioBlk,
} from "../../devices";

const dir = mkdtempSync(path.join(tmpdir(), "zds-disk-"));
let serial = 0;
function image(bytes: number | Uint8Array): string {
  const file = path.join(dir, `img-${serial++}.raw`);
  writeFileSync(file, typeof bytes === "number" ? new Uint8Array(bytes) : bytes);
  return file;
}
const sector = (fill: number): Uint8Array => new Uint8Array(512).fill(fill);

function imageError(spec: Parameters<typeof openDisk>[0]): DiskImageError {
  try {
    openDisk(spec).close();
  } catch (error) {
    assert.ok(error instanceof DiskImageError, String(error));
    return error;
  }
  assert.fail("expected a DiskImageError");
}

describe("disk images", () => {
  it("reads sectors of a raw image by position", () => {
    const bytes = new Uint8Array(4 * 512);
    bytes.fill(7, 1024, 1536);
    const disk = openDisk({ path: image(bytes) });
    assert.equal(disk.sectors, 4);
    const out = new Uint8Array(1024);
    disk.read(1, out);
    assert.deepEqual(out.subarray(0, 512), sector(0));
    assert.deepEqual(out.subarray(512), sector(7));
    disk.close();
  });

  it("by default writes to a copy-on-write overlay: the session sees its writes, the file stays untouched", () => {
    const file = image(4 * 512);
    const disk = openDisk({ path: file });
    disk.write(2, sector(9));
    disk.flush();
    const out = new Uint8Array(512);
    disk.read(2, out);
    assert.deepEqual(out, sector(9));
    disk.close();
    assert.deepEqual(readFileSync(file), Buffer.alloc(4 * 512));
  });

  it("in persist mode writes through to the file", () => {
    const file = image(4 * 512);
    const disk = openDisk({ path: file, persist: true });
    disk.write(3, sector(5));
    disk.flush();
    disk.close();
    assert.deepEqual(readFileSync(file).subarray(3 * 512), Buffer.from(sector(5)));
  });

  it("a read-only image refuses writes", () => {
    const disk = openDisk({ path: image(512), readOnly: true });
    assert.equal(disk.readOnly, true);
    assert.throws(() => disk.write(0, sector(1)), DiskImageError);
    disk.close();
  });

  it("works with a several-GiB sparse image without reading it into memory", () => {
    const file = path.join(dir, "big.raw");
    const size = 6 * 1024 ** 3;
    const fd = openSync(file, "w");
    ftruncateSync(fd, size);
    writeSync(fd, sector(0xab), 0, 512, size - 512);
    closeSync(fd);
    const before = process.memoryUsage().rss;
    const disk = openDisk({ path: file, persist: true });
    assert.equal(disk.sectors, size / 512);
    const out = new Uint8Array(512);
    disk.read(size / 512 - 1, out);
    assert.deepEqual(out, sector(0xab));
    disk.write(size / 512 - 2, sector(0xcd));
    disk.close();
    assert.ok(process.memoryUsage().rss - before < 256 * 1024 * 1024, "the image was not loaded");
    const check = Buffer.alloc(512);
    const rfd = openSync(file, "r");
    readSync(rfd, check, 0, 512, size - 1024);
    closeSync(rfd);
    assert.deepEqual(check, Buffer.from(sector(0xcd)));
  });

  it("a blank disk reads zeros and keeps writes in memory", () => {
    const disk = openDisk({ blankBytes: 8 * 1024 * 1024 });
    assert.equal(disk.sectors, 16384);
    assert.match(disk.label, /blank 8 MiB disk/);
    disk.write(100, sector(3));
    const out = new Uint8Array(1024);
    disk.read(99, out);
    assert.deepEqual(out.subarray(0, 512), sector(0));
    assert.deepEqual(out.subarray(512), sector(3));
  });

  it("names a missing image", () => {
    const missing = path.join(dir, "nope.img");
    const error = imageError({ path: missing });
    assert.equal(error.message, `disk image ${missing}: does not exist`);
  });

  it("names an image that is not a whole number of 512-byte sectors", () => {
    const file = image(1000);
    assert.equal(
      imageError({ path: file }).message,
      `disk image ${file}: is 1000 bytes, not a whole number of 512-byte sectors (488 bytes left over)`,
    );
  });

  it("names an empty image", () => {
    const file = image(0);
    assert.match(imageError({ path: file }).message, /is empty/);
  });

  it("names a directory given as an image", () => {
    const sub = path.join(dir, "a-directory");
    mkdirSync(sub);
    assert.match(imageError({ path: sub }).message, new RegExp(`${sub}: (is a directory|is not a regular file)`));
  });

  it("names an image it may not read", function () {
    if (process.getuid?.() === 0) this.skip(); // root reads anything
    const file = image(512);
    chmodSync(file, 0o000);
    assert.match(imageError({ path: file }).message, /permission denied/);
  });

  it("createMachine fails with the DiskImageError, and both controllers share one disk", () => {
    const description = loadMachineDescription("virt");
    assert.throws(
      () => createMachine(description, { seed: 1, disk: { path: path.join(dir, "gone.img") } }),
      DiskImageError,
    );
    const machine = createMachine(description, { seed: 1, disk: { path: image(2048) } });
    assert.equal(machine.disk().sectors, 4);
    assert.equal(machine.backend("virtio-blk0", VirtioBlk).disk, machine.disk());
    assert.equal(machine.backend("ata0", AtaDevice).disk, machine.disk());
    machine.close();
    assert.throws(() => new RawFile(path.join(dir, "gone.img"), { writable: false }), /does not exist/);
  });
});
