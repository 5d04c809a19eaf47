// Edits to a manifest written in source: add a capability, remove one, change a field. Built from
// the syntax tree so that they keep the author's layout (one property per line stays so).

import ts from "typescript";
import { isSdkSpecifier } from "./evaluator";
import type { CapDecl, Manifest } from "./manifest-reader";
import type { TextEdit } from "./types";

/** Add `name: text` to an object literal, after its last property. */
export function addProperty(literal: ts.ObjectLiteralExpression, name: string, text: string): TextEdit[] {
  const sf = literal.getSourceFile();
  const file = sf.fileName;
  const props = literal.properties;
  if (props.length === 0) {
    return [{ file, start: literal.getStart(sf), end: literal.getEnd(), newText: `{ ${name}: ${text} }` }];
  }
  const last = props[props.length - 1];
  const multiline = lineOf(sf, literal.getStart(sf)) !== lineOf(sf, last.getStart(sf));
  if (!multiline) return [{ file, start: last.getEnd(), end: last.getEnd(), newText: `, ${name}: ${text}` }];
  const indent = indentationAt(sf, last.getStart(sf));
  if (props.hasTrailingComma) {
    const afterComma = props.end;
    return [{ file, start: afterComma, end: afterComma, newText: `\n${indent}${name}: ${text},` }];
  }
  return [{ file, start: last.getEnd(), end: last.getEnd(), newText: `,\n${indent}${name}: ${text}` }];
}

/** Remove one element of a comma-separated list, with its separator. */
export function removeListElement<T extends ts.Node>(list: ts.NodeArray<T>, element: T): TextEdit {
  const sf = element.getSourceFile();
  const i = list.indexOf(element);
  if (i < list.length - 1)
    return { file: sf.fileName, start: element.getStart(sf), end: list[i + 1].getStart(sf), newText: "" };
  if (i > 0) return { file: sf.fileName, start: list[i - 1].getEnd(), end: element.getEnd(), newText: "" };
  const end = list.hasTrailingComma ? list.end : element.getEnd();
  return { file: sf.fileName, start: element.getStart(sf), end, newText: "" };
}

/** Remove a capability from the manifest and from main's destructuring of its handles. */
export function removeCapability(manifest: Manifest, decl: CapDecl): TextEdit[] {
  const edits: TextEdit[] = [];
  const literal = manifest.capsLiteral;
  if (!literal || !ts.isObjectLiteralElementLike(decl.node) || decl.node.parent !== literal) return edits;
  edits.push(removeListElement(literal.properties, decl.node));
  const pattern = manifest.main?.parameters[0]?.name;
  if (pattern && ts.isObjectBindingPattern(pattern)) {
    const el = pattern.elements.find((e) => {
      const key = e.propertyName ?? e.name;
      return ts.isIdentifier(key) && key.text === decl.name;
    });
    if (el) edits.push(removeListElement(pattern.elements, el));
  }
  return edits;
}

/** Replace a manifest option's value (`size: 0x1000` → `size: 0x74`). */
export function replaceField(field: ts.PropertyAssignment, newText: string): TextEdit {
  const sf = field.getSourceFile();
  return { file: sf.fileName, start: field.initializer.getStart(sf), end: field.initializer.getEnd(), newText };
}

/** Set an option of `mmio({ … })` / `ports({ … })`, replacing it or adding it. */
export function setOption(decl: CapDecl, key: "size" | "first" | "last" | "rights", newText: string): TextEdit[] {
  const field = decl.fields[key];
  if (field) return [replaceField(field, newText)];
  if (decl.options) return addProperty(decl.options, key, newText);
  return [];
}

/** Import a manifest constructor from the SDK when the file imports from it but not this name. */
export function ensureSdkImport(sourceFile: ts.SourceFile, name: string): TextEdit[] {
  for (const statement of sourceFile.statements) {
    if (!ts.isImportDeclaration(statement) || !isSdkSpecifier(statement.moduleSpecifier)) continue;
    const bindings = statement.importClause?.namedBindings;
    if (!bindings || !ts.isNamedImports(bindings)) continue;
    if (bindings.elements.some((e) => (e.propertyName ?? e.name).text === name && !e.isTypeOnly)) return [];
    const elements = bindings.elements;
    if (elements.length === 0)
      return [
        {
          file: sourceFile.fileName,
          start: bindings.getStart(sourceFile),
          end: bindings.getEnd(),
          newText: `{ ${name} }`,
        },
      ];
    const last = elements[elements.length - 1];
    return [{ file: sourceFile.fileName, start: last.getEnd(), end: last.getEnd(), newText: `, ${name}` }];
  }
  return [];
}

function lineOf(sf: ts.SourceFile, pos: number): number {
  return sf.getLineAndCharacterOfPosition(pos).line;
}

function indentationAt(sf: ts.SourceFile, pos: number): string {
  const lineStart = sf.getLineStarts()[lineOf(sf, pos)];
  return /^[ \t]*/.exec(sf.text.slice(lineStart, pos))?.[0] ?? "";
}
