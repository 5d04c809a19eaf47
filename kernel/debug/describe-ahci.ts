// Words for the debugger's AHCI scope: the HBA's registers and port 0's, decoded field by field, the
// slots issued and the NCQ tags in flight, and why the port stopped if it did. Each register carries
// a data breakpoint id, so "break when P0CI is written" is one click.

import { ahciRegisterName, type AhciSnapshot } from "../../devices";
import type { InspectItem } from "./describe";

const P0 = 0x100;

/** " (P0CI)" for an offset in an AHCI window; "" where no register is. */
export function ahciRegisterLabel(offset: number): string {
  if (offset % 4 !== 0) return "";
  const name = ahciRegisterName(offset);
  return name.includes("reserved") ? "" : ` (${name.replace(/ \(port .*$/, "")})`;
}

const IS_BITS: [number, string][] = [
  [1 << 0, "DHRS"],
  [1 << 1, "PSS"],
  [1 << 2, "DSS"],
  [1 << 3, "SDBS"],
  [1 << 24, "OFS"],
  [1 << 26, "INFS"],
  [1 << 27, "IFS"],
  [1 << 28, "HBDS"],
  [1 << 29, "HBFS"],
  [1 << 30, "TFES"],
];
const CMD_BITS: [number, string][] = [
  [1 << 0, "ST"],
  [1 << 3, "CLO"],
  [1 << 4, "FRE"],
  [1 << 14, "FR"],
  [1 << 15, "CR"],
];
const STATUS_BITS: [number, string][] = [
  [0x80, "BSY"],
  [0x40, "DRDY"],
  [0x20, "DF"],
  [0x10, "DSC"],
  [0x08, "DRQ"],
  [0x01, "ERR"],
];
const ERROR_BITS: [number, string][] = [
  [0x40, "UNC"],
  [0x10, "IDNF"],
  [0x04, "ABRT"],
];

export function describeAhci(device: string, base: number, s: AhciSnapshot): InspectItem[] {
  const watch = (offset: number) => `mmio:0x${(base + offset).toString(16)}:4`;
  const p = s.port;
  const cap = s.cap;
  const status = p.tfd & 0xff;
  const error = (p.tfd >>> 8) & 0xff;
  return [
    { name: "device", value: `${device} at ${hex(base)}, interrupt line ${s.irq ? "high" : "low"}` },
    {
      name: "CAP",
      value: `${hex(cap)} (${((cap >>> 8) & 0x1f) + 1} command slots, ${(cap & 0x1f) + 1} port${cap & 0x1f ? "s" : ""}${cap & (1 << 30) ? ", NCQ" : ""}${cap & (1 << 31) ? ", 64-bit" : ""}, Gen ${(cap >>> 20) & 0xf})`,
      dataId: watch(0x00),
    },
    {
      name: "GHC",
      value: `${hex(s.ghc)} (${[s.ghc & (1 << 31) ? "AE" : "", s.ghc & 2 ? "IE" : "interrupts off"].filter(Boolean).join(", ")})`,
      dataId: watch(0x04),
    },
    { name: "IS", value: `${hex(s.is)}${s.is ? " (port 0)" : ""}`, dataId: watch(0x08) },
    { name: "P0CLB", value: hex(p.clb), memoryReference: hex(p.clb), dataId: watch(P0 + 0x00) },
    { name: "P0FB", value: hex(p.fb), memoryReference: hex(p.fb), dataId: watch(P0 + 0x08) },
    { name: "P0IS", value: `${hex(p.is)}${bits(p.is, IS_BITS)}`, dataId: watch(P0 + 0x10) },
    { name: "P0IE", value: `${hex(p.ie)}${bits(p.ie, IS_BITS)}`, dataId: watch(P0 + 0x14) },
    {
      name: "P0CMD",
      value: `${hex(p.cmd)}${bits(p.cmd, CMD_BITS)}, CCS ${(p.cmd >>> 8) & 0x1f}`,
      dataId: watch(P0 + 0x18),
    },
    {
      name: "P0TFD",
      value: `${hex(p.tfd)} (status${bits(status, STATUS_BITS) || " 0"}, error ${hex(error)}${bits(error, ERROR_BITS)})`,
      dataId: watch(P0 + 0x20),
    },
    { name: "P0SERR", value: hex(p.serr), dataId: watch(P0 + 0x30) },
    { name: "P0SACT", value: `${hex(p.sact)}${slots(p.sact, "tags")}`, dataId: watch(P0 + 0x34) },
    { name: "P0CI", value: `${hex(p.ci)}${slots(p.ci, "slots")}`, dataId: watch(P0 + 0x38) },
    {
      name: "commands",
      value:
        p.stoppedBy !== undefined
          ? `port stopped: ${p.stoppedBy}; clear P0CMD.ST to recover`
          : `${p.active !== undefined ? `working on slot ${p.active}` : "link idle"}, ${p.ncqInFlight.length} NCQ tag${p.ncqInFlight.length === 1 ? "" : "s"} queued in the disk`,
      children: p.ncqInFlight.map((tag) => ({ name: `tag ${tag}`, value: "queued in the disk (NCQ)" })),
    },
  ];
}

function bits(value: number, names: readonly [number, string][]): string {
  const set = names.filter(([bit]) => (value & bit) !== 0).map(([, name]) => name);
  return set.length ? ` (${set.join(" | ")})` : "";
}

function slots(value: number, what: string): string {
  const set: number[] = [];
  for (let i = 0; i < 32; i++) if (value & (1 << i)) set.push(i);
  return set.length ? ` (${what} ${set.join(", ")})` : "";
}

function hex(n: number): string {
  return `0x${(n >>> 0).toString(16)}`;
}
