// Where the CLI writes, so tests can capture it and the extension can redirect it.

export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** `zds run` calls this once the machine is built and the programs are spawned, before anything
   *  runs: the extension's views, status bar and console input attach to the live machine here. */
  machineStarted?(run: StartedMachine): void;
}

/** A machine `zds run` has started (kept structural so cli/io.ts imports nothing). */
export interface StartedMachine {
  machineName: string;
  session: import("../kernel/session").Session;
  machine: import("../devices").Machine;
}

export const processIo: Io = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
};

/** A mistake the user can fix; printed as one clear message, exit status 2. */
export class CliError extends Error {}
