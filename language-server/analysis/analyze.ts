// The analysis of one driver module: find its manifest, trace its handles, fold every access, and
// report what is certain. Pure: a ts.Program in, plain findings out (no LSP, no vscode), so that the
// language server and `zds check` run exactly the same thing.

import ts from "typescript";
import { dmaBufferBytes, rightsToPerms } from "../../kernel/abi";
import { checkAccesses, type CapUsage } from "./access-rules";
import { checkBinding } from "./binding";
import { checkRegisters } from "./register-rules";
import { OPT_IN_CODES } from "./codes";
import { Contexts } from "./contexts";
import { childEnv, Evaluator, ROOT_ENV, type Env } from "./evaluator";
import { indexFile } from "./file-index";
import { traceHandles, type Flow } from "./flow";
import { leastPrivilege } from "./least-privilege";
import { defaultMachineKnowledge, type MachineKnowledge } from "./machines";
import { checkManifest, refusedCapabilities } from "./manifest-rules";
import { findDefineDriverCalls, readManifest, type Manifest } from "./manifest-reader";
import type { Finding } from "./types";
import { undeclaredFindings } from "./undeclared";
import { num, str, UNKNOWN, type Value } from "./values";

export interface AnalysisOptions {
  /** Also report the opt-in hints (ZDS901 "could not prove", ZDS902 "manifest not constant"). */
  hints?: boolean;
  /** What machine descriptions can provide (defaults to the device catalog and bundled machines). */
  machines?: MachineKnowledge;
}

/** One `defineDriver(...)` of a file, as analysed. */
export interface DriverModel {
  manifest: Manifest;
  flow?: Flow;
  usage: ReadonlyMap<string, CapUsage>;
  /** Offsets/ports folded at each access node. */
  folded: ReadonlyMap<ts.Node, { cap: string; method: string; values: number[]; write: boolean }>;
  evaluator: Evaluator;
  contexts: Contexts;
}

export interface LineCol {
  /** Zero-based, UTF-16 code units (as LSP and the compiler count). */
  line: number;
  character: number;
}

export interface FileAnalysis {
  fileName: string;
  sourceFile: ts.SourceFile;
  findings: Finding[];
  drivers: DriverModel[];
  machines: MachineKnowledge;
  /** Line and column of an offset in this or another file of the program (related information). */
  lineCol(file: string, offset: number): LineCol;
}

export function analyzeSourceFile(
  program: ts.Program,
  sourceFile: ts.SourceFile,
  options: AnalysisOptions = {},
): FileAnalysis {
  const machines = options.machines ?? defaultMachineKnowledge();
  const lineCol = (file: string, offset: number): LineCol => {
    const sf = file === sourceFile.fileName ? sourceFile : program.getSourceFile(file);
    return sf ? sf.getLineAndCharacterOfPosition(Math.min(offset, sf.text.length)) : { line: 0, character: 0 };
  };
  const result: FileAnalysis = {
    fileName: sourceFile.fileName,
    sourceFile,
    findings: [],
    drivers: [],
    machines,
    lineCol,
  };
  const checker = program.getTypeChecker();
  const calls = findDefineDriverCalls(indexFile(sourceFile).calls);
  for (const call of calls) {
    try {
      const driver = analyzeDriver(checker, call, options.hints ?? false, machines);
      result.drivers.push(driver.model);
      result.findings.push(...driver.findings);
    } catch (error) {
      // Half-typed code can produce trees no rule foresaw: report nothing rather than something wrong.
      if (process.env.ZDS_ANALYSIS_DEBUG) throw error;
    }
  }
  result.findings = dedupe(result.findings.filter((f) => options.hints || !OPT_IN_CODES.has(f.code))).sort(
    (a, b) => a.start - b.start || a.code.localeCompare(b.code),
  );
  return result;
}

function analyzeDriver(
  checker: ts.TypeChecker,
  call: ts.CallExpression,
  hints: boolean,
  machines: MachineKnowledge,
): { model: DriverModel; findings: Finding[] } {
  let manifest: Manifest | undefined;
  const evaluator = new Evaluator({
    checker,
    handleField: (cap, field) => (manifest ? handleField(manifest, cap, field) : UNKNOWN),
  });
  manifest = readManifest(call, evaluator);
  const main = manifest.main;
  const mainEnv: Env = main?.parameters[0]
    ? childEnv(ROOT_ENV, new Map<ts.Node, Value>([[main.parameters[0], { kind: "handles" }]]))
    : ROOT_ENV;
  const contexts = new Contexts(evaluator, main, mainEnv);
  const findings: Finding[] = [...checkManifest(manifest, hints, machines), ...checkBinding(manifest, machines)];
  const model: DriverModel = { manifest, usage: new Map(), folded: new Map(), evaluator, contexts };
  if (main && manifest.literal) {
    const flow = traceHandles(manifest, main, evaluator, contexts);
    const checked = checkAccesses(manifest, flow.accesses, evaluator, hints);
    findings.push(
      ...checked.findings,
      ...checkRegisters(manifest, checked.folded),
      ...undeclaredFindings(manifest, checked.undeclared),
      // No advice to narrow a grant Init refuses: the fix is the manifest, not the width.
      ...leastPrivilege(manifest, flow, checked.usage, refusedCapabilities(findings)),
    );
    model.flow = flow;
    model.usage = checked.usage;
    model.folded = checked.folded;
  }
  return { model, findings };
}

/** What `regs.size`, `ports.first`… are, from the manifest. */
function handleField(manifest: Manifest, cap: string, field: string): Value {
  const decl = manifest.caps.get(cap);
  if (!decl) return UNKNOWN;
  const known = (n: number | undefined): Value => (n === undefined ? UNKNOWN : num(n));
  switch (`${decl.kind}.${field}`) {
    case "mmio.size":
      return known(decl.size);
    case "ports.first":
      return known(decl.first);
    case "ports.last":
      return known(decl.last);
    case "mmio.perms":
    case "ports.perms":
      return decl.rights ? num(rightsToPerms(decl.rights)) : UNKNOWN;
    case "dma.size":
      return decl.size === undefined ? UNKNOWN : num(dmaBufferBytes(decl.size));
    case "serve.name":
    case "client.service":
      return decl.service === undefined ? UNKNOWN : str(decl.service);
    default:
      return UNKNOWN;
  }
}

function dedupe(findings: Finding[]): Finding[] {
  const seen = new Set<string>();
  return findings.filter((f) => {
    const key = `${f.file}:${f.start}:${f.end}:${f.code}:${f.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
