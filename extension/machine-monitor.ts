// Which machine the views show, and its latest snapshot. Runs from the commands and debug sessions
// both report their machine here. While a machine runs it is sampled on a timer (throttled: one
// snapshot per interval however busy the machine is, and listeners hear only real changes); while
// the kernel is paused (a debug stop) nothing is sampled, so the views stay frozen at the stop.

import * as vscode from "vscode";
import type { Machine } from "../devices";
import type { Kernel } from "../kernel/kernel";
import { snapshotMachine, type MachineSnapshot } from "../kernel/debug/machine-snapshot";

export type MachineOrigin = "run" | "debug";

export interface WatchedMachine {
  readonly machineName: string;
  readonly origin: MachineOrigin;
  readonly kernel: Kernel;
  readonly machine: Machine;
}

/** What the status bar says. */
export type MachineState = "running" | "paused" | "ended";

export class MachineMonitor implements vscode.Disposable {
  private watched: WatchedMachine | undefined;
  private latest: MachineSnapshot | undefined;
  private latestJson = "";
  private endedOutcome: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires when the snapshot or the state changed. */
  readonly onDidChange = this.changed.event;
  /** Snapshots taken, for the tests (proves sampling stops while paused). */
  samples = 0;

  constructor(private readonly intervalMs: () => number) {}

  get current(): WatchedMachine | undefined {
    return this.watched;
  }

  get snapshot(): MachineSnapshot | undefined {
    return this.latest;
  }

  get state(): MachineState | undefined {
    if (!this.watched) return undefined;
    if (this.endedOutcome !== undefined) return "ended";
    return this.watched.kernel.paused ? "paused" : "running";
  }

  /** How the last machine's run ended ("completed", "idle", …), once it has. */
  get outcome(): string | undefined {
    return this.endedOutcome;
  }

  /** Show this machine from now on (the newest machine wins). */
  watch(machine: WatchedMachine): void {
    this.watched = machine;
    this.endedOutcome = undefined;
    this.latestJson = "";
    this.sample();
    this.schedule();
  }

  /** The machine's run is over: one last snapshot, then no more sampling. */
  ended(machine: WatchedMachine, outcome: string): void {
    if (this.watched !== machine) return;
    this.sample();
    this.endedOutcome = outcome;
    this.stopTimer();
    this.changed.fire();
  }

  /** Sample now (a debug stop or continue): the views must show the state at the stop. */
  refresh(): void {
    if (this.watched) this.sample(true);
  }

  private schedule(): void {
    this.stopTimer();
    this.timer = setInterval(
      () => {
        const w = this.watched;
        if (!w || this.endedOutcome !== undefined) return;
        // Frozen while paused: the state cannot change, and the stop's snapshot is already shown.
        if (w.kernel.paused && this.latest?.paused) return;
        this.sample();
      },
      Math.max(100, this.intervalMs()),
    );
    // Sampling never keeps the extension host alive by itself.
    this.timer.unref();
  }

  private sample(force = false): void {
    const w = this.watched;
    if (!w) return;
    let snapshot: MachineSnapshot;
    try {
      snapshot = snapshotMachine(w.machineName, w.kernel, w.machine);
    } catch {
      // A machine being torn down can fail to describe itself: keep the last picture.
      return;
    }
    this.samples++;
    // Virtual time alone changing is not worth redrawing two trees for.
    const json = JSON.stringify({ ...snapshot, virtualTimeNs: 0 });
    if (!force && json === this.latestJson) return;
    this.latest = snapshot;
    this.latestJson = json;
    this.changed.fire();
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  dispose(): void {
    this.stopTimer();
    this.changed.dispose();
  }
}
