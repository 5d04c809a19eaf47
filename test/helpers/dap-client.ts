// A DebugClient talking DAP over stdio to `node bin/zds.js dap` (the build must be current:
// `npm run build`), spawned directly (no shell) through test/helpers/zds-dap.js.

import path from "node:path";
import { DebugClient } from "@vscode/debugadapter-testsupport";
import type { DebugProtocol } from "@vscode/debugprotocol";

export const repoRoot = path.resolve(__dirname, "../..");

export async function startDapClient(): Promise<DebugClient> {
  const dc = new DebugClient(process.execPath, path.join(__dirname, "zds-dap.js"), "zero-driver", { cwd: repoRoot });
  dc.defaultTimeout = 20_000;
  await dc.start();
  return dc;
}

/** What VS Code says it supports: the adapter sends invalidated, memory and progress events only then. */
export const VSCODE_CLIENT: DebugProtocol.InitializeRequestArguments = {
  adapterID: "zero-driver",
  linesStartAt1: true,
  columnsStartAt1: true,
  pathFormat: "path",
  supportsInvalidatedEvent: true,
  supportsMemoryEvent: true,
  supportsMemoryReferences: true,
  supportsProgressReporting: true,
};

/** initialize → (initialized) setup → configurationDone, with launch sent beside it, as VS Code does.
 *  Not DebugClient.launch(), which sends a second, bare initialize that would forget the client's
 *  capabilities. Returns the adapter's capabilities. */
export async function launchLikeVsCode(
  dc: DebugClient,
  args: Record<string, unknown>,
  setup: () => Promise<unknown> = async () => undefined,
  client: DebugProtocol.InitializeRequestArguments = VSCODE_CLIENT,
): Promise<DebugProtocol.Capabilities> {
  const initialized = dc.waitForEvent("initialized");
  const init = await dc.initializeRequest(client);
  await Promise.all([
    initialized.then(async () => {
      await setup();
      await dc.configurationDoneRequest();
    }),
    dc.launchRequest(args as DebugProtocol.LaunchRequestArguments),
  ]);
  return init.body ?? {};
}
