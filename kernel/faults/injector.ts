// The fault injector (docs/faults.md): arms a run's fault plan on the machine's fault points and the
// kernel's interrupt router, fires triggered faults, and logs every fault that takes effect as a
// SysLog event. Faults done at once (kill, needs-reset, link-down…) are carried out at the
// scheduler's input points (nobody holds the run token), like outside input, so where they happen
// is a place in the run's own event stream: the same plan replays to the same SysLog.

import type { DeviceInfo } from "../../devices/machine-interface";
import { compareInputPoints, type InputPoint } from "../console-input";
import type { Kernel } from "../kernel";
import type { OutsideInputHooks } from "../kernel-types";
import { FaultReason, type KernelProcess } from "../process";
import { faultClass, type FaultSpec, FaultSpecError } from "./spec";

/** VIRTIO device ids the injector tells devices apart by (the kernel sees DeviceInfo only). */
const VIRTIO_NET = 1;
const VIRTIO_BLOCK = 2;

/** A fault that took effect (also in the SysLog). */
export interface FiredFault {
  /** Index in the plan. */
  readonly fault: number;
  readonly kind: FaultSpec["kind"];
  readonly detail: string;
  readonly at: number;
  readonly pid: number;
}

/** A fault injected from outside the plan (a debug session), and where it went in. */
export interface FaultDelivery {
  readonly spec: FaultSpec;
  readonly index: number;
  readonly at: InputPoint;
}

/** A fault given back at a recorded input point (a replay of a debug session's injection). */
export interface RecordedFault {
  readonly spec: FaultSpec;
  readonly index: number;
  readonly at: InputPoint;
}

export class FaultInjector {
  readonly plan: FaultSpec[];
  readonly fired: FiredFault[] = [];
  private readonly due: number[] = [];
  private waitingForEvents: number[] = [];
  /** Injected from outside, to go in at the next input point. */
  private readonly incoming: FaultSpec[] = [];
  private readonly recorded: RecordedFault[];
  private readonly listeners: ((delivery: FaultDelivery) => void)[] = [];
  private readonly cleanups: (() => void)[] = [];

  constructor(
    private readonly kernel: Kernel,
    plan: readonly FaultSpec[],
    recorded: readonly RecordedFault[] = [],
  ) {
    this.plan = [...plan];
    this.recorded = [...recorded];
    for (const spec of plan) this.check(spec);
    const inner: OutsideInputHooks | undefined = kernel.outsideInput;
    kernel.outsideInput = {
      atInputPoint: () => (inner?.atInputPoint() === "hold" ? "hold" : this.atInputPoint()),
      whenIdle: () => (this.incoming.length > 0 ? "more" : (inner?.whenIdle() ?? "none")),
    };
    kernel.interrupts.faults = { onRaise: (line) => this.onIrq(line) };
    this.plan.forEach((spec, index) => this.schedule(spec, index));
  }

  /** Hear each fault injected from outside the plan, with its input point (the trace records it). */
  onDelivery(listener: (delivery: FaultDelivery) => void): void {
    this.listeners.push(listener);
  }

  /** A debug session's injection: "now" goes in at the next input point; "next-event" once the
   *  next SysLog event has happened. Throws FaultSpecError when the machine cannot have it. */
  inject(spec: FaultSpec, when: "now" | "next-event" = "now"): void {
    this.check(spec);
    if (when === "now") {
      this.incoming.push(spec);
      this.kernel.kick();
      return;
    }
    const target = this.kernel.syslog.eventCount + 1;
    let queued = false;
    const listen = (): void => {
      if (queued || this.kernel.syslog.eventCount < target) return;
      queued = true;
      this.incoming.push(spec);
    };
    this.kernel.syslog.onEvent(listen);
  }

  /** The devices a spec's target may name; throws FaultSpecError when it names none or the wrong kind. */
  check(spec: FaultSpec): void {
    if (spec.kind === "kill" || spec.kind === "dma-revoke") {
      if (spec.target === undefined)
        throw new FaultSpecError(`--fault "${spec.text}": name the driver or its device (${spec.kind}@virtio-blk0)`);
      if (spec.onRequest && !this.devices().some((d) => d.name === spec.target))
        throw new FaultSpecError(
          `--fault "${spec.text}": a request trigger watches a device: name it (${spec.kind}@DEVICE; devices: ${this.deviceNames()})`,
        );
      return;
    }
    this.device(spec);
  }

  private devices(): readonly DeviceInfo[] {
    return this.kernel.machine.devices;
  }

  private deviceNames(): string {
    return this.devices()
      .map((d) => d.name)
      .join(", ");
  }

  /** The device a spec acts on: its target, or the first device of the kind it needs. */
  private device(spec: FaultSpec): DeviceInfo {
    const fits = (d: DeviceInfo): boolean => {
      switch (spec.kind) {
        case "io-error":
        case "completion-delay":
        case "completion-drop":
          return d.virtioId === VIRTIO_BLOCK || d.kind === "ata" || d.type === "ahci";
        case "frame-drop":
        case "frame-duplicate":
        case "frame-reorder":
        case "frame-corrupt":
        case "link-down":
        case "link-up":
          return d.virtioId === VIRTIO_NET || d.type === "e1000";
        case "uart-framing":
        case "uart-overrun":
          return d.kind === "uart16550";
        case "needs-reset":
          return d.kind === "virtio-mmio";
        default:
          return d.irq !== undefined;
      }
    };
    const what = `--fault "${spec.text}"`;
    if (spec.target !== undefined) {
      const named = this.devices().find((d) => d.name === spec.target);
      if (!named)
        throw new FaultSpecError(
          `${what}: the machine has no device "${spec.target}" (devices: ${this.deviceNames()})`,
        );
      if (!fits(named))
        throw new FaultSpecError(`${what}: ${spec.kind} cannot happen to ${named.name} (a ${named.kind} device)`);
      return named;
    }
    if (spec.kind === "needs-reset" || spec.kind.startsWith("irq-"))
      throw new FaultSpecError(`${what}: name the device (${spec.kind}@DEVICE; devices: ${this.deviceNames()})`);
    const first = this.devices().find(fits);
    if (!first) throw new FaultSpecError(`${what}: the machine has no device ${spec.kind} can happen to`);
    return first;
  }

  private schedule(spec: FaultSpec, index: number): void {
    if (spec.at !== undefined)
      this.kernel.machine.clock.schedule({ delay: Math.max(0, spec.at - this.kernel.now()) }, () =>
        this.due.push(index),
      );
    else if (spec.after !== undefined) this.waitingForEvents.push(index);
    else if (faultClass(spec.kind) !== "instant") this.arm(spec, index);
    else this.armRequestTrigger(spec, index);
  }

  /** The top of the scheduler's loop: what is due goes in now. */
  private atInputPoint(): void {
    const events = this.kernel.syslog.eventCount;
    if (this.waitingForEvents.length > 0) {
      const ready = this.waitingForEvents.filter((i) => (this.plan[i].after ?? 0) <= events);
      this.waitingForEvents = this.waitingForEvents.filter((i) => !ready.includes(i));
      this.due.push(...ready);
    }
    const point = this.point();
    while (this.recorded.length > 0 && compareInputPoints(this.recorded[0].at, point) <= 0) {
      const r = this.recorded.shift() as RecordedFault;
      if (compareInputPoints(r.at, point) !== 0) continue; // the replay went another way
      this.plan[r.index] = r.spec;
      this.due.push(r.index);
    }
    for (const spec of this.incoming.splice(0)) {
      const index = this.plan.push(spec) - 1;
      for (const l of this.listeners) l({ spec, index, at: point });
      this.due.push(index);
    }
    for (const index of this.due.splice(0)) {
      const spec = this.plan[index];
      if (faultClass(spec.kind) === "instant") this.perform(spec, index);
      else this.arm(spec, index);
    }
  }

  private point(): InputPoint {
    return { event: this.kernel.syslog.eventCount, commit: this.kernel.commits.count, t: this.kernel.now() };
  }

  /** Log a fault that took effect. */
  private log(index: number, pid: number, detail: string): void {
    const spec = this.plan[index];
    const text = `${spec.kind} ${detail}`;
    this.fired.push({ fault: index, kind: spec.kind, detail: text, at: this.kernel.now(), pid });
    this.kernel.syslog.fault(pid, this.kernel.now(), index, text);
  }

  private driverOf(device: string): KernelProcess | undefined {
    for (const p of this.kernel.processes.values()) if (p.alive && p.device === device) return p;
    return undefined;
  }

  /** Arm a rule on the device's operations (disk requests, frames, interrupts). */
  private arm(spec: FaultSpec, index: number): void {
    const points = this.kernel.machine.faults?.points;
    const device = this.device(spec).name;
    const fired = (detail: string): void => this.log(index, this.driverOf(device)?.pid ?? 0, `${device}: ${detail}`);
    const base = { device, nth: spec.nth, count: spec.count, fired };
    switch (faultClass(spec.kind)) {
      case "request": {
        const action =
          spec.kind === "io-error"
            ? ({ kind: "io-error" } as const)
            : spec.kind === "completion-drop"
              ? ({ kind: "drop" } as const)
              : ({ kind: "delay", ns: spec.byNs ?? 0 } as const);
        const match = { ...(spec.op && { op: spec.op }), ...(spec.sector !== undefined && { sector: spec.sector }) };
        if (points) this.cleanups.push(points.arm({ ...base, point: "request", match, action }));
        return;
      }
      case "frame": {
        const action = spec.kind.slice("frame-".length) as "drop" | "duplicate" | "reorder" | "corrupt";
        const match = spec.direction ? { direction: spec.direction } : {};
        if (points) this.cleanups.push(points.arm({ ...base, point: "frame", match, action }));
        return;
      }
      case "irq":
        this.irqRules.push({ spec, index, line: this.device(spec).irq as number, seen: 0, fired: 0 });
        return;
    }
  }

  private readonly irqRules: { spec: FaultSpec; index: number; line: number; seen: number; fired: number }[] = [];

  private onIrq(line: number): "lost" | "duplicate" | undefined {
    let result: "lost" | "duplicate" | undefined;
    for (const rule of this.irqRules) {
      if (rule.line !== line || rule.fired >= rule.spec.count) continue;
      if (++rule.seen < rule.spec.nth) continue;
      rule.fired++;
      const device = this.device(rule.spec).name;
      const what = rule.spec.kind === "irq-lost" ? "lost" : "duplicate";
      this.log(
        rule.index,
        this.driverOf(device)?.pid ?? 0,
        `${device}: interrupt ${rule.seen} on line ${line} ${what === "lost" ? "not delivered" : "delivered twice"}`,
      );
      result ??= what;
    }
    return result;
  }

  /** An instant fault triggered by the nth request of its device. */
  private armRequestTrigger(spec: FaultSpec, index: number): void {
    const points = this.kernel.machine.faults?.points;
    const device =
      spec.target !== undefined && this.devices().some((d) => d.name === spec.target)
        ? spec.target
        : this.device(spec).name;
    const match = { ...(spec.op && { op: spec.op }), ...(spec.sector !== undefined && { sector: spec.sector }) };
    if (!points) return;
    this.cleanups.push(
      points.arm({
        device,
        nth: spec.nth,
        count: spec.count,
        point: "request",
        match,
        action: { kind: "observe" },
        // Carried out at the next input point: the request is on the device, the syscall finishing.
        fired: () => this.due.push(index),
      }),
    );
  }

  /** Do an instant fault now (at an input point). */
  private perform(spec: FaultSpec, index: number): void {
    const machine = this.kernel.machine;
    switch (spec.kind) {
      case "kill":
      case "dma-revoke": {
        const proc = this.findDriver(spec.target as string);
        if (!proc) return this.log(index, 0, `${spec.target}: no such driver is running; nothing done`);
        if (spec.kind === "kill") {
          this.log(index, proc.pid, `${proc.name} (pid ${proc.pid}) killed`);
          this.kernel.fault(proc, "injected", FaultReason.UNKNOWN, `injected fault: ${spec.text}`);
          return;
        }
        if (proc.device === undefined) return this.log(index, proc.pid, `${proc.name} has no device; nothing revoked`);
        this.log(index, proc.pid, `${proc.device}: the DMA memory of ${proc.name} (pid ${proc.pid}) revoked`);
        this.kernel.setIommuView(proc.device, proc.pid, [], []);
        return;
      }
      case "irq-spurious": {
        const device = this.device(spec);
        const delivered = this.kernel.interrupts.spurious(device.irq as number);
        return this.log(
          index,
          this.driverOf(device.name)?.pid ?? 0,
          `${device.name}: interrupt on line ${device.irq} ${delivered ? "delivered" : "not delivered (nobody bound, or masked)"} with no cause`,
        );
      }
      default: {
        const device = this.device(spec).name;
        const pid = this.driverOf(device)?.pid ?? 0;
        this.log(index, pid, `${device}`);
        if (spec.kind === "needs-reset") machine.faults?.inject(device, { kind: "needs-reset" });
        else if (spec.kind === "link-down" || spec.kind === "link-up") {
          machine.faults?.inject(device, { kind: "link", up: spec.kind === "link-up" });
          if (spec.kind === "link-down" && spec.forNs !== undefined)
            machine.clock.schedule({ delay: spec.forNs }, () => {
              const up = this.plan.push({ ...spec, text: `link-up@${device}`, kind: "link-up", forNs: undefined }) - 1;
              this.due.push(up);
            });
        } else if (spec.kind === "uart-framing" || spec.kind === "uart-overrun")
          machine.faults?.inject(device, {
            kind: "line-error",
            error: spec.kind === "uart-framing" ? "framing" : "overrun",
          });
      }
    }
  }

  private findDriver(target: string): KernelProcess | undefined {
    for (const p of this.kernel.processes.values())
      if (p.alive && (p.device === target || p.name === target || p.manifest?.name === target)) return p;
    return undefined;
  }

  /** Disarm every rule (the run is over). */
  close(): void {
    for (const c of this.cleanups.splice(0)) c();
  }
}
