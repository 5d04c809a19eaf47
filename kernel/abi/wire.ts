// Message wire format of SYS_RECV / SYS_RECV_WAIT / SYS_CALL output (zero-os-abi.md §3.4):
//   [sender u32][tag u32][ncaps u8][ncaps × slot u32][payload]
// and small little-endian helpers shared by kernel and SDK.

export interface WireMessage {
  sender: number;
  tag: number;
  /** Receiver-side slots of transferred capabilities. */
  caps: number[];
  payload: Uint8Array;
}

export const WIRE_HEADER_BYTES = 9;

export function encodeWireMessage(msg: WireMessage): Uint8Array {
  const out = new Uint8Array(WIRE_HEADER_BYTES + 4 * msg.caps.length + msg.payload.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, msg.sender >>> 0, true);
  view.setUint32(4, msg.tag >>> 0, true);
  view.setUint8(8, msg.caps.length);
  msg.caps.forEach((slot, i) => view.setUint32(WIRE_HEADER_BYTES + 4 * i, slot >>> 0, true));
  out.set(msg.payload, WIRE_HEADER_BYTES + 4 * msg.caps.length);
  return out;
}

/** Decode a received message; undefined if the bytes are too short to hold what the header says. */
export function decodeWireMessage(bytes: Uint8Array): WireMessage | undefined {
  if (bytes.length < WIRE_HEADER_BYTES) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const ncaps = view.getUint8(8);
  const payloadStart = WIRE_HEADER_BYTES + 4 * ncaps;
  if (bytes.length < payloadStart) return undefined;
  const caps: number[] = [];
  for (let i = 0; i < ncaps; i++) caps.push(view.getUint32(WIRE_HEADER_BYTES + 4 * i, true));
  return { sender: view.getUint32(0, true), tag: view.getUint32(4, true), caps, payload: bytes.slice(payloadStart) };
}

/** Cap inspect output (SYS_CAP_INSPECT): the 16 bytes Zero OS's library parses, then ZDS fields. */
export interface CapInfo {
  objectType: number;
  perms: number;
  slot: number;
  objectId: number;
  generation: number;
  /** ZDS: hardware details — MMIO base/size, first/last port, IRQ line, DMA physical address/size. */
  resourceA: number;
  resourceB: number;
}
export const CAP_INFO_BYTES = 36;

export function encodeCapInfo(info: CapInfo): Uint8Array {
  const out = new Uint8Array(CAP_INFO_BYTES);
  const v = new DataView(out.buffer);
  v.setUint8(0, info.objectType);
  v.setUint8(1, info.perms);
  v.setUint32(4, info.slot, true);
  v.setBigUint64(8, BigInt(info.objectId), true);
  v.setUint32(16, info.generation, true);
  v.setBigUint64(20, BigInt(info.resourceA), true);
  v.setBigUint64(28, BigInt(info.resourceB), true);
  return out;
}

export function decodeCapInfo(bytes: Uint8Array): CapInfo | undefined {
  if (bytes.length < CAP_INFO_BYTES) return undefined;
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    objectType: v.getUint8(0),
    perms: v.getUint8(1),
    slot: v.getUint32(4, true),
    objectId: Number(v.getBigUint64(8, true)),
    generation: v.getUint32(16, true),
    resourceA: Number(v.getBigUint64(20, true)),
    resourceB: Number(v.getBigUint64(28, true)),
  };
}

/** Cap list (SYS_CAP_LIST): [count u32] then count × [slot u32][object_type u8][object_id u64]. */
export interface CapListEntry {
  slot: number;
  objectType: number;
  objectId: number;
}

export function encodeCapList(entries: readonly CapListEntry[]): Uint8Array {
  const out = new Uint8Array(4 + 13 * entries.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, entries.length, true);
  entries.forEach((e, i) => {
    const at = 4 + 13 * i;
    v.setUint32(at, e.slot, true);
    v.setUint8(at + 4, e.objectType);
    v.setBigUint64(at + 5, BigInt(e.objectId), true);
  });
  return out;
}

export function decodeCapList(bytes: Uint8Array): CapListEntry[] {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = bytes.length >= 4 ? v.getUint32(0, true) : 0;
  const entries: CapListEntry[] = [];
  for (let i = 0; i < count && 4 + 13 * (i + 1) <= bytes.length; i++) {
    const at = 4 + 13 * i;
    entries.push({
      slot: v.getUint32(at, true),
      objectType: v.getUint8(at + 4),
      objectId: Number(v.getBigUint64(at + 5, true)),
    });
  }
  return entries;
}

/** Process list (SYS_PS): [count u32] then count × [pid u32][name_len u16][name UTF-8]. */
export interface PsEntry {
  pid: number;
  name: string;
}

export function encodePsList(entries: readonly PsEntry[]): Uint8Array {
  const names = entries.map((e) => utf8Encode(e.name));
  const out = new Uint8Array(4 + names.reduce((n, b) => n + 6 + b.length, 0));
  const v = new DataView(out.buffer);
  v.setUint32(0, entries.length, true);
  let at = 4;
  entries.forEach((e, i) => {
    v.setUint32(at, e.pid, true);
    v.setUint16(at + 4, names[i].length, true);
    out.set(names[i], at + 6);
    at += 6 + names[i].length;
  });
  return out;
}

export function decodePsList(bytes: Uint8Array): PsEntry[] {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = bytes.length >= 4 ? v.getUint32(0, true) : 0;
  const entries: PsEntry[] = [];
  let at = 4;
  for (let i = 0; i < count && at + 6 <= bytes.length; i++) {
    const len = v.getUint16(at + 4, true);
    entries.push({ pid: v.getUint32(at, true), name: utf8Decode(bytes.subarray(at + 6, at + 6 + len)) });
    at += 6 + len;
  }
  return entries;
}

// TextEncoder/TextDecoder are ECMAScript-adjacent globals present in every realm we run in
// (Node, worker vm contexts get them injected); declared here so the ABI stays lib-agnostic.
declare const TextEncoder: { new (): { encode(s: string): Uint8Array } };
declare const TextDecoder: { new (label?: string, opts?: { fatal?: boolean }): { decode(b: Uint8Array): string } };

export function utf8Encode(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

export function utf8Decode(bytes: Uint8Array): string {
  return new TextDecoder("utf-8").decode(bytes);
}

/** Strict decode: undefined for invalid UTF-8 (SYS_DEBUG rejects such text with E_INVAL). */
export function utf8DecodeStrict(bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}
