// What the debugger's views show of the machine the user debugs: its threads (processes), a
// process's frames (driver lines, and the kernel frame: the syscall it is in or what it waits for),
// its capabilities and IPC queues, and its virtio device's registers and virtqueues. A process that
// faulted on a stop is shown as it was (the picture stop-hooks.ts kept). The words come from
// describe.ts; this module picks the process and the state to describe.

import { AhciHba, E1000, NvmeController, VirtioGpu, type Machine } from "../../devices";
import { describeAhci } from "./describe-ahci";
import type { DebugState } from "./debug-state";
import { describeE1000, describeE1000Rings } from "./describe-e1000";
import { describeNvme } from "./describe-nvme";
import { describeGpu } from "./describe-gpu";
import {
  describeCaps,
  describeMessage,
  describeSyscall,
  describeVirtio,
  describeVirtqueues,
  dmaReader,
  type InspectItem,
} from "./describe";
import type { ThreadInfo } from "./runtime-api";
import type { SourceDebugger } from "./source";
import type { SourceFrame } from "./source-types";

export class ProcessViews {
  constructor(
    private readonly state: DebugState,
    private readonly source: SourceDebugger,
  ) {}

  /** Live processes, plus the one the machine stopped on even if it has just faulted. */
  threads(): ThreadInfo[] {
    const kernel = this.state.kernel;
    if (!kernel) return [];
    return [...kernel.processes.values()]
      .filter((p) => p.alive || p.pid === this.state.stop?.pid)
      .map((p) => ({ pid: p.pid, name: p.name, state: p.state }));
  }

  /** The driver frames of a stopped process: mapped from an exception's stack, or live from its worker. */
  sourceFrames(pid: number): SourceFrame[] {
    const stop = this.state.stop;
    if (stop?.frames && stop.pid === pid) return stop.frames;
    return this.source.frames(pid);
  }

  /** The kernel frame's text for a process: the syscall it is in, decoded, or what it waits for. */
  frameFor(pid: number): string {
    const state = this.state;
    if (state.faultSnapshot?.pid === pid) return state.faultSnapshot.frame;
    const kernel = state.kernel;
    const proc = kernel?.processes.get(pid);
    if (!kernel || !proc) return `pid ${pid}: gone`;
    const held = kernel.heldSyscall;
    if (held?.proc === proc) return describeSyscall(kernel, proc, held.request);
    const on = proc.blockedOn;
    if (proc.state === "blocked" && on) {
      if (on.kind === "receive")
        return `SYS_RECV_WAIT on endpoint ${on.endpointId} (slot ${on.slot}): waiting for a message`;
      if (on.kind === "reply")
        return `SYS_CALL to endpoint ${on.endpointId}: waiting for the reply${on.server !== undefined ? ` from pid ${on.server}` : ""}`;
      return `looking up service "${on.service}": waiting for it to register`;
    }
    if (proc.state === "running")
      return this.source.pause?.pid === pid
        ? "running driver code: paused in the inspector"
        : "running driver code (stops at its next syscall)";
    const last = state.lastSyscall.get(pid);
    if (proc.state === "ready")
      return proc.syscalls === 0
        ? "ready: not started yet"
        : `ready: returning from ${last ? describeSyscall(kernel, proc, last) : "its last syscall"}`;
    return `${proc.state}`;
  }

  capabilities(pid: number): InspectItem[] {
    const state = this.state;
    if (state.faultSnapshot?.pid === pid) return state.faultSnapshot.caps;
    const kernel = state.kernel;
    const proc = kernel?.processes.get(pid);
    return kernel && proc ? describeCaps(kernel, proc) : [];
  }

  ipcQueues(pid: number): InspectItem[] {
    const kernel = this.state.kernel;
    const proc = kernel?.processes.get(pid);
    if (!kernel || !proc) return [];
    return [...proc.endpoints].flatMap((id) => {
      const ep = kernel.endpoints.get(id);
      if (!ep) return [];
      const children = ep.queue.map((m, i) => ({ name: `[${i}]`, value: describeMessage(m) }));
      const waiters = ep.waiters.length ? `, waiters: ${ep.waiters.map((w) => `pid ${w}`).join(", ")}` : "";
      return [
        {
          name: `endpoint ${ep.id}`,
          value: `${ep.queue.length} queued, ${ep.delivered} delivered, high water ${ep.highWater}${waiters}`,
          children,
        },
      ];
    });
  }

  /** The bound device's registers, decoded (virtio, e1000, or the NVMe or AHCI scope); empty for a process without one (or PIO devices). */
  deviceRegisters(pid: number): InspectItem[] {
    const nvme = this.boundOf(pid, "nvme");
    if (nvme) return describeNvme(nvme.device, nvme.base, nvme.machine.backend(nvme.device, NvmeController).snapshot());
    const ahci = this.boundOf(pid, "ahci");
    if (ahci) return describeAhci(ahci.device, ahci.base, ahci.machine.backend(ahci.device, AhciHba).snapshot());
    const e1000 = this.e1000Of(pid);
    if (e1000) return describeE1000(e1000.device, e1000.base, e1000.nic.snapshot());
    const found = this.virtioOf(pid);
    return found ? describeVirtio(found.device, found.base, found.machine.inspect(found.device)) : [];
  }

  /** The bound e1000's receive and transmit rings with their descriptors; empty for other devices. */
  descriptorRings(pid: number): InspectItem[] {
    const e1000 = this.e1000Of(pid);
    return e1000 ? describeE1000Rings(e1000.base, e1000.nic.snapshot()) : [];
  }

  /** The bound virtio-gpu's resources, scanout and frames; empty for other devices. */
  display(pid: number): InspectItem[] {
    const found = this.virtioOf(pid);
    if (!found) return [];
    let gpu: VirtioGpu;
    try {
      gpu = found.machine.backend(found.device, VirtioGpu);
    } catch {
      return [];
    }
    return describeGpu(found.device, gpu.snapshot(), gpu.lastFrame());
  }

  /** What the debugger calls the scope of deviceRegisters(): the NVMe controller's holds its queues too,
   *  the AHCI HBA's its slots. */
  deviceScopeName(pid: number): string {
    if (this.boundOf(pid, "nvme")) return "NVMe";
    return this.boundOf(pid, "ahci") ? "AHCI" : "Device registers";
  }

  /** The bound virtio device's queues as laid out in DMA memory. */
  virtqueues(pid: number): InspectItem[] {
    const found = this.virtioOf(pid);
    return found ? describeVirtqueues(found.machine.inspect(found.device), dmaReader(found.machine)) : [];
  }

  private e1000Of(pid: number): { nic: E1000; device: string; base: number } | undefined {
    const bound = this.boundOf(pid, "e1000");
    return bound && { nic: bound.machine.backend(bound.device, E1000), device: bound.device, base: bound.base };
  }

  private boundOf(pid: number, type: string): { machine: Machine; device: string; base: number } | undefined {
    const machine = this.state.machine;
    const device = this.state.kernel?.processes.get(pid)?.device;
    const info = device ? machine?.devices.find((d) => d.name === device) : undefined;
    if (!machine || !device || info?.type !== type || !info.mmio) return undefined;
    return { machine, device, base: info.mmio.base };
  }

  private virtioOf(pid: number): { machine: Machine; device: string; base: number } | undefined {
    const proc = this.state.kernel?.processes.get(pid);
    const machine = this.state.machine;
    const device = proc?.device;
    const info = device ? machine?.devices.find((d) => d.name === device) : undefined;
    if (!machine || !device || info?.kind !== "virtio-mmio" || !info.mmio) return undefined;
    return { machine, device, base: info.mmio.base };
  }
}
