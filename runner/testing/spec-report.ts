// The report `zds test` prints by default, the way mocha's spec reporter does: files and suites
// indented, ✔ or a number per test, the counts, then each failure with its diff, where it failed,
// and the trace to open.

import path from "node:path";
import type { TestResult } from "./run-one";

export function specReport(results: readonly TestResult[], wallMs: number, cwd: string): string {
  const lines: string[] = [""];
  const failures: TestResult[] = [];
  let lastFile = "";
  let lastSuite: string[] = [];
  for (const r of results) {
    if (r.file !== lastFile) {
      lines.push(`  ${path.relative(cwd, r.file) || r.file}`);
      lastFile = r.file;
      lastSuite = [];
    }
    const suite = r.title.slice(0, -1);
    suite.forEach((name, i) => {
      if (lastSuite[i] !== name) lines.push(`${"  ".repeat(i + 2)}${name}`);
    });
    lastSuite = suite;
    const indent = "  ".repeat(suite.length + 2);
    const name = r.title[r.title.length - 1];
    if (r.state === "passed") lines.push(`${indent}✔ ${name}${r.durationMs > 75 ? ` (${r.durationMs}ms)` : ""}`);
    else if (r.state === "skipped") lines.push(`${indent}- ${name}`);
    else {
      failures.push(r);
      lines.push(`${indent}${failures.length}) ${name}`);
    }
  }
  const passed = results.filter((r) => r.state === "passed").length;
  const skipped = results.filter((r) => r.state === "skipped").length;
  lines.push("", `  ${passed} passing (${wallMs < 1000 ? `${wallMs}ms` : `${Math.round(wallMs / 1000)}s`})`);
  if (skipped > 0) lines.push(`  ${skipped} pending`);
  if (failures.length > 0) lines.push(`  ${failures.length} failing`);
  failures.forEach((r, i) => {
    const f = r.failure;
    lines.push("", `  ${i + 1}) ${[path.relative(cwd, r.file), ...r.title].join(" ")}:`);
    lines.push(...(f?.message ?? "failed").split("\n").map((l) => `     ${l}`));
    if (f?.expected !== undefined && f.actual !== undefined)
      lines.push("     + expected - actual", "", `     -${f.actual}`, `     +${f.expected}`, "");
    if (f?.location)
      lines.push(`     at ${path.relative(cwd, f.location.file)}:${f.location.line}:${f.location.column}`);
    if (f?.trace) {
      const rel = path.relative(cwd, f.trace);
      lines.push(`     trace: ${rel} (seed ${r.seed})`);
      lines.push(
        `     open it: zds replay ${rel}, or debug it: "replay": "${rel}" in launch.json (stops at this failure)`,
      );
    }
  });
  lines.push("");
  return lines.join("\n") + "\n";
}
