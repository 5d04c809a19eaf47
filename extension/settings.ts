// The zeroDriver.* settings, read once per run so a change applies to the next run.

import * as vscode from "vscode";

export interface RunSettings {
  machine: string;
  seed: number;
  watchdogMs: number;
  trace: boolean;
}

export function runSettings(scope?: vscode.Uri): RunSettings {
  const c = vscode.workspace.getConfiguration("zeroDriver", scope);
  return {
    machine: c.get<string>("machine", "virt") || "virt",
    seed: c.get<number>("seed", 1),
    watchdogMs: c.get<number>("watchdogMs", 5000),
    trace: c.get<boolean>("trace", false),
  };
}

/** `zds run` options for the settings (a relative machine path is resolved against the folder). */
export function runArgs(s: RunSettings, folder: string | undefined, tracePath: string | undefined): string[] {
  const machine = s.machine !== "virt" && folder && !/^([a-zA-Z]:)?[\\/]/.test(s.machine) ? `${folder}/${s.machine}` : s.machine;
  const args = ["--machine", machine, "--seed", String(s.seed), "--watchdog-ms", String(s.watchdogMs)];
  if (tracePath) args.push("--trace", tracePath);
  return args;
}
