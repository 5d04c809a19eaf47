// Where the driver's handles go. Starting from main's first parameter, follow every reference:
// through destructuring and renaming, into local objects, into helper functions of the same file
// (by parameter), down to the calls that use them. Each use is one of:
//   an access  `regs.write32(off, v)`, `ring.bytes[i] = b`, `irq.wait()`   → checked by the rules
//   a field    `regs.size`                                                 → used, no right exercised
//   an escape  passed to the SDK or anything we do not follow              → used, extent unknown
// Least-privilege claims are only made for capabilities with no escape.

import ts from "typescript";
import type { Env, Evaluator } from "./evaluator";
import type { Contexts } from "./contexts";
import { DATAVIEW_METHODS, FIELDS, kindsWithMethod, METHODS, type MethodInfo } from "./handle-methods";
import type { CapKind, Manifest } from "./manifest-reader";
import { isTransparentWrapper, skipOuter, type FunctionNode } from "./syntax";
import { handlesIn, type Value } from "./values";

export interface AccessUse {
  /** The access expression: a call, or `ring.bytes[i]`. */
  node: ts.CallExpression | ts.ElementAccessExpression;
  cap: string;
  /** As written: "write32", "bytes[]", "bytes.set", "view.getUint32". */
  method: string;
  /** The kind whose method this is (for an undeclared or mismatched handle); undefined if none. */
  methodKind?: CapKind;
  info?: MethodInfo;
  offset?: ts.Expression | "zero";
  length?: ts.Expression;
  lengthFromData?: boolean;
  /** One environment the access runs in. */
  env: Env;
}

export interface HandleRef {
  node: ts.Expression;
  caps: ReadonlySet<string>;
}

export interface Flow {
  accesses: AccessUse[];
  refs: HandleRef[];
  /** Capabilities referenced at all. */
  touched: Set<string>;
  /** Capabilities used in ways we do not follow. */
  escaped: Set<string>;
  /** Some expression that may hold a handle could not be folded: usage claims are off. */
  incomplete: boolean;
}

const MAX_SYMBOLS = 2000;

export function traceHandles(manifest: Manifest, main: FunctionNode, ev: Evaluator, contexts: Contexts): Flow {
  return new Tracer(manifest, ev, contexts).run(main);
}

class Tracer {
  private readonly flow: Flow = { accesses: [], refs: [], touched: new Set(), escaped: new Set(), incomplete: false };
  private readonly queue: ts.Identifier[] = [];
  private readonly seen = new Set<ts.Symbol>();

  constructor(
    private readonly manifest: Manifest,
    private readonly ev: Evaluator,
    private readonly contexts: Contexts,
  ) {}

  run(main: FunctionNode): Flow {
    const param = main.parameters[0];
    if (param) this.enqueueNames(param.name);
    while (this.queue.length > 0) {
      const name = this.queue.shift()!;
      const symbol = this.ev.checker.getSymbolAtLocation(name);
      if (!symbol || this.seen.has(symbol)) continue;
      if (this.seen.size > MAX_SYMBOLS) {
        this.flow.incomplete = true;
        break;
      }
      this.seen.add(symbol);
      for (const ref of this.ev.referencesTo(symbol, name)) this.walk(ref, this.contexts.envsAt(ref));
    }
    return this.flow;
  }

  private enqueueNames(name: ts.BindingName): void {
    if (ts.isIdentifier(name)) this.queue.push(name);
    else for (const el of name.elements) if (!ts.isOmittedExpression(el)) this.enqueueNames(el.name);
  }

  /** Follow one expression that may hold handles up to where its value goes. */
  private walk(expr: ts.Expression, envs: readonly Env[]): void {
    const values = envs.map((env) => this.ev.evaluate(expr, env));
    const caps = new Set<string>();
    for (const v of values) {
      // A reference to a variable that may hold a handle, and we cannot say what it holds: some use
      // of some capability is not traced. (A projection that folds to unknown is a non-handle value.)
      if (v.kind === "unknown" && ts.isIdentifier(expr)) this.flow.incomplete = true;
      this.capsIn(v, caps);
    }
    if (caps.size === 0) return;
    for (const c of caps) this.flow.touched.add(c);
    this.flow.refs.push({ node: expr, caps });
    const p = expr.parent;
    if (isTransparentWrapper(p)) return this.walk(p, envs);
    if (ts.isPropertyAccessExpression(p) && p.expression === expr) return this.member(p, envs, values);
    if (ts.isElementAccessExpression(p) && p.expression === expr) return this.element(p, envs, values);
    if (ts.isVariableDeclaration(p) && p.initializer === expr) return this.enqueueNames(p.name);
    if (
      (ts.isPropertyAssignment(p) && p.initializer === expr) ||
      (ts.isShorthandPropertyAssignment(p) && p.name === expr) ||
      ts.isSpreadAssignment(p)
    ) {
      return this.walk(p.parent, envs);
    }
    if (ts.isArrayLiteralExpression(p)) return this.walk(p, envs);
    if (ts.isConditionalExpression(p) && p.condition !== expr) return this.walk(p, envs);
    if (ts.isBinaryExpression(p) && p.right === expr && isLogical(p.operatorToken.kind)) return this.walk(p, envs);
    if ((ts.isCallExpression(p) || ts.isNewExpression(p)) && p.expression !== expr)
      return this.argument(p, expr, values);
    if (
      ts.isExpressionStatement(p) ||
      ts.isIfStatement(p) ||
      ts.isWhileStatement(p) ||
      ts.isTypeOfExpression(p) ||
      ts.isVoidExpression(p)
    )
      return;
    if (ts.isBinaryExpression(p) && isComparison(p.operatorToken.kind)) return;
    this.escape(values);
  }

  private member(p: ts.PropertyAccessExpression, envs: readonly Env[], values: readonly Value[]): void {
    const name = p.name.text;
    const call = ts.isCallExpression(p.parent) && p.parent.expression === p ? p.parent : undefined;
    const onward: Env[] = [];
    envs.forEach((env, i) => {
      const v = values[i];
      if (v.kind === "handle") {
        if (call) this.access(call, v.cap, name, env);
        else if (name === "bytes" || name === "view") onward.push(env);
        else if (!FIELDS.has(name)) this.escape([v]);
      } else if (v.kind === "dma-view") {
        const method =
          v.view === "view"
            ? DATAVIEW_METHODS[name]
            : name === "set"
              ? ({ effect: "write", lengthFromData: true } satisfies MethodInfo)
              : undefined;
        if (call && method) {
          const dataArg = v.view === "bytes" ? call.arguments[0] : undefined;
          const offset = v.view === "bytes" ? (call.arguments[1] ?? "zero") : call.arguments[0];
          this.record({
            node: call,
            cap: v.cap,
            method: `${v.view}.${name}`,
            methodKind: "dma",
            info: method,
            offset,
            length: dataArg,
            lengthFromData: v.view === "bytes",
            env,
          });
        } else if (!(name === "length" || name === "byteLength" || name === "byteOffset")) {
          this.escape([v]);
        }
      } else if (v.kind === "object" || v.kind === "handles" || v.kind === "array") {
        if (call) {
          if (this.capsIn(this.ev.project(v, name)).size > 0) this.escape([v]);
        } else {
          onward.push(env);
        }
      } else if (v.kind !== "unknown") {
        if (this.capsIn(v).size > 0) this.escape([v]);
      }
    });
    if (onward.length > 0) this.walk(p, onward);
  }

  private element(p: ts.ElementAccessExpression, envs: readonly Env[], values: readonly Value[]): void {
    const onward: Env[] = [];
    envs.forEach((env, i) => {
      const v = values[i];
      if (v.kind === "dma-view" && v.view === "bytes") {
        const write = isAssignmentTarget(p);
        this.record({
          node: p,
          cap: v.cap,
          method: "bytes[]",
          methodKind: "dma",
          info: { effect: write ? "write" : "read", width: 1 },
          offset: p.argumentExpression,
          env,
        });
      } else if (v.kind === "object" || v.kind === "array" || v.kind === "handles") {
        onward.push(env);
      } else {
        this.escape([v]);
      }
    });
    if (onward.length > 0) this.walk(p, onward);
  }

  private access(call: ts.CallExpression, cap: string, method: string, env: Env): void {
    const decl = this.manifest.caps.get(cap);
    const own = decl?.kind ? METHODS[decl.kind][method] : undefined;
    const methodKind = own ? decl!.kind : kindsWithMethod(method)[0];
    const info = own ?? (methodKind ? METHODS[methodKind][method] : undefined);
    if (!info) {
      // Not a method of any handle (`regs.toString()`): we do not know what it does.
      this.flow.escaped.add(cap);
      return;
    }
    const offset = info.offsetArg !== undefined ? call.arguments[info.offsetArg] : undefined;
    const length = info.lengthArg !== undefined ? call.arguments[info.lengthArg] : undefined;
    this.record({
      node: call,
      cap,
      method,
      methodKind,
      info,
      offset,
      length,
      lengthFromData: info.lengthFromData,
      env,
    });
  }

  private record(use: AccessUse): void {
    this.flow.accesses.push(use);
  }

  /** A handle passed as an argument: into a helper of this file (followed), or away (escape). */
  private argument(call: ts.CallExpression | ts.NewExpression, arg: ts.Expression, values: readonly Value[]): void {
    const target = ts.isCallExpression(call) ? localFunction(call.expression, this.ev) : undefined;
    const index = call.arguments?.indexOf(arg as ts.Expression) ?? -1;
    if (!target || index < 0 || ts.isSpreadElement(arg)) return this.escape(values);
    const param = target.parameters[index];
    if (!param) return; // an argument the function never reads
    if (param.dotDotDotToken) return this.escape(values);
    this.enqueueNames(param.name);
  }

  /** The capabilities a value holds; main's whole handles object holds them all. */
  private capsIn(v: Value, out: Set<string> = new Set()): Set<string> {
    if (v.kind === "handles") for (const name of this.manifest.caps.keys()) out.add(name);
    else if (v.kind === "object") for (const p of v.props.values()) this.capsIn(p, out);
    else if (v.kind === "array") for (const item of v.items) this.capsIn(item, out);
    else handlesIn(v, out);
    return out;
  }

  private escape(values: readonly Value[]): void {
    for (const v of values) {
      for (const c of this.capsIn(v)) {
        this.flow.escaped.add(c);
        this.flow.touched.add(c);
      }
    }
  }
}

/** A function of the same file that `callee` names (a declaration or a const arrow/function). */
export function localFunction(callee: ts.Expression, ev: Evaluator): FunctionNode | undefined {
  const e = skipOuter(callee);
  if (!ts.isIdentifier(e)) return undefined;
  const decl = ev.symbolOf(e)?.valueDeclaration;
  if (!decl || decl.getSourceFile() !== e.getSourceFile()) return undefined;
  if (ts.isFunctionDeclaration(decl) && decl.body) return decl;
  if (ts.isVariableDeclaration(decl) && decl.initializer && ts.getCombinedNodeFlags(decl) & ts.NodeFlags.Const) {
    const f = skipOuter(decl.initializer);
    if (ts.isArrowFunction(f) || ts.isFunctionExpression(f)) return f;
  }
  return undefined;
}

function isLogical(kind: ts.SyntaxKind): boolean {
  return (
    kind === ts.SyntaxKind.AmpersandAmpersandToken ||
    kind === ts.SyntaxKind.BarBarToken ||
    kind === ts.SyntaxKind.QuestionQuestionToken
  );
}

function isComparison(kind: ts.SyntaxKind): boolean {
  return (
    kind === ts.SyntaxKind.EqualsEqualsEqualsToken ||
    kind === ts.SyntaxKind.ExclamationEqualsEqualsToken ||
    kind === ts.SyntaxKind.EqualsEqualsToken ||
    kind === ts.SyntaxKind.ExclamationEqualsToken
  );
}

function isAssignmentTarget(e: ts.Expression): boolean {
  let n: ts.Node = e;
  while (ts.isParenthesizedExpression(n.parent)) n = n.parent;
  const p = n.parent;
  if (
    ts.isBinaryExpression(p) &&
    p.left === n &&
    p.operatorToken.kind >= ts.SyntaxKind.FirstAssignment &&
    p.operatorToken.kind <= ts.SyntaxKind.LastAssignment
  )
    return true;
  return (
    (ts.isPrefixUnaryExpression(p) || ts.isPostfixUnaryExpression(p)) &&
    (p.operator === ts.SyntaxKind.PlusPlusToken || p.operator === ts.SyntaxKind.MinusMinusToken)
  );
}
