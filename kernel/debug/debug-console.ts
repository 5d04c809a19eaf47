// The machine console of a debug session, both ways: what console devices write goes to the client
// (decoded per device, and not again when a re-run repeats it), and keys typed into the console
// terminal go into the run at kernel input points, kept for re-runs (debug-keys.ts).

import { TextDecoder } from "node:util";
import type { Machine } from "../../devices";
import { consoleDeviceNames, type ConsoleInputSource } from "../console-input";
import type { DebugState } from "./debug-state";
import { DebugKeyLog } from "./debug-keys";

export class DebugConsole {
  /** Keys typed into the console terminal, kept for re-runs. */
  private readonly keys = new DebugKeyLog();

  constructor(private readonly state: DebugState) {}

  /** Send what `machine`'s console devices write to the client while its run is the live one. */
  forwardOutput(machine: Machine, live: () => boolean): void {
    const decoders = new Map<string, TextDecoder>();
    machine.onConsoleOutput((device, bytes) => {
      if (!live()) return;
      let decoder = decoders.get(device);
      if (!decoder) decoders.set(device, (decoder = new TextDecoder()));
      const text = decoder.decode(bytes, { stream: true });
      // A re-run repeats output the client has already seen, up to the point it travels to.
      if (!this.state.travel) this.state.listener.console(device, text);
    });
  }

  /** The keys one run takes; `live` says whether that run is the one the user sees now. */
  keysFor(live: () => boolean): ConsoleInputSource & { onInput(wake: () => void): void } {
    return this.keys.sourceFor(live);
  }

  /** Outside input for a console device (the terminal's keystrokes); a string says why not. */
  input(device: string, bytes: Uint8Array): string | undefined {
    const machine = this.state.machine;
    if (!machine || this.state.ended) return "the machine is not running";
    const consoles = this.devices();
    if (!consoles.includes(device))
      return `${device} is not a console device of this machine (${consoles.join(", ") || "none"})`;
    // Not straight to the device: at the kernel's next input point, kept for re-runs (debug-keys.ts).
    this.keys.type(bytes);
    return undefined;
  }

  /** Console devices of the machine (where terminal input can go). */
  devices(): string[] {
    return this.state.machine ? consoleDeviceNames(this.state.machine) : [];
  }
}
