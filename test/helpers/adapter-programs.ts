// Zero OS WASM programs that use the platform adapters (SYS_STORAGE_*, SYS_NETWORK_FETCH), written
// in WebAssembly text and assembled with wabt. A program is a list of steps; each request step makes
// the syscall, prints `id<n>=<result as 8 bytes LE hex>`, waits for the result message on slot 1
// (RECV_WAIT) and prints `r<n>=<hex of the received wire message>`; decodeResult reads it back.

import fs from "node:fs";
import wabtInit from "wabt";
import { decodeAdapterResult, decodeWireMessage, encodeStorageWrite } from "../../kernel/abi";

const HEX_AT = 0x1_0000;
const DATA_AT = 0x2_0000;
const SCRATCH = 0x8_0000;
const RESULT = 0x9_0000;
const OUT = 0xa_0000;
const RESULT_MAX = 16356;

export type Step =
  | { read: string }
  | { exists: string }
  | { delete: string }
  | { list: string }
  | { write: string; value: string | Uint8Array }
  /** Raw: syscall `num` with these args and payload (hostile requests). */
  | { raw: number; a: [number, number, number]; payload: Uint8Array; noWait?: boolean }
  | { fetch: string | object };

const enc = new TextEncoder();

const HEADER = `
  (import "env" "memory" (memory 32 64 shared))
  (import "env" "zos_syscall" (func $sys (param i32 i32 i32 i32) (result i64)))
  (import "env" "zos_send_bytes" (func $send_bytes (param i32 i32)))
  (import "env" "zos_recv_bytes" (func $recv_bytes (param i32 i32) (result i32)))
  (data (i32.const ${HEX_AT}) "0123456789abcdef")
  (func $console (param $p i32) (param $n i32)
    (call $send_bytes (local.get $p) (local.get $n))
    (drop (call $sys (i32.const 7) (local.get $n) (i32.const 0) (i32.const 0))))
  ;; line(label, labellen, src, n): "label=<hex>\\n"
  (func $line (param $k i32) (param $kn i32) (param $src i32) (param $n i32) (local $i i32) (local $b i32) (local $o i32)
    (memory.copy (i32.const ${OUT}) (local.get $k) (local.get $kn))
    (local.set $o (i32.add (i32.const ${OUT}) (local.get $kn)))
    (i32.store8 (local.get $o) (i32.const 61))
    (local.set $o (i32.add (local.get $o) (i32.const 1)))
    (block $d (loop $l
      (br_if $d (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $b (i32.load8_u (i32.add (local.get $src) (local.get $i))))
      (i32.store8 (local.get $o) (i32.load8_u (i32.add (i32.const ${HEX_AT}) (i32.shr_u (local.get $b) (i32.const 4)))))
      (i32.store8 (i32.add (local.get $o) (i32.const 1)) (i32.load8_u (i32.add (i32.const ${HEX_AT}) (i32.and (local.get $b) (i32.const 15)))))
      (local.set $o (i32.add (local.get $o) (i32.const 2)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))
    (i32.store8 (local.get $o) (i32.const 10))
    (call $console (i32.const ${OUT}) (i32.sub (i32.add (local.get $o) (i32.const 1)) (i32.const ${OUT}))))
  ;; await(): RECV_WAIT on slot 1, the message into RESULT; its length
  (func $await (result i32)
    (drop (call $sys (i32.const 0x45) (i32.const 1) (i32.const 0) (i32.const 0)))
    (call $recv_bytes (i32.const ${RESULT}) (i32.const ${RESULT_MAX})))
`;

function dataSegment(at: number, bytes: Uint8Array): string {
  return `  (data (i32.const ${at}) "${[...bytes].map((b) => `\\${b.toString(16).padStart(2, "0")}`).join("")}")\n`;
}

/** The WAT of a program doing `steps` in order. */
export function stepsProgram(steps: readonly Step[]): string {
  let at = DATA_AT;
  let data = "";
  let code = "";
  const place = (bytes: Uint8Array): [number, number] => {
    const where = at;
    if (bytes.length > 0) data += dataSegment(where, bytes);
    at += bytes.length + 16;
    return [where, bytes.length];
  };
  steps.forEach((step, n) => {
    let num: number;
    let args: [number, number, number];
    let payload: Uint8Array;
    let wait = true;
    if ("raw" in step) {
      [num, args, payload, wait] = [step.raw, step.a, step.payload, !step.noWait];
    } else if ("write" in step) {
      const key = enc.encode(step.write);
      const value = typeof step.value === "string" ? enc.encode(step.value) : step.value;
      [num, args, payload] = [0x71, [key.length, value.length, 0], encodeStorageWrite(key, value)];
    } else if ("fetch" in step) {
      payload = enc.encode(typeof step.fetch === "string" ? step.fetch : JSON.stringify(step.fetch));
      [num, args] = [0x90, [payload.length, 0, 0]];
    } else {
      const [op, key] = Object.entries(step)[0] as [string, string];
      payload = enc.encode(key);
      num = { read: 0x70, delete: 0x72, list: 0x73, exists: 0x74 }[op] as number;
      args = [payload.length, 0, 0];
    }
    const [p, len] = place(payload);
    const [idLabel, idLen] = place(enc.encode(`id${n}`));
    const [rLabel, rLen] = place(enc.encode(`r${n}`));
    code += `
    (call $send_bytes (i32.const ${p}) (i32.const ${len}))
    (i64.store (i32.const ${SCRATCH}) (call $sys (i32.const ${num}) (i32.const ${args[0] | 0}) (i32.const ${args[1] | 0}) (i32.const ${args[2] | 0})))
    (call $line (i32.const ${idLabel}) (i32.const ${idLen}) (i32.const ${SCRATCH}) (i32.const 8))`;
    if (wait)
      code += `
    (if (i64.ge_s (i64.load (i32.const ${SCRATCH})) (i64.const 0))
      (then (call $line (i32.const ${rLabel}) (i32.const ${rLen}) (i32.const ${RESULT}) (call $await))))`;
  });
  return `(module ${HEADER}\n${data}\n  (func (export "_start") (local $n i32) ${code}))`;
}

/** Writes keys k0000, k0001, … (64-byte values) one at a time, waiting for each WRITE_OK, and
 *  prints `ack=kXXXX` once it came; exits 1 on any other result. */
export function writerProgram(count: number): string {
  const line = enc.encode("ack=k0000\n");
  return `(module ${HEADER}
  ${dataSegment(DATA_AT, line)}
  (func (export "_start") (local $i i32) (local $j i32)
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (i32.const ${count})))
      ;; payload at SCRATCH: [5 u32]["k" hex4][64 bytes of i]
      (i32.store (i32.const ${SCRATCH}) (i32.const 5))
      (i32.store8 (i32.const ${SCRATCH + 4}) (i32.const 107))
      (local.set $j (i32.const 0))
      (block $hd (loop $hl
        (br_if $hd (i32.ge_u (local.get $j) (i32.const 4)))
        (i32.store8 (i32.add (i32.const ${SCRATCH + 5}) (local.get $j))
          (i32.load8_u (i32.add (i32.const ${HEX_AT})
            (i32.and (i32.shr_u (local.get $i) (i32.sub (i32.const 12) (i32.shl (local.get $j) (i32.const 2)))) (i32.const 15)))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $hl)))
      (memory.fill (i32.const ${SCRATCH + 9}) (local.get $i) (i32.const 64))
      (call $send_bytes (i32.const ${SCRATCH}) (i32.const ${4 + 5 + 64}))
      (drop (call $sys (i32.const 0x71) (i32.const 5) (i32.const 64) (i32.const 0)))
      (drop (call $await))
      ;; result_type at RESULT + 9 (wire header) + 4 (request id)
      (if (i32.ne (i32.load8_u (i32.const ${RESULT + 13})) (i32.const 1))
        (then (drop (call $sys (i32.const 3) (i32.const 1) (i32.const 0) (i32.const 0)))))
      (memory.copy (i32.const ${DATA_AT + 5}) (i32.const ${SCRATCH + 5}) (i32.const 4))
      (call $console (i32.const ${DATA_AT}) (i32.const ${line.length}))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next)))))`;
}

let wabt: Awaited<ReturnType<typeof wabtInit>> | undefined;

export async function assemble(file: string, wat: string): Promise<string> {
  wabt ??= await wabtInit();
  const mod = wabt.parseWat(file, wat, { threads: true, bulk_memory: true });
  try {
    fs.writeFileSync(file, mod.toBinary({}).buffer);
  } finally {
    mod.destroy();
  }
  return file;
}

/** The result message printed as `r<n>=`: sender, tag, and the adapter result in it. */
export function decodeResult(hex: string | undefined): {
  sender: number;
  tag: number;
  requestId: number;
  type: number;
  data: Uint8Array;
  text: string;
} {
  if (hex === undefined) throw new Error("no result line");
  const wire = decodeWireMessage(Uint8Array.from(Buffer.from(hex, "hex")));
  if (!wire) throw new Error(`not a message: ${hex}`);
  const result = decodeAdapterResult(wire.payload);
  if (!result) throw new Error(`not an adapter result: ${hex}`);
  return { sender: wire.sender, tag: wire.tag, ...result, text: new TextDecoder().decode(result.data) };
}

/** `id<n>=` as a signed number (the syscall's result). */
export function idOf(hex: string | undefined): number {
  if (hex === undefined) throw new Error("no id line");
  return Number(Buffer.from(hex, "hex").readBigInt64LE(0));
}
