// Init (PID 1), part of the kernel: reads each program's manifest, binds it to a matching device
// of the machine, grants exactly the capabilities the manifest asks for, and runs the service
// registry (REGISTER_SERVICE / LOOKUP_SERVICE over CALL on its endpoint, slot 2 of every process).

import type { DeviceInfo } from "../devices/machine-interface";
import { ObjectType, Perm, rightsToPerms } from "./abi/caps";
import { Codes, type DiagnosticCode } from "./abi/diagnostics";
import { Errno } from "./abi/errors";
import { hex } from "./abi/format";
import {
  grantProblems,
  validateManifest,
  type CapSpec,
  type DriverManifest,
  type HandleInfo,
  type StartupInfo,
} from "./abi/manifest";
import { DMA_PAGE_BYTES, Pid, Sys } from "./abi/syscalls";
import { Tag } from "./abi/tags";
import { encodeWireMessage, utf8Decode, utf8Encode } from "./abi/wire";
import type { Kernel } from "./kernel";
import { FaultReason, type KernelProcess } from "./process";
import type { Outcome } from "./syscalls/outcome";

interface ServiceEntry {
  name: string;
  pid: number;
  endpointId: number;
  /** Registered by its driver (REGISTER_SERVICE); lookups wait until then. */
  ready: boolean;
}

/** Why Init refuses a program at STARTUP; `code` when `zds check` has the rule (docs/diagnostics.md),
 *  `problems` when there are several (each its own message). */
class StartupError extends Error {
  constructor(
    message: string,
    readonly code?: DiagnosticCode,
    readonly problems?: string[],
  ) {
    super(message);
  }
}

/** Capabilities init puts into the space for each kind of manifest entry (an IRQ comes with the
 *  read end of its notification endpoint; a client's arrives with each lookup). */
const GRANTED_CAPS: Record<CapSpec["kind"], number> = { mmio: 1, ports: 1, irq: 2, dma: 0, serve: 1, client: 0 };

export class Init {
  readonly endpointId: number;
  private readonly services = new Map<string, ServiceEntry>();
  /** Clients blocked in LOOKUP_SERVICE, by service name, in arrival order. */
  private readonly lookups = new Map<string, KernelProcess[]>();
  private readonly boundDevices = new Map<string, number>();
  /** Names whose server the supervisor will not start again, with why: once no other process may
   *  still serve one, its lookups fail instead of waiting for a registration that cannot come. */
  private readonly abandoned = new Map<string, string>();

  constructor(private readonly k: Kernel) {
    this.endpointId = k.createEndpoint(Pid.INIT).id;
  }

  /** SYS_STARTUP: the bootstrap hands over the manifest; init binds and grants, or faults it. */
  startup(p: KernelProcess, payload: Uint8Array): Outcome {
    if (p.manifest) return { kind: "return", result: -Errno.E_EXIST };
    let manifest: DriverManifest;
    let info: StartupInfo;
    let parsed: unknown;
    try {
      try {
        parsed = JSON.parse(utf8Decode(payload));
      } catch {
        throw new StartupError("the manifest is not valid JSON");
      }
      const checked = validateManifest(parsed);
      if (!checked.ok)
        throw new StartupError(
          `invalid manifest:\n  - ${checked.errors.join("\n  - ")}`,
          Codes.MANIFEST_INVALID,
          checked.errors,
        );
      manifest = checked.manifest;
      info = this.bind(p, manifest);
    } catch (error) {
      if (!(error instanceof StartupError)) throw error;
      const name = (parsed as { name?: unknown } | undefined)?.name;
      this.k.fault(p, "startup", FaultReason.INVALID_SYSCALL, `${p.source}: ${error.message}`, {
        code: error.code,
        problems: (error.problems ?? [error.message]).map((message) => ({ message, code: error.code })),
        manifestName: typeof name === "string" ? name : undefined,
      });
      return { kind: "ended" };
    }
    p.manifest = manifest;
    p.name = manifest.name;
    this.settleAbandoned();
    return { kind: "return", result: 0, payload: utf8Encode(JSON.stringify(info)) };
  }

  private findDevice(p: KernelProcess, manifest: DriverManifest): DeviceInfo | undefined {
    const sel = manifest.device;
    if (!sel) return undefined;
    const machine = this.k.machine;
    const free = (d: DeviceInfo) =>
      !this.boundDevices.has(d.name) || !this.k.processes.get(this.boundDevices.get(d.name)!)?.alive;
    let candidates: DeviceInfo[];
    let wanted: string;
    if ("virtio" in sel) {
      candidates = machine.devices.filter((d) => d.kind === "virtio-mmio" && d.virtioId === sel.virtio);
      wanted = `a virtio device with id ${sel.virtio}`;
      if (sel.index !== undefined) candidates = candidates.slice(sel.index, sel.index + 1);
    } else if ("type" in sel) {
      candidates = machine.devices.filter((d) => d.type === sel.type);
      wanted = `a device of type ${sel.type}`;
      if (sel.index !== undefined) candidates = candidates.slice(sel.index, sel.index + 1);
    } else {
      const { first, last } = sel.ports;
      candidates = machine.devices.filter((d) => d.ports?.some((r) => r.first <= first && last <= r.last));
      wanted = `a device decoding ports ${hex(first)}–${hex(last)}`;
    }
    const device = candidates.find(free);
    if (!device) {
      const list = machine.devices
        .map((d) => `${d.name} (${d.kind}${d.virtioId ? ` id ${d.virtioId}` : ""})`)
        .join(", ");
      const why = candidates.length
        ? "every such device is already bound to another driver"
        : `the machine has none (it has: ${list || "no devices"})`;
      // The machine has no such device at all: the run-time verdict of ZDS401/402/403.
      const code = candidates.length
        ? undefined
        : "virtio" in sel
          ? Codes.UNKNOWN_VIRTIO_DEVICE
          : "type" in sel
            ? Codes.UNKNOWN_DEVICE_TYPE
            : Codes.UNDECODED_PORTS;
      throw new StartupError(`"${manifest.name}" asks for ${wanted}, but ${why}`, code);
    }
    return device;
  }

  private bind(p: KernelProcess, manifest: DriverManifest): StartupInfo {
    const device = this.findDevice(p, manifest);
    const handles: Record<string, HandleInfo> = {};
    const grant = (name: string, spec: CapSpec): HandleInfo => this.grant(p, manifest, device, name, spec);
    // Check every service name and limit before granting anything, so a refusal leaves nothing half-done.
    for (const [name, spec] of Object.entries(manifest.caps)) {
      if (spec.kind === "serve") this.checkServiceName(name, spec.service, device);
    }
    this.checkLimits(p, manifest);
    // What the device cannot back (kernel/abi/manifest.ts, the rule `zds check` runs too).
    const refused = grantProblems(
      manifest,
      device && { name: device.name, mmio: device.mmio, ports: device.ports, irq: device.irq !== undefined },
    );
    if (refused.length > 0)
      throw new StartupError(
        refused[0].message,
        Codes.MANIFEST_INVALID,
        refused.map((r) => r.message),
      );
    for (const [name, spec] of Object.entries(manifest.caps)) {
      const handle = (handles[name] = grant(name, spec));
      if ("slot" in handle) p.capNames.set(handle.slot, name);
    }
    if (device) {
      this.boundDevices.set(device.name, p.pid);
      p.device = device.name;
      this.k.setIommuView(device.name, p.pid, []);
    }
    return {
      pid: p.pid,
      name: manifest.name,
      seed: this.k.seed,
      handles,
      device: device && {
        name: device.name,
        kind: device.kind,
        virtioId: device.virtioId,
        mmioBase: device.mmio?.base,
        irq: device.irq,
      },
    };
  }

  /** A name a device fronts (the machine description's `services`) is that device's driver's: an
   *  impostor registering "rng" first would otherwise answer rng-cat. Other names: first come,
   *  first served. */
  private checkServiceName(capName: string, service: string, device: DeviceInfo | undefined): void {
    const fronts = this.k.frontedBy.get(service);
    if (fronts && !(device && fronts.includes(device.name))) {
      const bound = device ? `it is bound to ${device.name}` : "it is bound to no device";
      throw new StartupError(
        `caps.${capName}: service "${service}" is fronted by device ${fronts.join(" or ")}; only a driver bound to it may serve it, and ${bound} (services in the machine description)`,
      );
    }
    const existing = this.services.get(service);
    if (existing && this.k.processes.get(existing.pid)?.alive)
      throw new StartupError(`service "${service}" is already served by pid ${existing.pid}`);
  }

  /** The per-process limits apply to what a manifest asks for, at once: one manifest must not
   *  take the whole DMA window from the drivers that start after it. */
  private checkLimits(p: KernelProcess, manifest: DriverManifest): void {
    const k = this.k;
    const specs = Object.values(manifest.caps);
    const dma =
      p.dmaBudget +
      specs.reduce((n, c) => n + (c.kind === "dma" ? Math.ceil(c.size / DMA_PAGE_BYTES) * DMA_PAGE_BYTES : 0), 0);
    if (dma > k.resources.dmaBytes) {
      k.quota.refuse(p, "dmaBytes", dma, Sys.STARTUP);
      throw new StartupError(
        `the manifest asks for ${dma} bytes of DMA, more than the per-process limit ${k.resources.dmaBytes} (limits.dmaBytes in the machine description)`,
      );
    }
    const endpoints = k.quota.endpointCount(p) + specs.filter((c) => c.kind === "serve" || c.kind === "irq").length;
    if (endpoints > k.resources.endpoints) {
      k.quota.refuse(p, "endpoints", endpoints, Sys.STARTUP);
      throw new StartupError(
        `the manifest needs ${endpoints} endpoints, more than the per-process limit ${k.resources.endpoints} (limits.endpoints in the machine description)`,
      );
    }
    // What init grants counts like any capability: the space already held, then each grant.
    const grants = specs.reduce((n, c) => n + GRANTED_CAPS[c.kind], 0);
    if (k.quota.overCapabilityLimit(p, grants)) {
      const caps = k.quota.capabilityCount(p) + grants;
      k.quota.refuseCapabilities(p, Sys.STARTUP, grants);
      throw new StartupError(
        `the manifest needs ${caps} capabilities, more than the per-process limit ${k.resources.capabilities} (limits.capabilities in the machine description)`,
      );
    }
  }

  private grant(
    p: KernelProcess,
    manifest: DriverManifest,
    device: DeviceInfo | undefined,
    name: string,
    spec: CapSpec,
  ): HandleInfo {
    const k = this.k;
    switch (spec.kind) {
      case "mmio": {
        const window = device?.mmio;
        if (!device || !window) throw new StartupError(`caps.${name}: the bound device has no MMIO window`);
        if (spec.size > window.size) {
          throw new StartupError(
            `caps.${name}: asks for ${hex(spec.size)} bytes of MMIO but ${device.name}'s window is ${hex(window.size)} bytes`,
          );
        }
        const perms = rightsToPerms(spec.rights ?? "rw");
        const id = k.addHardware({ type: "memory", base: window.base, size: spec.size, device: device.name });
        return {
          kind: "mmio",
          slot: k.capabilities.insertCap(p, ObjectType.Memory, id, perms),
          base: window.base,
          size: spec.size,
          perms,
        };
      }
      case "ports": {
        const decoded = device?.ports?.some((r) => r.first <= spec.first && spec.last <= r.last);
        if (!decoded)
          throw new StartupError(
            `caps.${name}: ports ${hex(spec.first)}–${hex(spec.last)} are not decoded by the bound device`,
          );
        const perms = rightsToPerms(spec.rights ?? "rw");
        const id = k.addHardware({ type: "ports", first: spec.first, last: spec.last, device: device?.name });
        return {
          kind: "ports",
          slot: k.capabilities.insertCap(p, ObjectType.IoPort, id, perms),
          first: spec.first,
          last: spec.last,
          perms,
        };
      }
      case "irq": {
        if (!device || device.irq === undefined)
          throw new StartupError(`caps.${name}: the bound device has no interrupt line`);
        const line = device.irq;
        for (const obj of k.hardware.values()) {
          if (obj.type === "irq" && obj.line === line)
            throw new StartupError(`caps.${name}: IRQ ${line} is already bound to pid ${obj.owner}`);
        }
        const ep = k.createEndpoint(p);
        const id = k.addHardware({
          type: "irq",
          line,
          endpointId: ep.id,
          owner: p.pid,
          masked: false,
          pending: false,
          delivered: 0,
        });
        const slot = k.capabilities.insertCap(p, ObjectType.Irq, id, Perm.READ | Perm.WRITE);
        const endpointSlot = k.capabilities.insertCap(p, ObjectType.Endpoint, ep.id, Perm.READ);
        return { kind: "irq", slot, line, endpointSlot };
      }
      case "dma":
        p.dmaBudget += Math.ceil(spec.size / DMA_PAGE_BYTES) * DMA_PAGE_BYTES;
        return { kind: "dma", size: spec.size };
      case "serve": {
        const ep = k.createEndpoint(p);
        this.services.set(spec.service, { name: spec.service, pid: p.pid, endpointId: ep.id, ready: false });
        this.abandoned.delete(spec.service);
        return {
          kind: "serve",
          slot: k.capabilities.insertCap(p, ObjectType.Endpoint, ep.id, Perm.ALL),
          service: spec.service,
          endpointId: ep.id,
        };
      }
      case "client":
        void manifest;
        return { kind: "client", service: spec.service };
    }
  }

  /** A CALL to Init's endpoint. Init answers synchronously, or holds a lookup until registration. */
  call(p: KernelProcess, tag: number, payload: Uint8Array, requestId: number): Outcome {
    this.k.countIpcMessage();
    const name = this.readName(payload);
    if (name === undefined)
      return this.reply(
        tag === Tag.LOOKUP_SERVICE ? Tag.LOOKUP_RESPONSE : Tag.SERVICE_READY,
        this.status(Errno.E_INVAL),
      );
    if (tag === Tag.REGISTER_SERVICE) return this.register(p, name.name, payload.subarray(name.end));
    if (tag === Tag.LOOKUP_SERVICE) return this.lookup(p, name.name, requestId);
    return this.reply(tag, this.status(Errno.E_NOSYS));
  }

  private register(p: KernelProcess, name: string, rest: Uint8Array): Outcome {
    const entry = this.services.get(name);
    if (!entry || entry.pid !== p.pid) return this.reply(Tag.SERVICE_READY, this.status(Errno.E_PERM));
    if (rest.length >= 8) {
      const v = new DataView(rest.buffer, rest.byteOffset, rest.byteLength);
      const id = v.getUint32(0, true) + v.getUint32(4, true) * 0x1_0000_0000;
      if (id !== entry.endpointId) return this.reply(Tag.SERVICE_READY, this.status(Errno.E_INVAL));
    }
    entry.ready = true;
    const waiting = this.lookups.get(name) ?? [];
    this.lookups.delete(name);
    for (const client of waiting) {
      // Its space filled while it waited (grants from others): the lookup fails, named, as it would now.
      if (this.k.quota.overCapabilityLimit(client, 1)) {
        this.k.quota.refuseCapabilities(client, Sys.CALL, 1);
        this.k.wake(client, -Errno.E_NOMEM);
      } else this.k.wake(client, 1, this.lookupReply(client, entry));
    }
    return this.reply(Tag.SERVICE_READY, this.status(0));
  }

  private lookup(p: KernelProcess, name: string, requestId: number): Outcome {
    const declared = Object.values(p.manifest?.caps ?? {}).some((c) => c.kind === "client" && c.service === name);
    if (!declared) return this.reply(Tag.LOOKUP_RESPONSE, new Uint8Array(9)); // found = 0: not in the manifest
    const entry = this.services.get(name);
    if (entry?.ready && this.k.processes.get(entry.pid)?.alive) {
      // Each lookup grants a fresh send right: a client looking up in a loop fills its own space.
      if (this.k.quota.overCapabilityLimit(p, 1)) return this.k.quota.refuseCapabilities(p, Sys.CALL, 1);
      return { kind: "return", result: 1, payload: this.lookupReply(p, entry) };
    }
    const why = this.abandoned.get(name);
    if (why !== undefined && !this.mayStillBeServed(name))
      return this.reply(Tag.LOOKUP_RESPONSE, this.neverRegistered(p, name, why));
    const queue = this.lookups.get(name) ?? [];
    queue.push(p);
    this.lookups.set(name, queue);
    return this.k.block(p, { kind: "lookup", service: name, requestId });
  }

  /** Grant the client a send right to the service and describe it in a LOOKUP_RESPONSE. */
  private lookupReply(client: KernelProcess, entry: ServiceEntry): Uint8Array {
    const slot = this.k.capabilities.insertCap(client, ObjectType.Endpoint, entry.endpointId, Perm.WRITE);
    const payload = new Uint8Array(9);
    const v = new DataView(payload.buffer);
    v.setUint8(0, 1);
    v.setUint32(1, entry.endpointId % 0x1_0000_0000, true);
    v.setUint32(5, Math.floor(entry.endpointId / 0x1_0000_0000), true);
    return encodeWireMessage({ sender: Pid.INIT, tag: Tag.LOOKUP_RESPONSE, caps: [slot], payload });
  }

  /** The supervisor will not start `proc` again: the names it served may never be registered. */
  servicesAbandoned(proc: KernelProcess, why: string): void {
    for (const spec of Object.values(proc.manifest?.caps ?? {})) {
      if (spec.kind === "serve" && !this.services.has(spec.service)) this.abandoned.set(spec.service, why);
    }
    this.settleAbandoned();
  }

  /** Another live process may still serve `name`: it serves it, or has not said yet (no STARTUP). */
  private mayStillBeServed(name: string): boolean {
    if (this.services.has(name)) return true;
    for (const p of this.k.processes.values()) {
      if (
        p.alive &&
        (!p.manifest || Object.values(p.manifest.caps).some((c) => c.kind === "serve" && c.service === name))
      )
        return true;
    }
    return false;
  }

  /** Answer the held lookups of every abandoned name nobody may still serve. */
  private settleAbandoned(): void {
    for (const [name, why] of this.abandoned) {
      const waiting = this.lookups.get(name);
      if (!waiting || this.mayStillBeServed(name)) continue;
      this.lookups.delete(name);
      for (const client of waiting)
        this.k.wake(
          client,
          1,
          encodeWireMessage({
            sender: Pid.INIT,
            tag: Tag.LOOKUP_RESPONSE,
            caps: [],
            payload: this.neverRegistered(client, name, why),
          }),
        );
    }
  }

  /** LOOKUP_RESPONSE found = 0 (the SDK's ServiceError E_NOENT), and the reason in the client's debug log. */
  private neverRegistered(client: KernelProcess, name: string, why: string): Uint8Array {
    this.k.output.debug(client, `init: service "${name}" will not be registered: ${why}`);
    return new Uint8Array(9);
  }

  /** A process ended: forget its services and its waiting lookups. */
  processGone(p: KernelProcess): void {
    for (const [name, entry] of this.services) if (entry.pid === p.pid) this.services.delete(name);
    for (const [name, queue] of this.lookups) {
      const rest = queue.filter((c) => c !== p);
      if (rest.length) this.lookups.set(name, rest);
      else this.lookups.delete(name);
    }
    for (const [device, pid] of this.boundDevices) if (pid === p.pid) this.boundDevices.delete(device);
    this.settleAbandoned();
  }

  /** What a client blocked in a lookup of `name` waits for, in words: nobody serves the name, or
   *  its server has not said ready(). */
  lookupWait(name: string): string {
    const entry = this.services.get(name);
    const server = entry && this.k.processes.get(entry.pid);
    if (server?.alive)
      return `waiting for "${name}": ${server.name} (pid ${server.pid}) serves it but has not called ready()`;
    const why = this.abandoned.get(name);
    if (why !== undefined) return `waiting for "${name}": its server will not be started again (${why})`;
    if (this.mayStillBeServed(name)) return `waiting for "${name}": a program that has not started yet may serve it`;
    return `waiting for "${name}": no program in this run serves it`;
  }

  /** The machine went idle: tell each client still waiting in a lookup what it waits for (its
   *  debug log; the run's summary says it too). */
  explainWaitingLookups(): void {
    for (const [name, clients] of this.lookups)
      for (const client of clients) this.k.output.debug(client, this.lookupWait(name));
  }

  /** Clients blocked in LOOKUP_SERVICE, by service name (read-only, for kernel/invariants.ts). */
  waitingLookups(): ReadonlyMap<string, readonly KernelProcess[]> {
    return this.lookups;
  }

  /** Services by name, for views and summaries. */
  serviceList(): { name: string; pid: number; ready: boolean }[] {
    return [...this.services.values()].map(({ name, pid, ready }) => ({ name, pid, ready }));
  }

  private readName(payload: Uint8Array): { name: string; end: number } | undefined {
    if (payload.length < 1) return undefined;
    const len = payload[0];
    if (len === 0 || payload.length < 1 + len) return undefined;
    return { name: utf8Decode(payload.subarray(1, 1 + len)), end: 1 + len };
  }

  private status(errno: number): Uint8Array {
    const out = new Uint8Array(4);
    new DataView(out.buffer).setUint32(0, errno, true);
    return out;
  }

  private reply(tag: number, payload: Uint8Array): Outcome {
    return { kind: "return", result: 1, payload: encodeWireMessage({ sender: Pid.INIT, tag, caps: [], payload }) };
  }
}
