// Data breakpoints on device registers, I/O ports and DMA memory.
//
// Registers and ports are reached only through syscalls, so an access is seen exactly, before it is
// carried out. DMA memory is shared with the driver's worker and written with no syscall, so a write
// is found by comparing the watched bytes at the machine's boundaries: before each syscall (a change
// there was made by the process now calling, in its own code) and before the run token is handed to
// a process (a change there was made by a device, since no driver code ran in between). Reads of DMA
// memory cannot be seen at all. docs/debugging.md states this precision.

import type { Machine } from "../../devices";
import { Sys } from "../abi/syscalls";
import type { Kernel } from "../kernel";
import type { KernelProcess } from "../process";
import type { SyscallRequest } from "../worker/mailbox";
import { hex, registerName } from "./describe";
import { parseHitCondition, parseStopCondition, type HitCondition, type StopCondition } from "./conditions";

export type DataAccess = "read" | "write" | "readWrite";

export type DataTarget =
  | { kind: "mmio"; addr: number; bytes: number }
  | { kind: "port"; addr: number; bytes: number }
  | { kind: "dma"; addr: number; bytes: number };

export interface DataBreakpointSpec {
  dataId: string;
  accessType?: DataAccess;
  condition?: string;
  hitCondition?: string;
}

export interface DataBreakpointResult {
  verified: boolean;
  message?: string;
}

export interface DataInfo {
  /** Null when nothing there can be watched; `description` then says why. */
  dataId: string | null;
  description: string;
  accessTypes?: DataAccess[];
}

/** A data breakpoint that matched: what to say and whom to stop. */
export interface DataHit {
  pid: number;
  description: string;
}

interface Watch {
  target: DataTarget;
  access: DataAccess;
  condition: StopCondition;
  hit: HitCondition;
  hits: number;
  /** DMA: the watched bytes as last compared (undefined while not mapped). */
  last?: Uint8Array;
}

export function parseDataId(id: string): DataTarget | string {
  const m = /^(mmio|port|dma):(0x[0-9a-f]+|\d+):(\d+)$/i.exec(id.trim());
  if (!m) return `data id "${id}" is not understood`;
  const bytes = Number(m[3]);
  if (bytes < 1 || bytes > 4096) return `a data breakpoint watches 1 to 4096 bytes (got ${bytes})`;
  return { kind: m[1].toLowerCase() as DataTarget["kind"], addr: Number(m[2]), bytes };
}

function describeTarget(machine: Machine, t: DataTarget): string {
  if (t.kind === "port") {
    const dev = machine.devices.find((d) => d.ports?.some((r) => t.addr >= r.first && t.addr <= r.last));
    return `port ${hex(t.addr)}${t.bytes > 1 ? `+${t.bytes}` : ""}${dev ? ` (${dev.name})` : ""}`;
  }
  if (t.kind === "mmio") {
    const dev = machine.devices.find((d) => d.mmio && t.addr >= d.mmio.base && t.addr < d.mmio.base + d.mmio.size);
    return `MMIO ${hex(t.addr)}${dev?.mmio ? `${registerName(t.addr - dev.mmio.base, dev.type)} on ${dev.name}` : ""} (${t.bytes} bytes)`;
  }
  return `DMA ${hex(t.addr)}+${t.bytes}`;
}

/** What a raw address (or `port:0x1f7`) names: a device register window, DMA memory or a port. */
export function dataInfoForAddress(machine: Machine, address: string, bytes: number): DataInfo {
  const text = address.trim();
  const port = /^port:\s*(0x[0-9a-f]+|\d+)$/i.exec(text);
  const n = port ? Number(port[1]) : /^(0x[0-9a-f]+|\d+)$/i.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n))
    return {
      dataId: null,
      description: `"${address}" is not an address: write 0x10001070, or port:0x1f7 for an I/O port`,
    };
  const size = Math.max(1, Math.min(4096, bytes || 4));
  if (!port) {
    const mmio = machine.devices.find((d) => d.mmio && n >= d.mmio.base && n < d.mmio.base + d.mmio.size);
    if (mmio) return dataInfo(machine, { kind: "mmio", addr: n, bytes: size });
    if (machine.memory.regionAt(n)) return dataInfo(machine, { kind: "dma", addr: n, bytes: size });
  }
  const pio = machine.devices.find((d) => d.ports?.some((r) => n >= r.first && n <= r.last));
  if (pio && n <= 0xffff) return dataInfo(machine, { kind: "port", addr: n, bytes: Math.min(size, 4) });
  return {
    dataId: null,
    description: `${hex(n)} is neither a device register (MMIO window or I/O port) nor allocated DMA memory`,
  };
}

export function dataInfo(machine: Machine, t: DataTarget): DataInfo {
  const dataId = `${t.kind}:${hex(t.addr)}:${t.bytes}`;
  // A driver's own stores into DMA memory make no syscall and reads leave no trace: writes only.
  const accessTypes: DataAccess[] = t.kind === "dma" ? ["write"] : ["read", "write", "readWrite"];
  return { dataId, description: describeTarget(machine, t), accessTypes };
}

export class DataWatch {
  private watches: Watch[] = [];

  constructor(private readonly machine: () => Machine | undefined) {}

  get size(): number {
    return this.watches.length;
  }

  get watchesDma(): boolean {
    return this.watches.some((w) => w.target.kind === "dma");
  }

  set(specs: readonly DataBreakpointSpec[]): DataBreakpointResult[] {
    const watches: Watch[] = [];
    const results = specs.map((spec): DataBreakpointResult => {
      const target = parseDataId(spec.dataId);
      if (typeof target === "string") return { verified: false, message: target };
      const access = spec.accessType ?? "write";
      if (target.kind === "dma" && access !== "write") {
        return {
          verified: false,
          message:
            "DMA memory can be watched for writes only: a driver reads shared memory with no syscall, so reads leave no trace",
        };
      }
      const condition = parseStopCondition(spec.condition);
      if (typeof condition === "string") return { verified: false, message: condition };
      const hit = parseHitCondition(spec.hitCondition);
      if (typeof hit === "string") return { verified: false, message: hit };
      const watch: Watch = { target, access, condition, hit, hits: 0 };
      if (target.kind === "dma") watch.last = this.read(target);
      watches.push(watch);
      return { verified: true };
    });
    this.watches = watches;
    return results;
  }

  /** A register or port access by `proc`'s syscall, before it is carried out. */
  checkSyscall(kernel: Kernel, proc: KernelProcess, req: SyscallRequest, describe: () => string): DataHit | undefined {
    const access = accessOf(kernel, proc, req);
    if (!access) return undefined;
    for (const w of this.watches) {
      if (w.target.kind !== access.kind) continue;
      if (access.addr + access.bytes <= w.target.addr || w.target.addr + w.target.bytes <= access.addr) continue;
      if (w.access !== "readWrite" && w.access !== (access.write ? "write" : "read")) continue;
      const description = `Data breakpoint (${access.write ? "write" : "read"} of ${describeTarget(this.machine() as Machine, w.target)}): ${describe()}`;
      if (!this.counts(w, { pid: proc.pid, process: proc.name, device: proc.device, description })) continue;
      return { pid: proc.pid, description };
    }
    return undefined;
  }

  /** Compare watched DMA bytes. `writer` is the process whose driver code ran since the last
   *  comparison, or undefined when only devices could have written (the hit then goes to `owner`). */
  checkDma(writer: KernelProcess | undefined, owner: (addr: number) => KernelProcess | undefined): DataHit | undefined {
    let found: DataHit | undefined;
    for (const w of this.watches) {
      if (w.target.kind !== "dma") continue;
      const now = this.read(w.target);
      const before = w.last;
      w.last = now;
      if (!now || !before || equal(now, before) || found) continue;
      const proc = writer ?? owner(w.target.addr);
      if (!proc) continue;
      const by = writer
        ? `${writer.name} (pid ${writer.pid}) wrote it in driver code, before its next syscall`
        : `${proc.device ?? "a device"} wrote it (a device's DMA write, e.g. a completion); the machine stopped before the next process ran`;
      const description = `Data breakpoint (write of ${describeTarget(this.machine() as Machine, w.target)}): ${bytesText(before)} → ${bytesText(now)}; ${by}`;
      if (!this.counts(w, { pid: proc.pid, process: proc.name, device: proc.device, description })) continue;
      found = { pid: proc.pid, description };
    }
    return found;
  }

  private counts(w: Watch, subject: Parameters<StopCondition>[0]): boolean {
    if (!w.condition(subject)) return false;
    w.hits++;
    return w.hit(w.hits);
  }

  private read(t: DataTarget): Uint8Array | undefined {
    const region = this.machine()?.memory.regionAt(t.addr);
    if (!region) return undefined;
    const end = Math.min(t.addr + t.bytes, region.phys + region.size);
    return new Uint8Array(region.buffer, t.addr - region.phys, end - t.addr).slice();
  }
}

/** The register or port a syscall touches, if it is an access syscall with a valid capability. */
function accessOf(
  kernel: Kernel,
  proc: KernelProcess,
  req: SyscallRequest,
): { kind: "mmio" | "port"; addr: number; bytes: number; write: boolean } | undefined {
  const cap = proc.cspace.get(req.a0);
  const obj = cap ? kernel.hardware.get(cap.objectId) : undefined;
  switch (req.num) {
    case Sys.MMIO_READ:
    case Sys.MMIO_WRITE:
      return obj?.type === "memory"
        ? { kind: "mmio", addr: obj.base + req.a1, bytes: Math.max(1, req.a2), write: req.num === Sys.MMIO_WRITE }
        : undefined;
    case Sys.IN8:
    case Sys.OUT8:
      return { kind: "port", addr: req.a1, bytes: 1, write: req.num === Sys.OUT8 };
    case Sys.IN16:
    case Sys.OUT16:
      return { kind: "port", addr: req.a1, bytes: 2, write: req.num === Sys.OUT16 };
    case Sys.IN32:
    case Sys.OUT32:
      return { kind: "port", addr: req.a1, bytes: 4, write: req.num === Sys.OUT32 };
    default:
      return undefined;
  }
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function bytesText(b: Uint8Array): string {
  const shown = [...b.slice(0, 16)].map((x) => x.toString(16).padStart(2, "0")).join(" ");
  return b.length > 16 ? `${shown} …` : shown;
}
