// `zds`: the command-line twin of the extension.

import { runCommand, RUN_USAGE } from "../runner/run";
import { replayCommand } from "./replay";
import { checkCommand } from "./check";
import { CliError, processIo, type Io } from "../runner/io";
import { userErrorStatus } from "../runner/errors";

const USAGE = `usage: zds <command> [options]

commands:
  run     boot the machine and run drivers and clients   (zds run --help)
  replay  re-run a recorded .zlog trace, --verify it     (zds replay --help)
  test    run driver tests with fault injection          (zds test --help)
  trace   a .zlog trace's IPC timeline, --html for a page (zds trace --help)
  check   check drivers against their manifests          (zds check --help)
  init    a folder's tsconfig.json and SDK types, for tsc (zds init --help)
  bench   measure the kernel, storage and tools           (zds bench --help)
  dap     the debug adapter on stdin/stdout (DAP)         (docs/debugging.md)
`;

export async function main(argv: string[], io: Io = processIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case "run":
        return await runCommand(rest, io);
      case "test":
        return await (await import("../runner/testing/command")).testCommand(rest, io);
      case "replay":
        return await replayCommand(rest, io);
      case "trace":
        return await (await import("./trace")).traceCommand(rest, io);
      case "check":
        return await checkCommand(rest, io);
      case "init":
        return (await import("./init")).initCommand(rest, io);
      case "bench":
        // Loaded on demand: the benchmarks pull in code no other command needs.
        return await (await import("../bench/run")).benchCommand(rest, io);
      case "dap":
        return await (await import("./dap")).dapCommand(rest, io);
      case undefined:
      case "help":
      case "--help":
      case "-h":
        io.out(USAGE + "\n" + RUN_USAGE + "\n");
        return command === undefined ? 2 : 0;
      default:
        throw new CliError(`unknown command "${command}"\n${USAGE}`);
    }
  } catch (error) {
    const status = userErrorStatus(error, io, command);
    if (status === undefined) throw error;
    return status;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`zds: internal error: ${error instanceof Error ? error.stack : String(error)}\n`);
      process.exitCode = 70;
    },
  );
}
