// Test doubles for the driver SDK: a fake kernel behind a SyscallGate (enough of the protocol to
// start a driver, route MMIO to a device model, allocate DMA, queue messages, deliver an IRQ and
// answer calls) and a fake virtio-mmio entropy device. Not a kernel: just the contract, checkable.

import {
  Errno,
  Sys,
  Tag,
  decodeWireMessage,
  encodeWireMessage,
  irqTag,
  utf8Decode,
  utf8Encode,
  type StartupInfo,
  type SyscallGate,
  type WireMessage,
} from "../../kernel/abi";

export interface Call {
  num: number;
  a0: number;
  a1: number;
  a2: number;
  payload: Uint8Array;
}

export interface Answer {
  result: number;
  response?: Uint8Array;
  attached?: SharedArrayBuffer;
}

/** Thrown when a driver waits for a message that will never come: the end of a test scenario. */
export class Idle extends Error {
  constructor(slot: number) {
    super(`RECV_WAIT on slot ${slot} with nothing queued`);
  }
}

/** A SyscallGate driven by a function, recording every call (args as the real gate passes them: i32). */
export class ScriptedGate implements SyscallGate {
  readonly calls: Call[] = [];
  private last: Answer = { result: 0 };

  constructor(private readonly handler: (call: Call) => Answer | number) {}

  syscall(num: number, a0: number, a1: number, a2: number, payload?: Uint8Array): number {
    const call = { num, a0: a0 | 0, a1: a1 | 0, a2: a2 | 0, payload: payload ? payload.slice() : new Uint8Array(0) };
    this.calls.push(call);
    const answer = this.handler(call);
    this.last = typeof answer === "number" ? { result: answer } : answer;
    return this.last.result;
  }

  response(): Uint8Array {
    return (this.last.response ?? new Uint8Array(0)).slice();
  }

  attachedBuffer(): SharedArrayBuffer | undefined {
    return this.last.attached;
  }
}

export interface MmioDevice {
  read(offset: number, width: number): number | bigint;
  write(offset: number, width: number, value: number | bigint): void;
}

interface DmaRegion {
  phys: number;
  buffer: SharedArrayBuffer;
}

export interface FakeKernelOptions {
  startup: StartupInfo;
  device?: MmioDevice;
  /** Answers CALLs (Init's registry on slot 2 and services on other slots). */
  onCall?: (slot: number, tag: number, payload: Uint8Array) => WireMessage | undefined;
}

/** Enough of the kernel to run a driver: see the file comment. */
export class FakeKernel {
  readonly gate: ScriptedGate;
  readonly queues = new Map<number, WireMessage[]>();
  readonly replies: { pid: number; tag: number; payload: Uint8Array }[] = [];
  readonly debug: string[] = [];
  console = "";
  /** Ordered record of interrupt handling steps, to check the ack order. */
  readonly events: string[] = [];
  private readonly dma: DmaRegion[] = [];
  private nextPhys = 0x8000_0000;
  private irqMasked = false;
  private irqLevel = false;

  constructor(private readonly opts: FakeKernelOptions) {
    this.gate = new ScriptedGate((call) => this.handle(call));
  }

  get calls(): Call[] {
    return this.gate.calls;
  }

  /** Queue a message on an endpoint slot. */
  post(slot: number, msg: WireMessage): void {
    const q = this.queues.get(slot) ?? [];
    q.push(msg);
    this.queues.set(slot, q);
  }

  /** The device drives the interrupt line. */
  setIrqLevel(level: boolean): void {
    this.irqLevel = level;
    this.deliverIrq();
  }

  /** Bytes of guest memory at `phys` (DMA regions only, as through an IOMMU). */
  memory(phys: number, length: number): Uint8Array {
    const region = this.dma.find((r) => phys >= r.phys && phys + length <= r.phys + r.buffer.byteLength);
    if (!region) throw new Error(`DMA fault at 0x${phys.toString(16)}+${length}`);
    return new Uint8Array(region.buffer, phys - region.phys, length);
  }

  private irqHandle(): { slot: number; line: number; endpointSlot: number } | undefined {
    for (const h of Object.values(this.opts.startup.handles)) if (h.kind === "irq") return h;
    return undefined;
  }

  private deliverIrq(): void {
    const irq = this.irqHandle();
    if (!irq || !this.irqLevel || this.irqMasked) return;
    this.irqMasked = true;
    this.post(irq.endpointSlot, { sender: 0, tag: irqTag(irq.line), caps: [], payload: Uint8Array.of(irq.line) });
  }

  private receive(slot: number): Answer {
    const msg = this.queues.get(slot)?.shift();
    return msg ? { result: 1, response: encodeWireMessage(msg) } : { result: 0 };
  }

  private handle(call: Call): Answer | number {
    const { num, a0, a1, a2, payload } = call;
    switch (num) {
      case Sys.STARTUP:
        return { result: 0, response: utf8Encode(JSON.stringify(this.opts.startup)) };
      case Sys.DMA_ALLOC: {
        const size = Math.ceil(a0 / 4096) * 4096;
        const buffer = new SharedArrayBuffer(size);
        const phys = this.nextPhys;
        this.nextPhys += size + 4096;
        this.dma.push({ phys, buffer });
        const slot = 20 + this.dma.length;
        const response = new Uint8Array(16);
        const v = new DataView(response.buffer);
        v.setUint32(0, slot, true);
        v.setBigUint64(4, BigInt(phys), true);
        v.setUint32(12, size, true);
        return { result: slot, response, attached: buffer };
      }
      case Sys.MMIO_READ: {
        if (!this.opts.device) return -Errno.E_BADF;
        const value = this.opts.device.read(a1, a2);
        if (a2 !== 8) return Number(value);
        const response = new Uint8Array(8);
        new DataView(response.buffer).setBigUint64(0, BigInt(value), true);
        return { result: 0, response };
      }
      case Sys.MMIO_WRITE: {
        if (!this.opts.device) return -Errno.E_BADF;
        const v = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
        const value =
          a2 === 8
            ? v.getBigUint64(0, true)
            : a2 === 4
              ? v.getUint32(0, true)
              : a2 === 2
                ? v.getUint16(0, true)
                : v.getUint8(0);
        if (a1 === 0x064) this.events.push("device-ack");
        this.opts.device.write(a1, a2, value);
        return 0;
      }
      case Sys.IRQ_ACK:
        this.events.push("irq-ack");
        this.irqMasked = false;
        this.deliverIrq();
        return 0;
      case Sys.RECV_WAIT: {
        const answer = this.receive(a0);
        if (answer.result === 0) throw new Idle(a0);
        if (this.irqHandle()?.endpointSlot === a0) this.events.push("wait");
        return answer;
      }
      case Sys.RECV:
        return this.receive(a0);
      case Sys.CALL: {
        const reply = this.opts.onCall?.(a0, a1 >>> 0, payload.slice(0, a2));
        return reply ? { result: 1, response: encodeWireMessage(reply) } : -Errno.E_BADF;
      }
      case Sys.REPLY:
        this.replies.push({ pid: a0, tag: a1 >>> 0, payload: payload.slice(0, a2) });
        return 0;
      case Sys.DEBUG:
        this.debug.push(utf8Decode(payload.slice(0, a0)));
        return 0;
      case Sys.CONSOLE_WRITE:
        this.console += utf8Decode(payload.slice(0, a0));
        return 0;
      case Sys.TIME:
        return 123_456_789;
      default:
        return -Errno.E_NOSYS;
    }
  }
}

/** Init's side of the registry, for FakeKernel.onCall: registers always succeed, lookups find `services`. */
export function fakeInit(services: Record<string, { endpointId: number; slot: number }>, registered: string[] = []) {
  return (slot: number, tag: number, payload: Uint8Array): WireMessage | undefined => {
    if (slot !== 2) return undefined;
    const name = utf8Decode(payload.slice(1, 1 + payload[0]));
    if (tag === Tag.REGISTER_SERVICE) {
      registered.push(name);
      return { sender: 1, tag: Tag.SERVICE_READY, caps: [], payload: new Uint8Array(4) };
    }
    const found = services[name];
    const reply = new Uint8Array(9);
    const v = new DataView(reply.buffer);
    v.setUint8(0, found ? 1 : 0);
    v.setUint32(1, found ? found.endpointId : 0, true);
    return { sender: 1, tag: Tag.LOOKUP_RESPONSE, caps: found ? [found.slot] : [], payload: reply };
  };
}

export function message(sender: number, tag: number, payload: Uint8Array = new Uint8Array(0)): WireMessage {
  return { sender, tag, caps: [], payload };
}

export function u32(n: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n, true);
  return out;
}

export function readU32(bytes: Uint8Array): number {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0, true);
}

export { decodeWireMessage };
