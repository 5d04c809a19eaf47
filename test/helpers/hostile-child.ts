// `zds run --json` as a child process for the hostile suite: a host crash (even a V8 abort) ends
// the child, not the test runner. Resolves with the exit status or signal, the output, the child's
// PID (which names the files an escaped driver would write) and the summary (the last JSON line).
import { spawn } from "node:child_process";
import path from "node:path";
import type { RunSummary } from "../../kernel/session";
import { repoRoot } from "./zds-child";

export interface HostileChildResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  pid: number;
  summary: RunSummary | undefined;
}

export function zdsRunJson(args: readonly string[], timeoutMs = 120_000): Promise<HostileChildResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(repoRoot, "bin", "zds.js"), "run", "--json", ...args], {
      cwd: repoRoot,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("close", (status, signal) => {
      clearTimeout(timer);
      let summary: RunSummary | undefined;
      const last = stdout.trim().split("\n").pop() ?? "";
      try {
        const parsed = JSON.parse(last) as RunSummary;
        if (parsed && Array.isArray(parsed.processes)) summary = parsed;
      } catch {
        summary = undefined;
      }
      resolve({ status, signal, stdout, stderr, pid: child.pid ?? -1, summary });
    });
  });
}
