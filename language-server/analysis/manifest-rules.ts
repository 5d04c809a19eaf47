// The manifest as Init will judge it: a manifest whose every value is known is run through the
// kernel's own validateManifest, and each problem is pinned on the part it names.

import type ts from "typescript";
import { validateManifest } from "../../kernel/abi";
import { Codes } from "./codes";
import { finding } from "./access-rules";
import type { Manifest } from "./manifest-reader";
import type { Finding } from "./types";

export function checkManifest(manifest: Manifest, hints: boolean): Finding[] {
  if (manifest.plain === undefined) {
    return hints
      ? [
          finding(
            Codes.MANIFEST_NOT_CONSTANT,
            manifest.call.expression,
            "the manifest is not constant data here, so it cannot be checked before the driver runs (write it as an object literal of constants)",
          ),
        ]
      : [];
  }
  const result = validateManifest(manifest.plain);
  if (result.ok) return [];
  return result.errors.map((error) =>
    finding(Codes.MANIFEST_INVALID, nodeFor(manifest, error), `Init would refuse this manifest: ${error}`),
  );
}

/** The part of the manifest an error of validateManifest names ("caps.regs: …", "device…", "manifest \"name\"…"). */
function nodeFor(manifest: Manifest, error: string): ts.Node {
  const cap = /^caps\.([^:\s.]+)/.exec(error);
  if (cap) {
    const decl = manifest.caps.get(cap[1]);
    if (decl) return decl.node;
  }
  if (error.startsWith("device") && manifest.deviceNode) return manifest.deviceNode;
  if (error.includes('"name"') && manifest.nameNode) return manifest.nameNode;
  return manifest.literal ?? manifest.call;
}
