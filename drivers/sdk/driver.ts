// defineDriver: what a driver module exports. It pairs the manifest (plain data, read by the kernel,
// the language server and the views) with main, and knows how to start: tell the kernel who we are
// (SYS_STARTUP), turn what it granted into handles, run main, return its exit code.

import {
  Sys,
  utf8Decode,
  utf8Encode,
  type CapSpec,
  type DeviceSelector,
  type DriverManifest,
  type RunnableDriver,
  type StartupInfo,
  type SyscallGate,
} from "../../kernel/abi";
import { isReportable, MachineShutdown, ProtocolError } from "./errors";
import { guardHandles } from "./guard";
import { buildHandles, type Handles } from "./handles";
import { SyscallPort } from "./syscall-port";
import { createSystem, type System } from "./system";

export interface DriverDefinition<C extends Record<string, CapSpec>> {
  /** Process name: 1–64 letters, digits, '.', '_' or '-'. */
  name: string;
  /** The device to bind to; leave out for a program that touches no hardware. */
  device?: DeviceSelector;
  /** The capabilities the driver needs, by the name main() will see them under. */
  caps: C;
  /** The driver. Its return value is the exit code (nothing = 0); an exception is a fault. */
  main(handles: Handles<C>, sys: System): number | void;
}

export interface Driver extends RunnableDriver {
  readonly manifest: DriverManifest;
}

/**
 * Define a driver: what the module's default export must be. `caps` is the manifest — the
 * capabilities Init grants, by the names `main` receives them under as typed handles (`mmio()` →
 * MmioRegion, `irq()` → Irq, `dma()` → DmaBuffer, `ports()` → PortRange, `serve()` → Service,
 * `client()` → ServiceClient); `main`'s return value is the exit code.
 *
 * @example
 * export default defineDriver({
 *   name: "virtio-rng",
 *   device: { virtio: VirtioDevice.Entropy },
 *   caps: { regs: mmio({ size: 0x200 }), irq: irq(), rng: serve("rng") },
 *   main({ regs, irq, rng }, sys) { … },
 * });
 */
export function defineDriver<C extends Record<string, CapSpec>>(def: DriverDefinition<C>): Driver {
  const manifest: DriverManifest = def.device
    ? { name: def.name, device: def.device, caps: def.caps }
    : { name: def.name, caps: def.caps };
  return {
    manifest,
    run(gate: SyscallGate): number {
      const kernel = new SyscallPort(gate);
      const startup = start(kernel, manifest);
      // A name the manifest does not declare is a stand-in that says so when used (ZDS201).
      const handles = guardHandles(buildHandles(kernel, def.caps, startup), kernel, Object.keys(def.caps));
      try {
        const code = def.main(handles, createSystem(kernel, startup));
        return typeof code === "number" ? code : 0;
      } catch (error) {
        if (error instanceof MachineShutdown) return 0;
        // An error the SDK named (a code of docs/diagnostics.md) goes to the kernel as a report.
        if (isReportable(error)) kernel.fault(error);
        throw error;
      }
    },
  };
}

/** SYS_STARTUP: payload = the manifest as UTF-8 JSON; answer = StartupInfo as UTF-8 JSON. */
function start(kernel: SyscallPort, manifest: DriverManifest): StartupInfo {
  const request = utf8Encode(JSON.stringify(manifest));
  kernel.call(Sys.STARTUP, request.length, 0, 0, request);
  let info: unknown;
  try {
    info = JSON.parse(utf8Decode(kernel.response()));
  } catch {
    throw new ProtocolError("SYS_STARTUP answered with text that is not JSON");
  }
  if (!isStartupInfo(info)) throw new ProtocolError("SYS_STARTUP answered with JSON that is not a StartupInfo");
  return info;
}

function isStartupInfo(x: unknown): x is StartupInfo {
  if (typeof x !== "object" || x === null) return false;
  const s = x as Record<string, unknown>;
  return typeof s.pid === "number" && typeof s.name === "string" && typeof s.handles === "object" && s.handles !== null;
}
