// virtio-console (device id 3; virtio-reference §8.2): port 0 only, no MULTIPORT. Queue 0 is the
// receiveq (device-writable buffers the device fills with the user's input), queue 1 the transmitq
// (device-readable buffers whose bytes go to the machine console output). Config offers SIZE
// (cols/rows of the console, 80×25) and EMERG_WRITE (a byte written to emerg_wr is output at once,
// usable before the queues exist).
//
// Outside input waits in a bounded buffer until the driver posts receive buffers; beyond the bound
// it is dropped and counted, so a flood never grows host memory. Transmit completes after a small
// virtual latency, as on real devices, so drivers must really wait for the interrupt.
// A transmit chain is output up to CONSOLE_MAX_TX_CHAIN_BYTES (Linux's port writes are at most
// 32 KiB); the rest is reported and ignored, so aliased descriptors cannot multiply host copies.

import type { ScheduledEvent } from "../clock";
import type { ConsoleInputDevice } from "../device-interfaces";
import { isDmaFault } from "../iommu";
import type { ConfigSpace, ConfigWriteResult, VirtioBackend, VirtioDeviceContext, VirtioQueueSpec } from "./backend";
import { gatherInto, sliceBuffers, totalLength } from "./chain-bytes";
import type { DescriptorChain } from "./descriptor-chain";
import { hostBuffer } from "./host-buffer";
import { Feature, featureMask } from "./registers";

export const VIRTIO_ID_CONSOLE = 3;
export const ConsoleFeature = { Size: 0, Multiport: 1, EmergWrite: 2 } as const;
/** Config offsets: le16 cols @0, le16 rows @2, le32 max_nr_ports @4, le32 emerg_wr @8. */
export const ConsoleConfig = { Cols: 0, Rows: 2, MaxNrPorts: 4, EmergWr: 8 } as const;
const RECEIVEQ = 0;
const TRANSMITQ = 1;
export const VIRTIO_CONSOLE_DEFAULT_INPUT_BYTES = 4096;
/** Most bytes of one transmit chain that reach the console output. */
export const CONSOLE_MAX_TX_CHAIN_BYTES = 32 * 1024;

export interface VirtioConsoleOptions {
  readonly deviceName: string;
  /** Where transmitted bytes go: the machine console. */
  readonly output: (bytes: Uint8Array) => void;
  readonly cols?: number;
  readonly rows?: number;
  readonly inputBytes?: number;
  /** Virtual time from a transmit kick to its completion (ns). */
  readonly latencyNs?: number;
  readonly maxQueueSize?: number;
}

export interface VirtioConsoleStats {
  txBytes: number;
  rxBytes: number;
  /** Outside input dropped because the buffer of input not yet delivered was full. */
  inputDropped: number;
}

export class VirtioConsole implements VirtioBackend, ConsoleInputDevice {
  readonly deviceId = VIRTIO_ID_CONSOLE;
  readonly features = featureMask(Feature.Version1, ConsoleFeature.Size, ConsoleFeature.EmergWrite);
  readonly queues: readonly VirtioQueueSpec[];
  readonly config: ConfigSpace;
  readonly stats: VirtioConsoleStats = { txBytes: 0, rxBytes: 0, inputDropped: 0 };

  private readonly output: (bytes: Uint8Array) => void;
  private readonly inputLimit: number;
  private readonly latencyNs: number;
  private readonly cols: number;
  private readonly rows: number;
  private context: VirtioDeviceContext | undefined;
  /** Typed bytes waiting for receive buffers. */
  private readonly typed: number[] = [];
  private readonly pending = new Set<ScheduledEvent>();

  constructor(options: VirtioConsoleOptions) {
    this.output = options.output;
    this.inputLimit = options.inputBytes ?? VIRTIO_CONSOLE_DEFAULT_INPUT_BYTES;
    this.latencyNs = options.latencyNs ?? 2_000;
    this.cols = options.cols ?? 80;
    this.rows = options.rows ?? 25;
    const maxSize = options.maxQueueSize ?? 64;
    this.queues = [
      { name: "receiveq", maxSize },
      { name: "transmitq", maxSize },
    ];
    this.config = {
      size: 12,
      read: (offset, width) => this.readConfig(offset, width),
      write: (offset, width, value) => this.writeConfig(offset, width, value),
      writableBeforeFeaturesOk: (offset) => offset === ConsoleConfig.EmergWr,
    };
  }

  attach(context: VirtioDeviceContext): void {
    this.context = context;
  }

  /** Outside input (keystrokes): delivered into receive buffers as they become available. */
  input(bytes: Uint8Array): void {
    for (const byte of bytes) {
      if (this.typed.length >= this.inputLimit) this.stats.inputDropped++;
      else this.typed.push(byte);
    }
    this.deliver();
  }

  queueNotify(index: number): void {
    if (index === RECEIVEQ) this.deliver();
    else if (index === TRANSMITQ) this.transmit();
  }

  reset(): void {
    // In-flight transmits are dropped (§9 item 33); typed input stays for the next driver.
    for (const event of this.pending) event.cancel();
    this.pending.clear();
  }

  private readConfig(offset: number, width: 1 | 2 | 4): number | undefined {
    const bytes = new Uint8Array(12);
    const view = new DataView(bytes.buffer);
    view.setUint16(ConsoleConfig.Cols, this.cols, true);
    view.setUint16(ConsoleConfig.Rows, this.rows, true);
    view.setUint32(ConsoleConfig.MaxNrPorts, 1, true);
    if (offset + width > bytes.length) return undefined;
    return width === 1
      ? view.getUint8(offset)
      : width === 2
        ? view.getUint16(offset, true)
        : view.getUint32(offset, true);
  }

  private writeConfig(offset: number, _width: 1 | 2 | 4, value: number): ConfigWriteResult {
    if (offset === ConsoleConfig.EmergWr) {
      // Accepted at any time, even before feature negotiation (§8.2): the low byte goes out.
      this.stats.txBytes++;
      this.output(Uint8Array.of(value & 0xff));
      return "ok";
    }
    return offset < 12 ? "read-only" : "out-of-range";
  }

  private transmit(): void {
    const ctx = this.context;
    const queue = ctx?.liveQueue(TRANSMITQ);
    if (ctx === undefined || queue === undefined) return;
    const batch: DescriptorChain[] = [];
    for (;;) {
      const next = queue.pop();
      if (next.kind === "empty") break;
      if (next.kind === "error") return ctx.queueFailed(TRANSMITQ, next.error);
      batch.push(next.chain);
    }
    if (batch.length === 0) return;
    const event = ctx.clock.schedule({ delay: this.latencyNs }, () => {
      this.pending.delete(event);
      if (ctx.liveQueue(TRANSMITQ) !== queue) return;
      for (const chain of batch) {
        if (!this.transmitChain(ctx, chain)) return;
        const fault = queue.pushUsed(chain.head, 0);
        if (fault !== undefined) return ctx.queueFailed(TRANSMITQ, fault);
      }
      ctx.usedBuffersAdded(TRANSMITQ, queue);
    });
    this.pending.add(event);
  }

  /** Send one chain's bytes (up to the cap) to the output; false if the queue failed. */
  private transmitChain(ctx: VirtioDeviceContext, chain: DescriptorChain): boolean {
    if (chain.writable.length > 0)
      ctx.driverError(
        `transmitq chain with head ${chain.head} has device-writable buffers: transmit buffers are device-readable only; they are ignored`,
      );
    const offered = totalLength(chain.readable);
    if (offered === 0) return true;
    if (offered > CONSOLE_MAX_TX_CHAIN_BYTES)
      ctx.driverError(
        `transmitq chain with head ${chain.head} holds ${offered} bytes; only the first ${CONSOLE_MAX_TX_CHAIN_BYTES} are output`,
      );
    const bytes = hostBuffer(Math.min(offered, CONSOLE_MAX_TX_CHAIN_BYTES));
    const fault = gatherInto(ctx.memory(), sliceBuffers(chain.readable, 0, bytes.length), bytes);
    if (fault !== undefined) {
      ctx.queueFailed(TRANSMITQ, { kind: "dma", what: `reading transmit buffer of chain ${chain.head}`, fault });
      return false;
    }
    this.stats.txBytes += bytes.length;
    this.output(bytes);
    return true;
  }

  /** Move waiting input into posted receive buffers, one chain per batch of input. */
  private deliver(): void {
    const ctx = this.context;
    const queue = ctx?.liveQueue(RECEIVEQ);
    if (ctx === undefined || queue === undefined) return;
    let used = false;
    while (this.typed.length > 0) {
      const next = queue.pop();
      if (next.kind === "empty") break;
      if (next.kind === "error") return ctx.queueFailed(RECEIVEQ, next.error);
      const chain = next.chain;
      let written = 0;
      if (chain.readable.length > 0) {
        ctx.driverError(
          `receiveq chain with head ${chain.head} has device-readable buffers: receive buffers are device-writable only; completed with used len 0`,
        );
      } else {
        const memory = ctx.memory();
        for (const buffer of chain.writable) {
          const take = Math.min(buffer.len, this.typed.length);
          if (take === 0) break;
          const fault = memory.write(buffer.addr, Uint8Array.from(this.typed.slice(0, take)));
          if (isDmaFault(fault))
            return ctx.queueFailed(RECEIVEQ, {
              kind: "dma",
              what: `filling receive buffer of chain ${chain.head}`,
              fault,
            });
          this.typed.splice(0, take);
          written += take;
        }
      }
      this.stats.rxBytes += written;
      const fault = queue.pushUsed(chain.head, written);
      if (fault !== undefined) return ctx.queueFailed(RECEIVEQ, fault);
      used = true;
    }
    if (used) ctx.usedBuffersAdded(RECEIVEQ, queue);
  }
}
