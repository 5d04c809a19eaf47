// The virtio-gpu control queue, one command at a time: bring the device up, put a request and room
// for its response on queue 0, kick, sleep until the interrupt, check the response's type. Every
// 2D command goes through command(); request() and attachBacking() lay the structures out.

import { VirtioDevice, VirtioFeature, VirtioMmio, type DmaBuffer, type Irq, type MmioRegion } from "@zds/sdk";
import { Cmd, HDR_BYTES, Resp, commandName, responseName } from "./gpu-protocol";

// The small DMA buffer: the control queue's rings in the first page, then one request and its
// response (one command in flight, so one of each is enough).
const QUEUE_OFFSET = 0;
const REQUEST_OFFSET = 4096;
const RESPONSE_OFFSET = 4096 + 1024;
const QUEUE_SIZE = 16;
/** A lost interrupt (docs/faults.md) must not stall us: after this, look at the used ring anyway. */
const IRQ_TIMEOUT_US = 10_000;

export class GpuControl {
  private constructor(
    private readonly dev: VirtioMmio,
    private readonly queue: ReturnType<VirtioMmio["setupQueue"]>,
    private readonly irq: Irq,
    private readonly ring: DmaBuffer,
  ) {}

  /** Probe, negotiate VERSION_1 (the 2D command set needs no feature of its own), set up the
   *  controlq in `ring` (8 KiB), DRIVER_OK. */
  static start(regs: MmioRegion, irq: Irq, ring: DmaBuffer): GpuControl {
    const dev = VirtioMmio.probe(regs, VirtioDevice.Gpu);
    dev.init(VirtioFeature.VERSION_1);
    const queue = dev.setupQueue(0, { dma: ring, offset: QUEUE_OFFSET, maxSize: QUEUE_SIZE });
    dev.driverOk();
    return new GpuControl(dev, queue, irq, ring);
  }

  /** Send one control request, wait for its response, and check its type; the response. */
  command(req: Uint8Array, expect: number = Resp.OK_NODATA, responseBytes = HDR_BYTES): DataView {
    this.ring.write(REQUEST_OFFSET, req);
    this.queue.add({
      readable: [{ addr: this.ring.physAt(REQUEST_OFFSET), len: req.length }],
      writable: [{ addr: this.ring.physAt(RESPONSE_OFFSET), len: responseBytes }],
    });
    this.queue.kick();
    for (;;) {
      // Clear the device's interrupt status before acknowledging the line (it is level-triggered).
      const interrupted = this.irq.wait({ timeoutUs: IRQ_TIMEOUT_US });
      this.dev.ackInterrupt(this.dev.interruptStatus());
      if (interrupted) this.irq.ack();
      if (this.queue.popUsed()) break;
    }
    const response = new DataView(this.ring.view.buffer, this.ring.view.byteOffset + RESPONSE_OFFSET, responseBytes);
    const type = response.getUint32(0, true);
    if (type !== expect)
      throw new Error(
        `virtio-gpu answered ${responseName(type)} to ${commandName(new DataView(req.buffer).getUint32(0, true))}`,
      );
    return response;
  }
}

/** A request that is the control header then u32 fields (a u64 field is two u32s, low first). */
export function request(type: number, fields: number[]): Uint8Array {
  const out = header(type, HDR_BYTES + fields.length * 4);
  const view = new DataView(out.buffer);
  fields.forEach((value, i) => view.setUint32(HDR_BYTES + i * 4, value, true));
  return out;
}

export function header(type: number, bytes = HDR_BYTES): Uint8Array {
  const out = new Uint8Array(bytes);
  new DataView(out.buffer).setUint32(0, type, true);
  return out;
}

/** ATTACH_BACKING with one memory entry { addr u64, length u32, padding u32 }. */
export function attachBacking(resource: number, addr: number, length: number): Uint8Array {
  const out = request(Cmd.RESOURCE_ATTACH_BACKING, [resource, 1, 0, 0, length, 0]);
  const view = new DataView(out.buffer);
  view.setUint32(HDR_BYTES + 8, addr % 2 ** 32, true);
  view.setUint32(HDR_BYTES + 12, Math.floor(addr / 2 ** 32), true);
  return out;
}
