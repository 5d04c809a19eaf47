// The TypeScript server plugin the extension contributes (package.json `typescriptServerPlugins`):
// VS Code's TypeScript extension loads it into its tsserver for every project, configured or
// inferred, and this plugin makes `import … from "@zds/sdk"` resolve to the SDK's declarations
// shipped in the extension (dist/types/, built by scripts/build.mjs). So a folder holding nothing
// but a driver gets completion, hover documentation and type checking of SDK calls, with no
// tsconfig.json, no npm install and no file written into it (docs/sdk-types.md says why this and
// not a generated tsconfig).
//
// It only fills in what TypeScript itself could not resolve: a tsconfig whose `paths` map
// `@zds/sdk` (this repository's, or one `zds init` wrote), or a real package, win. Only types
// come from here: no `typescript` module is bundled, tsserver hands the plugin its own.

import fs from "node:fs";
import path from "node:path";
import type * as ts from "typescript";
import { SDK_TYPES_ENTRY, sdkTypesRoot } from "../../kernel/host/paths";

/** The module name drivers import the SDK by. */
const SDK_MODULE = "@zds/sdk";

/** What `typescript.tsserver.configurePlugin` / a tsconfig `plugins` entry may set. */
interface PluginConfig {
  /** A folder laid out like dist/types (drivers/sdk/index.d.ts inside) to use instead of ours. */
  typesRoot?: string;
}

type ResolveLiterals = NonNullable<ts.LanguageServiceHost["resolveModuleNameLiterals"]>;
type ResolveNames = NonNullable<ts.LanguageServiceHost["resolveModuleNames"]>;

function init(modules: { typescript: typeof ts }): ts.server.PluginModule {
  const typescript = modules.typescript;
  let typesRoot: string | undefined;

  /** The declarations `@zds/sdk` resolves to, or undefined when they are missing (not built). */
  const sdkDeclarations = (): string | undefined => {
    const file = path.join(typesRoot ?? sdkTypesRoot(), SDK_TYPES_ENTRY);
    return fs.existsSync(file) ? file : undefined;
  };
  const resolved = (file: string): ts.ResolvedModuleFull => ({
    resolvedFileName: file,
    extension: typescript.Extension.Dts,
    isExternalLibraryImport: true,
  });

  return {
    create(info) {
      const log = (message: string): void => info.project.projectService.logger.info(`zds-tsserver-plugin: ${message}`);
      const config = info.config as PluginConfig | undefined;
      if (config?.typesRoot) typesRoot = config.typesRoot;
      const host = info.languageServiceHost;

      // TypeScript 5 calls resolveModuleNameLiterals; older servers (a workspace's own TypeScript
      // 4.x) resolveModuleNames. Each result TypeScript could not resolve for "@zds/sdk" becomes
      // the SDK's declarations; its failed lookups are kept, so that the server still watches
      // them and a tsconfig or package added later takes over.
      const literals = host.resolveModuleNameLiterals?.bind(host);
      if (literals) {
        host.resolveModuleNameLiterals = (...args: Parameters<ResolveLiterals>) => {
          const results = literals(...args);
          const names = args[0];
          if (!names.some((n) => n.text === SDK_MODULE)) return results;
          const sdk = sdkDeclarations();
          if (!sdk) return results;
          return results.map((r, i) =>
            r.resolvedModule || names[i]?.text !== SDK_MODULE ? r : { ...r, resolvedModule: resolved(sdk) },
          );
        };
      }
      const names = host.resolveModuleNames?.bind(host);
      if (names) {
        host.resolveModuleNames = (...args: Parameters<ResolveNames>) => {
          const results = names(...args);
          const sdk = args[0].includes(SDK_MODULE) ? sdkDeclarations() : undefined;
          if (!sdk) return results;
          return results.map((r, i) => (r || args[0][i] !== SDK_MODULE ? r : resolved(sdk)));
        };
      }
      const sdk = sdkDeclarations();
      log(sdk ? `"${SDK_MODULE}" resolves to ${sdk} where nothing else provides it` : `no SDK declarations found`);
      return info.languageService;
    },
    onConfigurationChanged(config: PluginConfig) {
      typesRoot = config.typesRoot || undefined;
    },
  };
}

export = init;
