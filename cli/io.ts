// Where the CLI writes, so tests can capture it and the extension can redirect it.

export interface Io {
  out(text: string): void;
  err(text: string): void;
}

export const processIo: Io = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
};

/** A mistake the user can fix; printed as one clear message, exit status 2. */
export class CliError extends Error {}
