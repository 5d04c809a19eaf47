// The errors a user causes on the command line (bad options, an unreadable machine description):
// printed as one line with exit status 2, never as a stack trace. Shared by `zds` and by the
// extension, which runs `zds run` in its own process for its terminals and views.

import { MachineDescriptionError } from "../devices";
import { CliError, type Io } from "./io";

/** Exit status 2 after printing a user error; undefined when `error` is not one (a bug: rethrow it).
 *  `command` (run, check…) lets an option the command does not know point to its --help. */
export function userErrorStatus(error: unknown, io: Io, command?: string): number | undefined {
  if (error instanceof CliError || error instanceof MachineDescriptionError || isParseArgsError(error)) {
    io.err(`zds: ${usageText(error, command)}\n`);
    return 2;
  }
  return undefined;
}

/** Node's words for a bad option, made shorter and pointing to the command's --help. */
function usageText(error: Error, command: string | undefined): string {
  const help = `zds ${command ? `${command} ` : ""}--help lists the options`;
  const code = (error as { code?: unknown }).code;
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
    const option = /'([^']+)'/.exec(error.message)?.[1];
    return `unknown option ${option ?? ""}`.trimEnd() + `: ${help}`;
  }
  if (typeof code === "string" && code.startsWith("ERR_PARSE_ARGS")) return `${error.message} (${help})`;
  return error.message;
}

function isParseArgsError(error: unknown): error is Error {
  return (
    error instanceof Error &&
    "code" in error &&
    typeof error.code === "string" &&
    error.code.startsWith("ERR_PARSE_ARGS")
  );
}
