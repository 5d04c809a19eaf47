// Kernel objects other than capabilities: endpoints with their queues, and the side table of
// hardware objects that a capability's single object id names (Zero OS has no encoding for a
// window or a port range in a capability, zero-os-abi.md §8.2).

import type { DmaRegion } from "../devices/machine-interface";
import type { Capability } from "./cspace";

export interface Message {
  sender: number;
  tag: number;
  payload: Uint8Array;
  /** Set when the message is a CALL: the PID that waits for the reply. */
  callFrom?: number;
  /** Capabilities moved with the message (SEND_CAP); installed in the receiver at receive. */
  caps?: Capability[];
}

export interface Endpoint {
  id: number;
  owner: number;
  queue: Message[];
  /** PIDs blocked in RECV_WAIT on this endpoint, in arrival order. */
  waiters: number[];
  /** Metrics shown by views and summaries. */
  delivered: number;
  highWater: number;
  /** Payload bytes processes' messages occupy in `queue` (charged to the owner, kernel/limits.ts). */
  queuedBytes: number;
  /** Capabilities messages in `queue` carry: on their way to the owner, so they count against its
   *  limits.capabilities (kernel/limits.ts). */
  queuedCaps: number;
}

/** Messages an endpoint holds before SEND fails with E_AGAIN (v0.1.2's queue bound). */
export const ENDPOINT_QUEUE_LIMIT = 256;

export type HardwareObject =
  | { type: "memory"; base: number; size: number; device: string }
  | { type: "ports"; first: number; last: number; device?: string }
  | {
      type: "irq";
      line: number;
      endpointId: number;
      owner: number;
      masked: boolean;
      pending: boolean;
      delivered: number;
    }
  /** `rootCap` is the id of the capability DMA_ALLOC made: every other Dma capability to the buffer
   *  descends from it, so revoking it on DMA_FREE reaches every lent copy, in a CSpace or in flight. */
  | { type: "dma"; region: DmaRegion; owner: number; rootCap: number };
