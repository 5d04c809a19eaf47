// Where the CLI writes, so tests can capture it and the extension can redirect it.

export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** `zds run` calls this once the machine is built and the programs are spawned, before anything
   *  runs: the extension's views, status bar and console input attach to the live machine here. */
  machineStarted?(run: StartedMachine): void;
  /** Where `zds run --interactive` reads keystrokes (process.stdin); absent: no keyboard. */
  keyboard?: Keyboard;
  /** True when `out` goes to a terminal (which renders escape sequences itself). */
  outIsTerminal?: boolean;
}

/** The part of a readable stream (process.stdin) that keystrokes come from. */
export interface Keyboard {
  readonly isTTY?: boolean;
  setRawMode?(raw: boolean): unknown;
  on(event: "data", listener: (chunk: Buffer | string) => void): unknown;
  on(event: "end", listener: () => void): unknown;
  removeAllListeners(event: "data" | "end"): unknown;
  pause(): unknown;
  resume(): unknown;
}

/** A machine `zds run` has started (kept structural so runner/io.ts imports nothing). */
export interface StartedMachine {
  machineName: string;
  session: import("../kernel/session").Session;
  machine: import("../devices").Machine;
}

export const processIo: Io = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
  // A getter: process.stdin opens fd 0 when first touched, which only --interactive should do.
  get keyboard(): Keyboard {
    return process.stdin;
  },
  outIsTerminal: process.stdout.isTTY === true,
};

/** A mistake the user can fix; printed as one clear message, exit status 2. */
export class CliError extends Error {}
