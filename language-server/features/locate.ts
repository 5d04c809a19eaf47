// Finding what the cursor is on, in an analysed file: a handle, a manifest entry, an access.

import ts from "typescript";
import type { DriverModel, FileAnalysis } from "../analysis/analyze";
import type { AccessUse } from "../analysis/flow";
import type { CapDecl } from "../analysis/manifest-reader";

const within = (node: ts.Node, offset: number): boolean => offset >= node.getStart() && offset <= node.getEnd();

/** The capability declared at `offset` in a manifest's caps literal. */
export function declAt(analysis: FileAnalysis, offset: number): { driver: DriverModel; decl: CapDecl } | undefined {
  for (const driver of analysis.drivers) {
    for (const decl of driver.manifest.caps.values()) {
      if (decl.node.getSourceFile() === analysis.sourceFile && within(decl.nameNode, offset)) return { driver, decl };
    }
  }
  return undefined;
}

/** The capabilities held by the innermost traced expression at `offset`. */
export function handleAt(
  analysis: FileAnalysis,
  offset: number,
): { driver: DriverModel; node: ts.Expression; decls: CapDecl[] } | undefined {
  let best: { driver: DriverModel; node: ts.Expression; caps: ReadonlySet<string> } | undefined;
  for (const driver of analysis.drivers) {
    for (const ref of driver.flow?.refs ?? []) {
      if (!within(ref.node, offset)) continue;
      // A property access holding a handle counts only on its name (`rng.irq` → on "irq").
      if (ts.isPropertyAccessExpression(ref.node) && !within(ref.node.name, offset)) continue;
      if (!best || ref.node.getWidth() < best.node.getWidth()) best = { driver, node: ref.node, caps: ref.caps };
    }
  }
  if (!best) return undefined;
  const decls = [...best.caps]
    .map((c) => best!.driver.manifest.caps.get(c))
    .filter((d): d is CapDecl => d !== undefined);
  return decls.length > 0 ? { driver: best.driver, node: best.node, decls } : undefined;
}

/** The traced access whose method name or arguments hold `offset`. */
export function accessAt(analysis: FileAnalysis, offset: number): { driver: DriverModel; use: AccessUse } | undefined {
  for (const driver of analysis.drivers) {
    for (const use of driver.flow?.accesses ?? []) {
      const node = use.node;
      if (ts.isCallExpression(node)) {
        const callee = node.expression;
        const onName = ts.isPropertyAccessExpression(callee) && within(callee.name, offset);
        const inArgs = offset > callee.getEnd() && offset <= node.getEnd();
        if (onName || inArgs) return { driver, use };
      } else if (within(node.argumentExpression, offset)) {
        return { driver, use };
      }
    }
  }
  return undefined;
}
