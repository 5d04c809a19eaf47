// What the kernel benchmarks share: programs built with parameters, sessions run through the real
// Session (the CLI's and the tests' path), and counters snapshotted at the marks programs print.
//
// Programs cannot read the wall clock (the sandbox replaces performance.now and Date with virtual
// time), so they print marks ("bench:go", "bench:done") and the host timestamps each mark when the
// kernel handles its CONSOLE_WRITE. Everything between two marks is the real path, nothing else.

import fs from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { createMachine, loadMachineDescription, type DiskSpec, type Machine } from "../devices";
import { NvmeController } from "../devices/nvme/nvme";
import { AhciHba } from "../devices/ahci/ahci";
import { VirtioBlk } from "../devices/virtio/blk";
import { syscallName } from "../kernel/abi";
import { bundleDriver, type DriverBundle } from "../kernel/loader/bundle-driver";
import { Session, type RunSummary } from "../kernel/session";
import type { SyscallRequest } from "../kernel/worker/mailbox";
import type { KernelProcess } from "../kernel/process";

export const repoRoot = path.join(__dirname, "..");

/**
 * Bundle `bench/programs/<module>.ts`'s factory `exportName` called with `params`. Drivers get no
 * arguments, so the parameters are baked into a two-line entry file written to `dir` (a temp dir);
 * the bundler resolves its relative import of the program as for any driver.
 */
export async function buildProgram(
  dir: string,
  module: string,
  exportName: string,
  params: unknown,
  name: string,
): Promise<DriverBundle> {
  const entry = path.join(dir, `${name}.ts`);
  let target = path
    .relative(dir, path.join(repoRoot, "bench", "programs", module))
    .split(path.sep)
    .join("/");
  if (!target.startsWith(".")) target = `./${target}`;
  fs.writeFileSync(
    entry,
    `import { ${exportName} } from ${JSON.stringify(target)};\nexport default ${exportName}(${JSON.stringify(params)});\n`,
  );
  return bundleDriver(entry);
}

export const sampleDriver = (name: string): Promise<DriverBundle> => bundleDriver(path.join(repoRoot, "drivers", name));

/** Counters at one instant of a run. */
export interface Snapshot {
  t: number;
  syscalls: number;
  ipcMessages: number;
  irqs: number;
  /** Disk requests completed and batches started (one batch per kick or doorbell that found work),
   *  on whichever disk controller the run drives (virtio-blk or NVMe). */
  completed: number;
  batches: number;
  /** Most virtio-blk requests in flight at once so far. */
  maxInFlight: number;
  /** Host-thread ms spent inside Kernel.submit (dispatch, scheduling, posting the result). */
  kernelMs: number;
  /** Syscalls where the kernel handed the run token to a different process than the caller. */
  switches: number;
  byNumber: Map<number, number>;
}

export interface Mark {
  pid: number;
  name: string;
  text: string;
  at: Snapshot;
}

export interface BenchRun {
  summary: RunSummary;
  marks: Mark[];
  /** Event-loop utilisation of the host thread over the whole run (0…1). */
  hostBusy: number;
  errors: string[];
}

export interface RunOptions {
  programs: DriverBundle[];
  disk?: DiskSpec;
  timeoutSeconds: number;
}

/** Run programs on a fresh virt machine, instrumented from outside the kernel. */
export async function runInstrumented(options: RunOptions): Promise<BenchRun> {
  const description = loadMachineDescription("virt");
  const machine: Machine = createMachine(description, { seed: 1, disk: options.disk });
  const marks: Mark[] = [];
  const errors: string[] = [];
  const byNumber = new Map<number, number>();
  let kernelMs = 0;
  let switches = 0;
  let session: Session | undefined = undefined;
  const blk = (): { stats: { completed: number; batches: number; maxInFlight: number } } | undefined => {
    try {
      const virtio = machine.backend("virtio-blk0", VirtioBlk);
      if (virtio.stats.completed > 0) return virtio;
      const nvme = machine.backend("nvme0", NvmeController);
      if (nvme.stats.completed > 0) return nvme;
      return machine.backend("ahci0", AhciHba);
    } catch {
      return undefined;
    }
  };
  const snapshot = (): Snapshot => {
    const k = session?.kernel;
    const stats = blk()?.stats;
    return {
      t: performance.now(),
      syscalls: k?.syslog.syscallCount ?? 0,
      ipcMessages: k?.ipcMessages ?? 0,
      irqs: k?.irqs ?? 0,
      completed: stats?.completed ?? 0,
      batches: stats?.batches ?? 0,
      maxInFlight: stats?.maxInFlight ?? 0,
      kernelMs,
      switches,
      byNumber: new Map(byNumber),
    };
  };
  session = new Session({
    machine,
    machineName: description.name,
    seed: 1,
    timeoutSeconds: options.timeoutSeconds,
    output: {
      console: (p: KernelProcess, text: string) => {
        for (const line of text.split("\n"))
          if (line.startsWith("bench:")) marks.push({ pid: p.pid, name: p.name, text: line, at: snapshot() });
      },
      debug: () => undefined,
      fault: (p, f) => errors.push(`${p.name} (pid ${p.pid}): ${f.kind}: ${f.message}`),
    },
  });
  // Instrumentation only: time each syscall's host-side handling and count which process runs
  // next. The kernel's behaviour is untouched (the original method does all the work).
  const kernel = session.kernel;
  const submit = kernel.submit.bind(kernel);
  // submit can nest: when a worker posts its next request before the host looks again, the host
  // handles it synchronously inside the previous submit. Only the outermost call is timed.
  let depth = 0;
  kernel.submit = (proc: KernelProcess, request: SyscallRequest): void => {
    const t0 = performance.now();
    byNumber.set(request.num, (byNumber.get(request.num) ?? 0) + 1);
    depth++;
    try {
      submit(proc, request);
    } finally {
      depth--;
    }
    if (depth === 0) kernelMs += performance.now() - t0;
    const next = [...kernel.processes.values()].find((p) => p.state === "running");
    if (next !== undefined && next !== proc) switches++;
  };
  for (const b of options.programs) session.spawn(b);
  const elu0 = performance.eventLoopUtilization();
  const summary = await session.run();
  const elu = performance.eventLoopUtilization(elu0);
  machine.close();
  for (const p of summary.processes) {
    if (p.state !== "exited" || p.exitCode !== 0)
      errors.push(`${p.name} (pid ${p.pid}) ended ${p.state}${p.exitCode !== null ? ` ${p.exitCode}` : ""}`);
  }
  if (summary.outcome !== "completed") errors.push(`the run ended "${summary.outcome}"`);
  return { summary, marks, hostBusy: elu.utilization, errors };
}

/** Counter differences between two snapshots, per unit of work. */
export function perUnit(from: Snapshot, to: Snapshot, units: number): Record<string, number> {
  const d = (a: number, b: number): number => round((b - a) / units, 2);
  return {
    syscalls: d(from.syscalls, to.syscalls),
    ipcMessages: d(from.ipcMessages, to.ipcMessages),
    irqs: d(from.irqs, to.irqs),
    deviceBatches: d(from.batches, to.batches),
    processSwitches: d(from.switches, to.switches),
  };
}

/** "CALL 1.00, REPLY 1.00, …": which syscalls a unit of work makes, most frequent first. */
export function syscallMix(from: Snapshot, to: Snapshot, units: number): string {
  const rows: [string, number][] = [];
  for (const [num, count] of to.byNumber) {
    const n = count - (from.byNumber.get(num) ?? 0);
    if (n > 0) rows.push([syscallName(num).replace(/^SYS_/, ""), n / units]);
  }
  rows.sort((a, b) => b[1] - a[1]);
  return rows.map(([name, n]) => `${name} ${n.toFixed(2)}`).join(", ");
}

export function firstMark(run: BenchRun, text: string): Mark | undefined {
  return run.marks.find((m) => m.text === text);
}

export function lastMark(run: BenchRun, text: string): Mark | undefined {
  return [...run.marks].reverse().find((m) => m.text === text);
}

export function round(x: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

export function throwIfFailed(what: string, run: BenchRun): void {
  if (run.errors.length > 0) throw new Error(`${what}: ${run.errors.join("; ")}`);
}
