// The classic pcap capture format (what Wireshark and tshark open; LINKTYPE_ETHERNET), with
// nanosecond timestamps because virtual time is kept in nanoseconds. Pure bytes: the caller
// decides where they go. The reader exists so that tests (and tools) can check a capture.

export const PCAP_MAGIC_NS = 0xa1b23c4d;
export const PCAP_MAGIC_US = 0xa1b2c3d4;
export const LINKTYPE_ETHERNET = 1;
export const PCAP_SNAPLEN = 65535;
const GLOBAL_HEADER_BYTES = 24;
const RECORD_HEADER_BYTES = 16;

/** The 24-byte file header: magic, version 2.4, zone 0, sigfigs 0, snaplen, link type. */
export function pcapFileHeader(): Uint8Array {
  const bytes = new Uint8Array(GLOBAL_HEADER_BYTES);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, PCAP_MAGIC_NS, true);
  view.setUint16(4, 2, true);
  view.setUint16(6, 4, true);
  view.setUint32(16, PCAP_SNAPLEN, true);
  view.setUint32(20, LINKTYPE_ETHERNET, true);
  return bytes;
}

/** One packet record: timestamp (seconds, nanoseconds), captured and original length, the frame. */
export function pcapRecord(frame: Uint8Array, atNs: number): Uint8Array {
  const captured = frame.subarray(0, PCAP_SNAPLEN);
  const bytes = new Uint8Array(RECORD_HEADER_BYTES + captured.length);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, Math.floor(atNs / 1e9), true);
  view.setUint32(4, atNs % 1e9, true);
  view.setUint32(8, captured.length, true);
  view.setUint32(12, frame.length, true);
  bytes.set(captured, RECORD_HEADER_BYTES);
  return bytes;
}

export interface PcapPacket {
  readonly atNs: number;
  readonly originalLength: number;
  readonly data: Uint8Array;
}

export interface PcapFile {
  readonly linkType: number;
  readonly snapLen: number;
  readonly nanosecond: boolean;
  readonly packets: PcapPacket[];
}

/** Parse a whole capture; throws a RangeError naming the first thing wrong with it. */
export function readPcap(bytes: Uint8Array): PcapFile {
  if (bytes.length < GLOBAL_HEADER_BYTES)
    throw new RangeError(`a pcap file has a 24-byte header; this one has ${bytes.length} bytes`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, true);
  if (magic !== PCAP_MAGIC_NS && magic !== PCAP_MAGIC_US)
    throw new RangeError(
      `bad pcap magic 0x${magic.toString(16)} (little-endian files start with 0xa1b2c3d4 or 0xa1b23c4d)`,
    );
  const nanosecond = magic === PCAP_MAGIC_NS;
  if (view.getUint16(4, true) !== 2 || view.getUint16(6, true) !== 4)
    throw new RangeError(`pcap version ${view.getUint16(4, true)}.${view.getUint16(6, true)}, expected 2.4`);
  const snapLen = view.getUint32(16, true);
  const linkType = view.getUint32(20, true);
  const packets: PcapPacket[] = [];
  let at = GLOBAL_HEADER_BYTES;
  while (at < bytes.length) {
    if (at + RECORD_HEADER_BYTES > bytes.length)
      throw new RangeError(`record ${packets.length + 1}: truncated header at byte ${at}`);
    const seconds = view.getUint32(at, true);
    const fraction = view.getUint32(at + 4, true);
    const captured = view.getUint32(at + 8, true);
    const originalLength = view.getUint32(at + 12, true);
    if (captured > snapLen || captured > originalLength)
      throw new RangeError(
        `record ${packets.length + 1}: captured length ${captured} exceeds snaplen ${snapLen} or original length ${originalLength}`,
      );
    const start = at + RECORD_HEADER_BYTES;
    if (start + captured > bytes.length)
      throw new RangeError(
        `record ${packets.length + 1}: ${captured} bytes announced, ${bytes.length - start} present`,
      );
    // A plain copy (not a Buffer slice, when a Buffer was passed in).
    packets.push({
      atNs: seconds * 1e9 + (nanosecond ? fraction : fraction * 1000),
      originalLength,
      data: new Uint8Array(bytes.subarray(start, start + captured)),
    });
    at = start + captured;
  }
  return { linkType, snapLen, nanosecond, packets };
}
