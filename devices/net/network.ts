// The simulated wire between one virtio-net device (the "station") and the peer host, in virtual
// time. A frame takes a propagation delay plus its serialisation time at the link rate to cross;
// the peer answers after a processing delay with a little jitter from a seeded generator, so round
// trips look real and a run is still reproducible to the nanosecond.
//
// Every frame on the wire is shown to the capture listeners (pcap) as the station sees it: "out"
// when the station puts it on the wire, "in" when it reaches the station — whether or not the
// station then had a buffer for it.

import type { ScheduledEvent, Scheduler } from "../clock";
import { corruptFrame, type FrameAction } from "../faults";
import { Xoshiro128 } from "../prng";
import { parseIp } from "./ipv4";
import { parseMac } from "./ethernet";
import { PeerHost, type PeerConfig } from "./peer-host";

export type FrameDirection = "out" | "in";
export type FrameListener = (frame: Uint8Array, direction: FrameDirection, atNs: number) => void;

export interface NetworkTiming {
  /** One-way propagation delay (ns). */
  readonly propagationNs: number;
  /** Serialisation time per byte (ns): 8 = 1 Gbit/s. */
  readonly nsPerByte: number;
  /** The peer's time to answer (ns), plus up to `jitterNs` more. */
  readonly peerProcessingNs: number;
  readonly jitterNs: number;
}

export const DEFAULT_TIMING: NetworkTiming = {
  propagationNs: 25_000,
  nsPerByte: 8,
  peerProcessingNs: 10_000,
  jitterNs: 4_000,
};

/** The peer of the virt machine's network, as QEMU's user-mode network would place a gateway. */
export const DEFAULT_PEER: PeerConfig = { mac: parseMac("52:54:00:12:35:02"), ip: parseIp("10.0.2.2"), udpEchoPort: 7 };

export interface NetworkOptions {
  readonly clock: Scheduler;
  /** Seeds the peer's jitter. */
  readonly seed: bigint;
  readonly peer?: PeerConfig;
  readonly timing?: NetworkTiming;
  /** Armed faults on this wire (devices/faults.ts): what to do with a frame about to cross. */
  readonly faults?: (direction: FrameDirection, frame: Uint8Array) => FrameAction | undefined;
}

/** How long a frame held back to be reordered waits for a later one before it goes anyway (ns). */
const REORDER_HOLD_NS = 1_000_000;

export class SimulatedNetwork {
  readonly peer: PeerHost;
  readonly timing: NetworkTiming;
  private readonly clock: Scheduler;
  private readonly jitter: Xoshiro128;
  private station: ((frame: Uint8Array) => void) | undefined;
  private readonly listeners: FrameListener[] = [];
  private readonly faults: NetworkOptions["faults"];
  /** A frame held back (reorder fault) per direction, and its fallback release. */
  private readonly held: Partial<Record<FrameDirection, { frame: Uint8Array; release: ScheduledEvent }>> = {};

  constructor(options: NetworkOptions) {
    this.clock = options.clock;
    this.faults = options.faults;
    this.peer = new PeerHost(options.peer ?? DEFAULT_PEER);
    this.timing = options.timing ?? DEFAULT_TIMING;
    this.jitter = new Xoshiro128(options.seed);
  }

  /** Where frames for the station go (the device's receive path). */
  connect(station: (frame: Uint8Array) => void): void {
    this.station = station;
  }

  /** Hear every frame on the wire, both directions. */
  onFrame(listener: FrameListener): void {
    this.listeners.push(listener);
  }

  /** The station puts a frame on the wire now; the peer sees it once it has crossed. */
  send(frame: Uint8Array): void {
    const copy = frame.slice();
    this.capture(copy, "out");
    this.clock.schedule({ delay: this.crossing(copy) }, () => {
      for (const arrived of this.afterFaults("out", copy)) this.toPeer(arrived);
    });
  }

  private toPeer(copy: Uint8Array): void {
    for (const answer of this.peer.receive(copy)) {
      const think =
        this.timing.peerProcessingNs + (this.timing.jitterNs > 0 ? this.jitter.nextUint32() % this.timing.jitterNs : 0);
      this.clock.schedule({ delay: think }, () => this.inject(answer));
    }
  }

  /** The frames that arrive when `frame` has crossed, as the armed faults say: none (dropped), it
   *  twice, it corrupted, or (held back for reordering) none now and it after the next one. */
  private afterFaults(direction: FrameDirection, frame: Uint8Array): Uint8Array[] {
    const action = this.faults?.(direction, frame);
    const held = this.held[direction];
    if (held) {
      held.release.cancel();
      delete this.held[direction];
    }
    const behind = held ? [held.frame] : [];
    switch (action) {
      case "drop":
        return behind;
      case "duplicate":
        return [frame, frame, ...behind];
      case "corrupt":
        return [corruptFrame(frame), ...behind];
      case "reorder": {
        if (held) return [frame, ...behind];
        const release = this.clock.schedule({ delay: REORDER_HOLD_NS }, () => {
          delete this.held[direction];
          if (direction === "out") this.toPeer(frame);
          else this.station?.(frame);
        });
        this.held[direction] = { frame, release };
        return [];
      }
      default:
        return [frame, ...behind];
    }
  }

  /** A frame leaves the far end now toward the station (the peer's answers; tests' outside frames). */
  inject(frame: Uint8Array, extraDelayNs = 0): void {
    const copy = frame.slice();
    this.clock.schedule({ delay: extraDelayNs + this.crossing(copy) }, () => {
      this.capture(copy, "in");
      for (const arrived of this.afterFaults("in", copy)) this.station?.(arrived);
    });
  }

  private crossing(frame: Uint8Array): number {
    return this.timing.propagationNs + frame.length * this.timing.nsPerByte;
  }

  private capture(frame: Uint8Array, direction: FrameDirection): void {
    const at = this.clock.now();
    for (const listener of [...this.listeners]) listener(frame, direction, at);
  }
}
