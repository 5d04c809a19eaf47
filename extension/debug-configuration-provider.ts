// VS Code glue for "zero-driver" debug configurations: F5 on an open driver file with no launch.json
// debugs it (with a partner program, debug-adapter/configuration.ts), a launch.json without "program" gets the
// active file, and debugging is refused in Restricted Mode because it runs workspace code.

import path from "node:path";
import * as vscode from "vscode";
import { configurationForFile } from "../debug-adapter/configuration";

/** `defaults` fills what a configuration leaves out (the extension's settings: machine, seed, …). */
export function registerDebugConfigurationProvider(
  context: vscode.ExtensionContext,
  untrustedMessage: string,
  defaults: (folder: vscode.WorkspaceFolder | undefined) => Record<string, unknown> = () => ({}),
): vscode.Disposable {
  const bundledDrivers = path.join(context.extensionPath, "drivers");
  const activeFile = () => {
    const doc = vscode.window.activeTextEditor?.document;
    return doc && doc.uri.scheme === "file" ? doc.uri.fsPath : undefined;
  };
  const provider: vscode.DebugConfigurationProvider = {
    provideDebugConfigurations: (folder) => {
      const config = configurationForFile(activeFile(), folder?.uri.fsPath, bundledDrivers);
      const fallback = {
        type: "zero-driver",
        request: "launch",
        name: "Debug driver",
        program: "${file}",
        cwd: "${workspaceFolder}",
      };
      return [typeof config === "string" ? fallback : config];
    },
    resolveDebugConfiguration: (folder, config) => {
      if (!vscode.workspace.isTrusted) {
        void vscode.window.showWarningMessage(untrustedMessage);
        return undefined;
      }
      // "replay": the trace decides machine, programs and seed (the adapter refuses them beside it), so
      // neither the active file nor the settings' machine and seed go in; cwd still does.
      if (config.replay !== undefined) {
        const { machine: _machine, seed: _seed, ...rest } = defaults(folder);
        return { ...rest, ...withoutUndefined(config) };
      }
      const resolved = resolve(folder, config);
      return resolved && { ...defaults(folder), ...withoutUndefined(resolved) };
    },
  };
  const resolve = (
    folder: vscode.WorkspaceFolder | undefined,
    config: vscode.DebugConfiguration,
  ): vscode.DebugConfiguration | undefined => {
    const empty = !config.type && !config.request && !config.name;
    if (!empty && (config.program !== undefined || config.programs !== undefined)) return config;
    const made = configurationForFile(
      activeFile(),
      folder?.uri.fsPath ?? vscode.workspace.workspaceFolders?.[0]?.uri.fsPath,
      bundledDrivers,
    );
    if (typeof made === "string") {
      void vscode.window.showInformationMessage(`Zero Driver: ${made}`);
      return undefined;
    }
    // A launch.json entry without a program keeps its own settings and gets the active file.
    return empty ? made : { ...made, ...config, program: made.program, programs: config.programs ?? made.programs };
  };
  return vscode.Disposable.from(
    vscode.debug.registerDebugConfigurationProvider("zero-driver", provider),
    vscode.debug.registerDebugConfigurationProvider(
      "zero-driver",
      { provideDebugConfigurations: provider.provideDebugConfigurations },
      vscode.DebugConfigurationProviderTriggerKind.Dynamic,
    ),
  );
}

function withoutUndefined(config: vscode.DebugConfiguration): vscode.DebugConfiguration {
  return Object.fromEntries(Object.entries(config).filter(([, v]) => v !== undefined)) as vscode.DebugConfiguration;
}
