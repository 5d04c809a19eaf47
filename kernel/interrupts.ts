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

export class InterruptRouter {
  private deliveredCount = 0;

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
    irq.pending = true;
    irq.delivered++;
    this.deliveredCount++;
    this.deps.deliver(ep, { sender: Pid.KERNEL, tag: irqTag(line), payload: Uint8Array.of(line & 0xff) });
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
