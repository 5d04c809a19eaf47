// What constant folding can know about an expression. Anything not certain is `unknown`: the analysis
// reports nothing it derived from an unknown value.

import type ts from "typescript";

export type Value =
  | { kind: "unknown" }
  | { kind: "number"; value: number }
  | { kind: "bigint"; value: bigint }
  | { kind: "string"; value: string }
  | { kind: "boolean"; value: boolean }
  | { kind: "undefined" }
  | { kind: "null" }
  /** An object literal. `open` objects (with a spread of something unknown) answer unknown for a
   *  missing property instead of undefined. */
  | { kind: "object"; props: ReadonlyMap<string, Value>; open: boolean }
  | { kind: "array"; items: readonly Value[] }
  /** `new Uint8Array(n)` and friends: only the length matters (DMA write lengths). */
  | { kind: "bytes"; length: number }
  /** The first parameter of the driver's main: projecting any name gives that capability's handle. */
  | { kind: "handles" }
  /** A capability handle, by its manifest name (declared or not). */
  | { kind: "handle"; cap: string }
  /** `ring.bytes` / `ring.view`: direct views of a DMA buffer. */
  | { kind: "dma-view"; cap: string; view: "bytes" | "view" }
  | { kind: "enum"; declaration: ts.EnumDeclaration }
  | { kind: "module"; symbol: ts.Symbol }
  | { kind: "function"; declaration: ts.SignatureDeclaration };

export const UNKNOWN: Value = { kind: "unknown" };

export const num = (value: number): Value => ({ kind: "number", value });
export const str = (value: string): Value => ({ kind: "string", value });

export function asNumber(v: Value): number | undefined {
  return v.kind === "number" ? v.value : undefined;
}

export function asString(v: Value): string | undefined {
  return v.kind === "string" ? v.value : undefined;
}

/** Every capability handle reachable in a value (objects nest). */
export function handlesIn(v: Value, out: Set<string> = new Set()): Set<string> {
  switch (v.kind) {
    case "handle":
    case "dma-view":
      out.add(v.cap);
      break;
    case "object":
      for (const p of v.props.values()) handlesIn(p, out);
      break;
    case "array":
      for (const item of v.items) handlesIn(item, out);
      break;
  }
  return out;
}

/** JS truthiness when it is known. */
export function truthy(v: Value): boolean | undefined {
  switch (v.kind) {
    case "number":
      return v.value !== 0 && !Number.isNaN(v.value);
    case "bigint":
      return v.value !== 0n;
    case "string":
      return v.value !== "";
    case "boolean":
      return v.value;
    case "undefined":
    case "null":
      return false;
    case "object":
    case "array":
    case "bytes":
    case "handles":
    case "handle":
    case "dma-view":
    case "enum":
    case "module":
    case "function":
      return true;
    case "unknown":
      return undefined;
  }
}

export function hex(n: number): string {
  return n < 0 ? `-0x${(-n).toString(16)}` : `0x${n.toString(16)}`;
}
