// `zds replay FILE.zlog [--verify] [--json]`: re-run a recorded session; with --verify, check every
// SysLog event and commit against the recording and report the first divergence.

import { parseArgs } from "node:util";
import { replayTrace, type ReplayReport } from "../kernel/trace/replay";
import { ZlogError } from "../kernel/trace/zlog-reader";
import { DriverLoadError } from "../kernel/loader/bundle-driver";
import { MachineDescriptionError } from "../devices";
import { consoleOutput, formatSummary } from "../runner/run";
import { CliError, type Io } from "../runner/io";

export const REPLAY_USAGE = `usage: zds replay FILE.zlog [--verify] [--json]

Re-runs the session recorded in FILE.zlog (same machine, programs, seed and outside input).
  --verify   compare every SysLog event and commit with the recording; exit 1 at the first divergence
  --json     print the report as one JSON object as the last line`;

export async function replayCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      verify: { type: "boolean", default: false },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    io.out(REPLAY_USAGE + "\n");
    return 0;
  }
  if (positionals.length !== 1) throw new CliError(`give exactly one trace file\n${REPLAY_USAGE}`);
  let report: ReplayReport;
  try {
    report = await replayTrace(positionals[0], { verify: values.verify ?? false, output: consoleOutput(io) });
  } catch (error) {
    if (error instanceof ZlogError || error instanceof DriverLoadError || error instanceof MachineDescriptionError)
      throw new CliError(error.message);
    throw error;
  }
  if (values.json) io.out(`${JSON.stringify(report)}\n`);
  else io.err(formatReport(report));
  if (!report.verified) return report.summary.outcome === "completed" ? 0 : 1;
  return report.match ? 0 : 1;
}

export function formatReport(r: ReplayReport): string {
  const lines = [formatSummary(r.summary).trimEnd()];
  for (const name of r.changedPrograms)
    lines.push(`   note: ${name} differs from the recorded program (its content hash changed)`);
  for (const note of r.notes) lines.push(`   note: ${note}`);
  if (r.verified && r.match) {
    lines.push(
      `   replay verified: ${r.syscallEvents} SysLog events and ${r.commits} commits match; hashes match (${r.summary.syslogHash})`,
    );
  } else if (r.divergence) {
    const d = r.divergence;
    lines.push(`   DIVERGENCE at ${d.kind === "commit" ? "commit" : "SysLog event"} ${d.index}: ${d.message}`);
    if (d.expected) lines.push(`     expected: ${d.expected}`);
    if (d.actual) lines.push(`     actual:   ${d.actual}`);
  }
  return lines.join("\n") + "\n\n";
}
