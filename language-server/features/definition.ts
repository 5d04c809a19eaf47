// Go to definition: from a handle (or an access through it) to its entry in the manifest.

import type { FileAnalysis } from "../analysis/analyze";
import type { Span } from "../analysis/types";
import { accessAt, declAt, handleAt } from "./locate";

export function definitionAt(analysis: FileAnalysis, offset: number): Span[] {
  if (declAt(analysis, offset)) return []; // already on the declaration
  const handle = handleAt(analysis, offset);
  const decls = handle ? handle.decls : [];
  if (decls.length === 0) {
    const access = accessAt(analysis, offset);
    const decl = access?.driver.manifest.caps.get(access.use.cap);
    if (decl) decls.push(decl);
  }
  return decls.map((d) => {
    const sf = d.node.getSourceFile();
    return { file: sf.fileName, start: d.node.getStart(sf), end: d.node.getEnd() };
  });
}
