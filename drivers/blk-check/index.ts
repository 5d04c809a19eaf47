// blk-check: a client of the "blk" service that checks a disk end to end. It writes a pattern,
// flushes, reads it back and compares, then prints one line: "blk-check: PASS …" or
// "blk-check: FAIL …". It touches no hardware, so it works against whichever block driver serves
// "blk" (drivers/virtio-blk or drivers/ata-pio: run one of them with it).
//
// The pattern goes in the last CHECK_SECTORS sectors of the disk, where a partition table or a
// boot sector is least likely to live. It is written in the largest pieces a WRITE message allows
// and read back in the largest a READ allows, so both limits of the protocol are exercised.

import {
  BLK_MAX_READ_SECTORS,
  BLK_MAX_WRITE_SECTORS,
  BLK_SECTOR_SIZE,
  BlkError,
  BlkInfoFlag,
  BlkTag,
  Reader,
  Writer,
  client,
  defineDriver,
  describeBlkError,
  type Connection,
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
  caps: { blk: client("blk") },
  main({ blk }, sys) {
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
      sys.console(`blk-check: PASS wrote, flushed and read back sectors ${first}..${info.sectors - 1} of ${info.sectors}\n`);
      return 0;
    } catch (error) {
      if (!(error instanceof CheckFailed)) throw error;
      sys.console(`blk-check: FAIL ${error.message}\n`);
      return 1;
    }
  },
});

function askInfo(disk: Connection): { sectors: number; readOnly: boolean } {
  const reply = expect(disk.call(BlkTag.INFO), BlkTag.INFO_REPLY, "INFO");
  const r = new Reader(reply);
  const sectors = Number(r.u64());
  const sectorSize = r.u32();
  r.u32(); // max sectors per READ
  r.u32(); // max sectors per WRITE
  const flags = r.u32();
  if (sectorSize !== BLK_SECTOR_SIZE) throw new CheckFailed(`INFO says sectors are ${sectorSize} bytes, expected ${BLK_SECTOR_SIZE}`);
  return { sectors, readOnly: (flags & BlkInfoFlag.READ_ONLY) !== 0 };
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
