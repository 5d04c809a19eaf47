// `zds trace FILE.zlog [--html OUT.html] [--json]`: the IPC timeline of a recorded session. Prints
// a summary (lanes, messages, interrupts, MMIO bursts, faults); --html writes the interactive
// timeline as one self-contained page.

import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { ZlogError } from "../kernel/trace/zlog-reader";
import { timelineHtml } from "../timeline/html";
import type { TimelineSummary } from "../timeline/model";
import { buildTimeline, scanTrace } from "../timeline/scan";
import { formatTime } from "../timeline/view/format";
import { CliError, type Io } from "../runner/io";

export const TRACE_USAGE = `usage: zds trace FILE.zlog [--html OUT.html] [--json]

Reads a .zlog trace (streamed) and prints its IPC timeline summary: one lane per process with its
messages, interrupts, MMIO/port I/O bursts and faults.
  --html OUT.html   write the interactive timeline (zoom, filters, event details) as one
                    self-contained HTML file; open it in any browser
  --json            print the summary as one JSON object`;

export async function traceCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      html: { type: "string" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    io.out(TRACE_USAGE + "\n");
    return 0;
  }
  if (positionals.length !== 1) throw new CliError(`give exactly one trace file\n${TRACE_USAGE}`);
  const file = path.resolve(positionals[0]);
  if (values.html !== undefined && values.html === "")
    throw new CliError("--html needs the path of the HTML file to write");
  try {
    if (values.html !== undefined) {
      const out = path.resolve(values.html);
      const { summary, events } = await buildTimeline(file);
      try {
        fs.writeFileSync(out, timelineHtml(summary, events));
      } catch (error) {
        throw new CliError(`cannot write ${out}: ${error instanceof Error ? error.message : String(error)}`);
      }
      report(summary, io, values.json ?? false);
      if (!values.json) io.err(`wrote ${out}\n`);
    } else {
      report((await scanTrace(file)).summary, io, values.json ?? false);
    }
  } catch (error) {
    if (error instanceof ZlogError) throw new CliError(error.message);
    throw error;
  }
  return 0;
}

function report(summary: TimelineSummary, io: Io, json: boolean): void {
  if (json) {
    const { pages, ...rest } = summary;
    io.out(`${JSON.stringify({ ...rest, pages: pages.length })}\n`);
    return;
  }
  io.out(formatTraceSummary(summary));
}

export function formatTraceSummary(s: TimelineSummary): string {
  const k = s.byKind;
  const lines = [
    `${path.basename(s.file)}: ${s.machineName}, seed ${s.seed}, ${s.outcome ?? "cut short (no end line)"}, ${formatTime(s.t1 - s.t0)} of virtual time`,
    `   ${s.events} timeline events: ${k.message} messages, ${k.irq} interrupts, ${k.mmio} MMIO bursts, ${k.port} port I/O bursts, ${k.fault} faults, ${k.exit} exits`,
  ];
  for (const l of s.lanes) {
    const st = l.stats;
    lines.push(
      `   pid ${String(l.pid).padEnd(3)} ${l.name.padEnd(16)} sent ${st.sent}, received ${st.received}, ${st.irqs} IRQs, ${st.mmio} MMIO, ${st.port} port I/O, ${st.faults} faults${l.exitCode !== undefined ? `, exit ${l.exitCode}` : ""}`,
    );
  }
  return lines.join("\n") + "\n";
}
