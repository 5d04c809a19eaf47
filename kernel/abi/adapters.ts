// Zero OS's Phase 1 platform adapters as syscalls (zero-os-abi.md §3.2, §3.5): storage (0x70–0x74)
// and network (0x90). Each call returns a request id at once; the result arrives later as a message
// from Init (PID 1) on the requester's input endpoint (slot 1), framed
//   [request_id u32][result_type u8][data_len u32][data]
// with tag 0x80 (storage) or 0x9002 (network). docs/adapters.md describes them.

import { MAILBOX_DATA_BYTES } from "./syscalls";
import { WIRE_HEADER_BYTES } from "./wire";

/** result_type of a storage result (zos-ipc storage::result). */
export const StorageResult = {
  READ_OK: 0,
  /** Also the answer to DELETE. */
  WRITE_OK: 1,
  NOT_FOUND: 2,
  /** data = a UTF-8 message. */
  ERROR: 3,
  /** data = a JSON array of keys. */
  LIST_OK: 4,
  /** data = one byte, 1 or 0. */
  EXISTS_OK: 5,
} as const;

/** Network results always carry result_type 0; success or failure is inside the JSON. */
export const NET_RESULT_TYPE = 0;

/** Bytes of the result header before the data. */
export const ADAPTER_RESULT_HEADER_BYTES = 9;
/** The most data one result message can carry so that a RECV still returns it whole: the mailbox's
 *  data area less the wire header and the result header. */
export const MAX_ADAPTER_RESULT_DATA = MAILBOX_DATA_BYTES - WIRE_HEADER_BYTES - ADAPTER_RESULT_HEADER_BYTES;

/** Zero OS's storage limits (the QEMU store's entry format): key ≤ 256 bytes, value ≤ 64 KiB. */
export const MAX_STORAGE_KEY_BYTES = 256;
/** ZDS: a value must also come back whole in a READ_OK result (the mailbox bounds both ways), so
 *  the limit in force is the smaller of 64 KiB and MAX_ADAPTER_RESULT_DATA. */
export const MAX_STORAGE_VALUE_BYTES = Math.min(64 * 1024, MAX_ADAPTER_RESULT_DATA);

/** Requests in flight (issued, result not yet delivered) before the syscall fails with E_AGAIN. */
export const MAX_PENDING_STORAGE = 1000;
export const MAX_PENDING_NETWORK = 100;

export interface AdapterResult {
  requestId: number;
  type: number;
  data: Uint8Array;
}

export function encodeAdapterResult(result: AdapterResult): Uint8Array {
  const out = new Uint8Array(ADAPTER_RESULT_HEADER_BYTES + result.data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, result.requestId >>> 0, true);
  view.setUint8(4, result.type);
  view.setUint32(5, result.data.length, true);
  out.set(result.data, ADAPTER_RESULT_HEADER_BYTES);
  return out;
}

/** Undefined when the bytes are shorter than the header says. */
export function decodeAdapterResult(bytes: Uint8Array): AdapterResult | undefined {
  if (bytes.length < ADAPTER_RESULT_HEADER_BYTES) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const len = view.getUint32(5, true);
  if (bytes.length < ADAPTER_RESULT_HEADER_BYTES + len) return undefined;
  return {
    requestId: view.getUint32(0, true),
    type: view.getUint8(4),
    data: bytes.slice(ADAPTER_RESULT_HEADER_BYTES, ADAPTER_RESULT_HEADER_BYTES + len),
  };
}

/** SYS_STORAGE_WRITE's payload: [key_len u32][key][value]. */
export function encodeStorageWrite(key: Uint8Array, value: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + key.length + value.length);
  new DataView(out.buffer).setUint32(0, key.length, true);
  out.set(key, 4);
  out.set(value, 4 + key.length);
  return out;
}

/** HttpRequest as zos-network serialises it with serde (the JSON SYS_NETWORK_FETCH takes). `method`
 *  is serde's variant name ("Get", "Post", …); upper case ("GET") is accepted too. `headers` are
 *  [name, value] pairs, `body` bytes as numbers (or null), `timeout_ms` can only lower the machine's
 *  timeout. caller_pid and request_id are ignored (the kernel knows both). */
export interface HttpRequestJson {
  method: string;
  url: string;
  headers?: [string, string][];
  body?: number[] | null;
  timeout_ms?: number;
}

/** zos-network's NetworkError variants; `Other` carries a message. */
export type NetworkErrorJson =
  | "PolicyDenied"
  | "ConnectionFailed"
  | "Timeout"
  | "InvalidUrl"
  | "DnsError"
  | "TlsError"
  | "ServiceUnavailable"
  | { Other: string };

/** HttpResponse as serde writes it: `{"result":{"Ok":{…}}}` or `{"result":{"Err":…}}`. ZDS adds a
 *  top-level `message` to every failure saying what happened and what to do (serde ignores it). */
export interface HttpResponseJson {
  result: { Ok: { status: number; headers: [string, string][]; body: number[] } } | { Err: NetworkErrorJson };
  message?: string;
}
