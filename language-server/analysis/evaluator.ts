// Constant folding over the TypeScript AST: literals, consts (also imported ones, from the SDK and
// from other workspace files), enums, `as const` objects and arrays, arithmetic, and values bound by
// an environment (the loop variable of a loop with constant bounds, a helper's parameter at one call
// site, the driver's handles). Anything else is `unknown`; nothing is guessed.

import ts from "typescript";
import { indexFile } from "./file-index";
import { skipOuter, staticName } from "./syntax";
import { UNKNOWN, num, str, truthy, type Value } from "./values";

/** Values bound in one execution context: parameters and loop variables, by declaration node. */
export interface Env {
  readonly bindings: ReadonlyMap<ts.Node, Value>;
  readonly parent?: Env;
}

export const ROOT_ENV: Env = { bindings: new Map() };

export function childEnv(parent: Env, bindings: ReadonlyMap<ts.Node, Value>): Env {
  return { bindings, parent };
}

export interface EvaluatorHost {
  readonly checker: ts.TypeChecker;
  /** Fields of a handle the manifest fixes (`regs.size`, `ports.first`); unknown otherwise. */
  handleField(cap: string, field: string): Value;
}

const MAX_DEPTH = 200;
/** Array methods that change the array: a const array passed to one of these is not folded. */
const MUTATORS = new Set(["push", "pop", "shift", "unshift", "splice", "sort", "reverse", "fill", "copyWithin", "set"]);
/** Globals folded by name (only when not shadowed by a declaration of the program). */
const GLOBAL_VALUES: Readonly<Record<string, Value>> = {
  undefined: { kind: "undefined" },
  NaN: num(NaN),
  Infinity: num(Infinity),
};

export class Evaluator {
  private readonly topLevel = new Map<ts.Node, Value>();
  private readonly inProgress = new Set<ts.Node>();
  private readonly mutated = new Map<ts.Symbol, boolean>();
  private readonly written = new Map<ts.Symbol, boolean>();
  private readonly symbols = new Map<ts.Identifier, ts.Symbol | undefined>();
  private readonly referenceGroups = new Map<ts.SourceFile, Map<string, Map<ts.Symbol, ts.Identifier[]>>>();
  private readonly globals = new Map<ts.Identifier, string | undefined>();
  private readonly raw = new Map<ts.Identifier, ts.Symbol | undefined>();
  private depth = 0;

  constructor(private readonly host: EvaluatorHost) {}

  get checker(): ts.TypeChecker {
    return this.host.checker;
  }

  evaluate(node: ts.Expression, env: Env): Value {
    if (this.depth > MAX_DEPTH) return UNKNOWN;
    this.depth++;
    try {
      return this.evaluateInner(node, env);
    } catch {
      // A malformed tree (half-typed code) must never take the server down: we just know nothing.
      return UNKNOWN;
    } finally {
      this.depth--;
    }
  }

  private evaluateInner(node: ts.Expression, env: Env): Value {
    const e = skipOuter(node);
    switch (e.kind) {
      case ts.SyntaxKind.NumericLiteral:
        return num(Number((e as ts.NumericLiteral).text));
      case ts.SyntaxKind.BigIntLiteral:
        return bigintOf((e as ts.BigIntLiteral).text);
      case ts.SyntaxKind.StringLiteral:
      case ts.SyntaxKind.NoSubstitutionTemplateLiteral:
        return str((e as ts.StringLiteral).text);
      case ts.SyntaxKind.TrueKeyword:
        return { kind: "boolean", value: true };
      case ts.SyntaxKind.FalseKeyword:
        return { kind: "boolean", value: false };
      case ts.SyntaxKind.NullKeyword:
        return { kind: "null" };
      case ts.SyntaxKind.TemplateExpression:
        return this.template(e as ts.TemplateExpression, env);
      case ts.SyntaxKind.Identifier:
        return this.identifier(e as ts.Identifier, env);
      case ts.SyntaxKind.PropertyAccessExpression: {
        const pa = e as ts.PropertyAccessExpression;
        if (pa.questionDotToken) return UNKNOWN;
        return this.project(this.evaluate(pa.expression, env), pa.name.text);
      }
      case ts.SyntaxKind.ElementAccessExpression: {
        const ea = e as ts.ElementAccessExpression;
        const key = this.evaluate(ea.argumentExpression, env);
        if (key.kind !== "number" && key.kind !== "string") return UNKNOWN;
        return this.project(this.evaluate(ea.expression, env), key.value);
      }
      case ts.SyntaxKind.PrefixUnaryExpression:
        return this.prefix(e as ts.PrefixUnaryExpression, env);
      case ts.SyntaxKind.BinaryExpression:
        return this.binary(e as ts.BinaryExpression, env);
      case ts.SyntaxKind.ConditionalExpression: {
        const c = e as ts.ConditionalExpression;
        const t = truthy(this.evaluate(c.condition, env));
        if (t === undefined) return UNKNOWN;
        return this.evaluate(t ? c.whenTrue : c.whenFalse, env);
      }
      case ts.SyntaxKind.ObjectLiteralExpression:
        return this.object(e as ts.ObjectLiteralExpression, env);
      case ts.SyntaxKind.ArrayLiteralExpression:
        return this.array(e as ts.ArrayLiteralExpression, env);
      case ts.SyntaxKind.CallExpression:
        return this.call(e as ts.CallExpression, env);
      case ts.SyntaxKind.NewExpression:
        return this.newExpression(e as ts.NewExpression, env);
      case ts.SyntaxKind.ArrowFunction:
      case ts.SyntaxKind.FunctionExpression:
        return { kind: "function", declaration: e as ts.ArrowFunction };
      default:
        return UNKNOWN;
    }
  }

  /** The symbol an identifier refers to, aliases (imports, re-exports) resolved. Memoised: the
   *  checker's name resolution dominates the analysis's time otherwise. */
  symbolOf(id: ts.Identifier): ts.Symbol | undefined {
    if (this.symbols.has(id)) return this.symbols.get(id);
    const symbol = this.resolveSymbol(id);
    this.symbols.set(id, symbol);
    return symbol;
  }

  /** References of a name in a file, grouped by the symbol they resolve to. */
  referencesTo(symbol: ts.Symbol, name: ts.Identifier): readonly ts.Identifier[] {
    const sf = name.getSourceFile();
    let byName = this.referenceGroups.get(sf);
    if (!byName) {
      byName = new Map();
      this.referenceGroups.set(sf, byName);
    }
    let groups = byName.get(name.text);
    if (!groups) {
      groups = new Map();
      for (const ref of indexFile(sf).references.get(name.text) ?? []) {
        const s = this.symbolOf(ref);
        if (!s) continue;
        const list = groups.get(s);
        if (list) list.push(ref);
        else groups.set(s, [ref]);
      }
      byName.set(name.text, groups);
    }
    return groups.get(symbol) ?? [];
  }

  private resolveSymbol(id: ts.Identifier): ts.Symbol | undefined {
    const checker = this.host.checker;
    let symbol =
      ts.isShorthandPropertyAssignment(id.parent) && id.parent.name === id
        ? checker.getShorthandAssignmentValueSymbol(id.parent)
        : this.rawSymbol(id);
    if (symbol && symbol.flags & ts.SymbolFlags.Alias) {
      try {
        symbol = checker.getAliasedSymbol(symbol);
      } catch {
        return undefined;
      }
    }
    return symbol;
  }

  /** For a global (Math, Number, Object, Uint8Array…): its name, unless the program shadows it. */
  globalName(id: ts.Identifier): string | undefined {
    if (this.globals.has(id)) return this.globals.get(id);
    const symbol = this.rawSymbol(id);
    const decl = symbol?.declarations?.[0];
    const name = !symbol || (decl && decl.getSourceFile().hasNoDefaultLib) ? id.text : undefined;
    this.globals.set(id, name);
    return name;
  }

  /** The checker's symbol for an identifier, aliases not resolved (memoised like symbolOf). */
  rawSymbol(id: ts.Identifier): ts.Symbol | undefined {
    const key = this.raw.get(id);
    if (key !== undefined || this.raw.has(id)) return key;
    const symbol = this.host.checker.getSymbolAtLocation(id);
    this.raw.set(id, symbol);
    return symbol;
  }

  /** When `expr` names an export of the driver SDK (`mmio`, `sdk.VirtioReg`…), that export's name. */
  sdkExportName(expr: ts.Expression): string | undefined {
    const e = skipOuter(expr);
    if (ts.isIdentifier(e)) {
      const decl = this.rawSymbol(e)?.declarations?.[0];
      if (decl && ts.isImportSpecifier(decl) && isSdkSpecifier(decl.parent.parent.parent.moduleSpecifier))
        return (decl.propertyName ?? decl.name).text;
      const resolved = this.symbolOf(e);
      const rdecl = resolved?.declarations?.[0];
      if (resolved && rdecl && isSdkFile(rdecl.getSourceFile().fileName)) return resolved.name;
      return undefined;
    }
    if (ts.isPropertyAccessExpression(e) && ts.isIdentifier(e.expression)) {
      const decl = this.rawSymbol(e.expression)?.declarations?.[0];
      if (decl && ts.isNamespaceImport(decl) && isSdkSpecifier(decl.parent.parent.moduleSpecifier)) return e.name.text;
    }
    return undefined;
  }

  private identifier(id: ts.Identifier, env: Env): Value {
    const symbol = this.symbolOf(id);
    if (!symbol) return GLOBAL_VALUES[id.text] ?? UNKNOWN;
    return this.valueOfSymbol(symbol, env);
  }

  valueOfSymbol(symbol: ts.Symbol, env: Env): Value {
    const decl = symbol.valueDeclaration ?? symbol.declarations?.[0];
    if (!decl) return UNKNOWN;
    if (ts.isSourceFile(decl)) return { kind: "module", symbol };
    if (ts.isEnumDeclaration(decl)) return { kind: "enum", declaration: decl };
    if (ts.isEnumMember(decl)) return this.enumMember(decl);
    if (ts.isFunctionDeclaration(decl)) return { kind: "function", declaration: decl };
    if (decl.getSourceFile().hasNoDefaultLib) return GLOBAL_VALUES[symbol.name] ?? UNKNOWN;
    if (ts.isParameter(decl) || ts.isBindingElement(decl) || ts.isVariableDeclaration(decl))
      return this.declaration(decl, symbol, env);
    return UNKNOWN;
  }

  /** The value of a variable, parameter or binding element in `env`. */
  private declaration(
    decl: ts.ParameterDeclaration | ts.BindingElement | ts.VariableDeclaration,
    symbol: ts.Symbol,
    env: Env,
  ): Value {
    const bound = lookup(env, decl);
    if (bound) return bound;
    if (ts.isParameter(decl)) return UNKNOWN;
    if (ts.isBindingElement(decl)) {
      const list = declarationListOf(decl);
      if (list && !(list.flags & ts.NodeFlags.Const) && ts.isIdentifier(decl.name) && this.isWritten(symbol, decl.name))
        return UNKNOWN;
      return this.bindingElement(decl, env);
    }
    if (!isConstLike(decl) && ts.isIdentifier(decl.name) && this.isWritten(symbol, decl.name)) return UNKNOWN;
    const value = this.initialValue(decl, env);
    if (
      (value.kind === "object" || value.kind === "array") &&
      ts.isIdentifier(decl.name) &&
      this.isMutated(symbol, decl.name)
    )
      return UNKNOWN;
    return value;
  }

  /** One element of a destructuring: the owner's value, projected by the element's key. */
  private bindingElement(el: ts.BindingElement, env: Env): Value {
    const bound = lookup(env, el);
    if (bound) return bound;
    if (el.dotDotDotToken) return UNKNOWN;
    const pattern = el.parent;
    const owner = pattern.parent;
    let whole: Value;
    if (ts.isBindingElement(owner)) whole = this.bindingElement(owner, env);
    else if (ts.isParameter(owner)) whole = lookup(env, owner) ?? UNKNOWN;
    else if (ts.isVariableDeclaration(owner)) whole = this.initialValue(owner, env);
    else return UNKNOWN;
    const key = ts.isArrayBindingPattern(pattern)
      ? pattern.elements.indexOf(el)
      : staticName(el.propertyName ?? el.name);
    if (key === undefined) return UNKNOWN;
    const v = this.project(whole, key);
    if (v.kind === "undefined" && el.initializer) return this.evaluate(el.initializer, env);
    return v;
  }

  /** A variable declaration's initializer, folded (cached for module-level declarations). */
  private initialValue(decl: ts.VariableDeclaration, env: Env): Value {
    const bound = lookup(env, decl);
    if (bound) return bound;
    const statement = decl.parent.parent;
    // Loop variables have values only through an environment (see contexts.ts).
    if (ts.isForOfStatement(statement) || ts.isForInStatement(statement) || ts.isForStatement(statement))
      return UNKNOWN;
    if (!decl.initializer) return UNKNOWN;
    const topLevel = isTopLevel(decl);
    if (topLevel) {
      const cached = this.topLevel.get(decl);
      if (cached) return cached;
    }
    if (this.inProgress.has(decl)) return UNKNOWN; // a cycle (also across files): not a constant
    this.inProgress.add(decl);
    let value: Value;
    try {
      value = this.evaluate(decl.initializer, topLevel ? ROOT_ENV : env);
    } finally {
      this.inProgress.delete(decl);
    }
    if (topLevel) this.topLevel.set(decl, value);
    return value;
  }

  /** A `let`/`var` that is assigned somewhere after its declaration is not a constant. */
  private isWritten(symbol: ts.Symbol, name: ts.Identifier): boolean {
    const known = this.written.get(symbol);
    if (known !== undefined) return known;
    const writes = indexFile(name.getSourceFile()).writes.get(name.text) ?? [];
    const result = writes.some((w) => this.symbolOf(w) === symbol);
    this.written.set(symbol, result);
    return result;
  }

  /** An object or array whose properties are assigned or that is passed to a mutating method. */
  private isMutated(symbol: ts.Symbol, name: ts.Identifier): boolean {
    const known = this.mutated.get(symbol);
    if (known !== undefined) return known;
    let result = false;
    {
      const index = indexFile(name.getSourceFile());
      const text = name.text;
      result = (index.propertyWrites.get(text) ?? []).some((w) => this.symbolOf(w) === symbol);
      if (!result) {
        result = (index.references.get(text) ?? []).some((r) => {
          const p = r.parent;
          return (
            ts.isPropertyAccessExpression(p) &&
            p.expression === r &&
            MUTATORS.has(p.name.text) &&
            this.symbolOf(r) === symbol
          );
        });
      }
    }
    this.mutated.set(symbol, result);
    return result;
  }

  private enumMember(member: ts.EnumMember): Value {
    const cached = this.topLevel.get(member);
    if (cached) return cached;
    if (this.inProgress.has(member)) return UNKNOWN;
    this.inProgress.add(member);
    let value: Value;
    try {
      if (member.initializer) {
        value = this.evaluate(member.initializer, ROOT_ENV);
      } else {
        const members = member.parent.members;
        const i = members.indexOf(member);
        if (i === 0) value = num(0);
        else {
          const previous = this.enumMember(members[i - 1]);
          value = previous.kind === "number" ? num(previous.value + 1) : UNKNOWN;
        }
      }
    } finally {
      this.inProgress.delete(member);
    }
    this.topLevel.set(member, value);
    return value;
  }

  /** `value.key` / `value[key]`. */
  project(value: Value, key: string | number): Value {
    switch (value.kind) {
      case "object": {
        const p = value.props.get(String(key));
        return p ?? (value.open ? UNKNOWN : { kind: "undefined" });
      }
      case "array":
        if (key === "length") return num(value.items.length);
        if (typeof key === "number" || /^\d+$/.test(key)) {
          const i = Number(key);
          return i < value.items.length ? value.items[i] : { kind: "undefined" };
        }
        return UNKNOWN;
      case "string":
        return key === "length" ? num(value.value.length) : UNKNOWN;
      case "bytes":
        return key === "length" || key === "byteLength" ? num(value.length) : UNKNOWN;
      case "handles":
        return typeof key === "string" ? { kind: "handle", cap: key } : UNKNOWN;
      case "handle":
        if (key === "bytes" || key === "view") return { kind: "dma-view", cap: value.cap, view: key };
        return typeof key === "string" ? this.host.handleField(value.cap, key) : UNKNOWN;
      case "enum": {
        const member = value.declaration.members.find((m) => staticName(m.name) === String(key));
        return member ? this.enumMember(member) : UNKNOWN;
      }
      case "module": {
        try {
          const exported = this.host.checker.getExportsOfModule(value.symbol).find((s) => s.name === String(key));
          if (!exported) return UNKNOWN;
          const target =
            exported.flags & ts.SymbolFlags.Alias ? this.host.checker.getAliasedSymbol(exported) : exported;
          return this.valueOfSymbol(target, ROOT_ENV);
        } catch {
          return UNKNOWN;
        }
      }
      default:
        return UNKNOWN;
    }
  }

  private template(t: ts.TemplateExpression, env: Env): Value {
    let text = t.head.text;
    for (const span of t.templateSpans) {
      const v = this.evaluate(span.expression, env);
      if (v.kind !== "number" && v.kind !== "string" && v.kind !== "boolean" && v.kind !== "bigint") return UNKNOWN;
      text += String(v.value) + span.literal.text;
    }
    return str(text);
  }

  private prefix(e: ts.PrefixUnaryExpression, env: Env): Value {
    if (e.operator === ts.SyntaxKind.PlusPlusToken || e.operator === ts.SyntaxKind.MinusMinusToken) return UNKNOWN;
    const v = this.evaluate(e.operand, env);
    switch (e.operator) {
      case ts.SyntaxKind.ExclamationToken: {
        const t = truthy(v);
        return t === undefined ? UNKNOWN : { kind: "boolean", value: !t };
      }
      case ts.SyntaxKind.MinusToken:
        return v.kind === "number"
          ? num(-v.value)
          : v.kind === "bigint"
            ? { kind: "bigint", value: -v.value }
            : UNKNOWN;
      case ts.SyntaxKind.PlusToken:
        return v.kind === "number" ? v : UNKNOWN;
      case ts.SyntaxKind.TildeToken:
        return v.kind === "number"
          ? num(~v.value)
          : v.kind === "bigint"
            ? { kind: "bigint", value: ~v.value }
            : UNKNOWN;
      default:
        return UNKNOWN;
    }
  }

  private binary(e: ts.BinaryExpression, env: Env): Value {
    const op = e.operatorToken.kind;
    if (
      op === ts.SyntaxKind.AmpersandAmpersandToken ||
      op === ts.SyntaxKind.BarBarToken ||
      op === ts.SyntaxKind.QuestionQuestionToken
    ) {
      const left = this.evaluate(e.left, env);
      if (op === ts.SyntaxKind.QuestionQuestionToken) {
        if (left.kind === "unknown") return UNKNOWN;
        return left.kind === "undefined" || left.kind === "null" ? this.evaluate(e.right, env) : left;
      }
      const t = truthy(left);
      if (t === undefined) return UNKNOWN;
      if (op === ts.SyntaxKind.AmpersandAmpersandToken) return t ? this.evaluate(e.right, env) : left;
      return t ? left : this.evaluate(e.right, env);
    }
    if (op === ts.SyntaxKind.CommaToken) return this.evaluate(e.right, env);
    if (op >= ts.SyntaxKind.FirstAssignment && op <= ts.SyntaxKind.LastAssignment) return UNKNOWN;
    return foldBinary(op, this.evaluate(e.left, env), this.evaluate(e.right, env));
  }

  private object(o: ts.ObjectLiteralExpression, env: Env): Value {
    const props = new Map<string, Value>();
    let open = false;
    for (const p of o.properties) {
      if (ts.isPropertyAssignment(p)) {
        const name = this.propertyName(p.name, env);
        if (name === undefined) open = true;
        else props.set(name, this.evaluate(p.initializer, env));
      } else if (ts.isShorthandPropertyAssignment(p)) {
        props.set(p.name.text, this.evaluate(p.name, env));
      } else if (ts.isSpreadAssignment(p)) {
        const spread = this.evaluate(p.expression, env);
        if (spread.kind === "object") {
          for (const [k, v] of spread.props) props.set(k, v);
          open ||= spread.open;
        } else {
          open = true;
        }
      } else if (ts.isMethodDeclaration(p)) {
        const name = this.propertyName(p.name, env);
        if (name !== undefined) props.set(name, { kind: "function", declaration: p });
      } else {
        open = true;
      }
    }
    return { kind: "object", props, open };
  }

  private propertyName(name: ts.PropertyName, env: Env): string | undefined {
    const s = staticName(name);
    if (s !== undefined) return s;
    if (ts.isComputedPropertyName(name)) {
      const v = this.evaluate(name.expression, env);
      if (v.kind === "string" || v.kind === "number") return String(v.value);
    }
    return undefined;
  }

  private array(a: ts.ArrayLiteralExpression, env: Env): Value {
    const items: Value[] = [];
    for (const el of a.elements) {
      if (ts.isSpreadElement(el)) {
        const spread = this.evaluate(el.expression, env);
        if (spread.kind !== "array") return UNKNOWN;
        items.push(...spread.items);
      } else if (ts.isOmittedExpression(el)) {
        items.push({ kind: "undefined" });
      } else {
        items.push(this.evaluate(el, env));
      }
    }
    return { kind: "array", items };
  }

  private call(c: ts.CallExpression, env: Env): Value {
    if (c.questionDotToken) return UNKNOWN;
    const callee = skipOuter(c.expression);
    const args = (): Value[] => c.arguments.map((a) => (ts.isSpreadElement(a) ? UNKNOWN : this.evaluate(a, env)));
    const capKind = this.sdkExportName(callee);
    if (capKind !== undefined) return capSpec(capKind, args());
    if (ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression)) {
      const global = this.globalName(callee.expression);
      if (global !== undefined) return foldGlobalCall(global, callee.name.text, args());
    }
    if (ts.isIdentifier(callee)) {
      const global = this.globalName(callee);
      if (global === "Number" || global === "BigInt" || global === "String" || global === "Boolean")
        return foldConversion(global, args()[0] ?? UNKNOWN);
    }
    return UNKNOWN;
  }

  private newExpression(n: ts.NewExpression, env: Env): Value {
    if (!ts.isIdentifier(n.expression)) return UNKNOWN;
    const global = this.globalName(n.expression);
    if (global !== "Uint8Array" && global !== "Int8Array" && global !== "Uint8ClampedArray") return UNKNOWN;
    const arg = n.arguments?.[0];
    if (!arg) return { kind: "bytes", length: 0 };
    const v = this.evaluate(arg, env);
    if (v.kind === "number" && Number.isInteger(v.value) && v.value >= 0) return { kind: "bytes", length: v.value };
    if (v.kind === "array") return { kind: "bytes", length: v.items.length };
    if (v.kind === "bytes") return v;
    return UNKNOWN;
  }
}

function lookup(env: Env, decl: ts.Node): Value | undefined {
  for (let e: Env | undefined = env; e; e = e.parent) {
    const v = e.bindings.get(decl);
    if (v) return v;
  }
  return undefined;
}

function declarationListOf(el: ts.BindingElement): ts.VariableDeclarationList | undefined {
  let n: ts.Node = el;
  while (ts.isBindingElement(n) || ts.isObjectBindingPattern(n) || ts.isArrayBindingPattern(n)) n = n.parent;
  return ts.isVariableDeclaration(n) && ts.isVariableDeclarationList(n.parent) ? n.parent : undefined;
}

function isConstLike(decl: ts.VariableDeclaration): boolean {
  return (ts.getCombinedNodeFlags(decl) & ts.NodeFlags.Const) !== 0;
}

function isTopLevel(decl: ts.Node): boolean {
  for (let n = decl.parent; n; n = n.parent) {
    if (ts.isSourceFile(n)) return true;
    if (ts.isFunctionLike(n) || ts.isClassLike(n) || ts.isBlock(n) || ts.isModuleBlock(n)) return false;
  }
  return true;
}

function bigintOf(text: string): Value {
  try {
    return { kind: "bigint", value: BigInt(text.replace(/n$/, "").replace(/_/g, "")) };
  } catch {
    return UNKNOWN;
  }
}

export function isSdkSpecifier(specifier: ts.Expression): boolean {
  return (
    ts.isStringLiteral(specifier) &&
    (specifier.text === "@zds/sdk" || /(^|\/)drivers\/sdk(\/index(\.ts)?)?$/.test(specifier.text))
  );
}

export function isSdkFile(fileName: string): boolean {
  return /[\\/]drivers[\\/]sdk[\\/]/.test(fileName);
}

/** The manifest constructors, folded to the plain data they return (drivers/sdk/manifest.ts). */
function capSpec(name: string, args: Value[]): Value {
  const opts = args[0] ?? UNKNOWN;
  const field = (key: string): Value =>
    (opts.kind === "object" ? (opts.props.get(key) ?? (opts.open ? UNKNOWN : undefined)) : UNKNOWN) ?? UNKNOWN;
  const object = (entries: [string, Value][]): Value => ({
    kind: "object",
    props: new Map(entries.filter(([, v]) => v.kind !== "undefined")),
    open: false,
  });
  const optional = (key: string): Value =>
    opts.kind === "object" && !opts.props.has(key) && !opts.open ? { kind: "undefined" } : field(key);
  switch (name) {
    case "mmio":
      return object([
        ["kind", str("mmio")],
        ["size", field("size")],
        ["rights", optional("rights")],
      ]);
    case "ports":
      return object([
        ["kind", str("ports")],
        ["first", field("first")],
        ["last", field("last")],
        ["rights", optional("rights")],
      ]);
    case "irq":
      return object([["kind", str("irq")]]);
    case "dma":
      return object([
        ["kind", str("dma")],
        ["size", field("size")],
      ]);
    case "serve":
    case "client":
      return object([
        ["kind", str(name)],
        ["service", opts],
      ]);
    default:
      return UNKNOWN;
  }
}

function foldConversion(name: string, v: Value): Value {
  if (v.kind === "unknown") return UNKNOWN;
  const primitive =
    v.kind === "number" || v.kind === "string" || v.kind === "boolean" || v.kind === "bigint" ? v.value : undefined;
  if (primitive === undefined) return UNKNOWN;
  try {
    if (name === "Number") return num(Number(primitive));
    if (name === "BigInt")
      return typeof primitive === "number" && !Number.isInteger(primitive)
        ? UNKNOWN
        : { kind: "bigint", value: BigInt(primitive) };
    if (name === "String") return str(String(primitive));
    return { kind: "boolean", value: Boolean(primitive) };
  } catch {
    return UNKNOWN;
  }
}

function foldGlobalCall(global: string, method: string, args: Value[]): Value {
  const nums = args.map((a) => (a.kind === "number" ? a.value : undefined));
  const allNumbers = nums.every((n) => n !== undefined) ? (nums as number[]) : undefined;
  if (global === "Math" && allNumbers) {
    switch (method) {
      case "min":
        return num(Math.min(...allNumbers));
      case "max":
        return num(Math.max(...allNumbers));
      case "floor":
      case "ceil":
      case "trunc":
      case "abs":
      case "round":
      case "log2":
        return allNumbers.length === 1 ? num(Math[method](allNumbers[0])) : UNKNOWN;
    }
  }
  if (
    global === "Object" &&
    (method === "values" || method === "keys") &&
    args[0]?.kind === "object" &&
    !args[0].open
  ) {
    const o = args[0];
    return { kind: "array", items: method === "values" ? [...o.props.values()] : [...o.props.keys()].map(str) };
  }
  if (global === "Number" && method === "parseInt" && args[0]?.kind === "string") {
    const radix = args[1]?.kind === "number" ? args[1].value : undefined;
    return num(Number.parseInt(args[0].value, radix));
  }
  return UNKNOWN;
}

function foldBinary(op: ts.SyntaxKind, l: Value, r: Value): Value {
  const K = ts.SyntaxKind;
  const bool = (value: boolean): Value => ({ kind: "boolean", value });
  const primitive = (
    v: Value,
  ): v is Extract<Value, { value: unknown }> & { kind: "number" | "string" | "boolean" | "bigint" } =>
    v.kind === "number" || v.kind === "string" || v.kind === "boolean" || v.kind === "bigint";
  if (
    op === K.EqualsEqualsEqualsToken ||
    op === K.ExclamationEqualsEqualsToken ||
    op === K.EqualsEqualsToken ||
    op === K.ExclamationEqualsToken
  ) {
    const neg = op === K.ExclamationEqualsEqualsToken || op === K.ExclamationEqualsToken;
    if (primitive(l) && primitive(r)) {
      const loose = op === K.EqualsEqualsToken || op === K.ExclamationEqualsToken;
      // eslint-disable-next-line eqeqeq
      const eq = loose ? l.value == r.value : l.value === r.value;
      return bool(neg ? !eq : eq);
    }
    const nullish = (v: Value) => v.kind === "undefined" || v.kind === "null";
    if ((nullish(l) || primitive(l)) && (nullish(r) || primitive(r))) {
      const eq =
        op === K.EqualsEqualsToken || op === K.ExclamationEqualsToken ? nullish(l) && nullish(r) : l.kind === r.kind;
      return bool(neg ? !eq : eq);
    }
    return UNKNOWN;
  }
  if (op === K.PlusToken && (l.kind === "string" || r.kind === "string")) {
    if (primitive(l) && primitive(r)) return str(String(l.value) + String(r.value));
    return UNKNOWN;
  }
  if (l.kind === "number" && r.kind === "number") {
    const a = l.value;
    const b = r.value;
    switch (op) {
      case K.PlusToken:
        return num(a + b);
      case K.MinusToken:
        return num(a - b);
      case K.AsteriskToken:
        return num(a * b);
      case K.SlashToken:
        return num(a / b);
      case K.PercentToken:
        return num(a % b);
      case K.AsteriskAsteriskToken:
        return num(a ** b);
      case K.LessThanLessThanToken:
        return num(a << b);
      case K.GreaterThanGreaterThanToken:
        return num(a >> b);
      case K.GreaterThanGreaterThanGreaterThanToken:
        return num(a >>> b);
      case K.AmpersandToken:
        return num(a & b);
      case K.BarToken:
        return num(a | b);
      case K.CaretToken:
        return num(a ^ b);
      case K.LessThanToken:
        return bool(a < b);
      case K.LessThanEqualsToken:
        return bool(a <= b);
      case K.GreaterThanToken:
        return bool(a > b);
      case K.GreaterThanEqualsToken:
        return bool(a >= b);
      default:
        return UNKNOWN;
    }
  }
  if (l.kind === "bigint" && r.kind === "bigint") {
    const a = l.value;
    const b = r.value;
    try {
      switch (op) {
        case K.PlusToken:
          return { kind: "bigint", value: a + b };
        case K.MinusToken:
          return { kind: "bigint", value: a - b };
        case K.AsteriskToken:
          return { kind: "bigint", value: a * b };
        case K.SlashToken:
          return { kind: "bigint", value: a / b };
        case K.PercentToken:
          return { kind: "bigint", value: a % b };
        case K.LessThanLessThanToken:
          return { kind: "bigint", value: a << b };
        case K.GreaterThanGreaterThanToken:
          return { kind: "bigint", value: a >> b };
        case K.AmpersandToken:
          return { kind: "bigint", value: a & b };
        case K.BarToken:
          return { kind: "bigint", value: a | b };
        case K.CaretToken:
          return { kind: "bigint", value: a ^ b };
        case K.LessThanToken:
          return bool(a < b);
        case K.LessThanEqualsToken:
          return bool(a <= b);
        case K.GreaterThanToken:
          return bool(a > b);
        case K.GreaterThanEqualsToken:
          return bool(a >= b);
        default:
          return UNKNOWN;
      }
    } catch {
      return UNKNOWN; // division by zero
    }
  }
  if (l.kind === "string" && r.kind === "string") {
    switch (op) {
      case K.LessThanToken:
        return bool(l.value < r.value);
      case K.GreaterThanToken:
        return bool(l.value > r.value);
      default:
        return UNKNOWN;
    }
  }
  return UNKNOWN;
}
