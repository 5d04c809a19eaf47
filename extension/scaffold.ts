// "New Driver…": writes a driver for a chosen device into a workspace. The templates are the
// bundled sample drivers themselves (drivers/<sample>/index.ts), renamed: they are what the test
// suite proves checks clean and runs, so a new driver starts from known-good code instead of a
// second copy that could rot. No `vscode` import here, so mocha tests it directly.

import fs from "node:fs";
import path from "node:path";

export interface DriverTemplate {
  /** Device id shown in the quick pick. */
  device: string;
  description: string;
  /** Sample folder under drivers/ the driver is made from. */
  sample: string;
  /** Sample client that exercises what the driver serves (to run it). */
  client: string;
}

export const TEMPLATES: readonly DriverTemplate[] = [
  { device: "virtio-rng", description: 'virtio entropy device; serves "rng"', sample: "virtio-rng", client: "rng-cat" },
  { device: "virtio-blk", description: 'virtio block device; serves "blk"', sample: "virtio-blk", client: "blk-check" },
  {
    device: "ata",
    description: 'ATA disk, PIO on ports 0x1F0–0x1F7, IRQ 14; serves "blk"',
    sample: "ata-pio",
    client: "blk-check",
  },
  {
    device: "nvme",
    description: 'NVMe controller, 8 KiB MMIO window, IRQ 10, admin and I/O queue pairs; serves "blk"',
    sample: "nvme",
    client: "blk-check",
  },
  {
    device: "ahci",
    description: 'AHCI HBA, one SATA port, ABAR at 0x1004_0000, IRQ 9, 32 command slots; serves "blk"',
    sample: "ahci",
    client: "blk-check",
  },
  {
    device: "virtio-console",
    description: 'virtio console, port 0; serves "console"',
    sample: "virtio-console",
    client: "hello-console",
  },
  { device: "virtio-net", description: 'virtio network card; serves "net"', sample: "virtio-net", client: "ping" },
  {
    device: "e1000",
    description: 'Intel 82540EM network card, 128 KiB MMIO window, IRQ 11; serves "net"',
    sample: "e1000",
    client: "ping",
  },
  {
    device: "uart16550",
    description: '16550 UART (COM1), ports 0x3F8–0x3FF, IRQ 4; serves "console"',
    sample: "uart16550",
    client: "hello-console",
  },
];

export class ScaffoldError extends Error {}

const NAME = /^[a-z][a-z0-9-]{0,62}$/;

export function validateDriverName(name: string): string | undefined {
  return NAME.test(name) ? undefined : "lower-case letters, digits and dashes, starting with a letter";
}

export interface ScaffoldOptions {
  /** The extension's drivers/ folder (templates and the SDK). */
  driversDir: string;
  /** Workspace folder to write into; the driver goes to <workspace>/drivers/<name>/index.ts. */
  workspace: string;
  device: string;
  name: string;
}

export interface ScaffoldResult {
  entry: string;
  template: DriverTemplate;
}

export function scaffoldDriver(options: ScaffoldOptions): ScaffoldResult {
  const template = TEMPLATES.find((t) => t.device === options.device);
  if (!template)
    throw new ScaffoldError(
      `no template for device "${options.device}" (have: ${TEMPLATES.map((t) => t.device).join(", ")})`,
    );
  const problem = validateDriverName(options.name);
  if (problem) throw new ScaffoldError(`bad driver name "${options.name}": ${problem}`);
  const dir = path.join(options.workspace, "drivers", options.name);
  const entry = path.join(dir, "index.ts");
  if (fs.existsSync(entry)) throw new ScaffoldError(`${entry} already exists`);

  const source = fs.readFileSync(path.join(options.driversDir, template.sample, "index.ts"), "utf8");
  const renamed = source.replace(/(\bname:\s*)"[^"]*"/, `$1${JSON.stringify(options.name)}`);
  if (renamed === source && template.sample !== options.name)
    throw new ScaffoldError(`template ${template.sample} has no name: field to rename`);
  const header = `// ${options.name}: a driver for ${template.device}, made by Zero Driver Studio's New Driver… from the\n// ${template.sample} sample. Run it with its client: zds run drivers/${options.name} <client>.\n\n`;
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(entry, header + renamed);

  // No tsconfig.json: the language server and the TypeScript server plugin both resolve `@zds/sdk`
  // to the SDK that ships with the extension (docs/sdk-types.md); one written here would have to
  // point into the extension's install folder, which changes with every update.
  return { entry, template };
}
