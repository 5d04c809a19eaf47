// The durable key-value store behind SYS_STORAGE_* (docs/adapters.md): one directory per machine
// holding an append-only log, `store.log`, and a lock file. No dependency: a log of checksummed
// records is all a crash-safe key-value store of this size needs.
//
// Record: [magic u32 "ZKV1"][op u8: 1 put, 2 delete][key_len u32][value_len u32][crc32 u32][key][value]
// The CRC-32 covers the 13 header bytes before it, the key and the value.
//
// Crash safety: a put or delete changes the in-memory map at once (so later requests see it, in
// request order) and is durable when its promise resolves: the record was written and fdatasync'd.
// The kernel delivers WRITE_OK only then. Records queued while a sync runs go out together in the
// next write and share one sync (group commit). On open the log is read from the start; the first
// record that is short (a torn tail from a hard kill mid-write) or fails its checksum ends it: the
// file is cut back to the last good record, and the cut bytes are kept beside it for inspection.
// Every record before it was fsync'd before it was acknowledged, so no acknowledged write is lost.

import fs from "node:fs";
import fsp from "node:fs/promises";
import path from "node:path";
import zlib from "node:zlib";

const MAGIC = 0x31564b5a; // "ZKV1" little-endian
const HEADER_BYTES = 17;
const OP_PUT = 1;
const OP_DELETE = 2;
/** Rewrite the log at open when it is this large and more than half of it is dead records. */
const COMPACT_MIN_BYTES = 1 << 20;
/** A record's key or value beyond these is corruption, whatever its checksum says. */
const SANE_KEY_BYTES = 1 << 16;
const SANE_VALUE_BYTES = 1 << 24;

export const LOG_FILE = "store.log";
export const LOCK_FILE = "LOCK";

export class StoreError extends Error {}

export interface StoreStats {
  /** Records appended this run. */
  appends: number;
  /** fdatasync calls (one per group of records). */
  syncs: number;
  /** Wall ms from a group's write to the end of its sync, summed. */
  syncMs: number;
  /** Keys found at open. */
  keysAtOpen: number;
  /** Bytes cut from a torn or damaged tail at open. */
  recoveredBytes: number;
}

interface Queued {
  bytes: Uint8Array;
  resolve: () => void;
  reject: (error: Error) => void;
}

export function encodeRecord(op: number, key: Uint8Array, value: Uint8Array): Uint8Array {
  const out = new Uint8Array(HEADER_BYTES + key.length + value.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint8(4, op);
  view.setUint32(5, key.length, true);
  view.setUint32(9, value.length, true);
  out.set(key, HEADER_BYTES);
  out.set(value, HEADER_BYTES + key.length);
  view.setUint32(13, checksum(out), true);
  return out;
}

function checksum(record: Uint8Array): number {
  const crc = zlib.crc32(record.subarray(0, 13));
  return zlib.crc32(record.subarray(HEADER_BYTES), crc) >>> 0;
}

/** Parse a log image: the live map and where the last good record ends. */
export function parseLog(bytes: Uint8Array): { map: Map<string, Uint8Array>; good: number } {
  const map = new Map<string, Uint8Array>();
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const decoder = new TextDecoder("utf-8", { fatal: true });
  let at = 0;
  while (at + HEADER_BYTES <= bytes.length) {
    if (view.getUint32(at, true) !== MAGIC) break;
    const op = view.getUint8(at + 4);
    const keyLen = view.getUint32(at + 5, true);
    const valueLen = view.getUint32(at + 9, true);
    if ((op !== OP_PUT && op !== OP_DELETE) || keyLen > SANE_KEY_BYTES || valueLen > SANE_VALUE_BYTES) break;
    const end = at + HEADER_BYTES + keyLen + valueLen;
    if (end > bytes.length) break;
    const record = bytes.subarray(at, end);
    if (checksum(record) !== view.getUint32(at + 13, true)) break;
    let key: string;
    try {
      key = decoder.decode(record.subarray(HEADER_BYTES, HEADER_BYTES + keyLen));
    } catch {
      break;
    }
    if (op === OP_PUT) map.set(key, record.slice(HEADER_BYTES + keyLen));
    else map.delete(key);
    at = end;
  }
  return { map, good: at };
}

export class FileStore {
  readonly stats: StoreStats = { appends: 0, syncs: 0, syncMs: 0, keysAtOpen: 0, recoveredBytes: 0 };
  private queue: Queued[] = [];
  /** True while flush() runs: it takes what is queued until the queue is empty. */
  private flushing = false;
  private drained: Promise<void> = Promise.resolve();
  private failed: string | undefined;
  private closed = false;

  private constructor(
    readonly dir: string,
    private readonly fh: fsp.FileHandle,
    private readonly map: Map<string, Uint8Array>,
    private size: number,
  ) {}

  /** Open (creating) the store in `dir`: takes its lock, recovers the log, compacts a wasteful one. */
  static async open(dir: string): Promise<FileStore> {
    await fsp.mkdir(dir, { recursive: true });
    takeLock(dir);
    try {
      const file = path.join(dir, LOG_FILE);
      const existed = fs.existsSync(file);
      const fh = await fsp.open(file, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o644);
      if (!existed) await syncDir(dir);
      const bytes = new Uint8Array(await fh.readFile());
      const { map, good } = parseLog(bytes);
      let store = new FileStore(dir, fh, map, good);
      if (good < bytes.length) {
        // A torn or damaged tail: keep it beside the log, then cut the log back to its good part.
        await fsp.writeFile(path.join(dir, `store.log.tail-${Date.now()}`), bytes.subarray(good));
        await fh.truncate(good);
        await fh.datasync();
        store.stats.recoveredBytes = bytes.length - good;
      }
      store.stats.keysAtOpen = map.size;
      if (good >= COMPACT_MIN_BYTES && good > 2 * liveBytes(map)) store = await store.compacted();
      return store;
    } catch (error) {
      releaseLock(dir);
      throw error;
    }
  }

  /** Why the store refuses work (an earlier write failed), or undefined. */
  get failure(): string | undefined {
    return this.failed;
  }

  get(key: string): Uint8Array | undefined {
    return this.map.get(key);
  }

  has(key: string): boolean {
    return this.map.has(key);
  }

  /** Keys starting with `prefix`, sorted (code unit order). */
  keys(prefix: string): string[] {
    return [...this.map.keys()].filter((k) => k.startsWith(prefix)).sort();
  }

  /** Visible to get() at once; durable when the promise resolves. */
  put(key: string, value: Uint8Array): Promise<void> {
    this.map.set(key, value.slice());
    return this.append(encodeRecord(OP_PUT, new TextEncoder().encode(key), value));
  }

  delete(key: string): Promise<void> {
    if (!this.map.delete(key)) return this.append(undefined);
    return this.append(encodeRecord(OP_DELETE, new TextEncoder().encode(key), new Uint8Array(0)));
  }

  /** Wait for every queued record, then close the log and release the lock. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    while (this.flushing) await this.drained;
    await this.fh.close().catch(() => undefined);
    releaseLock(this.dir);
  }

  /** `bytes` undefined: nothing to write, but durable only after what is queued before it. */
  private append(bytes: Uint8Array | undefined): Promise<void> {
    if (this.failed) return Promise.reject(new StoreError(this.failed));
    if (this.closed) return Promise.reject(new StoreError(`the store ${this.dir} is closed`));
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ bytes: bytes ?? new Uint8Array(0), resolve, reject });
      if (!this.flushing) {
        this.flushing = true;
        this.drained = this.flush();
      }
    });
  }

  private async flush(): Promise<void> {
    for (;;) {
      if (this.queue.length === 0) {
        // In the same turn as the last look at the queue: a record queued later starts a new flush.
        this.flushing = false;
        return;
      }
      const group = this.queue;
      this.queue = [];
      const total = group.reduce((n, q) => n + q.bytes.length, 0);
      try {
        if (total > 0) {
          const started = performance.now();
          const buffer = Buffer.concat(group.map((q) => q.bytes));
          let written = 0;
          while (written < buffer.length) {
            const { bytesWritten } = await this.fh.write(buffer, written, buffer.length - written, this.size + written);
            written += bytesWritten;
          }
          await this.fh.datasync();
          this.size += buffer.length;
          this.stats.appends += group.filter((q) => q.bytes.length > 0).length;
          this.stats.syncs++;
          this.stats.syncMs += performance.now() - started;
        }
        for (const q of group) q.resolve();
      } catch (error) {
        // The log's state past `size` is unknown now: refuse everything rather than guess.
        this.failed = `writing ${path.join(this.dir, LOG_FILE)} failed: ${error instanceof Error ? error.message : String(error)}`;
        for (const q of [...group, ...this.queue]) q.reject(new StoreError(this.failed));
        this.queue = [];
      }
    }
  }

  /** Write the live records to a new log, sync it, and rename it over the old one. */
  private async compacted(): Promise<FileStore> {
    const file = path.join(this.dir, LOG_FILE);
    const next = `${file}.compact`;
    const parts = [...this.map].map(([k, v]) => encodeRecord(OP_PUT, new TextEncoder().encode(k), v));
    const bytes = Buffer.concat(parts);
    await fsp.writeFile(next, bytes);
    const tmp = await fsp.open(next, "r+");
    await tmp.datasync();
    await tmp.close();
    await this.fh.close();
    await fsp.rename(next, file);
    await syncDir(this.dir);
    const fh = await fsp.open(file, fs.constants.O_RDWR);
    const store = new FileStore(this.dir, fh, this.map, bytes.length);
    Object.assign(store.stats, this.stats);
    return store;
  }
}

function liveBytes(map: ReadonlyMap<string, Uint8Array>): number {
  let n = 0;
  for (const [k, v] of map) n += HEADER_BYTES + Buffer.byteLength(k) + v.length;
  return n;
}

async function syncDir(dir: string): Promise<void> {
  const handle = await fsp.open(dir, "r");
  try {
    await handle.sync();
  } catch {
    // Some file systems refuse fsync on a directory; the file's own sync still holds.
  } finally {
    await handle.close();
  }
}

/** One zds process at a time per store. A lock left by a process that is gone (a hard kill) is taken over. */
function takeLock(dir: string): void {
  const lock = path.join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(lock, `${process.pid}\n`, { flag: "wx" });
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const holder = Number.parseInt(fs.readFileSync(lock, "utf8"), 10);
    if (Number.isInteger(holder) && holder > 0 && isAlive(holder))
      throw new StoreError(
        `the store ${dir} is in use by another machine (process ${holder}${holder === process.pid ? ", this one" : ""}); give this run its own store (--storage DIR or "storage": { "path": … } in the machine description)`,
      );
    fs.rmSync(lock, { force: true });
  }
  throw new StoreError(`could not take the lock ${lock}`);
}

function releaseLock(dir: string): void {
  const lock = path.join(dir, LOCK_FILE);
  try {
    if (Number.parseInt(fs.readFileSync(lock, "utf8"), 10) === process.pid) fs.rmSync(lock, { force: true });
  } catch {
    // Already gone.
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
