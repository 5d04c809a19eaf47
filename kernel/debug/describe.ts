// Words for what the debugger shows: a syscall decoded, a process's capabilities, a virtio device's
// registers and its virtqueues as they sit in DMA memory, an IPC message. Pure functions of kernel and
// machine state; process-views.ts and stop-hooks.ts decide when to call them.

import {
  Avail,
  DESC_SIZE,
  DescFlag,
  Reg,
  statusNames,
  Used,
  type Machine,
  type VirtioTransportSnapshot,
} from "../../devices";
import { ObjectType, objectTypeName, permString } from "../abi/caps";
import { Sys, syscallName } from "../abi/syscalls";
import type { Capability } from "../cspace";
import type { Kernel } from "../kernel";
import type { Message } from "../objects";
import type { KernelProcess } from "../process";
import type { SyscallRequest } from "../worker/mailbox";
import { e1000RegisterName } from "./describe-e1000";
import { nvmeRegisterLabel } from "./describe-nvme";
import { ahciRegisterLabel } from "./describe-ahci";

/** A labelled value for the variables views; `children` make it expandable. */
export interface InspectItem {
  name: string;
  value: string;
  children?: InspectItem[];
  /** Guest-physical address ("0x…") of memory behind the value (DMA buffers): opens the memory view. */
  memoryReference?: string;
  /** What a data breakpoint on this value watches (data-watch.ts ids). */
  dataId?: string;
}

export function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

export function littleEndian(bytes: Uint8Array): bigint {
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]);
  return v;
}

const regNames = new Map<number, string>(Object.entries(Reg).map(([k, v]) => [v, k]));
/** " (Status)" for a register offset of the device's kind (virtio-mmio unless `type` names another). */
export function registerName(offset: number, type?: string): string {
  if (type === "e1000") return e1000RegisterName(offset);
  if (type === "nvme") return nvmeRegisterLabel(offset);
  if (type === "ahci") return ahciRegisterLabel(offset);
  const name = regNames.get(offset);
  return name ? ` (${name})` : "";
}

/** "SYS_MMIO_WRITE 0x70 (Status) ← 0xf (ACKNOWLEDGE|DRIVER|FEATURES_OK|DRIVER_OK) on virtio-blk0" and the like. */
export function describeSyscall(kernel: Kernel, proc: KernelProcess, req: SyscallRequest): string {
  const name = syscallName(req.num);
  const hw = (slot: number) => {
    const cap = proc.cspace.get(slot);
    return cap ? kernel.hardware.get(cap.objectId) : undefined;
  };
  switch (req.num) {
    case Sys.MMIO_WRITE:
    case Sys.MMIO_READ: {
      const obj = hw(req.a0);
      const where = obj?.type === "memory" ? ` on ${obj.device}` : ` through slot ${req.a0}`;
      const type = obj?.type === "memory" ? kernel.machine.devices.find((d) => d.name === obj.device)?.type : undefined;
      const reg = obj?.type === "memory" ? registerName(req.a1, type) : "";
      if (req.num === Sys.MMIO_READ) return `${name} ${hex(req.a1)}${reg} (${req.a2} bytes)${where}`;
      const value = Number(littleEndian(req.payload));
      const virtioStatus = req.a1 === Reg.Status && obj?.type === "memory" && type === undefined;
      return `${name} ${hex(req.a1)}${reg} ← ${hex(value)}${virtioStatus ? ` (${statusNames(value)})` : ""}${where}`;
    }
    case Sys.OUT8:
    case Sys.OUT16:
    case Sys.OUT32: {
      const obj = hw(req.a0);
      return `${name} port ${hex(req.a1)} ← ${hex(req.a2 >>> 0)}${obj?.type === "ports" && obj.device ? ` on ${obj.device}` : ""}`;
    }
    case Sys.IN8:
    case Sys.IN16:
    case Sys.IN32: {
      const obj = hw(req.a0);
      return `${name} port ${hex(req.a1)}${obj?.type === "ports" && obj.device ? ` on ${obj.device}` : ""}`;
    }
    case Sys.SEND:
    case Sys.CALL:
    case Sys.SEND_CAP:
      return `${name} tag ${hex(req.a1)} (${req.payload.length} bytes) through slot ${req.a0}${endpointOf(kernel, proc, req.a0)}`;
    case Sys.RECV:
    case Sys.RECV_WAIT:
      return `${name} through slot ${req.a0}${endpointOf(kernel, proc, req.a0)}`;
    case Sys.REPLY:
      return `${name} to pid ${req.a0} tag ${hex(req.a1)} (${req.payload.length} bytes)`;
    case Sys.CONSOLE_WRITE:
    case Sys.DEBUG:
      return `${name} ${JSON.stringify(new TextDecoder().decode(req.payload).slice(0, 160))}`;
    case Sys.FAULT:
      return `${name} ${JSON.stringify(new TextDecoder().decode(req.payload).split("\n")[0].slice(0, 160))}`;
    case Sys.IRQ_ACK:
    case Sys.IRQ_MASK:
    case Sys.IRQ_UNMASK: {
      const obj = hw(req.a0);
      return `${name} ${obj?.type === "irq" ? `line ${obj.line}` : `slot ${req.a0}`}`;
    }
    case Sys.DMA_ALLOC:
      return `${name} ${req.a0} bytes`;
    case Sys.DMA_FREE: {
      const obj = hw(req.a0);
      return `${name} ${obj?.type === "dma" ? `${hex(obj.region.phys)}+${hex(obj.region.size)}` : `slot ${req.a0}`}`;
    }
    case Sys.EXIT:
      return `${name} code ${req.a0 | 0}`;
    default:
      return `${name}(${hex(req.a0)}, ${hex(req.a1)}, ${hex(req.a2)})`;
  }
}

export function describeCaps(kernel: Kernel, proc: KernelProcess): InspectItem[] {
  return proc.cspace.entries().map(([slot, cap]) => {
    const obj =
      cap.objectType === ObjectType.Endpoint || cap.objectType === ObjectType.Process
        ? undefined
        : kernel.hardware.get(cap.objectId);
    const dma = obj?.type === "dma" ? obj.region : undefined;
    return {
      name: `slot ${slot}`,
      value: `${objectTypeName(cap.objectType)} ${permString(cap.perms)}: ${grantOf(kernel, cap)}`,
      ...(dma && { memoryReference: hex(dma.phys), dataId: `dma:${hex(dma.phys)}:${dma.size}` }),
      children: [
        { name: "type", value: objectTypeName(cap.objectType) },
        { name: "object", value: String(cap.objectId) },
        { name: "rights", value: permString(cap.perms) },
        { name: "grant", value: grantOf(kernel, cap) },
        { name: "id", value: String(cap.id) },
        { name: "generation", value: String(cap.generation) },
        { name: "expires", value: cap.expiresAt === 0 ? "never" : `${cap.expiresAt} ns` },
        { name: "parent", value: cap.parent === undefined ? "root" : `cap ${cap.parent}` },
      ],
    };
  });
}

/** What the capability's object is, in words. */
export function grantOf(kernel: Kernel, cap: Capability): string {
  if (cap.objectType === ObjectType.Endpoint) {
    const ep = kernel.endpoints.get(cap.objectId);
    return ep ? `endpoint ${ep.id} (owner pid ${ep.owner})` : `endpoint ${cap.objectId} (gone)`;
  }
  if (cap.objectType === ObjectType.Process) return `process pid ${cap.objectId}`;
  const obj = kernel.hardware.get(cap.objectId);
  if (!obj) return `object ${cap.objectId}`;
  switch (obj.type) {
    case "memory":
      return `MMIO ${hex(obj.base)}+${hex(obj.size)} (${obj.device})`;
    case "ports":
      return `ports ${hex(obj.first)}–${hex(obj.last)}${obj.device ? ` (${obj.device})` : ""}`;
    case "irq":
      return `IRQ ${obj.line} → endpoint ${obj.endpointId}${obj.masked ? ", masked" : ""}${obj.pending ? ", pending" : ""}`;
    case "dma":
      return `DMA ${hex(obj.region.phys)}+${hex(obj.region.size)}`;
  }
}

/** Registers a data breakpoint can watch, with the width drivers use for them. */
const WATCHABLE: readonly [keyof typeof Reg, number][] = [
  ["DeviceFeatures", 4],
  ["DriverFeatures", 4],
  ["QueueSel", 4],
  ["QueueReady", 4],
  ["QueueNotify", 4],
  ["InterruptStatus", 4],
  ["InterruptAck", 4],
  ["Status", 4],
  ["ConfigGeneration", 4],
];

/** The bound virtio device's registers, decoded; each watchable one carries a data breakpoint id. */
export function describeVirtio(device: string, base: number, s: VirtioTransportSnapshot): InspectItem[] {
  const watch = (reg: keyof typeof Reg) => {
    const width = WATCHABLE.find(([r]) => r === reg)?.[1] ?? 4;
    return `mmio:${hex(base + Reg[reg])}:${width}`;
  };
  return [
    { name: "device", value: `${device} at ${hex(base)}` },
    { name: "Status", value: `${hex(s.status)} (${statusNames(s.status)})`, dataId: watch("Status") },
    { name: "InterruptStatus", value: hex(s.interruptStatus), dataId: watch("InterruptStatus") },
    { name: "InterruptAck", value: "(write-only)", dataId: watch("InterruptAck") },
    { name: "QueueNotify", value: "(write-only)", dataId: watch("QueueNotify") },
    { name: "needsReset", value: String(s.needsReset) },
    { name: "DeviceFeatures", value: `0x${s.offeredFeatures.toString(16)}`, dataId: watch("DeviceFeatures") },
    { name: "DriverFeatures", value: `0x${s.driverFeatures.toString(16)}`, dataId: watch("DriverFeatures") },
    { name: "QueueSel", value: String(s.queueSel), dataId: watch("QueueSel") },
    { name: "ConfigGeneration", value: String(s.configGeneration), dataId: watch("ConfigGeneration") },
    {
      name: "queues",
      value: `${s.queues.length}`,
      children: s.queues.map((q, i) => ({
        name: `[${i}] ${q.name}`,
        value: `size ${q.size}/${q.maxSize}, ${q.ready ? "ready" : "not ready"}, desc ${hex(q.descAddr)}, avail ${hex(q.driverAddr)}, used ${hex(q.deviceAddr)}`,
      })),
    },
  ];
}

/** Reads guest DMA memory for the views; undefined where no DMA region is mapped. */
export type MemoryReader = (addr: number, length: number) => Uint8Array | undefined;

export function dmaReader(machine: Machine): MemoryReader {
  return (addr, length) => {
    const region = machine.memory.regionAt(addr);
    if (!region || addr + length > region.phys + region.size) return undefined;
    return new Uint8Array(region.buffer, addr - region.phys, length).slice();
  };
}

/** Each ready virtqueue as the driver laid it out in DMA memory: descriptors, avail and used rings. */
export function describeVirtqueues(s: VirtioTransportSnapshot, read: MemoryReader): InspectItem[] {
  const u16 = (addr: number) => {
    const b = read(addr, 2);
    return b ? b[0] | (b[1] << 8) : undefined;
  };
  const u32 = (addr: number) => {
    const b = read(addr, 4);
    return b ? (b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24)) >>> 0 : undefined;
  };
  const show = (v: number | undefined) => (v === undefined ? "(not in DMA memory)" : String(v));
  return s.queues.map((q, index) => {
    const name = `[${index}] ${q.name}`;
    if (!q.ready) return { name, value: `not ready (size ${q.size}/${q.maxSize})` };
    const availIdx = u16(Avail.idx(q.driverAddr));
    const usedIdx = u16(Used.idx(q.deviceAddr));
    const pending = availIdx !== undefined && q.ring ? (availIdx - q.ring.lastAvailIdx) & 0xffff : undefined;
    const descriptors: InspectItem[] = [];
    for (let i = 0; i < q.size; i++) {
      const at = q.descAddr + i * DESC_SIZE;
      const raw = read(at, DESC_SIZE);
      if (!raw) {
        descriptors.push({ name: `[${i}]`, value: "(not in DMA memory)" });
        continue;
      }
      const v = new DataView(raw.buffer);
      const addr = Number(v.getBigUint64(0, true));
      const len = v.getUint32(8, true);
      const flags = v.getUint16(12, true);
      const next = v.getUint16(14, true);
      const flagNames =
        [
          flags & DescFlag.Next ? "NEXT" : "",
          flags & DescFlag.Write ? "WRITE" : "",
          flags & DescFlag.Indirect ? "INDIRECT" : "",
        ]
          .filter(Boolean)
          .join("|") || "-";
      descriptors.push({
        name: `[${i}]`,
        value: `addr ${hex(addr)} len ${len} flags ${flagNames}${flags & DescFlag.Next ? ` next ${next}` : ""}`,
        ...(len > 0 && read(addr, 1) && { memoryReference: hex(addr) }),
      });
    }
    const availRing: InspectItem[] = [];
    const usedRing: InspectItem[] = [];
    for (let i = 0; i < q.size; i++) {
      availRing.push({ name: `ring[${i}]`, value: show(u16(Avail.ring(q.driverAddr, i))) });
      usedRing.push({
        name: `ring[${i}]`,
        value: `id ${show(u32(Used.id(q.deviceAddr, i)))} len ${show(u32(Used.len(q.deviceAddr, i)))}`,
      });
    }
    return {
      name,
      value: `size ${q.size}, avail.idx ${show(availIdx)}, used.idx ${show(usedIdx)}${pending !== undefined ? `, ${pending} not yet taken by the device` : ""}`,
      children: [
        {
          name: "descriptors",
          value: `${q.size} at ${hex(q.descAddr)}`,
          memoryReference: hex(q.descAddr),
          children: descriptors,
        },
        {
          name: "avail",
          value: `idx ${show(availIdx)}, flags ${show(u16(Avail.flags(q.driverAddr)))} at ${hex(q.driverAddr)}`,
          memoryReference: hex(q.driverAddr),
          dataId: `dma:${hex(Avail.idx(q.driverAddr))}:2`,
          children: [
            { name: "idx", value: show(availIdx), dataId: `dma:${hex(Avail.idx(q.driverAddr))}:2` },
            ...availRing,
          ],
        },
        {
          name: "used",
          value: `idx ${show(usedIdx)}, flags ${show(u16(Used.flags(q.deviceAddr)))} at ${hex(q.deviceAddr)}`,
          memoryReference: hex(q.deviceAddr),
          dataId: `dma:${hex(Used.idx(q.deviceAddr))}:2`,
          children: [
            { name: "idx", value: show(usedIdx), dataId: `dma:${hex(Used.idx(q.deviceAddr))}:2` },
            ...usedRing,
          ],
        },
        ...(q.ring
          ? [
              {
                name: "device cursor",
                value: `last avail idx ${q.ring.lastAvailIdx}, used idx ${q.ring.usedIdx}, signalled ${q.ring.signalledUsedIdx}`,
              },
            ]
          : []),
      ],
    };
  });
}

export function describeMessage(m: Message): string {
  const from = m.sender === 0 ? "kernel" : `pid ${m.sender}`;
  return `tag ${hex(m.tag)} from ${from}, ${m.payload.length} bytes${m.callFrom !== undefined ? " (CALL)" : ""}${m.caps?.length ? `, ${m.caps.length} caps` : ""}`;
}

function endpointOf(kernel: Kernel, proc: KernelProcess, slot: number): string {
  const cap = proc.cspace.get(slot);
  if (!cap || cap.objectType !== ObjectType.Endpoint) return "";
  const ep = kernel.endpoints.get(cap.objectId);
  return ep ? ` (endpoint ${ep.id}, owner pid ${ep.owner})` : "";
}
