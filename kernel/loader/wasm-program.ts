// Loads a Zero OS WASM program (a `.wasm` file): checks that it is a valid module shaped the way
// Zero OS's worker runs it (zero-os-abi.md §1.2, §2) before anything starts, so a wrong module is a
// load error naming the file rather than a fault deep inside a worker. WebAssembly.Module.imports()
// does not report memory limits, the shared flag or function signatures, so the import, function,
// type and export sections are read here directly.

import fs from "node:fs";
import path from "node:path";
import { validateManifest, type DriverManifest } from "../abi/manifest";
import type { WasmImage } from "../worker/wasm-runtime";
import { wasmApi } from "../worker/wasm-api";

/** Optional custom section carrying a ZDS manifest (JSON) for modules that need capabilities. */
export const MANIFEST_SECTION = "zds.manifest";

type ValType = number;
interface FuncType {
  params: ValType[];
  results: ValType[];
}

const I32 = 0x7f;
const I64 = 0x7e;
const sig = (params: ValType[], results: ValType[]): FuncType => ({ params, results });

/** The five host functions of §2 with their exact WASM types. */
const HOST_FUNCTIONS: Record<string, FuncType> = {
  zos_syscall: sig([I32, I32, I32, I32], [I64]),
  zos_send_bytes: sig([I32, I32], []),
  zos_recv_bytes: sig([I32, I32], [I32]),
  zos_yield: sig([], []),
  zos_get_pid: sig([], [I32]),
};
const WASM_BINDGEN_NAMESPACES = new Set(["__wbindgen_placeholder__", "__wbindgen_externref_xform__"]);
const VALTYPE_NAMES: Record<number, string> = {
  0x7f: "i32",
  0x7e: "i64",
  0x7d: "f32",
  0x7c: "f64",
  0x7b: "v128",
  0x70: "funcref",
  0x6f: "externref",
};
const KIND_NAMES = ["function", "table", "memory", "global", "tag"];

const showType = (t: FuncType): string =>
  `(${t.params.map((v) => VALTYPE_NAMES[v] ?? `0x${v.toString(16)}`).join(", ")}) → (${t.results.map((v) => VALTYPE_NAMES[v] ?? `0x${v.toString(16)}`).join(", ")})`;
const sameType = (a: FuncType, b: FuncType): boolean =>
  a.params.length === b.params.length &&
  a.results.length === b.results.length &&
  a.params.every((v, i) => v === b.params[i]) &&
  a.results.every((v, i) => v === b.results[i]);

class Reader {
  pos = 0;
  constructor(
    readonly bytes: Uint8Array,
    readonly end = bytes.length,
  ) {}
  byte(): number {
    if (this.pos >= this.end) throw new Error("truncated section");
    return this.bytes[this.pos++];
  }
  /** Unsigned LEB128, up to 32 bits (enough for every count, index and memory32 limit). */
  u32(): number {
    let result = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const b = this.byte();
      result += (b & 0x7f) * 2 ** shift;
      if (!(b & 0x80)) return result;
    }
    throw new Error("malformed LEB128");
  }
  name(): string {
    const len = this.u32();
    const start = this.pos;
    this.pos += len;
    if (this.pos > this.end) throw new Error("truncated name");
    return new TextDecoder().decode(this.bytes.subarray(start, this.pos));
  }
  limits(): { min: number; max?: number; shared: boolean; memory64: boolean } {
    const flags = this.byte();
    const min = this.u32();
    const max = flags & 1 ? this.u32() : undefined;
    return { min, max, shared: (flags & 2) !== 0, memory64: (flags & 4) !== 0 };
  }
}

interface ImportEntry {
  module: string;
  name: string;
  kind: number;
  type?: FuncType;
  limits?: ReturnType<Reader["limits"]>;
}

interface ModuleShape {
  imports: ImportEntry[];
  exports: Map<string, { kind: number; type?: FuncType }>;
  customs: Map<string, Uint8Array>;
}

/** Read the sections this loader needs from a module WebAssembly.validate already accepted. */
function readShape(bytes: Uint8Array): ModuleShape {
  const r = new Reader(bytes);
  r.pos = 8; // magic + version, checked by WebAssembly.validate
  const types: FuncType[] = [];
  const funcTypes: number[] = []; // type index of every function: imported ones first
  const imports: ImportEntry[] = [];
  const exports = new Map<string, { kind: number; type?: FuncType }>();
  const customs = new Map<string, Uint8Array>();
  const rawExports: { name: string; kind: number; index: number }[] = [];
  while (r.pos < bytes.length) {
    const id = r.byte();
    const size = r.u32();
    const end = r.pos + size;
    const s = new Reader(bytes, end);
    s.pos = r.pos;
    if (id === 0) {
      const name = s.name();
      customs.set(name, bytes.subarray(s.pos, end));
    } else if (id === 1) {
      for (let n = s.u32(); n > 0; n--) {
        if (s.byte() !== 0x60) throw new Error("unexpected type form");
        const params = Array.from({ length: s.u32() }, () => s.byte());
        const results = Array.from({ length: s.u32() }, () => s.byte());
        types.push({ params, results });
      }
    } else if (id === 2) {
      for (let n = s.u32(); n > 0; n--) {
        const entry: ImportEntry = { module: s.name(), name: s.name(), kind: s.byte() };
        if (entry.kind === 0) {
          const t = s.u32();
          funcTypes.push(t);
          entry.type = types[t];
        } else if (entry.kind === 1) {
          s.byte();
          s.limits();
        } else if (entry.kind === 2) {
          entry.limits = s.limits();
        } else if (entry.kind === 3) {
          s.byte();
          s.byte();
        } else {
          s.byte();
          s.u32();
        }
        imports.push(entry);
      }
    } else if (id === 3) {
      for (let n = s.u32(); n > 0; n--) funcTypes.push(s.u32());
    } else if (id === 7) {
      for (let n = s.u32(); n > 0; n--) rawExports.push({ name: s.name(), kind: s.byte(), index: s.u32() });
    }
    r.pos = end;
  }
  for (const e of rawExports)
    exports.set(e.name, { kind: e.kind, type: e.kind === 0 ? types[funcTypes[e.index]] : undefined });
  return { imports, exports, customs };
}

/** A name Init accepts (1–64 of A–Z a–z 0–9 . _ -, starting alphanumeric), made from the file name. */
export function wasmProgramName(file: string): string {
  const base = path
    .basename(file, path.extname(file))
    .replace(/[^A-Za-z0-9._-]/g, "-")
    .replace(/^[^A-Za-z0-9]+/, "")
    .slice(0, 64);
  return base || "wasm";
}

/**
 * Read and check a `.wasm` program. Throws an Error whose message names the file and what is wrong;
 * the caller wraps it in its own load-error type.
 */
export function loadWasmImage(file: string, shown: string): WasmImage {
  const bytes = new Uint8Array(fs.readFileSync(file));
  const problem = (what: string) => new Error(`${shown}: not a Zero OS WASM program: ${what}`);
  if (!wasmApi.validate(bytes)) {
    let reason = "the bytes are not a valid WebAssembly module";
    try {
      new wasmApi.Module(bytes);
    } catch (error) {
      if (error instanceof Error) reason = `${reason} (${error.message})`;
    }
    throw new Error(`${shown}: ${reason}`);
  }
  let shape: ModuleShape;
  try {
    shape = readShape(bytes);
  } catch (error) {
    throw problem(`cannot read its sections (${error instanceof Error ? error.message : String(error)})`);
  }

  let memory: WasmImage["memory"] | undefined;
  for (const imp of shape.imports) {
    const where = `import "${imp.module}"."${imp.name}"`;
    if (imp.module === "env" && imp.name === "memory") {
      const l = imp.limits;
      if (imp.kind !== 2 || !l)
        throw problem(`${where} must be a memory, not a ${KIND_NAMES[imp.kind] ?? "kind " + imp.kind}`);
      if (l.memory64) throw problem(`${where} is a 64-bit memory; Zero OS processes use 32-bit memory`);
      if (!l.shared || l.max === undefined)
        throw problem(
          `${where} must be shared memory with a maximum (e.g. (memory 32 64 shared)), as Zero OS's worker provides`,
        );
      memory = { initial: l.min, maximum: l.max };
      continue;
    }
    if (imp.module === "env" && imp.name in HOST_FUNCTIONS) {
      const want = HOST_FUNCTIONS[imp.name];
      if (imp.kind !== 0 || !imp.type) throw problem(`${where} must be a function`);
      if (!sameType(imp.type, want))
        throw problem(`${where} has type ${showType(imp.type)}; Zero OS's host function is ${showType(want)}`);
      continue;
    }
    // wasm-bindgen glue the shipped binaries import; the runtime stubs it (a call faults).
    if (WASM_BINDGEN_NAMESPACES.has(imp.module) && imp.kind === 0) continue;
    throw problem(
      `unknown ${where} (a Zero OS process may import env.memory and env.${Object.keys(HOST_FUNCTIONS).join(", env.")})`,
    );
  }
  if (!memory) {
    const own = [...shape.exports.values()].some((e) => e.kind === 2);
    throw problem(`it does not import env.memory as shared memory${own ? " (it defines its own memory)" : ""}`);
  }

  const start = shape.exports.get("_start");
  if (!start || start.kind !== 0) throw problem(`it does not export a _start function`);
  if (start.type && (start.type.params.length !== 0 || start.type.results.length !== 0))
    throw problem(`_start has type ${showType(start.type)}; it must be () → ()`);
  const init = shape.exports.get("__zero_rt_init");
  if (init && (init.kind !== 0 || !init.type || init.type.params.length !== 1 || init.type.params[0] !== I32)) {
    throw problem(`__zero_rt_init must be a function taking one i32`);
  }

  const name = wasmProgramName(file);
  let manifest: DriverManifest = { name, caps: {} };
  const section = shape.customs.get(MANIFEST_SECTION);
  if (section) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(section));
    } catch {
      throw problem(`its "${MANIFEST_SECTION}" custom section is not UTF-8 JSON`);
    }
    const merged =
      typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) ? { name, caps: {}, ...parsed } : parsed;
    const checked = validateManifest(merged);
    if (!checked.ok)
      throw new Error(
        `${shown}: invalid manifest in the "${MANIFEST_SECTION}" section:\n  - ${checked.errors.join("\n  - ")}`,
      );
    manifest = checked.manifest;
  }
  return { bytes, manifestJson: JSON.stringify(manifest), memory };
}
