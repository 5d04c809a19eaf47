// Least privilege: a capability never used, a window or port range wider than what is used, rights
// never exercised. Only claimed when every use of the capability was traced and folded; a handle that
// escapes into code we do not follow (the SDK's virtio transport, say) may use anything it holds.

import type ts from "typescript";
import { Codes } from "./codes";
import { declarationInfo, finding, type CapUsage } from "./access-rules";
import { removeCapability, setOption } from "./fixes";
import type { Flow } from "./flow";
import type { Manifest } from "./manifest-reader";
import type { Finding, RelatedInfo } from "./types";
import { hex } from "./values";

export function leastPrivilege(
  manifest: Manifest,
  flow: Flow,
  usage: ReadonlyMap<string, CapUsage>,
  /** Capabilities Init refuses (ZDS001): no least-privilege claim about them. */
  refused: ReadonlySet<string> = new Set(),
): Finding[] {
  if (flow.incomplete || !manifest.capsComplete || !manifest.capsLiteral) return [];
  const findings: Finding[] = [];
  for (const decl of manifest.caps.values()) {
    if (decl.node.parent !== manifest.capsLiteral) continue; // spread in: no place to fix it
    if (refused.has(decl.name)) continue;
    if (!flow.touched.has(decl.name)) {
      const f = finding(
        Codes.UNUSED_CAPABILITY,
        decl.nameNode,
        `capability "${decl.name}" (${decl.kind ?? "unknown kind"}) is declared but never used: the driver holds a right it does not need`,
      );
      f.fixes.push({
        title: `Remove the unused capability "${decl.name}"`,
        edits: removeCapability(manifest, decl),
        preferred: true,
      });
      findings.push(f);
      continue;
    }
    if (flow.escaped.has(decl.name)) continue;
    const use = usage.get(decl.name);
    if (!use || use.accesses === 0) continue;
    if (use.allKnown && use.high !== undefined && use.low !== undefined) {
      if (decl.kind === "mmio" && decl.size !== undefined && decl.size > use.high) {
        const node = decl.fields.size ?? decl.node;
        const f = finding(
          Codes.WINDOW_WIDER_THAN_USED,
          node,
          `MMIO window "${decl.name}" is ${hex(decl.size)} bytes but the highest offset used ends at ${hex(use.high)}: ask for size ${hex(use.high)}`,
        );
        if (use.highest) f.related.push(relatedAt(use.highest, "the highest access"));
        f.related.push(declarationInfo(decl));
        const edits = setOption(decl, "size", hex(use.high));
        if (edits.length > 0)
          f.fixes.push({ title: `Narrow "${decl.name}" to ${hex(use.high)} bytes`, edits, preferred: true });
        findings.push(f);
      }
      if (
        decl.kind === "ports" &&
        decl.first !== undefined &&
        decl.last !== undefined &&
        (use.low > decl.first || use.high - 1 < decl.last)
      ) {
        const first = use.low;
        const last = use.high - 1;
        const node = decl.options ?? decl.node;
        const f = finding(
          Codes.WINDOW_WIDER_THAN_USED,
          node,
          `port range "${decl.name}" is ${hex(decl.first)}–${hex(decl.last)} but only ${hex(first)}–${hex(last)} is used: ask for first ${hex(first)}, last ${hex(last)}`,
        );
        f.related.push(declarationInfo(decl));
        const edits = [...setOption(decl, "first", hex(first)), ...setOption(decl, "last", hex(last))];
        if (decl.fields.first && decl.fields.last)
          f.fixes.push({ title: `Narrow "${decl.name}" to ${hex(first)}–${hex(last)}`, edits, preferred: true });
        findings.push(f);
      }
    }
    if ((decl.kind === "mmio" || decl.kind === "ports") && decl.rights) {
      const unusedWrite = decl.rights.includes("w") && !use.writes && use.reads;
      const unusedRead = decl.rights.includes("r") && !use.reads && use.writes;
      if (unusedWrite || unusedRead) {
        const want = unusedWrite ? "r" : "w";
        const node = decl.fields.rights ?? decl.options ?? decl.node;
        const f = finding(
          Codes.UNUSED_RIGHT,
          node,
          `"${decl.name}" is granted rights "${decl.rights}" but the driver only ${unusedWrite ? "reads" : "writes"}: ask for rights: "${want}"`,
        );
        f.related.push(declarationInfo(decl));
        const edits = setOption(decl, "rights", JSON.stringify(want));
        if (edits.length > 0)
          f.fixes.push({ title: `Grant "${decl.name}" only rights "${want}"`, edits, preferred: true });
        findings.push(f);
      }
    }
  }
  return findings;
}

function relatedAt(node: ts.Node, message: string): RelatedInfo {
  const sf = node.getSourceFile();
  return { file: sf.fileName, start: node.getStart(sf), end: node.getEnd(), message };
}
