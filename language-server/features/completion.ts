// Completion of register offsets where an access expects one: the virtio-mmio registers (as the SDK's
// VirtioReg constants) in an MMIO read/write of a virtio driver, the ATA/UART ports inside a port
// range. Only registers the grant covers, with the access's width and direction, are offered.

import ts from "typescript";
import type { FileAnalysis } from "../analysis/analyze";
import { ensureSdkImport } from "../analysis/fixes";
import type { TextEdit } from "../analysis/types";
import { hex } from "../analysis/values";
import { PORT_REGISTERS, VIRTIO_MMIO_REGISTERS } from "../register-tables";
import { accessAt } from "./locate";

export interface CompletionEntry {
  label: string;
  detail: string;
  documentation: string;
  insertText: string;
  /** The range the insert replaces (the argument typed so far). */
  replaceStart: number;
  replaceEnd: number;
  sortText: string;
  additionalEdits: TextEdit[];
}

export function completionsAt(analysis: FileAnalysis, offset: number): CompletionEntry[] {
  const found = accessAt(analysis, offset);
  if (!found || !ts.isCallExpression(found.use.node)) return [];
  const { use, driver } = found;
  const call = use.node as ts.CallExpression;
  // Only in the offset argument: after "(" and before the first ",".
  const firstComma =
    call.arguments.hasTrailingComma || call.arguments.length > 1 ? call.arguments[0].getEnd() : call.getEnd();
  const open = call.expression.getEnd();
  if (offset <= open || offset > firstComma || use.info?.offsetArg !== 0) return [];
  const decl = driver.manifest.caps.get(use.cap);
  if (!decl || !use.info.width) return [];
  const arg = call.arguments[0];
  const replaceStart = arg && offset >= arg.getStart() ? arg.getStart() : offset;
  const replaceEnd = offset;
  const write = use.info.effect === "write";
  const width = use.info.width;
  const entries: CompletionEntry[] = [];
  if (decl.kind === "mmio" && driver.manifest.device.kind === "virtio") {
    const importEdits = ensureSdkImport(analysis.sourceFile, "VirtioReg");
    for (const r of VIRTIO_MMIO_REGISTERS) {
      if (decl.size !== undefined && r.at + width > decl.size) continue;
      if (r.at < 0x100 && width !== 4) continue; // registers 0x000–0x0FC take 32-bit accesses only
      if ((write && r.dir === "R") || (!write && r.dir === "W")) continue;
      const insertText = r.constant ?? hex(r.at);
      entries.push({
        label: insertText,
        detail: `${hex(r.at)} ${r.name} (${r.dir})`,
        documentation: r.meaning,
        insertText,
        replaceStart,
        replaceEnd,
        sortText: r.at.toString(16).padStart(4, "0"),
        additionalEdits: r.constant ? importEdits : [],
      });
    }
  } else if (decl.kind === "ports" && decl.first !== undefined && decl.last !== undefined) {
    for (const r of PORT_REGISTERS) {
      if (r.port < decl.first || r.port + width - 1 > decl.last) continue;
      const side = write ? r.write : r.read;
      if (!side) continue;
      entries.push({
        label: hex(r.port),
        detail: `${r.device} ${side.name} (${write ? "out" : "in"})`,
        documentation: side.meaning,
        insertText: hex(r.port),
        replaceStart,
        replaceEnd,
        sortText: r.port.toString(16).padStart(4, "0"),
        additionalEdits: [],
      });
    }
  }
  return entries;
}
