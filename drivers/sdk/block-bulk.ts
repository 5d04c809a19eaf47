// The block protocol's bulk path, server side (docs/block-protocol.md, "The bulk path"): buffers
// that clients lend with ATTACH, and BATCH requests decoded into checked transfers. A driver that
// serves it only points its device at guest-physical addresses: the kernel put the lent buffer in
// the device's IOMMU view when the capability reached the driver, and takes it out when the
// capability goes. The driver's own worker never maps the client's memory.

import {
  BLK_BATCH_ENTRY_BYTES,
  BLK_BATCH_HEADER_BYTES,
  BLK_MAX_BATCH,
  BLK_MAX_BULK_SECTORS,
  BLK_SECTOR_SIZE,
  BlkBatchOp,
  BlkError,
  ObjectType,
  Perm,
  blkBatchBytes,
  blkBatchEntryAt,
  encodeBlkBatchDone,
  readBlkBatchEntry,
} from "../../kernel/abi";
import type { BlockInfo } from "./block";
import { SyscallFailedError } from "./errors";
import { Reader } from "./ipc";
import type { Request } from "./service";
import type { System } from "./system";

/** A buffer a client lent: where it is, and which way the device may move data there. */
export interface LentBuffer {
  readonly slot: number;
  readonly phys: number;
  readonly size: number;
  /** The device may write it: READs may land here. */
  readonly deviceWrites: boolean;
  /** The device may read it: WRITEs may come from here. */
  readonly deviceReads: boolean;
}

/** One checked BATCH entry: a transfer to start, or a status to answer with at once. */
export type BatchEntry =
  | { readonly kind: "read" | "write"; readonly sector: number; readonly sectors: number; readonly phys: number }
  | { readonly kind: "refused"; readonly status: number; readonly reason: string };

export type DecodedBatch =
  | { readonly kind: "batch"; readonly entries: readonly BatchEntry[] }
  | { readonly kind: "refused"; readonly reason: string };

/** The buffers lent to one driver, by client PID and the client's own buffer number: a client can
 *  only ever name its own buffers, because the kernel sets the sender PID. */
export class LentBuffers {
  private readonly byClient = new Map<number, Map<number, LentBuffer>>();

  constructor(private readonly sys: Pick<System, "inspect" | "deleteCap">) {}

  /** Take an ATTACH message. Returns why it was refused, or undefined. A refused capability is
   *  given up at once, so it does not linger in the driver's CSpace (or the device's view). */
  attach(req: Request): string | undefined {
    const refuse = (reason: string): string => {
      for (const slot of req.caps) this.sys.deleteCap(slot);
      return reason;
    };
    if (req.payload.length !== 4) return refuse(`ATTACH payload is ${req.payload.length} bytes, not [buffer u32]`);
    if (req.caps.length !== 1) return refuse(`ATTACH carries ${req.caps.length} capabilities, not one Dma capability`);
    const id = new Reader(req.payload).u32();
    const info = this.sys.inspect(req.caps[0]);
    if (!info || info.objectType !== ObjectType.Dma)
      return refuse(`ATTACH of buffer ${id} carries a capability that is not a Dma capability`);
    if ((info.perms & (Perm.READ | Perm.WRITE)) === 0)
      return refuse(`ATTACH of buffer ${id}: the capability grants neither read nor write`);
    const buffers = this.byClient.get(req.sender) ?? new Map<number, LentBuffer>();
    const old = buffers.get(id);
    if (old) this.sys.deleteCap(old.slot); // re-attaching a number replaces the buffer
    buffers.set(id, {
      slot: req.caps[0],
      phys: info.resourceA,
      size: info.resourceB,
      deviceWrites: (info.perms & Perm.WRITE) !== 0,
      deviceReads: (info.perms & Perm.READ) !== 0,
    });
    this.byClient.set(req.sender, buffers);
    return undefined;
  }

  /** DETACH: give the capability up. False when the client has no such buffer. */
  detach(client: number, id: number): boolean {
    const found = this.byClient.get(client)?.get(id);
    if (!found) return false;
    this.sys.deleteCap(found.slot);
    this.byClient.get(client)?.delete(id);
    return true;
  }

  /** The client's buffer `id` if the driver still holds its capability. The client may have
   *  revoked it (or freed the buffer) since ATTACH: then the device could no longer reach it, and
   *  pointing the device there would be a DMA fault that stops the whole queue. */
  get(client: number, id: number): LentBuffer | undefined {
    const found = this.byClient.get(client)?.get(id);
    if (!found) return undefined;
    if (this.stillHeld(found)) return found;
    this.byClient.get(client)?.delete(id);
    return undefined;
  }

  private stillHeld(buffer: LentBuffer): boolean {
    try {
      const info = this.sys.inspect(buffer.slot);
      return info?.objectType === ObjectType.Dma && info.resourceA === buffer.phys;
    } catch (error) {
      // A capability lent with a lifetime that has run out fails the check (E_PERM), and the kernel
      // revokes it there and then: the buffer is gone, like a revoked one.
      if (error instanceof SyscallFailedError) return false;
      throw error;
    }
  }

  /** Forget a client's buffers (it is gone; the kernel already revoked what it lent). */
  forgetClient(client: number): void {
    this.byClient.delete(client);
  }
}

/** Decode a BATCH from `client` and check every entry against the disk and the client's buffers. */
export function decodeBatch(payload: Uint8Array, disk: BlockInfo, buffers: LentBuffers, client: number): DecodedBatch {
  if (payload.length < BLK_BATCH_HEADER_BYTES)
    return { kind: "refused", reason: `BATCH payload is ${payload.length} bytes, shorter than its [count u32]` };
  const count = new Reader(payload).u32();
  if (count < 1 || count > BLK_MAX_BATCH)
    return { kind: "refused", reason: `BATCH of ${count} entries (1 … ${BLK_MAX_BATCH})` };
  if (payload.length !== blkBatchBytes(count)) {
    return {
      kind: "refused",
      reason: `BATCH of ${count} entries is ${payload.length} bytes, not 4 + ${count} × ${BLK_BATCH_ENTRY_BYTES}`,
    };
  }
  const entries: BatchEntry[] = [];
  // Each buffer is looked up (one CAP_INSPECT) once per batch, however many entries name it.
  const looked = new Map<number, LentBuffer | undefined>();
  const v = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  for (let i = 0; i < count; i++) {
    const e = readBlkBatchEntry(v, blkBatchEntryAt(i));
    if (!looked.has(e.buffer)) looked.set(e.buffer, buffers.get(client, e.buffer));
    entries.push(checkEntry(i, e.op, e.buffer, e.offset, e.sectors, e.sector, disk, looked.get(e.buffer)));
  }
  return { kind: "batch", entries };
}

function checkEntry(
  i: number,
  op: number,
  id: number,
  offset: number,
  sectors: number,
  sector: number,
  disk: BlockInfo,
  buffer: LentBuffer | undefined,
): BatchEntry {
  const refuse = (status: number, reason: string): BatchEntry => ({
    kind: "refused",
    status,
    reason: `entry ${i}: ${reason}`,
  });
  if (op !== BlkBatchOp.READ && op !== BlkBatchOp.WRITE)
    return refuse(BlkError.UNSUPPORTED, `operation ${op} (READ 0, WRITE 1)`);
  const read = op === BlkBatchOp.READ;
  if (sectors < 1 || sectors > BLK_MAX_BULK_SECTORS)
    return refuse(BlkError.INVALID, `${sectors} sectors (1 … ${BLK_MAX_BULK_SECTORS})`);
  if (sector + sectors > disk.sectors)
    return refuse(BlkError.RANGE, `sectors ${sector}+${sectors} on a disk of ${disk.sectors}`);
  if (!read && disk.readOnly) return refuse(BlkError.READ_ONLY, "WRITE to a read-only disk");
  if (!buffer) return refuse(BlkError.BUFFER, `buffer ${id} is not attached`);
  const bytes = sectors * BLK_SECTOR_SIZE;
  if (offset % BLK_SECTOR_SIZE !== 0 || offset + bytes > buffer.size) {
    return refuse(
      BlkError.BUFFER,
      `bytes ${offset}+${bytes} are not sector-aligned inside buffer ${id} of ${buffer.size} bytes`,
    );
  }
  if (read ? !buffer.deviceWrites : !buffer.deviceReads) {
    return refuse(
      BlkError.BUFFER,
      `buffer ${id} was lent without the ${read ? "write" : "read"} right a ${read ? "READ" : "WRITE"} needs`,
    );
  }
  return { kind: read ? "read" : "write", sector, sectors, phys: buffer.phys + offset };
}

/** The BATCH_DONE payload: the count, then one status per entry in request order. */
export function batchDonePayload(statuses: readonly number[]): Uint8Array {
  return encodeBlkBatchDone(statuses);
}
