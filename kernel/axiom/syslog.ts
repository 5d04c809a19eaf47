// SysLog: every syscall request and its result, in order, with a running hash over all of them
// (including payloads, so that a different random byte anywhere shows). The in-memory record is
// bounded like Zero OS's (10 000 events); the hash covers everything since boot.

import { Fnv64 } from "./fnv";

export interface SysLogRequest {
  id: number;
  kind: "request";
  pid: number;
  time: number;
  num: number;
  args: [number, number, number];
  payloadBytes: number;
}

export interface SysLogResponse {
  id: number;
  kind: "response";
  pid: number;
  time: number;
  requestId: number;
  result: number;
  payloadBytes: number;
}

/** An injected fault taking effect (kernel/faults/, docs/faults.md): part of the run like a syscall,
 *  so a replay that meets a different fault, or none, diverges at it. */
export interface SysLogFault {
  id: number;
  kind: "fault";
  /** The process it hit (the driver of the device, the killed driver), or 0. */
  pid: number;
  time: number;
  /** The fault's index in the run's fault plan. */
  fault: number;
  /** What happened, e.g. "io-error virtio-blk0: read of 1 sector at 16370". */
  detail: string;
}

/** A frame the display showed (devices/virtio/gpu.ts): part of the run, so a replay that draws a
 *  different pixel diverges at that frame. */
export interface SysLogFrame {
  id: number;
  kind: "frame";
  pid: 0;
  time: number;
  device: string;
  /** The device's frame counter (0 for its first frame). */
  frame: number;
  /** Hex SHA-256 of the frame's size and RGBA pixels. */
  hash: string;
}

export type SysLogEvent = SysLogRequest | SysLogResponse | SysLogFault | SysLogFrame;

export const SYSLOG_CAPACITY = 10_000;

export class SysLog {
  private readonly events: SysLogEvent[] = [];
  private readonly hash = new Fnv64();
  private nextId = 0;
  private readonly listeners: ((event: SysLogEvent, hash: string) => void)[] = [];
  /** Oldest entry once the ring is full. */
  private head = 0;
  private requests = 0;

  request(pid: number, time: number, num: number, args: [number, number, number], payload: Uint8Array): number {
    const id = this.nextId++;
    this.requests++;
    const event: SysLogRequest = { id, kind: "request", pid, time, num, args, payloadBytes: payload.length };
    this.push(event);
    this.hash
      .byte(0)
      .u32(pid)
      .i64(time)
      .u32(num)
      .u32(args[0])
      .u32(args[1])
      .u32(args[2])
      .u32(payload.length)
      .update(payload);
    this.emit(event);
    return id;
  }

  response(pid: number, time: number, requestId: number, result: number, payload: Uint8Array | undefined): void {
    const bytes = payload ?? new Uint8Array(0);
    const event: SysLogResponse = {
      id: this.nextId++,
      kind: "response",
      pid,
      time,
      requestId,
      result,
      payloadBytes: bytes.length,
    };
    this.push(event);
    this.hash.byte(1).u32(pid).i64(time).i64(requestId).i64(result).u32(bytes.length).update(bytes);
    this.emit(event);
  }

  fault(pid: number, time: number, fault: number, detail: string): void {
    const event: SysLogFault = { id: this.nextId++, kind: "fault", pid, time, fault, detail };
    this.push(event);
    const bytes = new TextEncoder().encode(detail);
    this.hash.byte(2).u32(pid).i64(time).u32(fault).u32(bytes.length).update(bytes);
    this.emit(event);
  }

  frame(time: number, device: string, frame: number, hash: string): void {
    const event: SysLogFrame = { id: this.nextId++, kind: "frame", pid: 0, time, device, frame, hash };
    this.push(event);
    const bytes = new TextEncoder().encode(`${device} ${hash}`);
    this.hash.byte(3).i64(time).u32(frame).u32(bytes.length).update(bytes);
    this.emit(event);
  }

  /** Every event with the chain's hash after it (the hash covers payloads the event omits). */
  onEvent(listener: (event: SysLogEvent, hash: string) => void): void {
    this.listeners.push(listener);
  }

  /** Number of events (requests and responses) so far. */
  get eventCount(): number {
    return this.nextId;
  }

  private emit(event: SysLogEvent): void {
    if (this.listeners.length === 0) return;
    const hash = this.hash.hex();
    for (const l of this.listeners) l(event, hash);
  }

  /** Number of syscalls made since boot. */
  get syscallCount(): number {
    return this.requests;
  }

  /** Hex digest over every syscall and result so far. */
  digest(): string {
    return this.hash.hex();
  }

  /** The last SYSLOG_CAPACITY events, oldest first. */
  recent(): SysLogEvent[] {
    if (this.events.length < SYSLOG_CAPACITY) return [...this.events];
    return [...this.events.slice(this.head), ...this.events.slice(0, this.head)];
  }

  private push(event: SysLogEvent): void {
    if (this.events.length < SYSLOG_CAPACITY) {
      this.events.push(event);
      return;
    }
    this.events[this.head] = event;
    this.head = (this.head + 1) % SYSLOG_CAPACITY;
  }
}
