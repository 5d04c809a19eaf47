// Every host buffer a device allocates whose size a driver's ring influences comes from here, so
// that the caps in docs/architecture.md ("Device caps") can be checked rather than trusted: tests
// reset the meter, let a hostile driver kick, and read the largest buffer and the bytes copied.

export interface HostBufferMeter {
  /** Buffers handed out since the last reset. */
  allocations: number;
  /** Their total size: the bytes the devices materialised on the host. */
  bytes: number;
  /** The largest one: what a single request cost at most. */
  largest: number;
}

export const hostBufferMeter: HostBufferMeter = { allocations: 0, bytes: 0, largest: 0 };

export function resetHostBufferMeter(): void {
  hostBufferMeter.allocations = 0;
  hostBufferMeter.bytes = 0;
  hostBufferMeter.largest = 0;
}

/** A zeroed buffer of `length` bytes; the caller has already bounded `length` by its cap. */
export function hostBuffer(length: number): Uint8Array {
  hostBufferMeter.allocations++;
  hostBufferMeter.bytes += length;
  if (length > hostBufferMeter.largest) hostBufferMeter.largest = length;
  return new Uint8Array(length);
}
