// Which guest memory a driver's device may reach: the driver's own DMA allocations, both ways, and
// every buffer another process shared with it by moving or granting a Dma capability to it (the
// bulk path of docs/block-protocol.md), in the directions that capability's rights allow. The view
// follows the driver's CSpace: it is recomputed whenever a Dma capability enters or leaves it, so
// revoking the capability (or the owner exiting) takes the buffer out of the device's reach. An
// expired capability gives nothing, even before the kernel's expiry event has revoked it.

import type { IommuMapping } from "../devices/machine-interface";
import { ObjectType, Perm } from "./abi/caps";
import type { HardwareObject } from "./objects";
import type { KernelProcess } from "./process";

/** Buffers of other processes that `proc` holds Dma capabilities to, rights merged per buffer. */
export function sharedDma(
  proc: KernelProcess,
  hardware: ReadonlyMap<number, HardwareObject>,
  now: number,
): IommuMapping[] {
  const byRegion = new Map<number, IommuMapping>();
  for (const [, cap] of proc.cspace.entries()) {
    if (cap.objectType !== ObjectType.Dma || (cap.expiresAt !== 0 && now > cap.expiresAt)) continue;
    const obj = hardware.get(cap.objectId);
    // Its own allocations are already in the view (p.dmaRegions), both ways.
    if (obj?.type !== "dma" || proc.dmaRegions.includes(obj.region)) continue;
    const before = byRegion.get(obj.region.phys);
    byRegion.set(obj.region.phys, {
      region: obj.region,
      read: (before?.read ?? false) || (cap.perms & Perm.READ) !== 0,
      write: (before?.write ?? false) || (cap.perms & Perm.WRITE) !== 0,
    });
  }
  return [...byRegion.values()];
}
