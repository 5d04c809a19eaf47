// A client of the "blk" service that reads for the storage benchmark through the bulk path
// (docs/block-protocol.md): it lends the driver one DMA buffer, then sends BATCHes of `batch` reads
// of `unitBytes` each, sequential from sector 0 or at random aligned offsets. The device writes the
// sectors straight into the buffer; one reply answers each batch.
// Every 4 KiB block of the image starts with its own number (the harness writes it so). Before each
// batch the client clears that word in every block it expects, and after it checks every one, so a
// transfer that did not happen, or landed in the wrong place, cannot pass.
// Marks on the console ("bench:go", "bench:done") let the host time the run with the wall clock.
import {
  BLK_SECTOR_SIZE,
  BatchWriter,
  askDiskInfo,
  attachBuffer,
  client,
  defineDriver,
  dma,
  type Driver,
} from "@zds/sdk";

export interface BlkBulkReaderParams {
  mode: "sequential" | "random";
  /** Bytes of one read: a multiple of 4 KiB. */
  unitBytes: number;
  /** Reads per BATCH (≤ BLK_MAX_BATCH): the queue depth the device sees. */
  batch: number;
  /** Sequential: bytes to read from sector 0, wrapping at the end of the disk (a multiple of
   *  unitBytes × batch). Random: reads. */
  amount: number;
  /** Batches before the first mark (they warm the JIT and the page cache path up). */
  warmup: number;
}

const BLOCK = 4096;
const BUFFER_ID = 1;

export function blkBulkReader(params: BlkBulkReaderParams): Driver {
  const bufferBytes = params.unitBytes * params.batch;
  return defineDriver({
    name: "bench-blk-bulk-reader",
    caps: { blk: client("blk"), buf: dma({ size: bufferBytes }) },
    main({ blk, buf }, sys) {
      const disk = blk.connect();
      const info = askDiskInfo(disk);
      if (!info.bulk) throw new Error("the block driver does not serve the bulk path (INFO flag BULK)");
      attachBuffer(disk, buf, BUFFER_ID, "read");
      const words = new Uint32Array(buf.bytes.buffer, buf.bytes.byteOffset, bufferBytes / 4);
      const unitSectors = params.unitBytes / BLK_SECTOR_SIZE;
      const blocksPerUnit = params.unitBytes / BLOCK;
      const units = Math.floor((info.sectors * BLK_SECTOR_SIZE) / params.unitBytes);
      const writer = new BatchWriter();
      const firstBlocks = new Array<number>(params.batch).fill(0);

      /** One BATCH of reads of units `unitAt(i)`, checked block by block. */
      const readBatch = (unitAt: (i: number) => number): void => {
        for (let i = 0; i < params.batch; i++) {
          const unit = unitAt(i);
          firstBlocks[i] = unit * blocksPerUnit;
          for (let b = 0; b < blocksPerUnit; b++) words[(i * params.unitBytes + b * BLOCK) / 4] = 0xffffffff;
          writer.add({
            op: "read",
            buffer: BUFFER_ID,
            offset: i * params.unitBytes,
            sectors: unitSectors,
            sector: unit * unitSectors,
          });
        }
        const statuses = writer.send(disk);
        for (let i = 0; i < params.batch; i++) {
          if (statuses[i] !== 0) throw new Error(`read ${i} of a batch failed with status ${statuses[i]}`);
          for (let b = 0; b < blocksPerUnit; b++) {
            const got = words[(i * params.unitBytes + b * BLOCK) / 4];
            if (got !== firstBlocks[i] + b)
              throw new Error(`block ${firstBlocks[i] + b} holds the data of block ${got}`);
          }
        }
      };
      const randomUnit = (): number => Math.floor(Math.random() * units);

      for (let w = 0; w < params.warmup; w++) readBatch(randomUnit);
      sys.console("bench:go\n");
      if (params.mode === "sequential") {
        const batches = params.amount / bufferBytes;
        for (let n = 0; n < batches; n++) readBatch((i) => (n * params.batch + i) % units);
      } else {
        for (let n = 0; n < params.amount / params.batch; n++) readBatch(randomUnit);
      }
      sys.console("bench:done\n");
      return 0;
    },
  });
}
