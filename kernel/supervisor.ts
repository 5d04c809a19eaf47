// The supervisor: when a driver ends badly it is restarted per its policy, after a back-off in
// virtual time, up to a limit; after that it stays down and says why. Teardown itself (revoking
// capabilities, resetting devices, failing pending callers) is the kernel's.

import type { DriverPolicy, SupervisionDescription } from "../devices";
import type { Kernel } from "./kernel";
import type { KernelProcess } from "./process";

// Without a policy nothing restarts: a development run shows each fault once, as it happened. A
// machine description opts drivers in (test/fixtures/machines/supervised.json shows how).
export const DEFAULT_POLICY: Required<DriverPolicy> = {
  restart: "never",
  limit: 3,
  backoffUs: 1000,
  maxBackoffUs: 1_000_000,
  memoryMb: 128,
  watchdogMs: 5000,
};

export interface ProgramRecord {
  /** The program's manifest name once it started, else its folder or file name. */
  name: string;
  /** Its folder or file name. */
  program: string;
  restarts: number;
  /** Why the supervisor stopped restarting it, if it did. */
  gaveUp?: string;
}

export class Supervisor {
  readonly programs: ProgramRecord[] = [];
  private readonly byPid = new Map<number, number>();

  constructor(
    private readonly kernel: Kernel,
    private readonly description: SupervisionDescription | undefined,
    private readonly overrides: Partial<DriverPolicy>,
    /** Start program `index` again; returns the new process. */
    private readonly respawn: (index: number, restartOf: KernelProcess) => KernelProcess,
  ) {
    kernel.onProcessEnded((proc) => this.ended(proc));
  }

  /** The policy in force for a program: defaults, then the description (by manifest name, else by
   *  program name), then command-line overrides. */
  policy(name: string, manifestName?: string): Required<DriverPolicy> {
    const drivers = this.description?.drivers;
    const own = (manifestName !== undefined ? drivers?.[manifestName] : undefined) ?? drivers?.[name];
    return { ...DEFAULT_POLICY, ...this.description?.default, ...own, ...this.overrides };
  }

  /** A program's first process. */
  track(index: number, name: string, proc: KernelProcess): void {
    this.programs[index] ??= { name, program: name, restarts: 0 };
    this.byPid.set(proc.pid, index);
    proc.watchdogMs = this.policy(name).watchdogMs;
  }

  private ended(proc: KernelProcess): void {
    const index = this.byPid.get(proc.pid);
    if (index === undefined) return;
    const record = this.programs[index];
    if (proc.manifest) record.name = proc.manifest.name;
    const policy = this.policy(record.program, proc.manifest?.name);
    const failed = proc.state === "faulted" || (proc.exitCode ?? 0) !== 0;
    const why = proc.faults.length ? proc.faults[proc.faults.length - 1].kind : `exit ${proc.exitCode}`;
    // An injected kill (docs/faults.md) tests the restart itself: it restarts whatever the policy.
    const wanted =
      why === "injected" ||
      (policy.restart === "always" ? !this.kernel.shuttingDown : policy.restart === "on-failure" && failed);
    // Staying down: a client waiting for (or later asking for) a name it served must not wait forever.
    if (!wanted) {
      this.kernel.init.servicesAbandoned(
        proc,
        `${record.name} (pid ${proc.pid}) ended (${why}) and its policy (restart ${policy.restart}) does not start it again`,
      );
      return;
    }
    if (record.restarts >= policy.limit) {
      record.gaveUp = `restart limit reached: ${record.restarts} restart${record.restarts === 1 ? "" : "s"} allowed, last end ${why}; staying down`;
      this.kernel.output.debug(proc, `supervisor: ${record.gaveUp}`);
      this.kernel.init.servicesAbandoned(proc, `${record.name} (pid ${proc.pid}) gave up: ${record.gaveUp}`);
      return;
    }
    const delayUs = Math.min(policy.backoffUs * 2 ** Math.min(record.restarts, 20), policy.maxBackoffUs);
    record.restarts++;
    this.kernel.output.debug(
      proc,
      `supervisor: ${why}; restart ${record.restarts} of ${policy.limit} in ${delayUs} µs`,
    );
    this.kernel.machine.clock.schedule({ delay: delayUs * 1000 }, () => {
      const next = this.respawn(index, proc);
      this.byPid.set(next.pid, index);
      next.watchdogMs = policy.watchdogMs;
    });
  }
}
