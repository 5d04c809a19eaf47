// What a disk device needs of its medium: fixed-size sectors read and written by number, and a way
// to make written data stable. Both disk controllers (virtio-blk, ATA) talk to this and nothing else,
// so a raw file, a copy-on-write overlay and a blank in-memory disk are interchangeable.
//
// Calls are synchronous: the kernel services one syscall at a time on the host thread, devices run
// inside those calls, and every transfer is bounded by the driver's DMA memory or one ATA sector.

export const SECTOR_SIZE = 512;

export interface BlockStore {
  /** Capacity in 512-byte sectors. */
  readonly sectors: number;
  /** Writes are refused by the device (virtio-blk offers VIRTIO_BLK_F_RO). */
  readonly readOnly: boolean;
  /** The image path, or a description of an in-memory disk: for messages and GET_ID. */
  readonly label: string;
  /** Fill `into` (a whole number of sectors) starting at `sector`. The caller checked the range.
   *  Throws a DiskImageError if the host cannot read. */
  read(sector: number, into: Uint8Array): void;
  /** Store `data` (a whole number of sectors) starting at `sector`. Throws on host failure. */
  write(sector: number, data: Uint8Array): void;
  /** Make every write done so far stable (fsync for a file written through). */
  flush(): void;
  /** Release host resources; the store is unusable afterwards. */
  close(): void;
}

/** Whether `count` sectors from `sector` lie inside a store of `capacity` sectors. */
export function inRange(capacity: number, sector: number, count: number): boolean {
  return Number.isSafeInteger(sector) && sector >= 0 && count >= 0 && sector + count <= capacity;
}

export function checkTransfer(store: BlockStore, sector: number, bytes: Uint8Array): void {
  if (bytes.length % SECTOR_SIZE !== 0)
    throw new RangeError(`${store.label}: transfer of ${bytes.length} bytes is not a whole number of sectors`);
  if (!inRange(store.sectors, sector, bytes.length / SECTOR_SIZE)) {
    throw new RangeError(
      `${store.label}: sectors ${sector}+${bytes.length / SECTOR_SIZE} are outside the disk's ${store.sectors} sectors`,
    );
  }
}
