// JUnit XML for CI (`zds test --reporter junit`): one <testsuite> per test file, one <testcase> per
// test (and seed), <failure> with the message, the diff and the trace path, <skipped/> for skipped.

import path from "node:path";
import type { TestResult } from "./run-one";

const escape = (text: string): string =>
  text
    // XML 1.0 has no place for most control characters, even escaped.
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, "")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");

export function junitReport(results: readonly TestResult[], wallMs: number): string {
  const byFile = new Map<string, TestResult[]>();
  for (const r of results) byFile.set(r.file, [...(byFile.get(r.file) ?? []), r]);
  const failures = results.filter((r) => r.state === "failed").length;
  const out = [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<testsuites name="zds test" tests="${results.length}" failures="${failures}" time="${(wallMs / 1000).toFixed(3)}">`,
  ];
  for (const [file, list] of byFile) {
    const time = list.reduce((t, r) => t + r.durationMs, 0) / 1000;
    out.push(
      `  <testsuite name="${escape(path.basename(file))}" file="${escape(file)}" tests="${list.length}" failures="${list.filter((r) => r.state === "failed").length}" skipped="${list.filter((r) => r.state === "skipped").length}" time="${time.toFixed(3)}">`,
    );
    for (const r of list) {
      const name = escape(r.title[r.title.length - 1] ?? "");
      const classname = escape([path.basename(file), ...r.title.slice(0, -1)].join("."));
      const open = `    <testcase classname="${classname}" name="${name}" time="${(r.durationMs / 1000).toFixed(3)}"`;
      if (r.state === "passed") out.push(`${open}/>`);
      else if (r.state === "skipped") out.push(`${open}>`, `      <skipped/>`, `    </testcase>`);
      else {
        const f = r.failure;
        const body = [
          f?.message ?? "failed",
          ...(f?.expected !== undefined ? [`expected: ${f.expected}`, `actual: ${f.actual}`] : []),
          ...(f?.location ? [`at ${f.location.file}:${f.location.line}:${f.location.column}`] : []),
          ...(f?.trace ? [`trace: ${f.trace}`] : []),
        ].join("\n");
        out.push(
          `${open}>`,
          `      <failure message="${escape(f?.message ?? "failed")}" type="AssertionError">${escape(body)}</failure>`,
          `    </testcase>`,
        );
      }
    }
    out.push(`  </testsuite>`);
  }
  out.push(`</testsuites>`, "");
  return out.join("\n");
}
