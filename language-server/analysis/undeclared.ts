// Uses of capabilities the manifest does not declare (`irq.wait()` with no irq(), calling a service
// with no client()), with the quick fix that declares them, shaped by how the code uses them.

import { undeclaredFix, undeclaredMessage } from "../../kernel/abi";
import { Codes } from "./codes";
import { finding, type MisuseSite } from "./access-rules";
import { addProperty, ensureSdkImport } from "./fixes";
import { constructorText } from "./grants";
import type { Manifest } from "./manifest-reader";
import type { Finding } from "./types";

export function undeclaredFindings(manifest: Manifest, undeclared: ReadonlyMap<string, MisuseSite[]>): Finding[] {
  const findings: Finding[] = [];
  for (const [cap, sites] of undeclared) {
    const kind = sites.find((s) => s.use.methodKind)?.use.methodKind;
    if (!kind) continue;
    let low: number | undefined;
    let high: number | undefined;
    for (const s of sites) {
      const width = s.use.info?.width ?? 1;
      for (const o of s.offsets) {
        low = low === undefined ? o : Math.min(low, o);
        high = high === undefined ? o + width : Math.max(high, o + width);
      }
    }
    const text = constructorText(kind, cap, {
      size: kind === "mmio" ? high : undefined,
      first: low,
      last: high !== undefined ? high - 1 : undefined,
    });
    const fixEdits = manifest.capsLiteral
      ? [...addProperty(manifest.capsLiteral, cap, text), ...ensureSdkImport(manifest.call.getSourceFile(), kind)]
      : [];
    const seen = new Set<unknown>();
    for (const s of sites) {
      if (seen.has(s.use.node)) continue;
      seen.add(s.use.node);
      const f = finding(Codes.UNDECLARED_CAPABILITY, s.use.node, undeclaredMessage(s.use.method, cap, kind, text));
      if (manifest.literal) {
        const sf = manifest.literal.getSourceFile();
        const at = manifest.capsLiteral ?? manifest.literal;
        f.related.push({
          file: sf.fileName,
          start: at.getStart(sf),
          end: at.getEnd(),
          message: "the manifest's capabilities",
        });
      }
      if (fixEdits.length > 0) f.fixes.push({ title: undeclaredFix(cap, text), edits: fixEdits, preferred: true });
      findings.push(f);
    }
  }
  return findings;
}
