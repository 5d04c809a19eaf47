// What every device does on a kick: take each chain the driver made available, in order, until the
// ring is empty. A ring error — or an error the device finds in a chain's content — stops the walk
// and breaks the device (DEVICE_NEEDS_RESET) at that chain, exactly where it was found.

import type { VirtioDeviceContext } from "./backend";
import type { DescriptorChain } from "./descriptor-chain";
import type { QueueError } from "./queue-error";
import type { SplitQueue } from "./split-queue";

/** `accept` turns a chain into the device's own request, or returns `{ failed }` to break the device. */
export function takeAvailable<T>(
  ctx: VirtioDeviceContext,
  index: number,
  accept: (chain: DescriptorChain) => T | { failed: QueueError },
): { queue: SplitQueue; batch: T[] } | undefined {
  const queue = ctx.liveQueue(index);
  if (queue === undefined) return undefined;
  const batch: T[] = [];
  for (;;) {
    const next = queue.pop();
    if (next.kind === "empty") return { queue, batch };
    if (next.kind === "error") {
      ctx.queueFailed(index, next.error);
      return undefined;
    }
    const taken = accept(next.chain);
    if (typeof taken === "object" && taken !== null && "failed" in taken) {
      ctx.queueFailed(index, (taken as { failed: QueueError }).failed);
      return undefined;
    }
    batch.push(taken as T);
  }
}
