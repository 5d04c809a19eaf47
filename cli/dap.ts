// `zds dap`: the debug adapter over stdin/stdout, for tests and editors other than VS Code (which
// runs the same session inline). Nothing else may write to stdout: it carries the protocol.

import { ZeroDriverDebugSession } from "../debug-adapter/session";

export const DAP_USAGE = `usage: zds dap

Speaks the Debug Adapter Protocol on stdin/stdout (debug type "zero-driver"; docs/debugging.md).`;

export function dapCommand(argv: string[], io: { out(text: string): void }): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    io.out(DAP_USAGE + "\n");
    return Promise.resolve(0);
  }
  const session = new ZeroDriverDebugSession();
  session.start(process.stdin, process.stdout);
  // The session ends the process itself after a disconnect; a client that just goes away closes stdin.
  return new Promise((resolve) => process.stdin.on("close", () => resolve(0)));
}
