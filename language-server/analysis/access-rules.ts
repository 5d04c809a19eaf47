// Every traced access, checked with the shared capability rules (kernel/abi/caps.ts) against the
// manifest's grant, in each environment it runs in. Also gathers what each capability is really
// used for (directions, offsets) for the least-privilege rules.

import ts from "typescript";
import {
  accessMessage,
  checkAccessRights,
  checkDmaRange,
  checkMmioAccess,
  checkMmioWidth,
  checkPortAccess,
  checkPortWidth,
  dmaBufferBytes,
  wrongKindMessage,
  type AccessProblem,
  type AccessWords,
} from "../../kernel/abi";
import { Codes, severityOf, type DiagnosticCode } from "./codes";
import type { Evaluator } from "./evaluator";
import type { AccessUse } from "./flow";
import { describeGrant, grantWords, permsOf } from "./grants";
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

/** The first problem of one access in one environment, as a diagnostic code and message (the
 *  words are the shared ones of kernel/abi/diagnostics.ts: a run that makes the access says the same). */
function checkOne(
  decl: CapDecl,
  use: AccessUse,
  offset: number | undefined,
  width: number | undefined,
): Failure | undefined {
  const grant = describeGrant(decl);
  const info = use.info!;
  const write = info.effect === "write";
  const perms = permsOf(decl);
  const call = `${use.method}(${argText(use)})`;
  const words = (space: AccessWords["space"], w: number, end: number): AccessWords => ({
    call,
    grant: grantWords(decl),
    space,
    effect: info.effect,
    offset: offset ?? 0,
    width: w,
    end,
  });
  switch (decl.kind) {
    case "mmio": {
      const w = width ?? 0;
      let problem: AccessProblem | undefined = checkMmioWidth(w);
      if (!problem && offset !== undefined)
        problem = checkMmioAccess({ base: 0, size: decl.size ?? Number.MAX_SAFE_INTEGER, perms }, offset, w, write);
      if (!problem && info.effect !== "none") problem = checkAccessRights(perms, write, grant);
      if (!problem) return undefined;
      const { code, message } = accessMessage(problem, words("mmio", w, decl.size ?? 0));
      return { code, value: offset ?? 0, message };
    }
    case "ports": {
      const w = width ?? 0;
      let problem: AccessProblem | undefined = checkPortWidth(w);
      if (!problem && offset !== undefined)
        problem = checkPortAccess({ first: decl.first ?? 0, last: decl.last ?? 0xffff, perms }, offset, w, write);
      if (!problem && info.effect !== "none") problem = checkAccessRights(perms, write, grant);
      if (!problem) return undefined;
      const { code, message } = accessMessage(problem, words("ports", w, decl.last ?? 0));
      return { code, value: offset ?? 0, message };
    }
    case "dma": {
      if (decl.size === undefined || offset === undefined || width === undefined) return undefined;
      const size = dmaBufferBytes(decl.size);
      const problem = checkDmaRange(size, offset, width);
      if (!problem) return undefined;
      const { code, message } = accessMessage(problem, words("dma", width, size));
      return { code, value: offset, message };
    }
    default:
      return undefined;
  }
}

function wrongKindFinding(use: AccessUse, decl: CapDecl): Finding {
  const other = use.methodKind as CapKind;
  const words = grantWords(decl);
  const message = decl.kind
    ? wrongKindMessage({ ...words, kind: decl.kind }, use.method, other)
    : `"${decl.name}" has no ${use.method}()`;
  return finding(Codes.WRONG_CAPABILITY_KIND, use.node, message, decl);
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
