// Where `@zds/sdk` is when a folder does not say: the SDK's sources that ship beside the server (in
// the vsix and in a checkout). A driver in a bare folder — no tsconfig, no package — imports
// `@zds/sdk` and TypeScript alone cannot find it; the analysis then resolves it here, as the
// TypeScript server plugin does for the editor (docs/sdk-types.md), so the same checks run with no
// file written into the user's folder and nothing pointing into the extension's install directory.

import fs from "node:fs";
import path from "node:path";

export const SDK_SPECIFIER = "@zds/sdk";

/** The SDK's entry point beside the running code: `dist/../drivers/sdk/index.ts` for the bundle,
 *  `language-server/<folder>/../../drivers/sdk/index.ts` from source. Forward slashes. */
export function bundledSdkEntry(from: string = __dirname): string | undefined {
  if (from === __dirname && besideServer !== null) return besideServer;
  const found = search(from);
  if (from === __dirname) besideServer = found;
  return found;
}

/** The search's answer for the server's own folder (it does not move while the server runs). */
let besideServer: string | undefined | null = null;

function search(from: string): string | undefined {
  for (let dir = from, i = 0; i < 4; i++, dir = path.dirname(dir)) {
    const candidate = path.join(dir, "drivers", "sdk", "index.ts");
    if (fs.existsSync(candidate)) return candidate.split(path.sep).join("/");
  }
  return undefined;
}
