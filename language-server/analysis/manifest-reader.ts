// Finding a driver's manifest (`defineDriver({...})`) and reading it by constant folding, keeping
// the syntax nodes each part came from: diagnostics point at them and quick fixes edit them.

import ts from "typescript";
import type { Rights } from "../../kernel/abi";
import type { Evaluator } from "./evaluator";
import { ROOT_ENV } from "./evaluator";
import { isFunctionNode, skipOuter, staticName, type FunctionNode } from "./syntax";
import { UNKNOWN, type Value } from "./values";

export type CapKind = "mmio" | "ports" | "irq" | "dma" | "serve" | "client";
export const CAP_KINDS: readonly CapKind[] = ["mmio", "ports", "irq", "dma", "serve", "client"];

export interface CapDecl {
  name: string;
  /** The entry in the caps literal (a property assignment, or the spread it came from). */
  node: ts.Node;
  /** Where to point at the capability's name. */
  nameNode: ts.Node;
  kind?: CapKind;
  size?: number;
  first?: number;
  last?: number;
  /** Undefined when the rights cannot be folded; "rw" when the manifest leaves them out. */
  rights?: Rights;
  service?: string;
  /** `mmio({ … })` / `ports({ … })` written in place: its options literal, for fixes. */
  options?: ts.ObjectLiteralExpression;
  /** The option properties written in place, by name. */
  fields: Partial<Record<"size" | "first" | "last" | "rights", ts.PropertyAssignment>>;
}

export type DeviceBinding =
  | { kind: "virtio"; id: number; index?: number }
  | { kind: "ports"; first: number; last: number }
  /** `{ type: "e1000" }`: a device of that kind (not virtio). */
  | { kind: "type"; type: string; index?: number }
  | { kind: "none" }
  | { kind: "unknown" };

export interface Manifest {
  call: ts.CallExpression;
  /** The object literal given to defineDriver, when there is one. */
  literal?: ts.ObjectLiteralExpression;
  capsLiteral?: ts.ObjectLiteralExpression;
  /** Every capability's name is known (no spread of something we cannot fold). */
  capsComplete: boolean;
  caps: Map<string, CapDecl>;
  device: DeviceBinding;
  deviceNode?: ts.Node;
  nameNode?: ts.Node;
  main?: FunctionNode;
  /** The whole manifest as plain data, when every value in it is known (for validateManifest). */
  plain?: unknown;
}

/** Every `defineDriver(...)` call of a file. Matched by name: an SDK the checker cannot resolve (a
 *  driver outside any project) must still be checked, and nothing else is called defineDriver. */
export function findDefineDriverCalls(calls: readonly (ts.CallExpression | ts.NewExpression)[]): ts.CallExpression[] {
  return calls.filter((c): c is ts.CallExpression => {
    if (!ts.isCallExpression(c)) return false;
    const callee = skipOuter(c.expression);
    const name = ts.isIdentifier(callee)
      ? callee.text
      : ts.isPropertyAccessExpression(callee)
        ? callee.name.text
        : undefined;
    return name === "defineDriver";
  });
}

export function readManifest(call: ts.CallExpression, ev: Evaluator): Manifest {
  const literal = literalOf(call.arguments[0], ev);
  const manifest: Manifest = { call, literal, capsComplete: false, caps: new Map(), device: { kind: "unknown" } };
  if (!literal) return manifest;
  let nameValue: Value = UNKNOWN;
  let deviceValue: Value = { kind: "undefined" };
  let capsValue: Value = UNKNOWN;
  let sawCaps = false;
  let open = false;
  for (const p of literal.properties) {
    const key =
      ts.isPropertyAssignment(p) || ts.isShorthandPropertyAssignment(p) || ts.isMethodDeclaration(p)
        ? staticName(p.name)
        : undefined;
    if (key === undefined) {
      open = true;
      continue;
    }
    if (key === "main") {
      manifest.main = mainFunction(p, ev);
      continue;
    }
    const valueNode = ts.isPropertyAssignment(p)
      ? p.initializer
      : ts.isShorthandPropertyAssignment(p)
        ? p.name
        : undefined;
    if (!valueNode) continue;
    if (key === "name") {
      nameValue = ev.evaluate(valueNode, ROOT_ENV);
      manifest.nameNode = p;
    } else if (key === "device") {
      deviceValue = ev.evaluate(valueNode, ROOT_ENV);
      manifest.deviceNode = p;
    } else if (key === "caps") {
      sawCaps = true;
      capsValue = readCaps(manifest, p, valueNode, ev);
    }
  }
  manifest.device = open && !manifest.deviceNode ? { kind: "unknown" } : deviceBinding(deviceValue);
  if (!sawCaps) manifest.capsComplete = !open;
  const plain = toPlain({
    kind: "object",
    props: new Map<string, Value>([
      ["name", nameValue],
      ["device", deviceValue],
      ["caps", capsValue],
    ]),
    open,
  });
  if (plain !== NOT_CONSTANT) manifest.plain = plain;
  return manifest;
}

/** Follow an expression to the object literal it is (through consts), if it is one. */
function literalOf(expr: ts.Expression | undefined, ev: Evaluator, depth = 0): ts.ObjectLiteralExpression | undefined {
  if (!expr || depth > 8) return undefined;
  const e = skipOuter(expr);
  if (ts.isObjectLiteralExpression(e)) return e;
  if (ts.isIdentifier(e)) {
    const decl = ev.symbolOf(e)?.valueDeclaration;
    if (
      decl &&
      ts.isVariableDeclaration(decl) &&
      decl.initializer &&
      ts.getCombinedNodeFlags(decl) & ts.NodeFlags.Const
    )
      return literalOf(decl.initializer, ev, depth + 1);
  }
  return undefined;
}

function callOf(expr: ts.Expression, ev: Evaluator, depth = 0): ts.CallExpression | undefined {
  if (depth > 8) return undefined;
  const e = skipOuter(expr);
  if (ts.isCallExpression(e)) return e;
  if (ts.isIdentifier(e)) {
    const decl = ev.symbolOf(e)?.valueDeclaration;
    if (
      decl &&
      ts.isVariableDeclaration(decl) &&
      decl.initializer &&
      ts.getCombinedNodeFlags(decl) & ts.NodeFlags.Const
    )
      return callOf(decl.initializer, ev, depth + 1);
  }
  return undefined;
}

function mainFunction(p: ts.ObjectLiteralElementLike, ev: Evaluator): FunctionNode | undefined {
  if (ts.isMethodDeclaration(p)) return p;
  const init = ts.isPropertyAssignment(p)
    ? skipOuter(p.initializer)
    : ts.isShorthandPropertyAssignment(p)
      ? p.name
      : undefined;
  if (!init) return undefined;
  if (isFunctionNode(init)) return init;
  if (ts.isIdentifier(init)) {
    const decl = ev.symbolOf(init)?.valueDeclaration;
    if (decl && ts.isFunctionDeclaration(decl)) return decl;
    if (decl && ts.isVariableDeclaration(decl) && decl.initializer) {
      const f = skipOuter(decl.initializer);
      if (isFunctionNode(f)) return f;
    }
  }
  return undefined;
}

function readCaps(
  manifest: Manifest,
  prop: ts.ObjectLiteralElementLike,
  valueNode: ts.Expression,
  ev: Evaluator,
): Value {
  const capsLiteral = literalOf(valueNode, ev);
  const whole = ev.evaluate(valueNode, ROOT_ENV);
  if (!capsLiteral) {
    // Not written in place: fold it, and point every capability at the `caps:` property.
    if (whole.kind === "object") {
      for (const [name, v] of whole.props) manifest.caps.set(name, capDecl(name, prop, prop, v, undefined, ev));
      manifest.capsComplete = !whole.open;
    }
    return whole;
  }
  manifest.capsLiteral = capsLiteral;
  let complete = true;
  for (const p of capsLiteral.properties) {
    if (ts.isPropertyAssignment(p) || ts.isShorthandPropertyAssignment(p)) {
      const name = staticName(p.name);
      if (name === undefined) {
        complete = false;
        continue;
      }
      const init = ts.isPropertyAssignment(p) ? p.initializer : p.name;
      manifest.caps.set(name, capDecl(name, p, p.name, ev.evaluate(init, ROOT_ENV), callOf(init, ev), ev));
    } else if (ts.isSpreadAssignment(p)) {
      const spread = ev.evaluate(p.expression, ROOT_ENV);
      if (spread.kind !== "object" || spread.open) complete = false;
      if (spread.kind === "object")
        for (const [name, v] of spread.props) manifest.caps.set(name, capDecl(name, p, p, v, undefined, ev));
    } else {
      complete = false;
    }
  }
  manifest.capsComplete = complete;
  return whole;
}

function capDecl(
  name: string,
  node: ts.Node,
  nameNode: ts.Node,
  value: Value,
  call: ts.CallExpression | undefined,
  ev: Evaluator,
): CapDecl {
  const decl: CapDecl = { name, node, nameNode, fields: {} };
  if (value.kind !== "object") return decl;
  const field = (k: string): Value => value.props.get(k) ?? (value.open ? UNKNOWN : { kind: "undefined" });
  const kind = field("kind");
  if (kind.kind === "string" && (CAP_KINDS as readonly string[]).includes(kind.value))
    decl.kind = kind.value as CapKind;
  const number = (k: string): number | undefined => {
    const v = field(k);
    return v.kind === "number" ? v.value : undefined;
  };
  decl.size = number("size");
  decl.first = number("first");
  decl.last = number("last");
  const rights = field("rights");
  if (rights.kind === "undefined") decl.rights = "rw";
  else if (rights.kind === "string" && (rights.value === "r" || rights.value === "w" || rights.value === "rw"))
    decl.rights = rights.value;
  const service = field("service");
  if (service.kind === "string") decl.service = service.value;
  const options = call && call.arguments[0] ? skipOuter(call.arguments[0]) : undefined;
  if (options && ts.isObjectLiteralExpression(options) && ev.sdkExportName(call!.expression) !== undefined) {
    decl.options = options;
    for (const p of options.properties) {
      const k = ts.isPropertyAssignment(p) ? staticName(p.name) : undefined;
      if (ts.isPropertyAssignment(p) && (k === "size" || k === "first" || k === "last" || k === "rights"))
        decl.fields[k] = p;
    }
  }
  return decl;
}

function deviceBinding(v: Value): DeviceBinding {
  if (v.kind === "undefined") return { kind: "none" };
  if (v.kind !== "object") return { kind: "unknown" };
  const virtio = v.props.get("virtio");
  if (virtio) {
    const index = v.props.get("index");
    if (virtio.kind !== "number" || (index && index.kind !== "number" && index.kind !== "undefined"))
      return { kind: "unknown" };
    return index && index.kind === "number"
      ? { kind: "virtio", id: virtio.value, index: index.value }
      : { kind: "virtio", id: virtio.value };
  }
  const type = v.props.get("type");
  if (type) {
    const index = v.props.get("index");
    if (type.kind !== "string" || (index && index.kind !== "number" && index.kind !== "undefined"))
      return { kind: "unknown" };
    return index && index.kind === "number"
      ? { kind: "type", type: type.value, index: index.value }
      : { kind: "type", type: type.value };
  }
  const ports = v.props.get("ports");
  if (ports && ports.kind === "object") {
    const first = ports.props.get("first");
    const last = ports.props.get("last");
    if (first?.kind === "number" && last?.kind === "number")
      return { kind: "ports", first: first.value, last: last.value };
  }
  return { kind: "unknown" };
}

const NOT_CONSTANT = Symbol("not constant");

/** A folded value as plain JSON-like data, or NOT_CONSTANT if any part of it is unknown. */
function toPlain(v: Value): unknown {
  switch (v.kind) {
    case "number":
    case "string":
    case "boolean":
      return v.value;
    case "undefined":
      return undefined;
    case "null":
      return null;
    case "object": {
      if (v.open) return NOT_CONSTANT;
      const out: Record<string, unknown> = {};
      for (const [k, p] of v.props) {
        const plain = toPlain(p);
        if (plain === NOT_CONSTANT) return NOT_CONSTANT;
        if (plain !== undefined) out[k] = plain;
      }
      return out;
    }
    case "array": {
      const out: unknown[] = [];
      for (const item of v.items) {
        const plain = toPlain(item);
        if (plain === NOT_CONSTANT) return NOT_CONSTANT;
        out.push(plain);
      }
      return out;
    }
    default:
      return NOT_CONSTANT;
  }
}
