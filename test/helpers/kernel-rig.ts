// A worker-free rig for kernel tests: fake ProcessHosts record resume(), so a test can drive the
// real Kernel syscall by syscall (Kernel.submit is synchronous) and see who holds the run token.

import { createMachine, loadMachineDescription, type Machine } from "../../devices";
import { Sys } from "../../kernel/abi/syscalls";
import { Kernel } from "../../kernel/kernel";
import type { KernelOptions, WorkerEvents } from "../../kernel/kernel-types";
import type { KernelProcess, ProcessHost } from "../../kernel/process";

export interface Resumed {
  result: number;
  payload?: Uint8Array;
}

export class KernelRig {
  readonly machine: Machine;
  readonly kernel: Kernel;
  readonly procs: KernelProcess[] = [];
  readonly events = new Map<number, WorkerEvents>();
  /** Last result each process was resumed with. */
  readonly last = new Map<number, Resumed>();
  holder: number | undefined;

  constructor(count: number, options: Partial<Pick<KernelOptions, "compat" | "seed">> = {}) {
    const seed = options.seed ?? 1;
    this.machine = createMachine(loadMachineDescription("virt"), { seed });
    this.kernel = new Kernel({
      machine: this.machine,
      seed,
      compat: options.compat,
      output: { console: () => undefined, debug: () => undefined },
    });
    for (let i = 0; i < count; i++) {
      const ref = { pid: 0 };
      const host: ProcessHost = {
        resume: (result, payload) => {
          this.holder = ref.pid;
          this.last.set(ref.pid, { result, payload });
        },
        terminate: () => undefined,
      };
      let events: WorkerEvents | undefined;
      const proc = this.kernel.spawn(`p${i}`, "rig", (e) => {
        events = e;
        return host;
      });
      ref.pid = proc.pid;
      if (events) this.events.set(proc.pid, events);
      this.procs.push(proc);
    }
    this.kernel.start();
  }

  /** Make `pid` hold the token (the others yield), then submit its syscall. Returns its result, or
   *  undefined if it blocked or ended. */
  sys(pid: number, num: number, a0 = 0, a1 = 0, a2 = 0, payload: Uint8Array = new Uint8Array(0)): Resumed | undefined {
    for (let guard = 0; this.holder !== pid; guard++) {
      if (this.holder === undefined || guard > 100) throw new Error(`pid ${pid} never gets the token`);
      this.submit(this.holder, Sys.YIELD);
    }
    this.submit(pid, num, a0, a1, a2, payload);
    const p = this.kernel.processes.get(pid)!;
    if (this.holder === pid) return this.last.get(pid);
    return p.state === "ready" && p.pending ? { result: p.pending.result, payload: p.pending.payload } : undefined;
  }

  private submit(pid: number, num: number, a0 = 0, a1 = 0, a2 = 0, payload: Uint8Array = new Uint8Array(0)): void {
    this.holder = undefined;
    this.kernel.submit(this.kernel.processes.get(pid)!, { num, a0: a0 >>> 0, a1: a1 >>> 0, a2: a2 >>> 0, payload });
  }

  /** What `pid` will see (or saw) for its last syscall: its pending result, else its last resume. */
  lastOf(pid: number): Resumed | undefined {
    const p = this.kernel.processes.get(pid)!;
    if (p.state === "ready" && p.pending) return { result: p.pending.result, payload: p.pending.payload };
    return this.last.get(pid);
  }

  close(): void {
    void this.kernel.shutdown();
    this.machine.close();
  }
}
