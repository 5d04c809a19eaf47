// A client of the "blk" service (docs/block-protocol.md) that reads for the storage benchmark:
// sequentially in 64 KiB units (each unit is 16 READs of 8 sectors, the protocol's maximum) or at
// random 4 KiB-aligned offsets. It checks that every 4 KiB block it gets starts with its own block
// number (the harness writes the image that way), so a fast but wrong path cannot pass.
// Marks on the console ("bench:go", "bench:done") let the host time the run with the wall clock,
// which the sandbox hides from driver code.
import { BLK_MAX_READ_SECTORS, BLK_SECTOR_SIZE, BlkTag, Reader, client, defineDriver, type Driver } from "@zds/sdk";

export interface BlkReaderParams {
  mode: "sequential" | "random";
  /** Sequential: bytes to read from sector 0 (a multiple of 64 KiB). Random: number of 4 KiB reads. */
  amount: number;
  /** Random reads before the first mark (they warm the JIT and the page cache path up). */
  warmup: number;
}

const BLOCK_BYTES = BLK_MAX_READ_SECTORS * BLK_SECTOR_SIZE;
const UNIT_BYTES = 64 * 1024;

export function blkReader(params: BlkReaderParams): Driver {
  return defineDriver({
    name: "bench-blk-reader",
    caps: { blk: client("blk") },
    main({ blk }, sys) {
      const disk = blk.connect();
      const info = disk.call(BlkTag.INFO);
      if (info.tag !== BlkTag.INFO_REPLY) throw new Error(`INFO answered with tag 0x${info.tag.toString(16)}`);
      const blocks = Math.floor(Number(new Reader(info.payload).u64()) / BLK_MAX_READ_SECTORS);
      // One request buffer reused for every READ (Writer would allocate per call): the client's own
      // cost stays out of the figure.
      const request = new Uint8Array(12);
      const view = new DataView(request.buffer);
      view.setUint32(8, BLK_MAX_READ_SECTORS, true);
      const readBlock = (block: number): void => {
        const sector = block * BLK_MAX_READ_SECTORS;
        view.setUint32(0, sector % 2 ** 32, true);
        view.setUint32(4, Math.floor(sector / 2 ** 32), true);
        const reply = disk.call(BlkTag.READ, request);
        if (reply.tag !== BlkTag.DATA || reply.payload.length !== BLOCK_BYTES)
          throw new Error(
            `READ of block ${block} answered with tag 0x${reply.tag.toString(16)}, ${reply.payload.length} bytes`,
          );
        const first = new DataView(reply.payload.buffer, reply.payload.byteOffset, 4).getUint32(0, true);
        if (first !== block) throw new Error(`block ${block} holds the data of block ${first}`);
      };
      const randomBlock = (): number => Math.floor(Math.random() * blocks);

      for (let i = 0; i < params.warmup; i++) readBlock(randomBlock());
      sys.console("bench:go\n");
      if (params.mode === "sequential") {
        const units = Math.min(params.amount, blocks * BLOCK_BYTES) / UNIT_BYTES;
        for (let u = 0; u < units; u++) {
          for (let b = 0; b < UNIT_BYTES / BLOCK_BYTES; b++) readBlock((u * UNIT_BYTES) / BLOCK_BYTES + b);
        }
      } else {
        for (let i = 0; i < params.amount; i++) readBlock(randomBlock());
      }
      sys.console("bench:done\n");
      return 0;
    },
  });
}
