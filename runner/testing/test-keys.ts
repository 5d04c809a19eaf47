// Keys for a test's `input` option (docs/testing.md): typed a line at a time, each line as soon as a
// program waits for a console driver's answer (a READ, typically) while that driver waits too, at
// an input point of the run. `zds run --input` types only when the machine is wholly idle, which a driver
// that waits for its interrupt with a timeout (docs/faults.md) never is: a test of a lost interrupt
// needs the keys while the driver is in that wait. The hub records each line with its input point,
// so a trace replays it exactly.
import type { ConsoleInputSource } from "../../kernel/console-input";
import type { Kernel } from "../../kernel/kernel";
import { unescapeKeys } from "../console-keys";

const VIRTIO_CONSOLE = 3;

export class TestKeys implements ConsoleInputSource {
  private readonly lines: Uint8Array[] = [];
  /** The kernel whose processes tell whether someone waits (set once the session exists). */
  kernel: Kernel | undefined;
  /** A line went in and no program has stopped waiting since: the next one waits. */
  private sent = false;

  constructor(text: string) {
    const bytes = unescapeKeys(text);
    let start = 0;
    bytes.forEach((b, i) => {
      if (b === 0x0a || b === 0x0d) {
        this.lines.push(bytes.slice(start, i + 1));
        start = i + 1;
      }
    });
    if (start < bytes.length) this.lines.push(bytes.slice(start));
  }

  take(): Uint8Array[] {
    const waiting = this.waiting();
    if (!waiting) this.sent = false;
    if (!waiting || this.sent || this.lines.length === 0) return [];
    this.sent = true;
    return [this.lines.shift() as Uint8Array];
  }

  idle(waiting: boolean): "more" | "wait" | "none" {
    if (!waiting || this.lines.length === 0) return "none";
    this.sent = false;
    return "more";
  }

  /** Someone waits for the answer of a console driver (a process bound to a UART or a
   *  virtio-console), and the driver itself waits (for its device, typically): it has set the
   *  device up, so input reaches it, and the input comes while it waits, as a user's would. */
  private waiting(): boolean {
    const k = this.kernel;
    if (!k) return false;
    for (const p of k.processes.values()) {
      if (!p.alive || p.state !== "blocked" || p.blockedOn?.kind !== "reply") continue;
      const owner = k.processes.get(k.endpoints.get(p.blockedOn.endpointId)?.owner ?? -1);
      const device = k.machine.devices.find((d) => d.name === owner?.device);
      if (
        owner?.alive &&
        owner.state === "blocked" &&
        (device?.kind === "uart16550" || device?.virtioId === VIRTIO_CONSOLE)
      )
        return true;
    }
    return false;
  }
}
