// A picture of a whole machine at one moment, for views: every device with its addresses, IRQ and
// decoded registers, every process with its state, capabilities and endpoint queues. Reading it has
// no side effects on the machine (device snapshots, not register reads), so views may take one while
// the machine runs. Plain data: the extension turns it into tree items, tests compare it.

import {
  AtaDevice,
  E1000,
  AtaStatus,
  formatIp,
  formatMac,
  NvmeController,
  Uart16550,
  UartLsr,
  UartMcr,
  VirtioNet,
  type DeviceInfo,
  type Machine,
} from "../../devices";
import type { Kernel } from "../kernel";
import { describeCaps, describeMessage, describeVirtio, type InspectItem } from "./describe";
import { describeE1000, describeE1000Rings } from "./describe-e1000";
import { describeNvme } from "./describe-nvme";
import { faultSummary, formatFault } from "../fault-text";
import type { SourcePosition } from "../loader/source-map";

export interface DeviceView {
  name: string;
  kind: string;
  /** "MMIO 0x10001000+0x1000" or "ports 0x3f8–0x3ff". */
  address: string;
  irq: number | undefined;
  /** Whether the device's interrupt line is raised now. */
  irqRaised: boolean;
  /** PIDs of the processes bound to the device. */
  boundTo: number[];
  registers: InspectItem[];
}

export interface ProcessView {
  pid: number;
  name: string;
  state: string;
  device: string | undefined;
  syscalls: number;
  exitCode: number | undefined;
  /** The last fault, in words: kind, code, the driver's line (`panic ZDS202 at index.ts:14:5: …`). */
  fault: string | undefined;
  /** The last fault's whole report, as `zds run` prints it (kernel/fault-text.ts formatFault). */
  faultReport?: string[];
  /** Where the last fault happened in the driver's TypeScript. */
  faultSource?: SourcePosition;
  capabilities: InspectItem[];
  endpoints: InspectItem[];
}

export interface MachineSnapshot {
  machine: string;
  virtualTimeNs: number;
  paused: boolean;
  devices: DeviceView[];
  processes: ProcessView[];
  faults: number;
  violations: number;
}

export function snapshotMachine(machineName: string, kernel: Kernel, machine: Machine): MachineSnapshot {
  const processes = [...kernel.processes.values()];
  return {
    machine: machineName,
    virtualTimeNs: machine.clock.now(),
    paused: kernel.paused,
    devices: machine.devices.map((d) => ({
      name: d.name,
      kind: d.kind,
      address: addressOf(d),
      irq: d.irq,
      irqRaised: d.irq !== undefined && machine.irqLevel(d.irq),
      boundTo: processes.filter((p) => p.device === d.name && p.alive).map((p) => p.pid),
      registers: registersOf(machine, d),
    })),
    processes: processes.map((p) => {
      const last = p.faults[p.faults.length - 1];
      return {
        pid: p.pid,
        name: p.name,
        state: p.state,
        device: p.device,
        syscalls: p.syscalls,
        exitCode: p.exitCode,
        fault: last ? faultSummary(last) : undefined,
        ...(last && { faultReport: formatFault(p, last) }),
        ...(last?.source && { faultSource: last.source }),
        capabilities: p.alive ? describeCaps(kernel, p) : [],
        endpoints: endpointsOf(kernel, [...p.endpoints]),
      };
    }),
    faults: processes.reduce((n, p) => n + p.faults.length, 0),
    violations: kernel.violations.length,
  };
}

function addressOf(d: DeviceInfo): string {
  if (d.mmio) return `MMIO ${hex(d.mmio.base)}+${hex(d.mmio.size)}`;
  if (d.ports?.length) return `ports ${d.ports.map((r) => `${hex(r.first)}–${hex(r.last)}`).join(", ")}`;
  return "no registers";
}

function endpointsOf(kernel: Kernel, ids: number[]): InspectItem[] {
  return ids.flatMap((id) => {
    const ep = kernel.endpoints.get(id);
    if (!ep) return [];
    const waiters = ep.waiters.length ? `, waiters: ${ep.waiters.map((w) => `pid ${w}`).join(", ")}` : "";
    return [
      {
        name: `endpoint ${ep.id}`,
        value: `${ep.queue.length} queued, ${ep.delivered} delivered, high water ${ep.highWater}${waiters}`,
        children: ep.queue.map((m, i) => ({ name: `[${i}]`, value: describeMessage(m) })),
      },
    ];
  });
}

function registersOf(machine: Machine, d: DeviceInfo): InspectItem[] {
  if (d.kind === "virtio-mmio")
    return [
      ...describeVirtio(d.name, d.mmio?.base ?? 0, machine.inspect(d.name)).filter((item) => item.name !== "device"),
      ...networkOf(machine, d.name),
    ];
  if (d.type === "e1000") {
    const s = machine.backend(d.name, E1000).snapshot();
    const base = d.mmio?.base ?? 0;
    return [
      ...describeE1000(d.name, base, s).filter((item) => item.name !== "device"),
      ...describeE1000Rings(base, s),
      ...networkOf(machine, d.name),
    ];
  }
  if (d.type === "nvme")
    return describeNvme(d.name, d.mmio?.base ?? 0, machine.backend(d.name, NvmeController).snapshot()).filter(
      (item) => item.name !== "device",
    );
  const model = (() => {
    try {
      return machine.backend(d.name, Object);
    } catch {
      return undefined;
    }
  })();
  if (model instanceof Uart16550) {
    const s = model.snapshot();
    return [
      {
        name: "LSR",
        value: `${hex(s.lsr)} (${bits(s.lsr, { DR: UartLsr.DR, THRE: UartLsr.THRE, TEMT: UartLsr.TEMT, OE: UartLsr.OE, FE: UartLsr.FE, PE: UartLsr.PE, BI: UartLsr.BI })})`,
      },
      { name: "IER", value: hex(s.ier) },
      { name: "IIR", value: hex(s.iir) },
      { name: "FCR", value: hex(s.fcr) },
      { name: "LCR", value: `${hex(s.lcr)} (${5 + (s.lcr & 3)} data bits${s.lcr & 0x80 ? ", DLAB" : ""})` },
      {
        name: "MCR",
        value: `${hex(s.mcr)} (${bits(s.mcr, { DTR: UartMcr.DTR, RTS: UartMcr.RTS, OUT2: UartMcr.OUT2, LOOP: UartMcr.LOOP })})`,
      },
      { name: "MSR", value: hex(s.msr) },
      { name: "SCR", value: hex(s.scr) },
      {
        name: "divisor",
        value: s.divisor === 0 ? "0 (not programmed)" : `${s.divisor} (${Math.round(115200 / s.divisor)} baud)`,
      },
      { name: "FIFOs", value: `rx ${s.rxLevel}, tx ${s.txLevel}, typed and not yet received ${s.wireLevel}` },
    ];
  }
  if (model instanceof AtaDevice) {
    const s = model.snapshot();
    const lba = ((s.device & 0x0f) << 24) | (s.lbaHigh << 16) | (s.lbaMid << 8) | s.lbaLow;
    return [
      {
        name: "Status",
        value: `${hex(s.status)} (${bits(s.status, { BSY: AtaStatus.Bsy, DRDY: AtaStatus.Drdy, DF: AtaStatus.Df, DRQ: AtaStatus.Drq, ERR: AtaStatus.Err })})`,
      },
      { name: "Error", value: hex(s.error) },
      { name: "SectorCount", value: String(s.sectorCount) },
      { name: "LBA", value: `${lba} (low ${hex(s.lbaLow)}, mid ${hex(s.lbaMid)}, high ${hex(s.lbaHigh)})` },
      { name: "Device", value: hex(s.device) },
      { name: "DeviceControl", value: hex(s.control) },
      { name: "INTRQ", value: String(s.intrq) },
      { name: "phase", value: s.phase },
    ];
  }
  return [];
}

/** A network card's counters and the peer behind its wire (docs/networking.md); nothing for other devices. */
function networkOf(machine: Machine, device: string): InspectItem[] {
  let nic: VirtioNet | E1000;
  try {
    nic =
      machine.backend(device, Object) instanceof E1000
        ? machine.backend(device, E1000)
        : machine.backend(device, VirtioNet);
  } catch {
    return [];
  }
  const s: Readonly<Record<string, number>> = { ...nic.stats };
  const peer = machine.network(device).peer;
  // Counters that are not drops (the e1000's errors are in its "counters" item).
  const traffic = new Set([
    "txFrames",
    "txBytes",
    "rxFrames",
    "rxBytes",
    "rxBuffers",
    "rxFiltered",
    "deviceErrors",
    "dmaFaults",
    "ringStops",
  ]);
  const drops = Object.entries(s).filter(([key, count]) => !traffic.has(key) && count > 0);
  const dropped = drops.reduce((sum, [, count]) => sum + count, 0);
  return [
    {
      name: "network",
      value: `${formatMac(nic.mac)}, link ${nic.link ? "up" : "down"}: ${s.txFrames} sent, ${s.rxFrames} received, ${dropped} dropped`,
      children: [
        { name: "sent", value: `${s.txFrames} frames, ${s.txBytes} bytes` },
        {
          name: "received",
          value: `${s.rxFrames} frames, ${s.rxBytes} bytes${s.rxBuffers !== undefined ? `, in ${s.rxBuffers} buffers` : ""}`,
        },
        { name: "dropped", value: drops.length ? drops.map(([key, count]) => `${count} ${key}`).join(", ") : "none" },
        {
          name: "peer",
          value: `${formatIp(peer.config.ip)} (${formatMac(peer.config.mac)}): ${peer.stats.arpReplies} ARP, ${peer.stats.echoReplies} echo, ${peer.stats.udpEchoes} UDP replies, ${peer.stats.ignored} frames ignored`,
        },
      ],
    },
  ];
}

function bits(value: number, names: Record<string, number>): string {
  const set = Object.entries(names)
    .filter(([, bit]) => (value & bit) !== 0)
    .map(([name]) => name);
  return set.length ? set.join(" ") : "none";
}

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}
