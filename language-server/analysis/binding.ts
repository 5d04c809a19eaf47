// Device bindings no machine description can satisfy: a virtio device id or a device type no catalog
// entry provides, a port range (the binding's or a ports() capability's) that no device decodes.

import { Codes } from "./codes";
import { declarationInfo, finding } from "./access-rules";
import { offersPorts, offersType, offersVirtio, type MachineKnowledge } from "./machines";
import type { Manifest } from "./manifest-reader";
import { VIRTIO_DEVICE_NAMES } from "../register-tables";
import type { Finding } from "./types";
import { hex } from "./values";

export function checkBinding(manifest: Manifest, machines: MachineKnowledge): Finding[] {
  const findings: Finding[] = [];
  const known = machines.offers
    .map((o) =>
      o.virtioId !== undefined
        ? `${o.type} (virtio ${o.virtioId})`
        : `${o.type} (ports ${(o.ports ?? []).map((r) => `${hex(r.first)}–${hex(r.last)}`).join(", ")})`,
    )
    .join(", ");
  const device = manifest.device;
  if (
    device.kind === "virtio" &&
    manifest.deviceNode &&
    Number.isInteger(device.id) &&
    device.id > 0 &&
    !offersVirtio(machines, device.id)
  ) {
    const name = VIRTIO_DEVICE_NAMES[device.id];
    findings.push(
      finding(
        Codes.UNKNOWN_VIRTIO_DEVICE,
        manifest.deviceNode,
        `device binding { virtio: ${device.id} }${name ? ` (${name})` : ""}: no machine description can provide this device; the device types machines are built from are ${known || "none"}`,
      ),
    );
  }
  if (device.kind === "type" && manifest.deviceNode && !offersType(machines, device.type)) {
    findings.push(
      finding(
        Codes.UNKNOWN_DEVICE_TYPE,
        manifest.deviceNode,
        `device binding { type: ${JSON.stringify(device.type)} }: no machine description can provide this device; the device types machines are built from are ${known || "none"}`,
      ),
    );
  }
  if (device.kind === "ports" && manifest.deviceNode && !offersPorts(machines, device.first, device.last)) {
    findings.push(
      finding(
        Codes.UNDECODED_PORTS,
        manifest.deviceNode,
        `device binding { ports: ${hex(device.first)}–${hex(device.last)} }: no device of any machine description decodes these ports; the device types machines are built from are ${known || "none"}`,
      ),
    );
  }
  for (const decl of manifest.caps.values()) {
    if (decl.kind !== "ports" || decl.first === undefined || decl.last === undefined || decl.last < decl.first)
      continue;
    if (offersPorts(machines, decl.first, decl.last)) continue;
    const f = finding(
      Codes.UNDECODED_PORTS,
      decl.options ?? decl.node,
      `ports "${decl.name}" ${hex(decl.first)}–${hex(decl.last)}: no device of any machine description decodes these ports, so Init cannot grant them; the device types machines are built from are ${known || "none"}`,
    );
    f.related.push(declarationInfo(decl));
    findings.push(f);
  }
  return findings;
}
