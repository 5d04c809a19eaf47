// The NVM command set's I/O commands (NVM Command Set 1.0 §3.2): READ, WRITE and FLUSH on namespace 1,
// against the disk. Each command is checked whole — namespace, range, size, every PRP page — before
// a byte moves, so a refused command leaves the disk and guest memory as they were.

import type { BlockStore } from "../disk/block-store";
import { isDmaFault, type DmaFault, type IommuView } from "../iommu";
import { hostBuffer } from "../virtio/host-buffer";
import { IoOpcode, LBA_BYTES, Status, type NvmeStatus } from "./nvme-spec";
import { walkPrp, type DataSpan } from "./prp";
import type { Command } from "./queues";

export interface IoHost {
  memory(): IommuView;
  readonly disk: BlockStore;
  /** Volatile write cache on (feature 06h): a WRITE without FUA may sit in the cache until FLUSH. */
  readonly writeCache: boolean;
  /** Largest transfer of one command in bytes (MDTS). */
  readonly maxTransferBytes: number;
  /** The host failed the device (a disk image read, write or fsync). */
  hostError(message: string): void;
}

export interface IoOutcome {
  readonly kind: "complete";
  readonly status: NvmeStatus;
  /** I/O commands answer nothing in DW0. */
  readonly dw0?: undefined;
  /** Data bytes moved (0 when refused). */
  readonly bytes: number;
  /** For the device event: what the driver got wrong. */
  readonly why?: string;
  readonly fault?: DmaFault;
}

/** FUA, CDW12 bit 30: this write must be durable before it completes. */
const FUA = 1 << 30;
const ALL_NAMESPACES = 0xffff_ffff;

/** Bytes a READ or WRITE moves, as its CDW12 says (for the controller's latency model). */
export function transferBytes(cmd: Command): number {
  return cmd.opcode === IoOpcode.Read || cmd.opcode === IoOpcode.Write ? ((cmd.cdw[2] & 0xffff) + 1) * LBA_BYTES : 0;
}

export function runIo(host: IoHost, cmd: Command): IoOutcome {
  switch (cmd.opcode) {
    case IoOpcode.Flush:
      if (cmd.nsid !== 1 && cmd.nsid !== ALL_NAMESPACES)
        return refused(Status.InvalidNamespace, `FLUSH of NSID ${cmd.nsid}: the only namespace is NSID 1`);
      return hostIo(host, `flush of ${host.disk.label}`, Status.InternalError, () => host.disk.flush(), 0);
    case IoOpcode.Read:
    case IoOpcode.Write:
      return transfer(host, cmd, cmd.opcode === IoOpcode.Write);
    default:
      return refused(
        Status.InvalidOpcode,
        `I/O opcode 0x${cmd.opcode.toString(16).padStart(2, "0")} is not one this controller knows (FLUSH 0x00, WRITE 0x01, READ 0x02)`,
      );
  }
}

function transfer(host: IoHost, cmd: Command, write: boolean): IoOutcome {
  const name = write ? "WRITE" : "READ";
  const disk = host.disk;
  if (cmd.nsid !== 1)
    return refused(Status.InvalidNamespace, `${name} on NSID ${cmd.nsid}: the only namespace is NSID 1`);
  const slba = BigInt(cmd.cdw[0]) | (BigInt(cmd.cdw[1]) << 32n);
  const blocks = (cmd.cdw[2] & 0xffff) + 1;
  const bytes = blocks * LBA_BYTES;
  if (bytes > host.maxTransferBytes)
    return refused(
      Status.InvalidField,
      `${name} of ${blocks} blocks (${bytes} bytes) is more than MDTS allows (${host.maxTransferBytes} bytes)`,
    );
  if (slba + BigInt(blocks) > BigInt(disk.sectors))
    return refused(
      Status.LbaOutOfRange,
      `${name} of LBAs ${slba}+${blocks} runs past the end of namespace 1 (${disk.sectors} blocks)`,
    );
  if (write && disk.readOnly) return refused(Status.NamespaceWriteProtected, `WRITE to write-protected namespace 1`);
  const memory = host.memory();
  const walk = walkPrp(memory, cmd.prp1, cmd.prp2, bytes, !write);
  if (!walk.ok)
    return {
      kind: "complete",
      status: walk.status,
      bytes: 0,
      why: `${name} of LBAs ${slba}+${blocks}: ${walk.reason}`,
      ...(walk.fault && { fault: walk.fault }),
    };
  const sector = Number(slba);
  if (!write)
    return hostIo(
      host,
      `read of LBAs ${sector}+${blocks} from ${disk.label}`,
      Status.UnrecoveredReadError,
      () => readInto(memory, disk, sector, walk.spans, bytes),
      bytes,
    );
  return hostIo(
    host,
    `write of LBAs ${sector}+${blocks} to ${disk.label}`,
    Status.WriteFault,
    () => {
      writeFrom(memory, disk, sector, walk.spans, bytes);
      // Without the write cache, or with FUA, the data is on stable storage before the completion.
      if (!host.writeCache || (cmd.cdw[2] & FUA) !== 0) disk.flush();
    },
    bytes,
  );
}

// Pages of whole sectors move straight between the image and guest memory; a transfer whose PRP1
// starts mid-sector goes through one bounce buffer (at most MDTS bytes).

function readInto(
  memory: IommuView,
  disk: BlockStore,
  sector: number,
  spans: readonly DataSpan[],
  bytes: number,
): void {
  if (spans.every((s) => s.len % LBA_BYTES === 0)) {
    let at = sector;
    for (const s of spans) {
      disk.read(at, guest(memory, s, true));
      at += s.len / LBA_BYTES;
    }
    return;
  }
  const bounce = hostBuffer(bytes);
  disk.read(sector, bounce);
  let at = 0;
  for (const s of spans) {
    guest(memory, s, true).set(bounce.subarray(at, at + s.len));
    at += s.len;
  }
}

function writeFrom(
  memory: IommuView,
  disk: BlockStore,
  sector: number,
  spans: readonly DataSpan[],
  bytes: number,
): void {
  if (spans.every((s) => s.len % LBA_BYTES === 0)) {
    let at = sector;
    for (const s of spans) {
      disk.write(at, guest(memory, s, false));
      at += s.len / LBA_BYTES;
    }
    return;
  }
  const bounce = hostBuffer(bytes);
  let at = 0;
  for (const s of spans) {
    bounce.set(guest(memory, s, false), at);
    at += s.len;
  }
  disk.write(sector, bounce);
}

/** A span walkPrp already checked, as guest memory. */
function guest(memory: IommuView, s: DataSpan, write: boolean): Uint8Array {
  const span = memory.span(s.addr, s.len, write);
  if (isDmaFault(span)) throw new Error(`checked PRP span faulted: ${span.reason}`);
  return span;
}

function hostIo(host: IoHost, what: string, failure: NvmeStatus, op: () => void, bytes: number): IoOutcome {
  try {
    op();
    return { kind: "complete", status: Status.Success, bytes };
  } catch (error) {
    host.hostError(`${what} failed: ${error instanceof Error ? error.message : String(error)}`);
    return { kind: "complete", status: failure, bytes: 0 };
  }
}

function refused(status: NvmeStatus, why: string): IoOutcome {
  return { kind: "complete", status, bytes: 0, why };
}
