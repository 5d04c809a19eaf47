// The zeroDriver.* settings, read once per run so a change applies to the next run.

import * as vscode from "vscode";

export type RestartSetting = "machine" | "never" | "on-failure" | "always";

export interface RunSettings {
  machine: string;
  seed: number;
  watchdogMs: number;
  trace: boolean;
  /** "machine": what the machine description's supervision section says. */
  restartPolicy: RestartSetting;
  restartLimit: number | null;
}

export function runSettings(scope?: vscode.Uri): RunSettings {
  const c = vscode.workspace.getConfiguration("zeroDriver", scope);
  return {
    machine: c.get<string>("machine", "virt") || "virt",
    seed: c.get<number>("seed", 1),
    watchdogMs: c.get<number>("watchdogMs", 5000),
    trace: c.get<boolean>("trace", false),
    restartPolicy: c.get<RestartSetting>("restartPolicy", "machine"),
    restartLimit: c.get<number | null>("restartLimit", null),
  };
}

/** How often the views sample a running machine, in ms. */
export function refreshIntervalMs(): number {
  return vscode.workspace.getConfiguration("zeroDriver").get<number>("views.refreshMs", 500);
}

/** `zds run` options for the settings (a relative machine path is resolved against the folder). */
export function runArgs(s: RunSettings, folder: string | undefined, tracePath: string | undefined): string[] {
  const machine = resolveMachine(s.machine, folder);
  const args = ["--machine", machine, "--seed", String(s.seed), "--watchdog-ms", String(s.watchdogMs)];
  if (s.restartPolicy !== "machine") args.push("--restart", s.restartPolicy);
  if (s.restartLimit !== null && s.restartLimit !== undefined) args.push("--restart-limit", String(s.restartLimit));
  if (tracePath) args.push("--trace", tracePath);
  return args;
}

export function resolveMachine(machine: string, folder: string | undefined): string {
  return machine !== "virt" && folder && !/^([a-zA-Z]:)?[\\/]/.test(machine) ? `${folder}/${machine}` : machine;
}
