// Runs Zero Driver Studio in a real VS Code (code-server 4.100.3 + Chromium), with the team's
// vscode-e2e tools copied into test/e2e/vscode-e2e/ (setup.sh installs that VS Code; smoke.mjs runs it).
//   node test/e2e/run.mjs              the suite (test/e2e/suite) with the extension as a folder
//   node test/e2e/run.mjs --vsix FILE  the suite with the extension installed from FILE, as a user
//                                      installs it (an empty harness is the development extension),
//                                      then the bare-folder suite
//   node test/e2e/run.mjs --bare [--vsix FILE]
//                                      only the bare-folder suite (test/e2e/suite/bare.test.js): a folder
//                                      holding one driver copied from a sample and nothing else, where
//                                      VS Code's TypeScript must resolve @zds/sdk (docs/sdk-types.md)
//   node test/e2e/run.mjs --ui [--vsix FILE]
//                                      one UI pass that looks at what a person sees: the Problems
//                                      panel, the debug toolbar and call stack at a breakpoint, the
//                                      console terminal's text
//   node test/e2e/run.mjs --restricted --vsix FILE
//                                      Workspace Trust on, the workspace untrusted: the suite in
//                                      test/e2e/suite/restricted.test.js
// Each run gets a fresh copy of its workspace (the suite writes into it). Skips with a clear message
// when that VS Code is not installed (an error under CI=true); `npm run test:e2e` installs it first.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");
const prefix = process.env.VSCODE_E2E_PREFIX ?? "/tmp/vscode-e2e";
const smoke = path.join(here, "vscode-e2e", "smoke.mjs");
const EXTENSION_ID = "zero-driver-studio.zero-driver-studio";

const argv = process.argv.slice(2);
const take = (flag) => {
  const i = argv.indexOf(flag);
  if (i < 0) return undefined;
  const [, value] = argv.splice(i, 2);
  return value ?? "";
};
const vsix = take("--vsix");
const flag = (name) => (argv.includes(name) ? (argv.splice(argv.indexOf(name), 1), true) : false);
const ui = flag("--ui");
const restricted = flag("--restricted");
const bareOnly = flag("--bare");

if (!fs.existsSync(path.join(prefix, "vscode-e2e.json"))) {
  const message = `no VS Code installed at ${prefix} (run \`npm run test:e2e\`, or bash test/e2e/vscode-e2e/setup.sh ${prefix})`;
  if (process.env.CI === "true") {
    console.error(`e2e: ${message}`);
    process.exit(2);
  }
  console.log(`e2e: SKIPPED — ${message}`);
  process.exit(0);
}
if (vsix !== undefined && !fs.existsSync(vsix)) {
  console.error(`e2e: --vsix ${vsix}: no such file (build it with npm run package)`);
  process.exit(2);
}

/** A fresh workspace: the fixture folders copied, @zds/sdk mapped to this checkout's SDK. */
function workspace(...fixtures) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "zds-e2e-ws-"));
  for (const f of fixtures) fs.cpSync(path.join(here, f), dir, { recursive: true });
  const tsconfig = path.join(dir, "tsconfig.json");
  const config = JSON.parse(fs.readFileSync(tsconfig, "utf8"));
  config.compilerOptions.paths["@zds/sdk"] = [path.join(root, "drivers", "sdk", "index.ts")];
  fs.writeFileSync(tsconfig, JSON.stringify(config, null, 2));
  return dir;
}

/** A bare folder: one driver copied from the virtio-rng sample; no tsconfig, package.json or node_modules. */
function bareFolder() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "zds-e2e-bare-"));
  fs.mkdirSync(path.join(dir, "my-rng"));
  fs.copyFileSync(path.join(root, "drivers", "virtio-rng", "index.ts"), path.join(dir, "my-rng", "index.ts"));
  return dir;
}

const extensionArgs = vsix ? ["--extension", path.resolve(vsix), "--extension", path.join(here, "harness"), "--ext-id", EXTENSION_ID] : ["--extension", root];
let args;
if (ui) {
  const ws = workspace("workspace", "ui-workspace");
  fs.cpSync(path.join(root, "drivers", "uart16550"), path.join(ws, "drivers", "uart16550"), { recursive: true });
  args = [
    ...extensionArgs,
    "--workspace", ws,
    "--open", "drivers/bad-rng/index.ts",
    "--expect-problem", 'outside the MMIO window "regs"',
    "--debug-config", "UI: debug hello-debugger",
    "--expect-debug", "hello-debugger (pid",
    "--expect-debug", "index.ts",
    "--no-stop-debug",
    "--command", "Terminal: Focus Terminal",
    // The machine is paused at the `debugger` statement while the UART still shifts out the
    // line's last bytes in virtual time, so the terminal shows it up to there.
    "--expect-text", "hello-debugger: the console",
    "--expect-text", "Zero Driver: uart0 (virt) [debug]",
  ];
} else if (restricted) {
  args = [...extensionArgs, "--restricted", "--workspace", workspace("workspace"), "--tests", path.join(here, "suite", "restricted.js")];
} else if (!bareOnly) {
  args = [...extensionArgs, "--workspace", workspace("workspace"), "--tests", path.join(here, "suite", "index.js")];
}
const runs = [];
if (args) runs.push({ label: ui ? "UI pass" : restricted ? "Restricted Mode suite" : "suite", args });
if (bareOnly || (!ui && !restricted)) runs.push({ label: "bare-folder suite", args: [...extensionArgs, "--workspace", bareFolder(), "--tests", path.join(here, "suite", "bare.js")] });
let status = 0;
for (const run of runs) {
  console.log(`e2e: ${run.label} with the extension ${vsix ? `installed from ${vsix}` : `as a folder (${root})`}`);
  const r = spawnSync(process.execPath, [smoke, "--prefix", prefix, ...run.args, ...argv], { stdio: "inherit" });
  if ((r.status ?? 1) !== 0 && status === 0) status = r.status ?? 1;
}
process.exit(status);
