// Runs the e2e suite in a real VS Code (../shared/vscode-e2e: code-server + Chromium). Skips with a
// clear message when that VS Code is not installed; `npm run test:e2e` installs it first.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");
const prefix = process.env.VSCODE_E2E_PREFIX ?? "/tmp/vscode-e2e";
const smoke = path.resolve(root, "../shared/vscode-e2e/smoke.mjs");
if (!fs.existsSync(path.join(prefix, "vscode-e2e.json")) || !fs.existsSync(smoke)) {
  console.log(`e2e: SKIPPED — no VS Code installed at ${prefix} (run \`npm run test:e2e\`, or bash ../shared/vscode-e2e/setup.sh ${prefix})`);
  process.exit(0);
}
const args = [smoke, "--prefix", prefix, "--extension", root, "--workspace", path.join(here, "workspace"), "--tests", path.join(here, "suite", "index.js"), ...process.argv.slice(2)];
const r = spawnSync(process.execPath, args, { stdio: "inherit" });
process.exit(r.status ?? 1);
