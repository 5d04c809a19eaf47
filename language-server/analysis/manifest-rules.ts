// The manifest as Init will judge it: a manifest whose every value is known is run through the
// kernel's own validateManifest, and each problem is pinned on the part it names.

import type ts from "typescript";
import { grantProblems, validateManifest, type BoundDevice } from "../../kernel/abi";
import { Codes } from "./codes";
import { finding } from "./access-rules";
import type { MachineKnowledge } from "./machines";
import type { DeviceBinding, Manifest } from "./manifest-reader";
import type { Finding } from "./types";

/** ZDS001 for what Init refuses: validateManifest's problems, then the grants no device the binding
 *  can match would back (grantProblems, Init's own rule: ports a virtio device does not decode…). */
export function checkManifest(manifest: Manifest, hints: boolean, machines: MachineKnowledge): Finding[] {
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
  const errors = result.ok ? refusedGrants(result.manifest, manifest.device, machines) : result.errors;
  return errors.map((error) =>
    finding(Codes.MANIFEST_INVALID, nodeFor(manifest, error), `Init would refuse this manifest: ${error}`),
  );
}

/** The capability names a ZDS001 message is about ("caps.io: …"): no least-privilege advice for them. */
export function refusedCapabilities(findings: readonly Finding[]): Set<string> {
  const names = new Set<string>();
  for (const f of findings) {
    if (f.code !== Codes.MANIFEST_INVALID) continue;
    const cap = /^Init would refuse this manifest: caps\.([^:\s.]+)/.exec(f.message);
    if (cap) names.add(cap[1]);
  }
  return names;
}

/** Grant problems every device the binding can match shares (none when no device can match: the
 *  binding's own ZDS40x says so). */
function refusedGrants(
  plain: Parameters<typeof grantProblems>[0],
  binding: DeviceBinding,
  machines: MachineKnowledge,
): string[] {
  const candidates = bindableDevices(binding, machines);
  if (candidates === undefined || candidates.length === 0) return [];
  const [first, ...rest] = candidates.map((d) => grantProblems(plain, d).map((p) => p.message));
  return first.filter((message) => rest.every((other) => other.includes(message)));
}

/** The devices a binding can bind to, as their catalog types describe them; [undefined] for a
 *  manifest that binds none; undefined when the binding is not known. */
function bindableDevices(binding: DeviceBinding, machines: MachineKnowledge): (BoundDevice | undefined)[] | undefined {
  const offers = machines.offers;
  // Every device type of the catalog has an interrupt line; a window's size is the machine's.
  const asDevice = (o: (typeof offers)[number]): BoundDevice => ({
    name: o.type,
    mmio: o.kind === "virtio-mmio" || o.kind === "mmio" || o.virtioId !== undefined ? {} : undefined,
    ports: o.ports,
    irq: true,
  });
  switch (binding.kind) {
    case "none":
      return [undefined];
    case "virtio":
      return offers.filter((o) => o.virtioId === binding.id).map(asDevice);
    case "type":
      return offers.filter((o) => o.kind === "mmio" && o.type === binding.type).map(asDevice);
    case "ports":
      return offers
        .filter((o) => o.ports?.some((r) => r.first <= binding.first && binding.last <= r.last))
        .map(asDevice);
    default:
      return undefined;
  }
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
