// `zds init [dir] [--force]`: makes a folder ready for writing drivers with tools outside VS Code
// (tsc, another editor, `zds check`). In VS Code the extension's TypeScript server plugin resolves
// `@zds/sdk` in any folder with nothing written; a terminal has no plugin, so this copies the SDK's
// declarations (dist/types, with their documentation) into <dir>/.zds/types/ and writes a
// tsconfig.json whose `paths` map `@zds/sdk` to them, relative, so the folder can move or be
// committed as it is (docs/sdk-types.md).

import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import ts from "typescript";
import { SDK_TYPES_ENTRY, sdkTypesRoot } from "../kernel/host/paths";
import { CliError, type Io } from "../runner/io";

export const INIT_USAGE = `usage: zds init [dir] [--force]

Makes a folder (default ".") ready for writing drivers outside VS Code: copies the driver SDK's
declarations, with their documentation, to <dir>/.zds/types/ and writes <dir>/tsconfig.json mapping
"@zds/sdk" to them, so that tsc, editors and zds check resolve the SDK. A tsconfig.json already there
is kept (zds init prints what to add to it); --force replaces it. Run it again after updating Zero
Driver Studio to refresh the declarations. In VS Code none of this is needed (docs/sdk-types.md).`;

/** Where the declarations go inside the folder, and the mapping tsconfig.json gets. */
export const TYPES_DIR = path.join(".zds", "types");
export const SDK_PATH = `./${TYPES_DIR.split(path.sep).join("/")}/${SDK_TYPES_ENTRY}`;

export interface InitResult {
  /** The folder's copy of the declarations. */
  types: string;
  /** What happened to tsconfig.json. */
  tsconfig: "written" | "replaced" | "kept, maps @zds/sdk" | "kept, does not map @zds/sdk";
  tsconfigPath: string;
}

/** The tsconfig.json `zds init` writes: drivers are bundled by esbuild for a neutral platform. */
export function initTsconfig(): object {
  return {
    compilerOptions: {
      target: "ES2022",
      lib: ["ES2022"],
      module: "ESNext",
      moduleResolution: "Bundler",
      strict: true,
      noEmit: true,
      types: [],
      paths: { "@zds/sdk": [SDK_PATH] },
    },
    include: ["**/*.ts"],
    exclude: ["node_modules", ".zds"],
  };
}

export function initFolder(dir: string, options: { force?: boolean } = {}): InitResult {
  const source = sdkTypesRoot();
  if (!fs.existsSync(path.join(source, SDK_TYPES_ENTRY)))
    throw new CliError(`the SDK's declarations are missing from ${source}: run \`npm run build\` first`);
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new CliError(`${dir}: not a folder`);

  const types = path.join(dir, TYPES_DIR);
  fs.rmSync(types, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(types), { recursive: true });
  fs.cpSync(source, types, { recursive: true, filter: (f) => fs.statSync(f).isDirectory() || f.endsWith(".d.ts") });

  const tsconfigPath = path.join(dir, "tsconfig.json");
  const exists = fs.existsSync(tsconfigPath);
  if (exists && !options.force) {
    return {
      types,
      tsconfigPath,
      tsconfig: mapsSdk(tsconfigPath) ? "kept, maps @zds/sdk" : "kept, does not map @zds/sdk",
    };
  }
  fs.writeFileSync(tsconfigPath, `${JSON.stringify(initTsconfig(), null, 2)}\n`);
  return { types, tsconfigPath, tsconfig: exists ? "replaced" : "written" };
}

/** Whether a tsconfig.json (comments allowed, as tsc reads it) maps `@zds/sdk` in its own paths. */
function mapsSdk(tsconfigPath: string): boolean {
  const read = ts.readConfigFile(tsconfigPath, ts.sys.readFile);
  const paths = (read.config as { compilerOptions?: { paths?: Record<string, unknown> } } | undefined)?.compilerOptions
    ?.paths;
  return !read.error && paths !== undefined && Object.hasOwn(paths, "@zds/sdk");
}

export function initCommand(argv: string[], io: Io): number {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      force: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    io.out(INIT_USAGE + "\n");
    return 0;
  }
  if (positionals.length > 1)
    throw new CliError(`zds init takes one folder (got ${positionals.length})\n${INIT_USAGE}`);
  const dir = positionals[0] ?? ".";
  const result = initFolder(dir, { force: values.force ?? false });
  const shown = (p: string) => path.relative(process.cwd(), p) || ".";
  io.out(`zds init: the SDK's declarations in ${shown(result.types)}\n`);
  switch (result.tsconfig) {
    case "written":
    case "replaced":
      io.out(`zds init: ${shown(result.tsconfigPath)} ${result.tsconfig}: "@zds/sdk" → ${SDK_PATH}\n`);
      break;
    case "kept, maps @zds/sdk":
      io.out(`zds init: ${shown(result.tsconfigPath)} kept; it maps "@zds/sdk" already\n`);
      break;
    case "kept, does not map @zds/sdk":
      io.err(
        `zds init: ${shown(result.tsconfigPath)} kept (--force replaces it); to resolve the SDK, add to its compilerOptions:\n` +
          `  "paths": { "@zds/sdk": ["${SDK_PATH}"] }\n`,
      );
      break;
  }
  return 0;
}
