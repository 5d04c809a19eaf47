// The block protocol's payload layouts (kernel/abi/block.ts), as docs/block-protocol.md spells them
// byte by byte, and both SDK sides on top of them: the client's BatchWriter and the server's
// decodeBatch agree, and so do blockInfoPayload and decodeDiskInfo.

import assert from "node:assert/strict";
import {
  BLK_BATCH_ENTRY_BYTES,
  BLK_INFO_REPLY_BYTES,
  BlkBatchOp,
  BlkInfoFlag,
  blkBatchEntryAt,
  decodeBlkBatchDone,
  encodeBlkBatchDone,
  encodeBlkInfo,
  readBlkBatchEntry,
  writeBlkBatchEntry,
} from "../../kernel/abi";
import { batchDonePayload, blockInfoPayload, decodeDiskInfo } from "../../drivers/sdk";

describe("block protocol layouts (kernel/abi/block.ts)", () => {
  it("INFO_REPLY is [sectors u64][sector_size u32][max_read u32][max_write u32][flags u32]", () => {
    const bytes = encodeBlkInfo({ sectors: 2 ** 40 + 3, sectorSize: 512, maxRead: 8, maxWrite: 7, flags: 5 });
    assert.equal(bytes.length, BLK_INFO_REPLY_BYTES);
    const v = new DataView(bytes.buffer);
    assert.equal(v.getBigUint64(0, true), 2n ** 40n + 3n);
    assert.deepEqual(
      [v.getUint32(8, true), v.getUint32(12, true), v.getUint32(16, true), v.getUint32(20, true)],
      [512, 8, 7, 5],
    );
  });

  it("the server's INFO reply decodes on the client side to what the server knows", () => {
    const info = decodeDiskInfo(blockInfoPayload({ sectors: 4096, readOnly: true, flush: false, bulk: true }));
    assert.deepEqual(info, {
      sectors: 4096,
      sectorSize: 512,
      maxRead: 8,
      maxWrite: 7,
      readOnly: true,
      flush: false,
      bulk: true,
    });
    assert.equal(decodeDiskInfo(new Uint8Array(BLK_INFO_REPLY_BYTES - 1)), undefined);
    assert.equal(BlkInfoFlag.READ_ONLY | BlkInfoFlag.BULK, 5);
  });

  it("a BATCH entry is [op u32][buffer u32][offset u32][sectors u32][sector u64], after [count u32]", () => {
    const bytes = new Uint8Array(blkBatchEntryAt(2));
    const v = new DataView(bytes.buffer);
    const entry = { op: BlkBatchOp.WRITE, buffer: 9, offset: 1024, sectors: 2048, sector: 2 ** 33 + 17 };
    writeBlkBatchEntry(v, blkBatchEntryAt(1), entry);
    const at = 4 + BLK_BATCH_ENTRY_BYTES;
    assert.deepEqual(
      [0, 4, 8, 12, 16, 20].map((o) => v.getUint32(at + o, true)),
      [1, 9, 1024, 2048, 17, 2],
    );
    assert.deepEqual(readBlkBatchEntry(v, at), entry);
  });

  it("BATCH_DONE is [count u32] then one status u32 per entry", () => {
    const bytes = batchDonePayload([0, 6, 2]);
    assert.deepEqual([...bytes], [3, 0, 0, 0, 0, 0, 0, 0, 6, 0, 0, 0, 2, 0, 0, 0]);
    assert.deepEqual(encodeBlkBatchDone([0, 6, 2]), bytes);
    assert.deepEqual(decodeBlkBatchDone(bytes), [0, 6, 2]);
    assert.equal(decodeBlkBatchDone(bytes.subarray(0, 12)), undefined);
  });
});
