// Execution contexts: in which environments may a node run? A helper of the same file runs once per
// call site (its parameters bound to that site's arguments, folded in the caller's contexts); a loop
// with constant bounds runs its body once per value of its variable. Anything we cannot enumerate
// leaves the variables unbound, so their values are unknown and nothing is concluded from them.

import ts from "typescript";
import { childEnv, ROOT_ENV, type Env, type Evaluator } from "./evaluator";
import { indexFile } from "./file-index";
import { enclosingFunction, isFunctionNode, skipOuter, type FunctionNode } from "./syntax";
import { UNKNOWN, truthy, type Value } from "./values";

const MAX_CONTEXTS = 64;
const MAX_ITERATIONS = 4096;
const MAX_ENVS = 8192;

export class Contexts {
  private readonly memo = new Map<FunctionNode, Env[]>();
  private readonly inProgress = new Set<FunctionNode>();
  private readonly loopMemo = new Map<ts.Node, boolean>();
  private readonly iterations = new Map<ts.Node, Map<Env, [ts.VariableDeclaration, Value][] | undefined>>();

  constructor(
    private readonly ev: Evaluator,
    private readonly main: FunctionNode | undefined,
    private readonly mainEnv: Env,
  ) {}

  /** Every environment `node` may run in: its function's contexts × the iterations of the
   *  enumerable loops around it (inside that function) whose guards let it run. */
  envsAt(node: ts.Node): Env[] {
    const fn = enclosingFunction(node);
    // A branch whose condition folds to false never runs (`if (DEBUG)` with `const DEBUG = false`).
    return this.loopEnvs(node, fn).filter((env) => this.reachable(node, fn, env));
  }

  private reachable(node: ts.Node, fn: FunctionNode | undefined, env: Env): boolean {
    for (let child: ts.Node = node, n = node.parent; n && n !== fn; child = n, n = n.parent) {
      const guard = guardOf(n, child);
      if (!guard) continue;
      const t = truthy(this.ev.evaluate(guard.condition, env));
      if (t !== undefined && t !== guard.need) return false;
    }
    return true;
  }

  private loopEnvs(node: ts.Node, fn: FunctionNode | undefined): Env[] {
    let envs = this.contextsOf(fn);
    const loops: ts.IterationStatement[] = [];
    for (let n = node.parent; n && n !== fn; n = n.parent)
      if (ts.isForStatement(n) || ts.isForOfStatement(n)) loops.push(n);
    if (loops.length === 0) return envs;
    loops.reverse(); // outermost first: inner bounds may depend on outer variables
    for (const loop of loops) {
      if (!this.enumerable(loop)) continue;
      const next: Env[] = [];
      for (const env of envs) {
        const iterations = this.iterate(loop, env);
        if (!iterations) {
          next.push(env);
          continue;
        }
        for (const [decl, value] of iterations) {
          const inner = childEnv(env, new Map<ts.Node, Value>([[decl, value]]));
          const guard = this.guard(node, loop, inner, decl);
          if (guard === false) continue;
          // A guard on the loop variable that we cannot decide: the value is not certain here.
          next.push(guard === undefined ? childEnv(env, new Map<ts.Node, Value>([[decl, UNKNOWN]])) : inner);
        }
        if (next.length > MAX_ENVS) return this.contextsOf(fn);
      }
      envs = next;
    }
    return envs;
  }

  /** The environments a function's body runs in. */
  contextsOf(fn: FunctionNode | undefined): Env[] {
    if (!fn) return [ROOT_ENV];
    if (fn === this.main) return [this.mainEnv];
    const memo = this.memo.get(fn);
    if (memo) return memo;
    if (this.inProgress.has(fn)) return this.unknownParams(fn); // recursion: parameters unknown
    this.inProgress.add(fn);
    let result: Env[];
    try {
      result = this.computeContexts(fn);
    } finally {
      this.inProgress.delete(fn);
    }
    this.memo.set(fn, result);
    return result;
  }

  private computeContexts(fn: FunctionNode): Env[] {
    const { sites, escapes } = this.callSites(fn);
    const envs: Env[] = [];
    for (const site of sites) {
      for (const callerEnv of this.envsAt(site)) {
        const bindings = new Map<ts.Node, Value>();
        fn.parameters.forEach((param, i) => {
          const arg = site.arguments[i];
          if (
            param.dotDotDotToken ||
            (arg && ts.isSpreadElement(arg)) ||
            site.arguments.slice(0, i).some(ts.isSpreadElement)
          ) {
            bindings.set(param, UNKNOWN);
            return;
          }
          let v: Value = arg ? this.ev.evaluate(arg, callerEnv) : { kind: "undefined" };
          if (v.kind === "undefined" && param.initializer) v = this.ev.evaluate(param.initializer, callerEnv);
          bindings.set(param, v);
        });
        envs.push(childEnv(callerEnv, bindings));
        if (envs.length > MAX_CONTEXTS) return this.unknownParams(fn);
      }
    }
    if (escapes || sites.length === 0) envs.push(...this.unknownParams(fn));
    return envs;
  }

  /** The function's enclosing contexts, its own parameters unknown (a callback, an export…). */
  private unknownParams(fn: FunctionNode): Env[] {
    const bindings = new Map<ts.Node, Value>(fn.parameters.map((p) => [p, UNKNOWN]));
    return this.contextsOf(enclosingFunction(fn)).map((env) => childEnv(env, bindings));
  }

  /** Direct calls of `fn` in its file; `escapes` when it is also used any other way. */
  callSites(fn: FunctionNode): { sites: ts.CallExpression[]; escapes: boolean } {
    const name = functionName(fn);
    if (!name) return { sites: [], escapes: true };
    const symbol = this.ev.checker.getSymbolAtLocation(name);
    if (!symbol) return { sites: [], escapes: true };
    let escapes = isExported(fn);
    const sites: ts.CallExpression[] = [];
    for (const ref of this.ev.referencesTo(symbol, name)) {
      let outer: ts.Node = ref;
      while (ts.isParenthesizedExpression(outer.parent) || ts.isNonNullExpression(outer.parent)) outer = outer.parent;
      const p = outer.parent;
      if (ts.isCallExpression(p) && p.expression === outer) sites.push(p);
      else escapes = true;
    }
    return { sites, escapes };
  }

  /** A loop whose body cannot leave early and does not change its variable. */
  private enumerable(loop: ts.ForStatement | ts.ForOfStatement | ts.IterationStatement): boolean {
    const memo = this.loopMemo.get(loop);
    if (memo !== undefined) return memo;
    let ok =
      (ts.isForStatement(loop) || ts.isForOfStatement(loop)) &&
      loopVariable(loop) !== undefined &&
      !leavesEarly(loop.statement, false);
    if (ok && ts.isForStatement(loop)) {
      const decl = loopVariable(loop)!;
      const symbol = ts.isIdentifier(decl.name) ? this.ev.checker.getSymbolAtLocation(decl.name) : undefined;
      const writes = ts.isIdentifier(decl.name)
        ? (indexFile(loop.getSourceFile()).writes.get(decl.name.text) ?? [])
        : [];
      ok =
        symbol !== undefined &&
        writes.every(
          (w) =>
            this.ev.symbolOf(w) !== symbol ||
            (loop.incrementor !== undefined && w.pos >= loop.incrementor.pos && w.end <= loop.incrementor.end),
        );
    }
    this.loopMemo.set(loop, ok);
    return ok;
  }

  /** The values the loop variable takes, in order; undefined when the bounds are not constant. */
  private iterate(loop: ts.IterationStatement, env: Env): [ts.VariableDeclaration, Value][] | undefined {
    let byEnv = this.iterations.get(loop);
    if (!byEnv) {
      byEnv = new Map();
      this.iterations.set(loop, byEnv);
    }
    if (byEnv.has(env)) return byEnv.get(env);
    const result = this.computeIterations(loop, env);
    byEnv.set(env, result);
    return result;
  }

  private computeIterations(loop: ts.IterationStatement, env: Env): [ts.VariableDeclaration, Value][] | undefined {
    const decl = loopVariable(loop);
    if (!decl) return undefined;
    if (ts.isForOfStatement(loop)) {
      const items = this.ev.evaluate(loop.expression, env);
      if (items.kind !== "array" || items.items.length > MAX_ITERATIONS) return undefined;
      return items.items.map((v) => [decl, v]);
    }
    if (!ts.isForStatement(loop) || !decl.initializer || !loop.condition || !loop.incrementor) return undefined;
    let value = this.ev.evaluate(decl.initializer, env);
    const out: [ts.VariableDeclaration, Value][] = [];
    for (;;) {
      if (value.kind !== "number") return undefined;
      const iterEnv = childEnv(env, new Map<ts.Node, Value>([[decl, value]]));
      const go = truthy(this.ev.evaluate(loop.condition, iterEnv));
      if (go === undefined) return undefined;
      if (!go) return out;
      if (out.length >= MAX_ITERATIONS) return undefined;
      out.push([decl, value]);
      value = this.step(loop.incrementor, decl, iterEnv);
    }
  }

  /** The loop variable's next value: `i++`, `i--`, `i += k`, `i -= k`, `i *= k`, `i = expr`. */
  private step(inc: ts.Expression, decl: ts.VariableDeclaration, env: Env): Value {
    const e = skipOuter(inc);
    const current = this.ev.evaluate(decl.name as ts.Identifier, env);
    if (current.kind !== "number") return UNKNOWN;
    if ((ts.isPostfixUnaryExpression(e) || ts.isPrefixUnaryExpression(e)) && isVar(e.operand, decl)) {
      if (e.operator === ts.SyntaxKind.PlusPlusToken) return { kind: "number", value: current.value + 1 };
      if (e.operator === ts.SyntaxKind.MinusMinusToken) return { kind: "number", value: current.value - 1 };
      return UNKNOWN;
    }
    if (ts.isBinaryExpression(e) && isVar(e.left, decl)) {
      const rhs = this.ev.evaluate(e.right, env);
      if (rhs.kind !== "number") return UNKNOWN;
      switch (e.operatorToken.kind) {
        case ts.SyntaxKind.PlusEqualsToken:
          return { kind: "number", value: current.value + rhs.value };
        case ts.SyntaxKind.MinusEqualsToken:
          return { kind: "number", value: current.value - rhs.value };
        case ts.SyntaxKind.AsteriskEqualsToken:
          return { kind: "number", value: current.value * rhs.value };
        case ts.SyntaxKind.LessThanLessThanEqualsToken:
          return { kind: "number", value: current.value << rhs.value };
        case ts.SyntaxKind.EqualsToken:
          return rhs;
      }
    }
    return UNKNOWN;
  }

  /** Whether the conditions between `node` and the loop body let `node` run in this iteration:
   *  false = they do not, true = they do or do not depend on the loop variable, undefined = they
   *  depend on it in a way we cannot fold. */
  private guard(
    node: ts.Node,
    loop: ts.IterationStatement,
    env: Env,
    decl: ts.VariableDeclaration,
  ): boolean | undefined {
    let result: boolean | undefined = true;
    for (let child: ts.Node = node, n = node.parent; n && n !== loop; child = n, n = n.parent) {
      const guard = guardOf(n, child);
      if (!guard || !mentions(guard.condition, decl, this.ev)) continue;
      const t = truthy(this.ev.evaluate(guard.condition, env));
      if (t === undefined) result = undefined;
      else if (t !== guard.need) return false;
    }
    return result;
  }
}

/** The condition `child` runs under inside `n` (an if, a ?:, the right of && or ||), if any. */
function guardOf(n: ts.Node, child: ts.Node): { condition: ts.Expression; need: boolean } | undefined {
  if (ts.isIfStatement(n) && child !== n.expression)
    return { condition: n.expression, need: child === n.thenStatement };
  if (ts.isConditionalExpression(n) && child !== n.condition)
    return { condition: n.condition, need: child === n.whenTrue };
  if (ts.isBinaryExpression(n) && child === n.right) {
    if (n.operatorToken.kind === ts.SyntaxKind.AmpersandAmpersandToken) return { condition: n.left, need: true };
    if (n.operatorToken.kind === ts.SyntaxKind.BarBarToken) return { condition: n.left, need: false };
  }
  return undefined;
}

function loopVariable(loop: ts.IterationStatement): ts.VariableDeclaration | undefined {
  const init = ts.isForStatement(loop) || ts.isForOfStatement(loop) ? loop.initializer : undefined;
  if (!init || !ts.isVariableDeclarationList(init) || init.declarations.length !== 1) return undefined;
  const decl = init.declarations[0];
  if (ts.isForStatement(loop) && !ts.isIdentifier(decl.name)) return undefined;
  return decl;
}

function isVar(e: ts.Expression, decl: ts.VariableDeclaration): boolean {
  const x = skipOuter(e);
  return ts.isIdentifier(x) && ts.isIdentifier(decl.name) && x.text === decl.name.text;
}

/** Whether an expression refers to the loop variable (by name, then by symbol). */
function mentions(expr: ts.Node, decl: ts.VariableDeclaration, ev: Evaluator): boolean {
  const names = new Set<string>();
  const collect = (n: ts.BindingName): void => {
    if (ts.isIdentifier(n)) names.add(n.text);
    else for (const el of n.elements) if (!ts.isOmittedExpression(el)) collect(el.name);
  };
  collect(decl.name);
  let found = false;
  const visit = (n: ts.Node): void => {
    if (found) return;
    if (ts.isIdentifier(n) && names.has(n.text)) {
      const d = ev.symbolOf(n)?.valueDeclaration;
      if (d && (d === decl || (ts.isBindingElement(d) && d.getStart() >= decl.getStart() && d.end <= decl.end)))
        found = true;
    }
    n.forEachChild(visit);
  };
  visit(expr);
  return found;
}

/** A `break`, `continue`, `return` or `throw` that can leave the loop body early. */
function leavesEarly(body: ts.Node, inNestedLoopOrSwitch: boolean): boolean {
  let found = false;
  const visit = (n: ts.Node, nested: boolean): void => {
    if (found || isFunctionNode(n) || ts.isClassLike(n)) return;
    if (ts.isReturnStatement(n) || ts.isThrowStatement(n)) found = true;
    else if (ts.isBreakStatement(n) || ts.isContinueStatement(n)) {
      if (n.label || !nested) found = true;
    }
    const nestedHere = nested || ts.isIterationStatement(n, false) || ts.isSwitchStatement(n);
    n.forEachChild((c) => visit(c, nestedHere));
  };
  visit(body, inNestedLoopOrSwitch);
  return found;
}

function functionName(fn: FunctionNode): ts.Identifier | undefined {
  if (ts.isFunctionDeclaration(fn) && fn.name) return fn.name;
  if (ts.isFunctionExpression(fn) || ts.isArrowFunction(fn)) {
    let outer: ts.Node = fn;
    while (ts.isParenthesizedExpression(outer.parent)) outer = outer.parent;
    const p = outer.parent;
    if (
      ts.isVariableDeclaration(p) &&
      p.initializer === outer &&
      ts.isIdentifier(p.name) &&
      ts.getCombinedNodeFlags(p) & ts.NodeFlags.Const
    )
      return p.name;
  }
  return undefined;
}

function isExported(fn: FunctionNode): boolean {
  let n: ts.Node = fn;
  if (!ts.isFunctionDeclaration(fn)) {
    while (n.parent && !ts.isVariableStatement(n) && !ts.isSourceFile(n)) n = n.parent;
  }
  return ts.canHaveModifiers(n) && (ts.getModifiers(n) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
}
