// One walk over a source file collecting what later passes look up by name: identifiers in value
// positions, and identifiers that are written to. Keyed by the SourceFile object, so the index is
// built once per version of a file; and made of one part per top-level statement, keyed by the
// statement node. After an edit the compiler's incremental parser hands back the statements the
// edit did not touch as the same node objects (positions shifted), so only the edited statement
// (the function being typed in) is walked again and the file's index is the parts joined.

import ts from "typescript";

export interface FileIndex {
  /** Identifiers read as values (not declaration names, property names or types), by text. */
  readonly references: ReadonlyMap<string, readonly ts.Identifier[]>;
  /** Identifiers assigned to (`x = …`, `x += …`, `x++`, destructuring assignment targets), by text. */
  readonly writes: ReadonlyMap<string, readonly ts.Identifier[]>;
  /** Roots of property writes (`x.a = …`, `x[i] = …`, `delete x.a`), by text. */
  readonly propertyWrites: ReadonlyMap<string, readonly ts.Identifier[]>;
  /** Every call and `new` expression, in source order. */
  readonly calls: readonly (ts.CallExpression | ts.NewExpression)[];
  /** Every element access (for `ring.bytes[i]`). */
  readonly elementAccesses: readonly ts.ElementAccessExpression[];
}

interface Part {
  references: Map<string, ts.Identifier[]>;
  writes: Map<string, ts.Identifier[]>;
  propertyWrites: Map<string, ts.Identifier[]>;
  calls: (ts.CallExpression | ts.NewExpression)[];
  elementAccesses: ts.ElementAccessExpression[];
}

const cache = new WeakMap<ts.SourceFile, FileIndex>();
const parts = new WeakMap<ts.Node, Part>();
/** Top-level statements walked (not found in the part cache) since the process started: the tests
 *  read it to see that an edit re-indexes only what it touched. */
export const indexStats = { statementsWalked: 0 };

export function indexFile(sourceFile: ts.SourceFile): FileIndex {
  const cached = cache.get(sourceFile);
  if (cached) return cached;
  const references = new Map<string, ts.Identifier[]>();
  const writes = new Map<string, ts.Identifier[]>();
  const propertyWrites = new Map<string, ts.Identifier[]>();
  const calls: (ts.CallExpression | ts.NewExpression)[] = [];
  const elementAccesses: ts.ElementAccessExpression[] = [];
  const join = (into: Map<string, ts.Identifier[]>, from: Map<string, ts.Identifier[]>): void => {
    for (const [name, ids] of from) {
      const list = into.get(name);
      if (list) for (const id of ids) list.push(id);
      else into.set(name, ids.slice());
    }
  };
  for (const statement of sourceFile.statements) {
    let part = parts.get(statement);
    if (!part) {
      part = indexNode(statement);
      parts.set(statement, part);
      indexStats.statementsWalked++;
    }
    join(references, part.references);
    join(writes, part.writes);
    join(propertyWrites, part.propertyWrites);
    for (const c of part.calls) calls.push(c);
    for (const e of part.elementAccesses) elementAccesses.push(e);
  }
  const index: FileIndex = { references, writes, propertyWrites, calls, elementAccesses };
  cache.set(sourceFile, index);
  return index;
}

/** The index of one top-level statement (its whole subtree). */
function indexNode(root: ts.Node): Part {
  const references = new Map<string, ts.Identifier[]>();
  const writes = new Map<string, ts.Identifier[]>();
  const propertyWrites = new Map<string, ts.Identifier[]>();
  const calls: (ts.CallExpression | ts.NewExpression)[] = [];
  const elementAccesses: ts.ElementAccessExpression[] = [];
  const add = (map: Map<string, ts.Identifier[]>, id: ts.Identifier): void => {
    const list = map.get(id.text);
    if (list) list.push(id);
    else map.set(id.text, [id]);
  };
  const markWritten = (target: ts.Expression): void => {
    const t = skipParens(target);
    if (ts.isIdentifier(t)) add(writes, t);
    else if (ts.isPropertyAccessExpression(t) || ts.isElementAccessExpression(t)) {
      const root = rootIdentifier(t);
      if (root) add(propertyWrites, root);
    } else if (ts.isObjectLiteralExpression(t)) {
      for (const p of t.properties) {
        if (ts.isShorthandPropertyAssignment(p)) add(writes, p.name);
        else if (ts.isPropertyAssignment(p)) markWritten(p.initializer);
        else if (ts.isSpreadAssignment(p)) markWritten(p.expression);
      }
    } else if (ts.isArrayLiteralExpression(t)) {
      for (const e of t.elements) markWritten(ts.isSpreadElement(e) ? e.expression : e);
    } else if (ts.isBinaryExpression(t) && t.operatorToken.kind === ts.SyntaxKind.EqualsToken) {
      markWritten(t.left); // a default in a destructuring assignment
    }
  };
  const visit = (node: ts.Node): void => {
    const kind = node.kind;
    // Types hold no values (a kind-range test: this walk visits every node of the file).
    if (kind >= ts.SyntaxKind.FirstTypeNode && kind <= ts.SyntaxKind.LastTypeNode) return;
    if (
      kind === ts.SyntaxKind.InterfaceDeclaration ||
      kind === ts.SyntaxKind.TypeAliasDeclaration ||
      kind === ts.SyntaxKind.ImportDeclaration ||
      kind === ts.SyntaxKind.ExportDeclaration
    )
      return;
    if (ts.isIdentifier(node)) {
      if (isValuePosition(node)) add(references, node);
      return;
    }
    if (ts.isCallExpression(node) || ts.isNewExpression(node)) calls.push(node);
    else if (ts.isElementAccessExpression(node)) elementAccesses.push(node);
    if (ts.isBinaryExpression(node) && isAssignmentOperator(node.operatorToken.kind)) markWritten(node.left);
    else if (
      (ts.isPrefixUnaryExpression(node) || ts.isPostfixUnaryExpression(node)) &&
      (node.operator === ts.SyntaxKind.PlusPlusToken || node.operator === ts.SyntaxKind.MinusMinusToken)
    ) {
      markWritten(node.operand);
    } else if (ts.isDeleteExpression(node)) markWritten(node.expression);
    else if (
      (ts.isForOfStatement(node) || ts.isForInStatement(node)) &&
      !ts.isVariableDeclarationList(node.initializer)
    )
      markWritten(node.initializer);
    node.forEachChild(visit);
  };
  visit(root);
  return { references, writes, propertyWrites, calls, elementAccesses };
}

function skipParens(e: ts.Expression): ts.Expression {
  while (ts.isParenthesizedExpression(e) || ts.isNonNullExpression(e) || ts.isAsExpression(e)) e = e.expression;
  return e;
}

function rootIdentifier(e: ts.Expression): ts.Identifier | undefined {
  let x = skipParens(e);
  while (ts.isPropertyAccessExpression(x) || ts.isElementAccessExpression(x)) x = skipParens(x.expression);
  return ts.isIdentifier(x) ? x : undefined;
}

function isAssignmentOperator(kind: ts.SyntaxKind): boolean {
  return kind >= ts.SyntaxKind.FirstAssignment && kind <= ts.SyntaxKind.LastAssignment;
}

/** Whether an identifier names a value here (a reference), rather than declaring or labelling. */
function isValuePosition(id: ts.Identifier): boolean {
  const p = id.parent;
  if (!p) return false;
  if (ts.isPropertyAccessExpression(p)) return p.expression === id;
  if (ts.isQualifiedName(p)) return false;
  if (ts.isShorthandPropertyAssignment(p)) return p.name === id;
  if (
    ts.isPropertyAssignment(p) ||
    ts.isMethodDeclaration(p) ||
    ts.isPropertyDeclaration(p) ||
    ts.isGetAccessorDeclaration(p) ||
    ts.isSetAccessorDeclaration(p)
  )
    return p.name !== id;
  if (ts.isBindingElement(p)) return p.initializer === id;
  if (ts.isVariableDeclaration(p) || ts.isParameter(p)) return p.initializer === id;
  if (
    ts.isFunctionDeclaration(p) ||
    ts.isFunctionExpression(p) ||
    ts.isClassDeclaration(p) ||
    ts.isClassExpression(p) ||
    ts.isEnumDeclaration(p) ||
    ts.isModuleDeclaration(p)
  )
    return false;
  if (ts.isEnumMember(p)) return p.initializer === id;
  if (ts.isLabeledStatement(p) || ts.isBreakOrContinueStatement(p)) return false;
  if (
    ts.isImportSpecifier(p) ||
    ts.isImportClause(p) ||
    ts.isNamespaceImport(p) ||
    ts.isExportSpecifier(p) ||
    ts.isImportEqualsDeclaration(p)
  )
    return false;
  if (ts.isPropertySignature(p) || ts.isMethodSignature(p) || ts.isTypeParameterDeclaration(p)) return false;
  if (ts.isMetaProperty(p)) return false;
  return true;
}
