// The errors a user causes on the command line (bad options, an unreadable machine description):
// printed as one line with exit status 2, never as a stack trace. Shared by `zds` and by the
// extension, which runs `zds run` in its own process for its terminals and views.

import { MachineDescriptionError } from "../devices";
import { CliError, type Io } from "./io";

/** Exit status 2 after printing a user error; undefined when `error` is not one (a bug: rethrow it). */
export function userErrorStatus(error: unknown, io: Io): number | undefined {
  if (error instanceof CliError || error instanceof MachineDescriptionError || isParseArgsError(error)) {
    io.err(`zds: ${error.message}\n`);
    return 2;
  }
  return undefined;
}

function isParseArgsError(error: unknown): error is Error {
  return (
    error instanceof Error &&
    "code" in error &&
    typeof error.code === "string" &&
    error.code.startsWith("ERR_PARSE_ARGS")
  );
}
