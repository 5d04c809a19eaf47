// A raw disk image file: sector n lives at byte n·512. Reads and writes are positional, so an image
// of several GiB is never loaded into memory; flush() is fsync, the only promise that survives the
// host dying.

import { closeSync, fstatSync, fsyncSync, openSync, readSync, writeSync } from "node:fs";
import { checkTransfer, SECTOR_SIZE, type BlockStore } from "./block-store";
import { DiskImageError } from "./errors";

export interface RawFileOptions {
  /** Open for writing (persist mode); otherwise the file is only ever read. */
  readonly writable: boolean;
}

export class RawFile implements BlockStore {
  readonly sectors: number;
  readonly readOnly: boolean;
  readonly label: string;
  private fd: number | undefined;

  constructor(
    readonly path: string,
    options: RawFileOptions,
  ) {
    this.label = path;
    this.readOnly = !options.writable;
    const fd = openImage(path, options.writable);
    try {
      const stat = fstatSync(fd);
      if (!stat.isFile())
        throw new DiskImageError(path, "is not a regular file (a raw image is a plain file of 512-byte sectors)");
      if (stat.size === 0) throw new DiskImageError(path, "is empty (a raw image holds at least one 512-byte sector)");
      if (stat.size % SECTOR_SIZE !== 0) {
        throw new DiskImageError(
          path,
          `is ${stat.size} bytes, not a whole number of 512-byte sectors (${stat.size % SECTOR_SIZE} bytes left over)`,
        );
      }
      this.sectors = stat.size / SECTOR_SIZE;
    } catch (error) {
      closeSync(fd);
      throw error;
    }
    this.fd = fd;
  }

  read(sector: number, into: Uint8Array): void {
    checkTransfer(this, sector, into);
    const fd = this.open();
    let done = 0;
    while (done < into.length) {
      const n = this.io("read", () => readSync(fd, into, done, into.length - done, sector * SECTOR_SIZE + done));
      // The file shrank under us: what is gone reads as zeros rather than stale memory.
      if (n === 0) {
        into.fill(0, done);
        return;
      }
      done += n;
    }
  }

  write(sector: number, data: Uint8Array): void {
    if (this.readOnly) throw new DiskImageError(this.path, "write to an image opened read-only");
    checkTransfer(this, sector, data);
    const fd = this.open();
    let done = 0;
    while (done < data.length)
      done += this.io("write", () => writeSync(fd, data, done, data.length - done, sector * SECTOR_SIZE + done));
  }

  flush(): void {
    if (this.readOnly) return;
    const fd = this.open();
    this.io("fsync", () => fsyncSync(fd));
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private open(): number {
    if (this.fd === undefined) throw new DiskImageError(this.path, "used after the machine closed it");
    return this.fd;
  }

  private io<T>(what: string, op: () => T): T {
    try {
      return op();
    } catch (error) {
      throw new DiskImageError(this.path, `${what} failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}

function openImage(path: string, writable: boolean): number {
  try {
    return openSync(path, writable ? "r+" : "r");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === "ENOENT"
        ? "does not exist"
        : code === "EACCES" || code === "EPERM"
          ? `cannot be opened for ${writable ? "reading and writing (--persist)" : "reading"}: permission denied`
          : code === "EISDIR"
            ? "is a directory, not a raw image file"
            : `cannot be opened: ${error instanceof Error ? error.message : String(error)}`;
    throw new DiskImageError(path, reason);
  }
}
