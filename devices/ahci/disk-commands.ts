// What the SATA disk behind the HBA does with a command the HBA handed it (ACS-3): IDENTIFY DEVICE,
// READ/WRITE DMA EXT (and the data of FPDMA QUEUED), FLUSH CACHE [EXT]. Each command is checked whole
// — range, write protection, every PRDT region through the IOMMU view — before a byte moves, so a
// refused command leaves the disk and guest memory as they were. The HBA (ahci.ts) fetches,
// schedules and reports; this module only decides and moves data.

import type { BlockStore } from "../disk/block-store";
import { isDmaFault, type DmaFault, type IommuView } from "../iommu";
import { AtaCmd, AtaError, SECTOR_BYTES } from "./ahci-spec";
import { walkPrdt, type Region } from "./prdt";

/** A command as the HBA read it from the command list and its table. */
export interface Fetched {
  readonly slot: number;
  readonly header: number;
  readonly ctba: number;
  readonly prdtl: number;
  readonly cfis: Uint8Array;
}

/** Success with the bytes moved, or the ATA error register and why (and the DMA fault, if memory). */
export type Outcome =
  | { readonly ok: true; readonly bytes: number }
  | { readonly ok: false; readonly error: number; readonly why: string; readonly fault?: DmaFault };

export interface DiskHost {
  readonly view: IommuView;
  readonly disk: BlockStore;
  readonly identify: Uint8Array;
  readonly stats: { bytesRead: number; bytesWritten: number; flushes: number };
  /** The PRDT is shorter than the transfer: PxIS.OFS. */
  overflow(): void;
  /** The host failed the disk (an image read, write or fsync). */
  hostError(message: string): void;
}

/** LBA 47:0 of a register H2D FIS. */
export function lbaOf(fis: Uint8Array): number {
  return fis[4] + fis[5] * 2 ** 8 + fis[6] * 2 ** 16 + fis[8] * 2 ** 24 + fis[9] * 2 ** 32 + fis[10] * 2 ** 40;
}

/** A sector count field: 0 means 65536. */
export function sectorCount(field: number): number {
  return field === 0 ? 65_536 : field;
}

/** A non-queued command. */
export function executeCommand(host: DiskHost, f: Fetched, command: number): Outcome {
  const fis = f.cfis;
  switch (command) {
    case AtaCmd.IdentifyDevice:
      return toHost(host, f, host.identify.slice());
    case AtaCmd.FlushCache:
    case AtaCmd.FlushCacheExt:
      return hostIo(
        host,
        `flush of ${host.disk.label}`,
        () => {
          host.disk.flush();
          host.stats.flushes++;
        },
        0,
      );
    case AtaCmd.ReadDmaExt:
    case AtaCmd.WriteDmaExt:
      return dmaCommand(host, f, command === AtaCmd.WriteDmaExt, lbaOf(fis), sectorCount(fis[12] | (fis[13] << 8)));
    default:
      return {
        ok: false,
        error: AtaError.Abrt,
        why: "not a command this disk knows (IDENTIFY DEVICE, READ/WRITE DMA EXT, READ/WRITE FPDMA QUEUED, FLUSH CACHE [EXT])",
      };
  }
}

/** READ/WRITE DMA EXT or FPDMA QUEUED: `count` sectors at `lba` through the PRDT. */
export function dmaCommand(host: DiskHost, f: Fetched, write: boolean, lba: number, count: number): Outcome {
  const { disk, view } = host;
  if (lba + count > disk.sectors)
    return {
      ok: false,
      error: AtaError.Idnf,
      why: `sectors ${lba}+${count} run past the end of the disk (${disk.sectors} sectors)`,
    };
  if (write && disk.readOnly)
    return { ok: false, error: AtaError.Abrt, why: `write to ${disk.label}, which is read-only` };
  const bytes = count * SECTOR_BYTES;
  const walk = walkPrdt(view, f.ctba, f.prdtl, bytes, !write);
  if (!walk.ok) {
    if (walk.fault) return { ok: false, error: AtaError.Abrt, why: walk.reason, fault: walk.fault };
    // Fewer PRD bytes than the disk moves: the HBA cannot place the rest (PxIS.OFS) and aborts.
    host.overflow();
    return { ok: false, error: AtaError.Abrt, why: walk.reason };
  }
  const what = `${write ? "write" : "read"} of sectors ${lba}+${count} ${write ? "to" : "from"} ${disk.label}`;
  return hostIo(
    host,
    what,
    () => {
      const buffer = new Uint8Array(bytes);
      if (write) {
        gather(view, walk.regions, buffer);
        disk.write(lba, buffer);
        host.stats.bytesWritten += bytes;
      } else {
        disk.read(lba, buffer);
        scatter(view, walk.regions, buffer);
        host.stats.bytesRead += bytes;
      }
    },
    bytes,
  );
}

/** PIO data-in (IDENTIFY): `data` into the PRDT. */
function toHost(host: DiskHost, f: Fetched, data: Uint8Array): Outcome {
  const walk = walkPrdt(host.view, f.ctba, f.prdtl, data.length, true);
  if (!walk.ok) return { ok: false, error: AtaError.Abrt, why: walk.reason, ...(walk.fault && { fault: walk.fault }) };
  scatter(host.view, walk.regions, data);
  return { ok: true, bytes: data.length };
}

function hostIo(host: DiskHost, what: string, op: () => void, bytes: number): Outcome {
  try {
    op();
    return { ok: true, bytes };
  } catch (error) {
    host.hostError(`${what} failed: ${error instanceof Error ? error.message : String(error)}`);
    return { ok: false, error: AtaError.Unc, why: `${what} failed on the host` };
  }
}

function scatter(view: IommuView, regions: readonly Region[], data: Uint8Array): void {
  let at = 0;
  for (const r of regions) {
    const fault = view.write(r.addr, data.subarray(at, at + r.len));
    if (fault !== undefined) throw new Error(`checked PRDT region faulted: ${fault.reason}`);
    at += r.len;
  }
}

function gather(view: IommuView, regions: readonly Region[], into: Uint8Array): void {
  let at = 0;
  for (const r of regions) {
    const bytes = view.read(r.addr, r.len);
    if (isDmaFault(bytes)) throw new Error(`checked PRDT region faulted: ${bytes.reason}`);
    into.set(bytes, at);
    at += r.len;
  }
}
