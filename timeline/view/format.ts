// Text for the timeline view: times, tags and an event's details.

import type { Lane, TimelineEvent, TimelineSummary } from "../model";

/** Virtual nanoseconds as a short readable time: "850 ns", "12.5 µs", "3.25 ms", "1.5 s". */
export function formatTime(ns: number): string {
  const abs = Math.abs(ns);
  const fixed = (v: number) => {
    const text = Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2);
    return text.includes(".") ? text.replace(/\.?0+$/, "") : text;
  };
  if (abs < 1_000) return `${fixed(ns)} ns`;
  if (abs < 1_000_000) return `${fixed(ns / 1_000)} µs`;
  if (abs < 1_000_000_000) return `${fixed(ns / 1_000_000)} ms`;
  return `${fixed(ns / 1_000_000_000)} s`;
}

export const hex = (n: number, digits = 4): string => `0x${n.toString(16).padStart(digits, "0")}`;

export class Names {
  private readonly lanes = new Map<number, Lane>();
  private readonly tags = new Map<number, string>();
  constructor(summary: TimelineSummary) {
    for (const l of summary.lanes) this.lanes.set(l.pid, l);
    for (const t of summary.tags) this.tags.set(t.tag, t.name);
  }
  lane(pid: number): string {
    const l = this.lanes.get(pid);
    return l ? (pid > 1 ? `${l.name} (pid ${pid})` : l.name) : `pid ${pid}`;
  }
  tag(tag: number): string {
    return this.tags.get(tag) ?? hex(tag);
  }
}

const KIND_TITLE: Record<TimelineEvent["kind"], string> = {
  message: "IPC message",
  irq: "Interrupt",
  mmio: "MMIO burst",
  port: "Port I/O burst",
  fault: "Fault",
  exit: "Exit",
};

/** One line of text drawn next to an event. */
export function label(e: TimelineEvent, names: Names): string {
  switch (e.kind) {
    case "message":
      return names.tag(e.tag ?? 0);
    case "irq":
      return `${names.tag(e.tag ?? 0)}${e.device ? ` ${e.device}` : ""}`;
    case "mmio":
    case "port": {
      const bells = Object.values(e.doorbells ?? {}).reduce((n, c) => n + c, 0);
      return `${e.count ?? 0}× ${e.kind === "mmio" ? "MMIO" : "I/O"}${bells ? `, ${bells} doorbell${bells === 1 ? "" : "s"}` : ""}`;
    }
    case "fault":
      return `${e.violation ? "violation" : "fault"}${e.diagnostic ? ` ${e.diagnostic}` : ""}`;
    case "exit":
      return `exit ${e.code ?? "?"}`;
  }
}

/** The rows of the details panel: [field, value]. */
export function details(e: TimelineEvent, names: Names): [string, string][] {
  const rows: [string, string][] = [
    ["Event", `#${e.i} · ${KIND_TITLE[e.kind]}${e.violation ? " (capability violation)" : ""}`],
    ["Time", e.t2 > e.t ? `${formatTime(e.t)} – ${formatTime(e.t2)}` : formatTime(e.t)],
  ];
  if (e.kind === "message") {
    rows.push(["From", names.lane(e.pid)], ["To", names.lane(e.to ?? -1)]);
    rows.push(
      ["Tag", `${names.tag(e.tag ?? 0)} (${hex(e.tag ?? 0)})`],
      ["Size", `${e.size ?? 0} bytes`],
      ["Via", e.via ?? "send"],
    );
    if (e.result !== undefined) rows.push(["Result", e.result < 0 ? `${e.result} (failed)` : String(e.result)]);
  } else if (e.kind === "irq") {
    rows.push(
      ["Process", names.lane(e.pid)],
      ["Line", `IRQ ${(e.tag ?? 0) & 0xff}${e.device ? ` (${e.device}: its completions or status changes)` : ""}`],
    );
  } else if (e.kind === "mmio" || e.kind === "port") {
    rows.push(
      ["Process", names.lane(e.pid)],
      ["Accesses", `${e.count ?? 0} (${e.reads ?? 0} reads, ${e.writes ?? 0} writes)`],
    );
    if (e.causes)
      rows.push([
        "Interrupt causes",
        Object.entries(e.causes)
          .map(([name, n]) => `${name} ×${n}`)
          .join(", "),
      ]);
    if (e.doorbells)
      rows.push([
        "Doorbells",
        Object.entries(e.doorbells)
          .map(([name, n]) => `${name} ×${n}`)
          .join(", "),
      ]);
  } else if (e.kind === "fault") {
    rows.push(
      ["Process", names.lane(e.pid)],
      ["Reason", `${e.reason ?? "?"} (${e.code ?? "?"})${e.faultKind ? ` · ${e.faultKind}` : ""}`],
    );
    if (e.diagnostic) rows.push(["Code", e.diagnostic]);
    if (e.where) rows.push(["Source", e.where]);
    rows.push(["Description", e.text ?? ""]);
    for (const [i, frame] of (e.frames ?? []).entries()) rows.push([i === 0 ? "Frames" : "", frame]);
    if (e.fix) rows.push(["Fix", e.fix]);
  } else {
    rows.push(["Process", names.lane(e.pid)], ["Exit code", String(e.code ?? "?")]);
  }
  rows.push(
    ["SysLog event", e.s2 !== undefined && e.s2 !== e.s ? `${e.s} – ${e.s2}` : String(e.s)],
    ["Debugger event", String(e.d)],
    ["Trace line", String(e.line)],
  );
  return rows;
}
