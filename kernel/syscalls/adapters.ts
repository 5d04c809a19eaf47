// Platform adapters block: SYS_STORAGE_READ/WRITE/DELETE/LIST/EXISTS (0x70–0x74) and
// SYS_NETWORK_FETCH (0x90). Each returns a request id at once; the result arrives later as a message
// from Init on the caller's input endpoint (kernel/adapters/hub.ts, docs/adapters.md).
//
// A request the kernel cannot read (lengths that disagree with the payload, a key that is not
// UTF-8) fails now with E_INVAL, as Zero OS fails it with −1; too many pending fails E_AGAIN. A
// readable request the store would refuse (empty or too long key, too large value) gets a request
// id and an ERROR result naming the limit.

import { MAX_STORAGE_KEY_BYTES, MAX_STORAGE_VALUE_BYTES, StorageResult } from "../abi/adapters";
import { Errno } from "../abi/errors";
import { Sys } from "../abi/syscalls";
import { utf8DecodeStrict, utf8Encode } from "../abi/wire";
import type { ResultBody, StorageOp } from "../adapters/hub";
import { fail, ok, type Outcome, type SyscallHandler } from "./outcome";

function refused(message: string): { answer: ResultBody } {
  return { answer: { type: StorageResult.ERROR, data: utf8Encode(message) } };
}

function keyProblem(key: Uint8Array, what = "key"): string | undefined {
  if (key.length === 0) return `empty ${what}`;
  if (key.length > MAX_STORAGE_KEY_BYTES)
    return `${what} of ${key.length} bytes is longer than ${MAX_STORAGE_KEY_BYTES} bytes`;
  return undefined;
}

function started(id: number): Outcome {
  return id < 0 ? fail(-id) : ok(id);
}

/** READ, DELETE, EXISTS: a0 = key length; in = key. */
const byKey =
  (op: "read" | "delete" | "exists"): SyscallHandler =>
  (k, p, req) => {
    if (!k.adapters) return fail(Errno.E_NOSYS);
    if (req.a0 !== req.payload.length) return fail(Errno.E_INVAL);
    const key = utf8DecodeStrict(req.payload);
    if (key === undefined) return fail(Errno.E_INVAL);
    const problem = keyProblem(req.payload);
    return started(k.adapters.request(p, "storage", problem ? refused(problem) : { op, key }));
  };

export const adapterSyscalls: [number, SyscallHandler][] = [
  [Sys.STORAGE_READ, byKey("read")],
  [Sys.STORAGE_DELETE, byKey("delete")],
  [Sys.STORAGE_EXISTS, byKey("exists")],
  [
    Sys.STORAGE_WRITE,
    // a0 = key length, a1 = value length; in = [key_len u32][key][value].
    (k, p, req) => {
      if (!k.adapters) return fail(Errno.E_NOSYS);
      const { payload } = req;
      if (payload.length < 4) return fail(Errno.E_INVAL);
      const keyLen = new DataView(payload.buffer, payload.byteOffset, payload.byteLength).getUint32(0, true);
      if (keyLen !== req.a0 || payload.length !== 4 + req.a0 + req.a1) return fail(Errno.E_INVAL);
      const keyBytes = payload.subarray(4, 4 + keyLen);
      const key = utf8DecodeStrict(keyBytes);
      if (key === undefined) return fail(Errno.E_INVAL);
      const value = payload.slice(4 + keyLen);
      const problem =
        keyProblem(keyBytes) ??
        (value.length > MAX_STORAGE_VALUE_BYTES
          ? `value of ${value.length} bytes is larger than ${MAX_STORAGE_VALUE_BYTES} bytes (what one result message can carry back)`
          : undefined);
      const work: StorageOp | ReturnType<typeof refused> = problem ? refused(problem) : { op: "write", key, value };
      return started(k.adapters.request(p, "storage", work));
    },
  ],
  [
    Sys.STORAGE_LIST,
    // a0 = prefix length; in = prefix (may be empty: every key).
    (k, p, req) => {
      if (!k.adapters) return fail(Errno.E_NOSYS);
      if (req.a0 !== req.payload.length) return fail(Errno.E_INVAL);
      const prefix = utf8DecodeStrict(req.payload);
      if (prefix === undefined) return fail(Errno.E_INVAL);
      return started(k.adapters.request(p, "storage", { op: "list", prefix }));
    },
  ],
  [
    Sys.NETWORK_FETCH,
    // a0 = length; in = HttpRequest JSON (UTF-8). Bad JSON is answered, not refused.
    (k, p, req) => {
      if (!k.adapters) return fail(Errno.E_NOSYS);
      if (req.a0 !== req.payload.length) return fail(Errno.E_INVAL);
      const json = utf8DecodeStrict(req.payload);
      if (json === undefined) return fail(Errno.E_INVAL);
      return started(k.adapters.request(p, "network", json));
    },
  ],
];
