// What a process leaves behind when it exits or faults, released so that no caller hangs, no line
// stays bound, no lent copy of its memory outlives it and its device starts again from reset. The
// scheduler's part (the run token, the ready set) stays in kernel/kernel.ts.

import type { DmaRegion, MachineHandle } from "../devices/machine-interface";
import { Errno } from "./abi/errors";
import { RevokeReason } from "./abi/tags";
import type { CommitBody } from "./axiom/commitlog";
import type { CapabilityKeeper } from "./capability-keeper";
import type { Init } from "./init";
import type { IpcDelivery } from "./ipc-delivery";
import type { KernelOutput } from "./kernel-types";
import type { Endpoint, HardwareObject } from "./objects";
import type { KernelProcess } from "./process";

/** The parts of the kernel a teardown touches. */
export interface TeardownContext {
  readonly processes: ReadonlyMap<number, KernelProcess>;
  readonly endpoints: Map<number, Endpoint>;
  readonly hardware: Map<number, HardwareObject>;
  readonly capabilities: Pick<CapabilityKeeper, "revoke" | "revokeTree" | "isRevoked">;
  readonly ipc: Pick<IpcDelivery, "failCall">;
  readonly machine: Pick<MachineHandle, "resetDevice" | "freeDma">;
  readonly output: Pick<KernelOutput, "debug">;
  readonly init: Pick<Init, "processGone">;
  commit(body: CommitBody): void;
  wake(proc: KernelProcess, result: number): void;
  setIommuView(device: string, pid: number, own: readonly DmaRegion[]): void;
}

/** Release everything `proc` held (it is already marked exited or faulted). */
export function releaseProcess(k: TeardownContext, proc: KernelProcess): void {
  for (const ep of k.endpoints.values()) ep.waiters = ep.waiters.filter((pid) => pid !== proc.pid);
  if (proc.blockedOn?.kind === "reply" && proc.blockedOn.server !== undefined) {
    k.processes.get(proc.blockedOn.server)?.owedReplies.delete(proc.pid);
  }
  proc.blockedOn = undefined;
  for (const caller of proc.owedReplies) k.ipc.failCall(caller, Errno.E_NOENT);
  proc.owedReplies.clear();
  for (const id of proc.endpoints) destroyEndpoint(k, id);
  // Its capabilities are revoked, and with them everything it granted or derived from them; its
  // buffers' roots too, wherever they moved, so no lent copy outlives the memory.
  for (const [, cap] of proc.cspace.entries())
    if (!k.capabilities.isRevoked(cap.id)) k.capabilities.revoke(cap, proc, RevokeReason.PROCESS_EXIT);
  for (const [id, obj] of k.hardware) {
    if ((obj.type === "irq" || obj.type === "dma") && obj.owner === proc.pid) {
      if (obj.type === "dma") k.capabilities.revokeTree(obj.rootCap, proc, RevokeReason.PROCESS_EXIT);
      k.hardware.delete(id);
    }
  }
  if (proc.device) {
    k.setIommuView(proc.device, proc.pid, []);
    k.machine.resetDevice(proc.device);
  }
  for (const region of proc.dmaRegions) freeDma(k, proc, region);
  proc.dmaRegions.length = 0;
  k.init.processGone(proc);
}

/** Give a buffer back to the machine. Teardown must finish whatever the machine says: a refusal
 *  (memory already gone) is a kernel bug to show, not a host crash. */
export function freeDma(k: Pick<TeardownContext, "machine" | "output">, proc: KernelProcess, region: DmaRegion): void {
  try {
    k.machine.freeDma(region.phys);
  } catch (error) {
    k.output.debug(
      proc,
      `kernel: freeing DMA ${region.phys.toString(16)}+${region.size.toString(16)} failed: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

/** Remove an endpoint: queued CALLs get E_NOENT replies and its waiters wake with E_NOENT. */
export function destroyEndpoint(
  k: Pick<TeardownContext, "endpoints" | "processes" | "ipc" | "commit" | "wake">,
  id: number,
): void {
  const ep = k.endpoints.get(id);
  if (!ep) return;
  k.endpoints.delete(id);
  k.commit({ type: "EndpointDestroyed", id });
  for (const msg of ep.queue) if (msg.callFrom !== undefined) k.ipc.failCall(msg.callFrom, Errno.E_NOENT);
  for (const pid of ep.waiters) {
    const waiter = k.processes.get(pid);
    if (waiter) k.wake(waiter, -Errno.E_NOENT);
  }
  ep.queue.length = 0;
  ep.queuedBytes = 0;
  ep.queuedCaps = 0;
  ep.waiters.length = 0;
}
