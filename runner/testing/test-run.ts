// What a test's body sees of its finished run: what each program printed and how it ended, device
// state (registers, queue indices, disk contents), kernel facts (violations, faults, restarts) and
// the injected faults that took effect.

import { AtaDevice, VirtioBlk, VirtioNet, type Machine, type VirtioTransportSnapshot } from "../../devices";
import type { FiredFault } from "../../kernel/faults/injector";
import type { ProcessSummary, RunSummary } from "../../kernel/session";
import type { Violation } from "../../kernel/kernel-types";
import type { DeviceEvent } from "../../devices/machine-interface";

export interface ProcessView {
  readonly name: string;
  readonly pid: number;
  /** "exited", "faulted", or a state it was left in (blocked, when the machine went idle). */
  readonly state: string;
  readonly exitCode: number | null;
  /** The kinds of its faults ("panic", "injected", "capability-violation"…), in order. */
  readonly faults: readonly string[];
  readonly faultMessages: readonly string[];
  readonly device: string | null;
}

export interface DeviceView {
  readonly name: string;
  /** virtio-mmio: registers and queue state (status, interrupt status, each queue's indices). */
  readonly virtio: VirtioTransportSnapshot | undefined;
  /** The device model's counters (virtio-blk, ATA, virtio-net), when it keeps any. */
  readonly stats: Readonly<Record<string, number>>;
}

export interface DiskView {
  readonly sectors: number;
  /** The bytes of `count` sectors from `sector`, as they are on the disk now. */
  read(sector: number, count?: number): Uint8Array;
}

export interface TestRun {
  readonly seed: number;
  readonly outcome: RunSummary["outcome"];
  /** Everything printed on the machine console (sys.console, console devices), in order. */
  readonly console: string;
  /** Debug lines (sys.debug), "name: text". */
  readonly debug: readonly string[];
  /** The client: the first client program's last process (after restarts). */
  readonly client: ProcessView;
  /** The driver under test: its last process. */
  readonly driver: ProcessView;
  /** Every process of the run, in PID order (a restarted driver appears once per start). */
  readonly processes: readonly ProcessView[];
  process(name: string): ProcessView;
  /** How often the supervisor restarted a program. */
  restarts(name: string): number;
  readonly violations: readonly Violation[];
  readonly deviceEvents: readonly DeviceEvent[];
  /** Injected faults that took effect (docs/faults.md). */
  readonly faults: readonly FiredFault[];
  device(name: string): DeviceView;
  disk(slot?: string): DiskView;
  readonly syslogHash: string;
  readonly virtualTimeNs: number;
  readonly summary: RunSummary;
}

function view(p: ProcessSummary): ProcessView {
  return {
    name: p.name,
    pid: p.pid,
    state: p.state,
    exitCode: p.exitCode,
    faults: p.faults.map((f) => f.kind),
    faultMessages: p.faults.map((f) => f.message),
    device: p.device,
  };
}

const missing = (name: string): ProcessView => ({
  name,
  pid: 0,
  state: "never started",
  exitCode: null,
  faults: [],
  faultMessages: [],
  device: null,
});

export function testRun(
  summary: RunSummary,
  machine: Machine,
  output: { console: string; debug: string[] },
  names: { driver?: string; client?: string },
): TestRun {
  const processes = summary.processes.map(view);
  const last = (name: string | undefined): ProcessView | undefined =>
    name === undefined ? undefined : [...processes].reverse().find((p) => p.name === name);
  const process = (name: string): ProcessView => last(name) ?? missing(name);
  return {
    seed: summary.seed,
    outcome: summary.outcome,
    console: output.console,
    debug: output.debug,
    client: last(names.client) ?? missing(names.client ?? "(no client)"),
    driver: last(names.driver) ?? missing(names.driver ?? "(no driver)"),
    processes,
    process,
    restarts: (name) => summary.supervision.find((r) => r.name === name || r.program === name)?.restarts ?? 0,
    violations: summary.violations,
    deviceEvents: summary.deviceEvents,
    faults: summary.faults ?? [],
    device: (name) => deviceView(machine, name),
    disk: (slot) => {
      const disk = machine.disk(slot);
      return {
        sectors: disk.sectors,
        read: (sector, count = 1) => {
          const bytes = new Uint8Array(count * 512);
          disk.read(sector, bytes);
          return bytes;
        },
      };
    },
    syslogHash: summary.syslogHash,
    virtualTimeNs: summary.virtualTimeNs,
    summary,
  };
}

function deviceView(machine: Machine, name: string): DeviceView {
  const info = machine.devices.find((d) => d.name === name);
  if (!info) throw new Error(`no device "${name}" (devices: ${machine.devices.map((d) => d.name).join(", ")})`);
  const virtio = info.kind === "virtio-mmio" ? machine.inspect(name) : undefined;
  let stats: Record<string, number> = {};
  for (const type of [VirtioBlk, VirtioNet, AtaDevice] as const) {
    try {
      stats = {
        ...(
          machine.backend(name, type as abstract new (...args: never[]) => object) as { stats: Record<string, number> }
        ).stats,
      };
      break;
    } catch {
      // not this model
    }
  }
  return { name, virtio, stats };
}
