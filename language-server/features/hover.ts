// Hover: what a capability grants (device, base, size, rights, IRQ line), and which register sits
// at an access's offset or port. Markdown text plus the span it describes; no LSP types.

import ts from "typescript";
import { dmaBufferBytes } from "../../kernel/abi";
import type { FileAnalysis } from "../analysis/analyze";
import type { MachineKnowledge, Placement } from "../analysis/machines";
import type { CapDecl, DeviceBinding } from "../analysis/manifest-reader";
import { hex } from "../analysis/values";
import { DEVICE_REGISTER_MAPS } from "../device-registers";
import { portRegisterAt, VIRTIO_DEVICE_NAMES, virtioRegisterAt } from "../register-tables";
import { configFieldAt } from "../virtio-config";
import { accessAt, declAt, handleAt } from "./locate";

export interface HoverResult {
  markdown: string;
  start: number;
  end: number;
}

export function hoverAt(analysis: FileAnalysis, offset: number): HoverResult | undefined {
  const access = accessAt(analysis, offset);
  if (access) {
    const decl = access.driver.manifest.caps.get(access.use.cap);
    const folded = access.driver.folded.get(access.use.node);
    const registers =
      decl && folded
        ? folded.values
            .map((v) => registerText(decl, access.driver.manifest.device, v, folded.write))
            .filter((t): t is string => t !== undefined)
        : [];
    const node = access.use.node;
    const span = ts.isCallExpression(node) ? node : node.argumentExpression;
    const parts = [...new Set(registers)];
    if (decl) parts.push(grantText(decl, access.driver.manifest.device, analysis.machines));
    if (parts.length > 0) return { markdown: parts.join("\n\n---\n\n"), start: span.getStart(), end: span.getEnd() };
  }
  const handle = handleAt(analysis, offset);
  if (handle) {
    const node = ts.isPropertyAccessExpression(handle.node) ? handle.node.name : handle.node;
    return {
      markdown: handle.decls
        .map((d) => grantText(d, handle.driver.manifest.device, analysis.machines))
        .join("\n\n---\n\n"),
      start: node.getStart(),
      end: node.getEnd(),
    };
  }
  const declared = declAt(analysis, offset);
  if (declared) {
    return {
      markdown: grantText(declared.decl, declared.driver.manifest.device, analysis.machines),
      start: declared.decl.nameNode.getStart(),
      end: declared.decl.nameNode.getEnd(),
    };
  }
  return undefined;
}

/** The register at one folded offset (virtio-mmio) or port (ATA, UART). */
function registerText(decl: CapDecl, device: DeviceBinding, value: number, write: boolean): string | undefined {
  if (decl.kind === "mmio" && device.kind === "virtio") {
    const found = virtioRegisterAt(value);
    if (!found) return `\`${hex(value)}\`: no virtio-mmio register here`;
    const r = found.register;
    const field = r.at >= 0x100 ? configFieldAt(device.id, found.delta) : undefined;
    if (field) {
      const byte = found.delta === field.at ? "" : ` (byte ${found.delta - field.at} of it)`;
      return `\`${hex(value)}\` **${field.name}**${byte} — ${VIRTIO_DEVICE_NAMES[device.id] ?? `virtio ${device.id}`} configuration + ${hex(field.at)}, ${field.dir}, ${field.width * 8}-bit\n\n${field.meaning}`;
    }
    const where = found.delta === 0 ? "" : r.at >= 0x100 ? ` + ${hex(found.delta)}` : ` (byte ${found.delta} of it)`;
    return `\`${hex(value)}\` **${r.name}**${where} — virtio-mmio, ${r.dir}, ${r.width * 8}-bit${r.constant ? ` (\`${r.constant}\`)` : ""}\n\n${r.meaning}`;
  }
  const map = decl.kind === "mmio" && device.kind === "type" ? DEVICE_REGISTER_MAPS[device.type] : undefined;
  if (map) {
    const r = map.registerAt(value);
    if (!r) return `\`${hex(value)}\`: no ${map.device} register here`;
    const half =
      r.width === 8 && value === r.offset + 4
        ? " (high half)"
        : value === r.offset
          ? ""
          : ` (byte ${value - r.offset} of it)`;
    return `\`${hex(value)}\` **${r.name}**${half} — ${map.device}, ${r.access}, ${r.width * 8}-bit\n\n${r.meaning}`;
  }
  if (decl.kind === "ports") {
    const r = portRegisterAt(value);
    if (!r) return undefined;
    const side = write ? (r.write ?? r.read) : (r.read ?? r.write);
    if (!side) return undefined;
    const other = write ? r.read : r.write;
    const alsoText = other && other.name !== side.name ? `\n\n(${write ? "read" : "written"}: ${other.name})` : "";
    return `port \`${hex(value)}\` **${r.device} ${side.name}** (${write ? "write" : "read"}) — ${side.meaning}${alsoText}`;
  }
  return undefined;
}

/** A capability's grant, with where its device sits on the bundled machines. */
export function grantText(decl: CapDecl, device: DeviceBinding, machines: MachineKnowledge): string {
  const lines = [`**${decl.name}** — ${kindTitle(decl)}`];
  const rights = decl.rights ?? "unknown";
  switch (decl.kind) {
    case "mmio":
      lines.push(
        `- window: ${decl.size !== undefined ? `${hex(decl.size)} bytes (offsets 0x0–${hex(decl.size - 1)})` : "size not constant"}, rights ${rights}`,
      );
      for (const p of placementsFor(device, machines)) {
        if (p.base !== undefined)
          lines.push(
            `- on machine \`${p.machine}\`: ${p.device} at base ${hex(p.base)}${p.size !== undefined ? ` (device window ${hex(p.size)})` : ""}, IRQ ${p.irq}`,
          );
      }
      break;
    case "ports":
      lines.push(
        `- ports ${decl.first !== undefined ? hex(decl.first) : "?"}–${decl.last !== undefined ? hex(decl.last) : "?"}, rights ${rights} (in = read, out = write)`,
      );
      for (const p of placementsFor(device, machines))
        lines.push(`- on machine \`${p.machine}\`: ${p.device}, IRQ ${p.irq}`);
      break;
    case "irq": {
      const ps = placementsFor(device, machines);
      lines.push(
        ps.length > 0
          ? ps.map((p) => `- IRQ line ${p.irq} on machine \`${p.machine}\` (${p.device})`).join("\n")
          : "- the bound device's interrupt line",
      );
      lines.push("- delivered as a message; `wait()`, then clear the device's status, then `ack()`");
      break;
    }
    case "dma":
      lines.push(
        `- ${decl.size !== undefined ? `${dmaBufferBytes(decl.size)} bytes (${dmaBufferBytes(decl.size) / 4096} page${dmaBufferBytes(decl.size) === 4096 ? "" : "s"}; asked ${decl.size})` : "size not constant"}, read and write`,
      );
      break;
    case "serve":
      lines.push(
        `- offers service ${JSON.stringify(decl.service ?? "?")}: \`ready()\`, then \`receive()\` / \`reply()\``,
      );
      break;
    case "client":
      lines.push(`- may call service ${JSON.stringify(decl.service ?? "?")}: \`connect().call(tag, payload)\``);
      break;
  }
  lines.push(`- device binding: ${deviceText(device)}`);
  return lines.join("\n");
}

function kindTitle(decl: CapDecl): string {
  switch (decl.kind) {
    case "mmio":
      return "MMIO window (Memory capability)";
    case "ports":
      return "I/O port range (IoPort capability)";
    case "irq":
      return "interrupt (Irq capability)";
    case "dma":
      return "DMA buffer";
    case "serve":
      return "service endpoint";
    case "client":
      return "service client";
    default:
      return "capability";
  }
}

function deviceText(device: DeviceBinding): string {
  switch (device.kind) {
    case "virtio":
      return `virtio ${device.id}${VIRTIO_DEVICE_NAMES[device.id] ? ` (${VIRTIO_DEVICE_NAMES[device.id]})` : ""}${device.index ? `, index ${device.index}` : ""}`;
    case "ports":
      return `ports ${hex(device.first)}–${hex(device.last)}`;
    case "type":
      return `${device.type}${device.index ? `, index ${device.index}` : ""}`;
    case "none":
      return "none";
    default:
      return "not constant";
  }
}

function placementsFor(device: DeviceBinding, machines: MachineKnowledge): Placement[] {
  if (device.kind === "virtio") {
    const types = new Set(machines.offers.filter((o) => o.virtioId === device.id).map((o) => o.type));
    return machines.placements.filter((p) => types.has(p.type));
  }
  if (device.kind === "type") return machines.placements.filter((p) => p.type === device.type);
  if (device.kind === "ports")
    return machines.placements.filter((p) => p.ports?.some((r) => r.first <= device.first && device.last <= r.last));
  return [];
}
