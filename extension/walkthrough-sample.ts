// The walkthrough's sample: the bundled virtio-rng driver with its `irq: irq()` declaration taken
// out, so the language server reports ZDS201 (a capability used but not declared) with the quick
// fix that declares it; plus the rng-cat client and a launch configuration that debugs the pair.
// No `vscode` import here, so mocha tests it directly (test/extension/walkthrough-sample.test.ts).

import fs from "node:fs";
import path from "node:path";

export const WALKTHROUGH_DRIVER = "walkthrough-rng";
export const WALKTHROUGH_CLIENT = "rng-cat";
/** The diagnostic the sample shows until its quick fix is applied. */
export const WALKTHROUGH_CODE = "ZDS201";

export const WALKTHROUGH_LAUNCH = {
  type: "zero-driver",
  request: "launch",
  name: "Getting Started: debug walkthrough-rng",
  programs: [`\${workspaceFolder}/drivers/${WALKTHROUGH_DRIVER}`, `\${workspaceFolder}/drivers/${WALKTHROUGH_CLIENT}`],
  machine: "virt",
  cwd: "${workspaceFolder}",
};

const DECLARATION = /^ {4}irq: irq\(\),\n/m;

/** The sample driver's source, made from the bundled virtio-rng. */
export function walkthroughSource(driversDir: string): string {
  const source = fs.readFileSync(path.join(driversDir, "virtio-rng", "index.ts"), "utf8");
  if (!DECLARATION.test(source))
    throw new Error(
      "the virtio-rng sample no longer declares `irq: irq(),` on its own line: update walkthrough-sample.ts",
    );
  const header = `// ${WALKTHROUGH_DRIVER}: the Getting Started sample. It is the virtio-rng driver with one mistake:\n// the manifest below does not declare the IRQ capability that waitForInterrupt() uses.\n\n`;
  return header + source.replace(DECLARATION, "").replace(/(\bname:\s*)"virtio-rng"/, `$1"${WALKTHROUGH_DRIVER}"`);
}

export interface WalkthroughFiles {
  driver: string;
  client: string;
  launch: string;
}

/** Write the sample, its client and the launch configuration into `workspace`.
 *  An existing sample driver is left alone (the author may have worked on it). */
export function scaffoldWalkthrough(driversDir: string, workspace: string): WalkthroughFiles {
  const driver = path.join(workspace, "drivers", WALKTHROUGH_DRIVER, "index.ts");
  if (!fs.existsSync(driver)) {
    fs.mkdirSync(path.dirname(driver), { recursive: true });
    fs.writeFileSync(driver, walkthroughSource(driversDir));
  }
  const client = path.join(workspace, "drivers", WALKTHROUGH_CLIENT, "index.ts");
  if (!fs.existsSync(client)) {
    fs.mkdirSync(path.dirname(client), { recursive: true });
    fs.copyFileSync(path.join(driversDir, WALKTHROUGH_CLIENT, "index.ts"), client);
  }
  const launch = path.join(workspace, ".vscode", "launch.json");
  addLaunchConfiguration(launch);
  return { driver, client, launch };
}

/** Add the walkthrough's configuration to launch.json (creating it), unless one by that name is there.
 *  A launch.json that is not plain JSON (comments) is left alone: the walkthrough passes the
 *  configuration itself when it starts debugging. */
function addLaunchConfiguration(file: string): void {
  let launch: { version: string; configurations: { name?: string }[] } = { version: "0.2.0", configurations: [] };
  if (fs.existsSync(file)) {
    try {
      launch = JSON.parse(fs.readFileSync(file, "utf8"));
    } catch {
      return;
    }
    if (!Array.isArray(launch.configurations)) return;
    if (launch.configurations.some((c) => c.name === WALKTHROUGH_LAUNCH.name)) return;
  }
  launch.configurations.push(WALKTHROUGH_LAUNCH);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(launch, null, 2)}\n`);
}
