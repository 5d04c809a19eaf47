// Accesses checked against the register map of the device a driver binds by type (device-registers.ts):
// a width the register does not take (an 8-byte access that spans two registers, a 2-byte one of a
// 32-bit register), a write to a read-only register, a read of a write-only one (a doorbell). Only
// accesses whose offset folded are judged; the grant rules (access-rules.ts) judge the window.

import type ts from "typescript";
import { DEVICE_REGISTER_MAPS, type DeviceRegister } from "../device-registers";
import { finding } from "./access-rules";
import { Codes } from "./codes";
import type { Manifest } from "./manifest-reader";
import type { Finding } from "./types";
import { hex } from "./values";

type Folded = ReadonlyMap<ts.Node, { cap: string; method: string; values: number[]; write: boolean }>;

const WIDTH = /^(?:read|write)(8|16|32|64)$/;

export function checkRegisters(manifest: Manifest, folded: Folded): Finding[] {
  if (manifest.device.kind !== "type") return [];
  const map = DEVICE_REGISTER_MAPS[manifest.device.type];
  if (!map) return [];
  const findings: Finding[] = [];
  for (const [node, access] of folded) {
    const decl = manifest.caps.get(access.cap);
    const bits = WIDTH.exec(access.method);
    if (decl?.kind !== "mmio" || !bits) continue;
    const width = Number(bits[1]) / 8;
    for (const offset of access.values) {
      const reg = map.registerAt(offset);
      if (!reg) continue;
      const call = `${access.method}(${hex(offset)})`;
      const where = `${map.device} ${reg.name} (${hex(reg.offset)})`;
      if (!takesWidth(reg, offset, width)) {
        findings.push(
          finding(
            Codes.REGISTER_WIDTH,
            node,
            `${call}: ${where} is a ${reg.width * 8}-bit register${reg.width === 8 ? " (or two 32-bit halves)" : ""}; a ${width * 8}-bit access ${width > reg.width ? "reaches into the next register" : "is not one the controller decodes (it is dropped, or reads 0)"}`,
            decl,
          ),
        );
        break;
      }
      if (access.write && reg.access === "R") {
        findings.push(
          finding(
            Codes.READ_ONLY_REGISTER,
            node,
            `${call}: ${where} is read-only; the device ignores the write (${reg.meaning})`,
            decl,
          ),
        );
        break;
      }
      if (!access.write && reg.access === "W") {
        findings.push(
          finding(
            Codes.WRITE_ONLY_REGISTER,
            node,
            `${call}: ${where} is write-only; a read gives nothing useful (${reg.meaning})`,
            decl,
          ),
        );
        break;
      }
    }
  }
  return findings;
}

function takesWidth(reg: DeviceRegister, offset: number, width: number): boolean {
  if (width === reg.width) return offset === reg.offset;
  // A 64-bit register as two 32-bit halves.
  return reg.width === 8 && width === 4 && (offset === reg.offset || offset === reg.offset + 4);
}
