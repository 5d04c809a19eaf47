// Interrupt lines to IRQ endpoints: a line that goes high is delivered once as a message on the
// endpoint its IRQ object names, then stays masked until IRQ_ACK re-arms it; a level-triggered line
// still high at that point is delivered again.

import { Pid } from "./abi/syscalls";
import { irqTag } from "./abi/tags";
import type { Endpoint, HardwareObject, Message } from "./objects";

export type IrqObject = HardwareObject & { type: "irq" };

/** What interrupt delivery needs from the rest of the kernel. */
export interface InterruptDeps {
  readonly hardware: ReadonlyMap<number, HardwareObject>;
  readonly endpoints: ReadonlyMap<number, Endpoint>;
  irqLevel(line: number): boolean;
  deliver(ep: Endpoint, message: Message): number;
}

/** Injected interrupt faults (kernel/faults/): asked each time a line would be delivered. */
export interface IrqFaultHook {
  /** "lost": the notification vanishes (nothing is pending: no IRQ_ACK is owed); "duplicate": it
   *  is delivered twice. */
  onRaise(line: number): "lost" | "duplicate" | undefined;
}

export class InterruptRouter {
  private deliveredCount = 0;
  /** Set by the fault injector; absent otherwise. */
  faults: IrqFaultHook | undefined;

  constructor(private readonly deps: InterruptDeps) {}

  /** Interrupts delivered (RunSummary.irqs). */
  get delivered(): number {
    return this.deliveredCount;
  }

  /** A line went high: notify its endpoint once, then keep it masked until IRQ_ACK. */
  raise(line: number): void {
    const irq = this.objectFor(line);
    if (!irq || irq.masked || irq.pending) return;
    const ep = this.deps.endpoints.get(irq.endpointId);
    if (!ep) return;
    const fault = this.faults?.onRaise(line);
    // Lost: nothing arrives and nothing is pending; the line stays high until the driver clears
    // the device, and the next rise is delivered as usual.
    if (fault === "lost") return;
    irq.pending = true;
    this.notify(irq, ep);
    if (fault === "duplicate") this.notify(irq, ep);
  }

  /** An interrupt no device raised (an injected fault): delivered as a real one would be, unless the
   *  line is masked. False when nobody is bound to the line or it is masked. */
  spurious(line: number): boolean {
    const irq = this.objectFor(line);
    const ep = irq && this.deps.endpoints.get(irq.endpointId);
    if (!irq || !ep || irq.masked) return false;
    irq.pending = true;
    this.notify(irq, ep);
    return true;
  }

  private notify(irq: IrqObject, ep: Endpoint): void {
    irq.delivered++;
    this.deliveredCount++;
    this.deps.deliver(ep, { sender: Pid.KERNEL, tag: irqTag(irq.line), payload: Uint8Array.of(irq.line & 0xff) });
  }

  /** IRQ_ACK / unmask: if the line is still high (level-triggered), it is delivered again. */
  reArm(irq: IrqObject): void {
    irq.pending = false;
    if (!irq.masked && this.deps.irqLevel(irq.line)) this.raise(irq.line);
  }

  private objectFor(line: number): IrqObject | undefined {
    for (const obj of this.deps.hardware.values()) if (obj.type === "irq" && obj.line === line) return obj;
    return undefined;
  }
}
