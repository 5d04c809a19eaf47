// The static/run-time agreement over the whole fixture corpus: each fixture of test/fixtures/lsp is
// run for real on the virt machine, and what the run reports must be what `zds check` says, line for
// line and code for code (kernel/abi/diagnostics.ts RUNTIME_COUNTERPART, docs/diagnostics.md).
//
// A run ends at its first fault; to reach the next mistake the line that faulted is commented out
// (line numbers stay) and the fixture is run again, until it runs to its end. Every verdict must sit
// on a line the corpus marks with the same code (`// expect: ZDSnnn`) — or, without a code, on a line
// whose codes have no run-time counterpart or that carries none — and every marked line whose code has a
// counterpart must have been confirmed by a verdict, unless UNCONFIRMED below says why it cannot be.
// Functions the fixtures only declare (`declare function pick(): number;`) are given a body
// returning 0, so that the code runs; the analysis does not know their value either way.

import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { RUNTIME_COUNTERPART, severityOf, type DiagnosticCode } from "../../kernel/abi/diagnostics";
import { DriverLoadError } from "../../kernel/loader/bundle-driver";
import { runPrograms } from "../helpers/run-session";
import { analyzeFile, FIXTURE_MACHINES, fixtures, root } from "./helpers";

const EXPECT = /\/\/\s*expect:\s*(ZDS\d{3}(?:\s*,\s*ZDS\d{3})*)/;

/** Marked lines that no run can confirm, and why. Keyed `file:line`. */
const UNCONFIRMED: Readonly<Record<string, string>> = {
  "dma-buffer.ts:20":
    "`bytes[5000] = 1` past the end of a typed array is dropped by JavaScript without an error: nothing sees it",
  "binding.ts:21":
    "Init refuses the binding (line 19) before it looks at the grants: the ports() capability is never judged",
  "bad-input-not-literal.ts:12":
    "the module's manifests come from a function that is only declared: evaluating the module throws first",
  "bad-input-syntax.ts:10": "half-typed code does not compile, so it cannot run",
};

/** Fixtures where the analysis declines to guess: the run knows the values, so it finds more. */
const GUESS_FREE = new Set(["uncertain.ts"]);

interface Verdict {
  /** The driver's line the fault names (the first problem's, for a refused manifest). */
  line: number | undefined;
  code: DiagnosticCode | undefined;
  kind: string;
  counted: number;
  message: string;
  /** Every line and code the fault names (a manifest Init refuses for several reasons names each). */
  places: { line: number; column: number; code: DiagnosticCode | undefined }[];
}

/** Where `zds check` puts each code, by line: the columns its findings start at. */
function staticColumns(file: string): Map<string, number[]> {
  const analysis = analyzeFile(file, { machines: FIXTURE_MACHINES });
  const out = new Map<string, number[]>();
  for (const f of analysis?.findings ?? []) {
    if (f.file !== file) continue;
    const at = analysis!.lineCol(f.file, f.start);
    const key = `${at.line + 1}:${f.code}`;
    out.set(key, [...(out.get(key) ?? []), at.character + 1]);
  }
  return out;
}

function expectations(text: string): Map<number, DiagnosticCode[]> {
  const out = new Map<number, DiagnosticCode[]>();
  text.split("\n").forEach((line, i) => {
    const m = EXPECT.exec(line);
    if (m)
      out.set(
        i + 1,
        m[1].split(",").map((c) => c.trim() as DiagnosticCode),
      );
  });
  return out;
}

/** The drivers a fixture exports: its default export, or each `export const X = defineDriver(`. */
function driverExports(text: string): (string | undefined)[] {
  if (/export\s+default\s+defineDriver\s*\(/.test(text)) return [undefined];
  const named = [...text.matchAll(/export\s+const\s+(\w+)\s*=\s*defineDriver\s*\(/g)].map((m) => m[1]);
  return named.length > 0 ? named : [undefined];
}

/** A fixture as it runs: declared functions get a body; `exported` becomes the default export. */
function runnable(text: string, exported: string | undefined): string {
  const body = text.replace(/^declare function (\w+)\(\): number;$/gm, "function $1(): number { return 0; }");
  return exported ? `${body}\nexport default ${exported};\n` : body;
}

let work: string | undefined;
/** A copy of the corpus (fixtures import each other and shared/), where variants are written. */
function workDir(): string {
  if (work) return work;
  work = fs.mkdtempSync(path.join(os.tmpdir(), "zds-agreement-"));
  fs.cpSync(fixtures, work, { recursive: true });
  return work;
}

async function verdictOf(file: string): Promise<Verdict | "does not compile"> {
  let run;
  try {
    run = await runPrograms([file], { timeoutSeconds: 30 });
  } catch (error) {
    if (error instanceof DriverLoadError) return "does not compile";
    throw error;
  }
  const proc = run.summary.processes[0];
  const fault = proc.faults[proc.faults.length - 1];
  const counted = run.summary.violations.length;
  if (!fault) return { line: undefined, code: undefined, kind: proc.state, counted, message: "", places: [] };
  const place = fault.source?.file === file ? fault.source : undefined;
  const places = fault.problems
    ? fault.problems.flatMap((p) =>
        p.source?.file === file ? [{ line: p.source.line, column: p.source.column, code: p.code }] : [],
      )
    : place
      ? [{ line: place.line, column: place.column, code: fault.code }]
      : [];
  return { line: place?.line, code: fault.code, kind: fault.kind, counted, message: fault.message, places };
}

/** Every verdict of one driver of one fixture, commenting out each faulting line in turn. */
async function verdicts(name: string, exported: string | undefined): Promise<Verdict[]> {
  const source = fs.readFileSync(path.join(fixtures, name), "utf8");
  const lines = runnable(source, exported).split("\n");
  const out: Verdict[] = [];
  const file = path.join(
    workDir(),
    `__run-${exported ?? "default"}-${name.replace(/\.(ts|js)$/, "")}${path.extname(name)}`,
  );
  for (let round = 0; round < 40; round++) {
    fs.writeFileSync(file, lines.join("\n"));
    const v = await verdictOf(file);
    if (v === "does not compile") {
      out.push({ line: undefined, code: undefined, kind: "does not compile", counted: 0, message: "", places: [] });
      return out;
    }
    out.push(v);
    if (v.kind !== "panic" && v.kind !== "capability-violation" && v.kind !== "stack-overflow") return out;
    if (v.line === undefined || lines[v.line - 1].trimStart().startsWith("//")) return out;
    lines[v.line - 1] = `// ${lines[v.line - 1]}`;
  }
  return out;
}

describe("static and run-time verdicts agree over the fixture corpus", function () {
  this.timeout(300_000);
  const files = fs.readdirSync(fixtures).filter((f) => /\.(ts|js)$/.test(f));

  after(() => {
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  for (const name of files) {
    it(name, async () => {
      const text = fs.readFileSync(path.join(fixtures, name), "utf8");
      const expected = expectations(text);
      const columns = staticColumns(path.join(fixtures, name));
      const confirmed = new Set<string>();
      const seen: string[] = [];
      for (const exported of driverExports(text)) {
        for (const v of await verdicts(name, exported)) {
          const where = `${name}:${v.line ?? "?"}`;
          seen.push(`${where} ${v.kind} ${v.code ?? "-"} (${v.counted} counted) ${v.message.slice(0, 100)}`);
          for (const { line, column, code } of v.places) {
            const at = `${name}:${line}`;
            const codes = expected.get(line) ?? [];
            if (code !== undefined) {
              if (GUESS_FREE.has(name) && codes.length === 0) continue;
              assert.ok(
                codes.includes(code),
                `${at}: the run says ${code}, the analysis ${codes.join(", ") || "nothing"}\n${seen.join("\n")}`,
              );
              const counterpart = RUNTIME_COUNTERPART[code];
              assert.ok(counterpart, `${code} has no run-time counterpart in the table, yet a run reported it`);
              assert.equal(v.kind, counterpart.fault, `${at}: ${code} should end the driver with ${counterpart.fault}`);
              assert.equal(v.counted > 0, counterpart.counted, `${at}: ${code} counted as a violation: ${v.counted}`);
              // The same place as `zds check`, column included.
              const want = columns.get(`${line}:${code}`) ?? [];
              assert.ok(
                want.includes(column),
                `${at}: the run says column ${column}, zds check ${want.join(" or ") || "none"} (${code})`,
              );
              confirmed.add(`${line}:${code}`);
            } else {
              // A verdict without a code on a marked line: only where no marked code has a counterpart.
              assert.ok(
                codes.every((c) => RUNTIME_COUNTERPART[c] === undefined),
                `${at}: the run reports no code (${v.kind}: ${v.message}), the analysis ${codes.join(", ")}\n${seen.join("\n")}`,
              );
            }
          }
        }
      }
      if (process.env.ZDS_AGREEMENT_LOG) console.log(seen.join("\n"));
      // A startup verdict may name several problems: each placed one confirms its line.
      for (const [line, codes] of expected) {
        for (const code of codes) {
          if (RUNTIME_COUNTERPART[code] === undefined || confirmed.has(`${line}:${code}`)) continue;
          assert.ok(
            UNCONFIRMED[`${name}:${line}`] !== undefined,
            `${name}:${line}: ${code} was never reported by a run (verdicts:\n${seen.join("\n")})`,
          );
        }
      }
    });
  }
});

describe("docs/diagnostics.md lists the run-time counterpart of each code that has one", () => {
  it("one row per such code, with the fault kind and whether the run counts it", () => {
    const doc = fs.readFileSync(path.join(root, "docs", "diagnostics.md"), "utf8");
    const section = doc.slice(doc.indexOf("## At run time"), doc.indexOf("## In the editor"));
    const rows = new Map<string, string>();
    for (const line of section.split("\n")) {
      const m = /^\| (ZDS\d{3}(?:, ZDS\d{3})*) \|(.*)$/.exec(line);
      if (m) for (const code of m[1].split(", ")) rows.set(code, m[2]);
    }
    const codes = (Object.keys(severityOf) as DiagnosticCode[]).filter((c) => RUNTIME_COUNTERPART[c] !== undefined);
    assert.deepEqual([...rows.keys()].sort(), codes.sort());
    for (const code of codes) {
      const row = rows.get(code)!;
      const counterpart = RUNTIME_COUNTERPART[code]!;
      assert.ok(row.includes(`\`${counterpart.fault}\``), `${code}: the row names ${counterpart.fault}`);
      assert.match(row, counterpart.counted ? /\| yes \|/ : /\| no \|/, `${code}: counted?`);
    }
  });
});
