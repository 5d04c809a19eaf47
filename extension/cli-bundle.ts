// `zds check` for the Check Capabilities command, run as a child process of the CLI's own bundle
// (dist/cli.js). The checker carries the TypeScript compiler (about 10 MB of code) and checks
// synchronously: in the extension host it would make every activation heavier and freeze the host
// while a big workspace is checked. Its output is JSON, so nothing is lost by the process boundary.

import { fork } from "node:child_process";
import path from "node:path";

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], cwd: string, env?: Record<string, string>): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    // fork() runs Node from VS Code's own executable (ELECTRON_RUN_AS_NODE on the desktop).
    const child = fork(path.join(__dirname, "cli.js"), args, {
      cwd,
      silent: true,
      ...(env && { env: { ...process.env, ...env } }),
    });
    let stdout = "";
    let stderr = "";
    child.stdout?.setEncoding("utf8").on("data", (t: string) => (stdout += t));
    child.stderr?.setEncoding("utf8").on("data", (t: string) => (stderr += t));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? 70, stdout, stderr }));
  });
}
