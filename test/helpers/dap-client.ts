// A DebugClient talking DAP over stdio to `node bin/zds.js dap` (the build must be current:
// `npm run build`). DebugClient spawns its runtime with no further arguments; a shell adds "dap".

import path from "node:path";
import { DebugClient } from "@vscode/debugadapter-testsupport";

export const repoRoot = path.resolve(__dirname, "../..");

export async function startDapClient(): Promise<DebugClient> {
  const dc = new DebugClient(JSON.stringify(process.execPath), `${JSON.stringify(path.join(repoRoot, "bin/zds.js"))} dap`, "zero-driver", { shell: true, cwd: repoRoot });
  dc.defaultTimeout = 20_000;
  await dc.start();
  return dc;
}
