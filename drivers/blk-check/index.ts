// blk-check: a client of the "blk" service that checks a disk end to end. It writes a pattern,
// flushes, reads it back and compares, then prints one line: "blk-check: PASS …" or
// "blk-check: FAIL …". It touches no hardware, so it works against whichever block driver serves
// "blk" (drivers/virtio-blk or drivers/ata-pio: run one of them with it).
//
// The pattern goes in the last CHECK_SECTORS sectors of the disk, where a partition table or a
// boot sector is least likely to live. It is written in the largest pieces a WRITE message allows
// and read back in the largest a READ allows, so both limits of the protocol are exercised.
//
// If the driver offers the bulk path (INFO flag BULK), the same sectors are then checked through it,
// across the two paths: a BATCH READ into a lent buffer must see what the messages wrote, a message
// READ must see what a BATCH WRITE wrote, and the disk ends with the pattern again.

import {
  BatchWriter,
  decodeDiskInfo,
  attachBuffer,
  detachBuffer,
  dma,
  BLK_MAX_READ_SECTORS,
  BLK_MAX_WRITE_SECTORS,
  BLK_SECTOR_SIZE,
  BlkError,
  BlkTag,
  Reader,
  Writer,
  client,
  defineDriver,
  describeBlkError,
  type Connection,
  type DmaBuffer,
} from "@zds/sdk";

const CHECK_SECTORS = 16;

/** The byte at `offset` of sector `sector` in the pattern: differs per sector and per byte, never
 *  all zeros (a blank disk must not pass by accident). */
function patternByte(sector: number, offset: number): number {
  return (sector * 7 + offset * 13 + 0x5a) & 0xff;
}

class CheckFailed extends Error {}

export default defineDriver({
  name: "blk-check",
  caps: { blk: client("blk"), buf: dma({ size: CHECK_SECTORS * BLK_SECTOR_SIZE }) },
  main({ blk, buf }, sys) {
    try {
      // connect() waits inside Init until a block driver has registered "blk".
      const disk = blk.connect();
      const info = askInfo(disk);
      if (info.readOnly) throw new CheckFailed("the disk is read-only; blk-check writes a pattern");
      if (info.sectors < CHECK_SECTORS) throw new CheckFailed(`the disk has ${info.sectors} sectors; blk-check needs ${CHECK_SECTORS}`);
      const first = info.sectors - CHECK_SECTORS;

      for (let s = first; s < info.sectors; s += BLK_MAX_WRITE_SECTORS) writeSectors(disk, s, Math.min(BLK_MAX_WRITE_SECTORS, info.sectors - s));
      expect(disk.call(BlkTag.FLUSH), BlkTag.DONE, "FLUSH");
      for (let s = first; s < info.sectors; s += BLK_MAX_READ_SECTORS) verifySectors(disk, s, Math.min(BLK_MAX_READ_SECTORS, info.sectors - s));

      // A read past the end must be refused, not wrap around or crash the driver.
      const beyond = disk.call(BlkTag.READ, new Writer().u64(info.sectors).u32(1).finish());
      if (beyond.tag !== BlkTag.ERROR || new Reader(beyond.payload).u32() !== BlkError.RANGE) {
        throw new CheckFailed(`a READ beyond the end of the disk got tag 0x${beyond.tag.toString(16)}, expected ERROR RANGE`);
      }
      if (info.bulk) checkBulk(disk, buf, first);
      // The verdict first (scripts read the first line), then what the bulk check covered.
      sys.console(`blk-check: PASS wrote, flushed and read back sectors ${first}..${info.sectors - 1} of ${info.sectors}\n`);
      sys.console(
        info.bulk
          ? `blk-check: bulk path PASS sectors ${first}..${info.sectors - 1} through a lent buffer, both ways\n`
          : "blk-check: bulk path not offered (no BULK in INFO); messages only\n",
      );
      return 0;
    } catch (error) {
      if (!(error instanceof CheckFailed)) throw error;
      sys.console(`blk-check: FAIL ${error.message}\n`);
      return 1;
    }
  },
});

/** The bulk path over the pattern's sectors, against the message path (see the top). */
function checkBulk(disk: Connection, buf: DmaBuffer, first: number): void {
  const bytes = CHECK_SECTORS * BLK_SECTOR_SIZE;
  const batch = (op: "read" | "write"): void => {
    const [status] = new BatchWriter().add({ op, buffer: 1, offset: 0, sectors: CHECK_SECTORS, sector: first }).send(disk);
    if (status !== 0) throw new CheckFailed(`BATCH ${op.toUpperCase()} of sectors ${first}+${CHECK_SECTORS}: ${describeBlkError(status)}`);
  };
  attachBuffer(disk, buf, 1);
  // What the messages wrote, read by the device straight into our buffer.
  buf.bytes.fill(0, 0, bytes);
  batch("read");
  for (let i = 0; i < bytes; i++) {
    const s = first + Math.floor(i / BLK_SECTOR_SIZE);
    const wanted = patternByte(s, i % BLK_SECTOR_SIZE);
    if (buf.bytes[i] !== wanted) throw new CheckFailed(`BATCH READ: sector ${s} byte ${i % BLK_SECTOR_SIZE} is 0x${buf.bytes[i].toString(16)}, the messages wrote 0x${wanted.toString(16)}`);
  }
  // The inverted pattern, written by the device from our buffer, read back through messages.
  for (let i = 0; i < bytes; i++) buf.bytes[i] ^= 0xff;
  batch("write");
  expect(disk.call(BlkTag.FLUSH), BlkTag.DONE, "FLUSH after BATCH WRITE");
  for (let s = first; s < first + CHECK_SECTORS; s += BLK_MAX_READ_SECTORS) {
    const data = expect(disk.call(BlkTag.READ, new Writer().u64(s).u32(BLK_MAX_READ_SECTORS).finish()), BlkTag.DATA, `READ of sectors ${s}+${BLK_MAX_READ_SECTORS}`);
    for (let i = 0; i < data.length; i++) {
      const wanted = patternByte(s + Math.floor(i / BLK_SECTOR_SIZE), i % BLK_SECTOR_SIZE) ^ 0xff;
      if (data[i] !== wanted) throw new CheckFailed(`after BATCH WRITE: sector ${s + Math.floor(i / BLK_SECTOR_SIZE)} byte ${i % BLK_SECTOR_SIZE} reads 0x${data[i].toString(16)}`);
    }
  }
  // Leave the disk with the pattern, as the message check left it.
  for (let i = 0; i < bytes; i++) buf.bytes[i] ^= 0xff;
  batch("write");
  expect(disk.call(BlkTag.FLUSH), BlkTag.DONE, "FLUSH");
  if (!detachBuffer(disk, 1)) throw new CheckFailed("DETACH of the lent buffer was refused");
}

function askInfo(disk: Connection): { sectors: number; readOnly: boolean; bulk: boolean } {
  const info = decodeDiskInfo(expect(disk.call(BlkTag.INFO), BlkTag.INFO_REPLY, "INFO"));
  if (!info) throw new CheckFailed("INFO: the reply is too short for [sectors u64][sector_size u32][max_read u32][max_write u32][flags u32]");
  if (info.sectorSize !== BLK_SECTOR_SIZE) throw new CheckFailed(`INFO says sectors are ${info.sectorSize} bytes, expected ${BLK_SECTOR_SIZE}`);
  return { sectors: info.sectors, readOnly: info.readOnly, bulk: info.bulk };
}

function writeSectors(disk: Connection, sector: number, count: number): void {
  const data = new Uint8Array(count * BLK_SECTOR_SIZE);
  for (let i = 0; i < data.length; i++) data[i] = patternByte(sector + Math.floor(i / BLK_SECTOR_SIZE), i % BLK_SECTOR_SIZE);
  expect(disk.call(BlkTag.WRITE, new Writer().u64(sector).raw(data).finish()), BlkTag.DONE, `WRITE of sectors ${sector}+${count}`);
}

function verifySectors(disk: Connection, sector: number, count: number): void {
  const data = expect(disk.call(BlkTag.READ, new Writer().u64(sector).u32(count).finish()), BlkTag.DATA, `READ of sectors ${sector}+${count}`);
  if (data.length !== count * BLK_SECTOR_SIZE) throw new CheckFailed(`READ of ${count} sectors returned ${data.length} bytes`);
  for (let i = 0; i < data.length; i++) {
    const s = sector + Math.floor(i / BLK_SECTOR_SIZE);
    const wanted = patternByte(s, i % BLK_SECTOR_SIZE);
    if (data[i] !== wanted) throw new CheckFailed(`sector ${s} byte ${i % BLK_SECTOR_SIZE} reads 0x${data[i].toString(16)}, wrote 0x${wanted.toString(16)}`);
  }
}

/** The reply's payload if it has the tag we expect; a failure naming the request otherwise. */
function expect(reply: { tag: number; payload: Uint8Array }, tag: number, what: string): Uint8Array {
  if (reply.tag === tag) return reply.payload;
  if (reply.tag === BlkTag.ERROR && reply.payload.length >= 4) throw new CheckFailed(`${what}: ${describeBlkError(new Reader(reply.payload).u32())}`);
  throw new CheckFailed(`${what}: unexpected reply tag 0x${reply.tag.toString(16)}`);
}
