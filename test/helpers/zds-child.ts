// `zds` (bin/zds.js, the built CLI) as a child process, awaited without blocking the test process:
// runs that render a console stay out of the test runner's own process.
import { execFile } from "node:child_process";
import path from "node:path";

export const repoRoot = path.join(__dirname, "..", "..");

export interface ZdsResult {
  status: number;
  stdout: string;
  stderr: string;
}

export function zdsChild(args: readonly string[], options: { input?: string } = {}): Promise<ZdsResult> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [path.join(repoRoot, "bin", "zds.js"), ...args],
      { cwd: repoRoot, encoding: "utf8", timeout: 60_000, maxBuffer: 64 << 20 },
      (error, stdout, stderr) => {
        const code =
          error && typeof (error as { code?: unknown }).code === "number"
            ? (error as { code: number }).code
            : error
              ? 70
              : 0;
        resolve({ status: code, stdout, stderr });
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
    else child.stdin?.end();
  });
}
