// Every traced access, checked with the shared capability rules (kernel/abi/caps.ts) against the
// manifest's grant, in each environment it runs in. Also gathers what each capability is really
// used for (directions, offsets) for the least-privilege rules.

import ts from "typescript";
import {
  checkAccessRights,
  checkDmaRange,
  checkMmioAccess,
  checkMmioWidth,
  checkPortAccess,
  checkPortWidth,
  dmaBufferBytes,
  type AccessProblem,
} from "../../kernel/abi";
import { Codes, severityOf, type DiagnosticCode } from "./codes";
import type { Evaluator } from "./evaluator";
import type { AccessUse } from "./flow";
import { describeGrant, permsOf } from "./grants";
import type { CapDecl, CapKind, Manifest } from "./manifest-reader";
import type { Finding, RelatedInfo } from "./types";
import { hex, type Value } from "./values";

/** What one capability is used for, over all traced accesses. */
export interface CapUsage {
  accesses: number;
  reads: boolean;
  writes: boolean;
  /** Every access's offset (or port) was folded. */
  allKnown: boolean;
  /** Lowest start and highest end (exclusive) of the accesses whose offsets are known. */
  low?: number;
  high?: number;
  /** The access reaching `high`, for related information. */
  highest?: ts.Node;
}

/** One access to a capability the manifest does not declare (or declares as another kind). */
export interface MisuseSite {
  use: AccessUse;
  offsets: number[];
}

export interface AccessCheck {
  findings: Finding[];
  usage: Map<string, CapUsage>;
  /** Accesses through undeclared capabilities, by capability name. */
  undeclared: Map<string, MisuseSite[]>;
  /** Offsets (or ports) folded per access node, for hover. */
  folded: Map<ts.Node, { cap: string; method: string; values: number[]; write: boolean }>;
}

interface Failure {
  code: DiagnosticCode;
  value: number;
  message: string;
}

export function checkAccesses(
  manifest: Manifest,
  uses: readonly AccessUse[],
  ev: Evaluator,
  hints: boolean,
): AccessCheck {
  const result: AccessCheck = { findings: [], usage: new Map(), undeclared: new Map(), folded: new Map() };
  // One diagnostic per access node and code, however many environments fail there.
  const failures = new Map<ts.Node, Map<DiagnosticCode, Failure[]>>();
  const unproven = new Set<ts.Node>();
  const wrongKind = new Set<ts.Node>();

  for (const use of uses) {
    const decl = manifest.caps.get(use.cap);
    const offset = use.offset === "zero" ? 0 : use.offset ? numberOf(ev.evaluate(use.offset, use.env)) : undefined;
    const write = use.info?.effect === "write";
    if (offset !== undefined) {
      const f = result.folded.get(use.node) ?? { cap: use.cap, method: use.method, values: [], write };
      if (!f.values.includes(offset)) f.values.push(offset);
      result.folded.set(use.node, f);
    }
    if (!decl) {
      if (!manifest.capsComplete) continue;
      const sites = result.undeclared.get(use.cap) ?? [];
      const site = sites.find((s) => s.use.node === use.node);
      if (site) {
        if (offset !== undefined) site.offsets.push(offset);
      } else {
        sites.push({ use, offsets: offset !== undefined ? [offset] : [] });
      }
      result.undeclared.set(use.cap, sites);
      continue;
    }
    if (!decl.kind || !use.info) continue;
    if (use.methodKind !== decl.kind) {
      if (!wrongKind.has(use.node)) {
        wrongKind.add(use.node);
        result.findings.push(wrongKindFinding(use, decl));
      }
      continue;
    }
    const usage = usageOf(result.usage, decl.name);
    usage.accesses++;
    if (use.info.effect === "read") usage.reads = true;
    if (use.info.effect === "write") usage.writes = true;
    const width = use.info.width ?? lengthOf(use, ev);
    if (offset === undefined || width === undefined) {
      if (use.info.effect !== "none" || use.offset !== undefined) usage.allKnown = false;
    } else if (use.offset !== undefined) {
      const end = offset + width;
      if (usage.low === undefined || offset < usage.low) usage.low = offset;
      if (usage.high === undefined || end > usage.high) {
        usage.high = end;
        usage.highest = use.node;
      }
    }
    const failure = checkOne(decl, use, offset, width);
    if (failure) {
      const byCode = failures.get(use.node) ?? new Map<DiagnosticCode, Failure[]>();
      const list = byCode.get(failure.code) ?? [];
      if (!list.some((f) => f.value === failure.value)) list.push(failure);
      byCode.set(failure.code, list);
      failures.set(use.node, byCode);
    } else if (
      hints &&
      (offset === undefined || width === undefined) &&
      use.offset !== undefined &&
      !unproven.has(use.node) &&
      hasBounds(decl)
    ) {
      unproven.add(use.node);
      const target = use.offset === "zero" ? use.node : offset === undefined ? use.offset : (use.length ?? use.node);
      result.findings.push(
        finding(
          Codes.UNPROVEN_ACCESS,
          target,
          `could not prove ${use.method}(${argText(use)}) stays inside ${describeGrant(decl)}: the ${offset === undefined ? "offset" : "length"} is not a constant`,
          decl,
        ),
      );
    }
  }

  for (const [node, byCode] of failures) {
    for (const [code, list] of byCode) {
      const first = list[0];
      const more =
        list.length > 1
          ? ` (also at ${list
              .slice(1, 4)
              .map((f) => hex(f.value))
              .join(", ")}${list.length > 4 ? ", …" : ""})`
          : "";
      const decl = manifest.caps.get(uses.find((u) => u.node === node)!.cap)!;
      result.findings.push(finding(code, node, first.message + more, decl));
    }
  }
  return result;
}

function usageOf(map: Map<string, CapUsage>, name: string): CapUsage {
  let u = map.get(name);
  if (!u) {
    u = { accesses: 0, reads: false, writes: false, allKnown: true };
    map.set(name, u);
  }
  return u;
}

function hasBounds(decl: CapDecl): boolean {
  return decl.kind === "mmio" || decl.kind === "dma"
    ? decl.size !== undefined
    : decl.kind === "ports" && decl.first !== undefined && decl.last !== undefined;
}

/** The access length for DMA read/write: the folded length, or the data's length. */
function lengthOf(use: AccessUse, ev: Evaluator): number | undefined {
  if (!use.length) return use.info?.width;
  const v = ev.evaluate(use.length, use.env);
  if (!use.lengthFromData) return numberOf(v);
  if (v.kind === "bytes") return v.length;
  if (v.kind === "array") return v.items.length;
  return undefined;
}

/** The first problem of one access in one environment, as a diagnostic code and message. */
function checkOne(
  decl: CapDecl,
  use: AccessUse,
  offset: number | undefined,
  width: number | undefined,
): Failure | undefined {
  const grant = describeGrant(decl);
  const info = use.info!;
  const write = info.effect === "write";
  const dir = write ? "write" : "read";
  const perms = permsOf(decl);
  const call = `${use.method}(${argText(use)})`;
  switch (decl.kind) {
    case "mmio": {
      const w = width ?? 0;
      let problem: AccessProblem | undefined = checkMmioWidth(w);
      if (!problem && offset !== undefined)
        problem = checkMmioAccess({ base: 0, size: decl.size ?? Number.MAX_SAFE_INTEGER, perms }, offset, w, write);
      if (!problem && info.effect !== "none") problem = checkAccessRights(perms, write, grant);
      if (!problem) return undefined;
      if (problem.code === "no-read-right" || problem.code === "no-write-right")
        problem = checkAccessRights(perms, write, grant)!;
      return failure(problem, offset ?? 0, {
        outside: `${call}: MMIO ${dir} of ${w} byte${w === 1 ? "" : "s"} at offset ${hex(offset ?? 0)} is outside the ${grant}; it ends at ${hex(decl.size ?? 0)}`,
        misaligned: `${call}: MMIO ${dir} of ${w} byte${w === 1 ? "" : "s"} at offset ${hex(offset ?? 0)} is not ${w}-byte aligned (${grant})`,
        width: `${call}: ${problem.message} (${grant})`,
        rights: `${call}: ${problem.message}`,
        outsideCode: Codes.MMIO_OUTSIDE_WINDOW,
      });
    }
    case "ports": {
      const w = width ?? 0;
      let problem: AccessProblem | undefined = checkPortWidth(w);
      if (!problem && offset !== undefined)
        problem = checkPortAccess({ first: decl.first ?? 0, last: decl.last ?? 0xffff, perms }, offset, w, write);
      if (!problem && info.effect !== "none") problem = checkAccessRights(perms, write, grant);
      if (!problem) return undefined;
      if (problem.code === "no-read-right" || problem.code === "no-write-right")
        problem = checkAccessRights(perms, write, grant)!;
      return failure(problem, offset ?? 0, {
        outside: `${call}: port ${dir} of ${w} byte${w === 1 ? "" : "s"} at ${hex(offset ?? 0)} is outside the ${grant}`,
        misaligned: `${call}: ${problem.message}`,
        width: `${call}: ${problem.message}; use in8/16/32 or out8/16/32 (${grant})`,
        rights: `${call}: ${problem.message}`,
        outsideCode: Codes.PORT_OUTSIDE_RANGE,
      });
    }
    case "dma": {
      if (decl.size === undefined || offset === undefined || width === undefined) return undefined;
      const size = dmaBufferBytes(decl.size);
      const problem = checkDmaRange(size, offset, width);
      if (!problem) return undefined;
      const what = info.effect === "none" ? "address" : `${dir} of ${width} byte${width === 1 ? "" : "s"}`;
      return {
        code: Codes.DMA_OUTSIDE_BUFFER,
        value: offset,
        message: `${call}: DMA ${what} at offset ${offset} (${hex(offset)}) is outside the ${grant}; it ends at ${size}`,
      };
    }
    default:
      return undefined;
  }
}

function failure(
  problem: AccessProblem,
  value: number,
  m: { outside: string; misaligned: string; width: string; rights: string; outsideCode: DiagnosticCode },
): Failure {
  switch (problem.code) {
    case "outside-grant":
      return { code: m.outsideCode, value, message: m.outside };
    case "misaligned":
      return { code: Codes.MISALIGNED, value, message: m.misaligned };
    case "bad-width":
      return { code: Codes.BAD_WIDTH, value, message: m.width };
    case "no-write-right":
      return { code: Codes.WRITE_WITHOUT_RIGHT, value, message: m.rights };
    case "no-read-right":
      return { code: Codes.READ_WITHOUT_RIGHT, value, message: m.rights };
  }
}

function wrongKindFinding(use: AccessUse, decl: CapDecl): Finding {
  const other = use.methodKind as CapKind;
  const message = `"${decl.name}" is ${article(decl.kind ?? "")} ${decl.kind} capability (${describeGrant(decl)}), which has no ${use.method}(); ${use.method}() needs ${article(other)} ${other}() capability, which the manifest does not declare`;
  return finding(Codes.WRONG_CAPABILITY_KIND, use.node, message, decl);
}

function article(word: string): string {
  return /^([aeiou]|mmio)/.test(word) ? "an" : "a";
}

function argText(use: AccessUse): string {
  const node = use.node;
  if (ts.isElementAccessExpression(node)) return node.argumentExpression.getText();
  return node.arguments
    .map((a) => a.getText())
    .join(", ")
    .slice(0, 60);
}

export function finding(code: DiagnosticCode, node: ts.Node, message: string, decl?: CapDecl): Finding {
  const sf = node.getSourceFile();
  const related: RelatedInfo[] = decl ? [declarationInfo(decl)] : [];
  return {
    code,
    severity: severityOf[code],
    file: sf.fileName,
    start: node.getStart(sf),
    end: node.getEnd(),
    message,
    related,
    fixes: [],
  };
}

export function declarationInfo(decl: CapDecl): RelatedInfo {
  const sf = decl.node.getSourceFile();
  const text = decl.node.getText(sf).replace(/\s+/g, " ");
  return {
    file: sf.fileName,
    start: decl.node.getStart(sf),
    end: decl.node.getEnd(),
    message: `"${decl.name}" is declared here: ${text.length > 80 ? text.slice(0, 77) + "…" : text}`,
  };
}

function numberOf(v: Value): number | undefined {
  return v.kind === "number" && Number.isFinite(v.value) ? v.value : undefined;
}
