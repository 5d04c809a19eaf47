// Console input from outside the machine (the user's keystrokes), made replayable.
//
// Keystrokes arrive on the host whenever the user types, which is no point of the machine's own
// event stream. So they are never handed to the device when they arrive: they wait here, and the
// kernel's scheduler applies them at its next *input point* (the top of its loop, where nobody
// holds the run token). Each delivery is recorded with that point: the number of SysLog events
// and commits so far and the virtual time. A replay applies each recording at the first input
// point with the same three numbers, which is the same place in the same run (docs/zlog.md).
//
// Keystrokes go to the console device whose driver is running (the UART or virtio-console). While
// no console driver runs they are not taken: they wait in their source (bounded there), so keys
// typed while the machine boots, or while a crashed driver is restarted, reach the driver once it
// is up; what is still waiting when the run ends is counted and shown ("never typed").

import type { MachineHandle } from "../devices/machine-interface";
import type { Kernel } from "./kernel";

/** VIRTIO device id of a console (spec §5.3); the kernel sees devices only through machine-interface. */
const VIRTIO_ID_CONSOLE = 3;

/** Names of the machine's console devices (the 16550 UART and virtio-console) keys can go to. */
export function consoleDeviceNames(machine: Pick<MachineHandle, "devices">): string[] {
  return machine.devices.filter((d) => d.kind === "uart16550" || d.virtioId === VIRTIO_ID_CONSOLE).map((d) => d.name);
}

/** Order of two input points: <0 when `a` comes first. Points only move forward in a run. */
export function compareInputPoints(a: InputPoint, b: InputPoint): number {
  return a.event - b.event || a.commit - b.commit || a.t - b.t;
}

/** Where in a run outside input was applied. */
export interface InputPoint {
  /** SysLog events logged before it. */
  readonly event: number;
  /** Commits made before it. */
  readonly commit: number;
  /** Virtual time (ns). */
  readonly t: number;
}

export interface ConsoleDelivery {
  readonly device: string;
  readonly bytes: Uint8Array;
  readonly at: InputPoint;
}

/** Where keystrokes come from. The hub asks it at input points and when the machine is idle. */
export interface ConsoleInputSource {
  /** Keystrokes ready to go in now (live: typed since the last point). */
  take(at: InputPoint): Uint8Array[];
  /** The machine is idle, and a client waits for input with a console driver running to take it
   *  (`waiting`), or not. "more": input is ready now (take() will return it); "wait": more may come
   *  later, keep the machine up; "none": nothing more will come, or nobody could take it. */
  idle(waiting: boolean): "more" | "wait" | "none";
}

export interface ConsoleInputStats {
  /** Keystroke bytes handed to a console device. */
  delivered: number;
  /** The device the last keystrokes went to. */
  device: string | undefined;
}

/** The kernel side of console input: applies a source's keystrokes at input points, records them. */
export class ConsoleInputHub {
  readonly stats: ConsoleInputStats = { delivered: 0, device: undefined };
  /** The machine's console devices: fixed for a run, and asked for at every input point. */
  private readonly consoles: ReadonlySet<string>;
  private readonly listeners: ((delivery: ConsoleDelivery) => void)[] = [];

  constructor(
    private readonly kernel: Kernel,
    private readonly source: ConsoleInputSource,
  ) {
    this.consoles = new Set(consoleDeviceNames(kernel.machine));
    kernel.outsideInput = {
      atInputPoint: () => this.atInputPoint(),
      whenIdle: () => this.source.idle(this.clientWaiting() && this.consoleDevice() !== undefined),
    };
  }

  /** Hear each delivery (the trace writer records them). */
  onDelivery(listener: (delivery: ConsoleDelivery) => void): void {
    this.listeners.push(listener);
  }

  /** Where the machine is now in its event stream. */
  point(): InputPoint {
    return { event: this.kernel.syslog.eventCount, commit: this.kernel.commits.count, t: this.kernel.now() };
  }

  /** The source has input now, outside the scheduler (a key typed while the machine waited). */
  wake(): void {
    this.kernel.kick();
  }

  private atInputPoint(): void {
    const device = this.consoleDevice();
    // No console driver: the keys stay in their source until one runs.
    if (device === undefined) return;
    // A driver polling its device with a wait timeout (docs/faults.md) keeps the clock from ever
    // running empty, so the machine would never look idle: when every process waits and only such
    // timeouts are pending, a client waiting for its console's answer gets the next typed line now.
    if (this.onlyTimeoutsPending() && this.clientWaiting()) this.source.idle(true);
    const at = this.point();
    for (const bytes of this.source.take(at)) {
      if (bytes.length === 0) continue;
      this.stats.delivered += bytes.length;
      this.stats.device = device;
      // Recorded before it is applied: applying may log events, and the point is the one before.
      for (const l of this.listeners) l({ device, bytes, at });
      this.kernel.machine.consoleInput(device, bytes);
    }
  }

  /** The console device bound to a live driver, lowest PID first. */
  private consoleDevice(): string | undefined {
    let lowest: { pid: number; device: string } | undefined;
    for (const p of this.kernel.processes.values()) {
      if (p.alive && p.device !== undefined && this.consoles.has(p.device) && (!lowest || p.pid < lowest.pid))
        lowest = { pid: p.pid, device: p.device };
    }
    return lowest?.device;
  }

  /** Every live process waits, and nothing but wait timeouts is due on the clock. */
  private onlyTimeoutsPending(): boolean {
    const clock = this.kernel.machine.clock;
    if (clock.hardEventsPending?.() !== 0 || clock.nextEventAt() === undefined) return false;
    for (const p of this.kernel.processes.values()) if (p.alive && p.state !== "blocked") return false;
    return true;
  }

  /** A process waits for a reply (a console READ, typically): input could matter to it. */
  private clientWaiting(): boolean {
    for (const p of this.kernel.processes.values())
      if (p.alive && p.state === "blocked" && p.blockedOn?.kind === "reply") return true;
    return false;
  }
}
