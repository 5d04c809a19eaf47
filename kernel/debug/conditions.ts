// The small languages of the debugger's breakpoints: function breakpoint names (a syscall, an IPC
// tag, an IRQ), exception filters with their conditions, and hit counts. Parsing only; stop-rules.ts
// decides when they match.

import { Sys } from "../abi/syscalls";
import { irqTag } from "../abi/tags";

export type BreakCondition = { kind: "syscall"; num: number } | { kind: "tag"; tag: number };

/** "SYS_SEND" / "send", "tag:0x6000", "irq:3"; a string is the reason a name is not understood. */
export function parseBreakpoint(name: string): BreakCondition | string {
  const text = name.trim();
  const tag = /^tag:\s*(0x[0-9a-f]+|\d+)$/i.exec(text);
  if (tag) return { kind: "tag", tag: Number(tag[1]) };
  const irq = /^irq:\s*(\d+)$/i.exec(text);
  if (irq) return { kind: "tag", tag: irqTag(Number(irq[1])) };
  const key = text.toUpperCase().replace(/^SYS_/, "");
  if (Object.prototype.hasOwnProperty.call(Sys, key)) return { kind: "syscall", num: Sys[key as keyof typeof Sys] };
  return `"${name}" is not a syscall (e.g. SYS_SEND, SYS_MMIO_WRITE), an IPC tag (tag:0x6000) or an IRQ (irq:3)`;
}

/** Exception breakpoint filters the runtime understands. */
export const ExceptionFilter = {
  capabilityViolation: "capability-violation",
  driverFault: "driver-fault",
  deviceError: "device-error",
  dmaFault: "dma-fault",
  irqMisuse: "irq-misuse",
} as const;
export type ExceptionFilterId = (typeof ExceptionFilter)[keyof typeof ExceptionFilter];

export const EXCEPTION_FILTERS: readonly {
  filter: ExceptionFilterId;
  label: string;
  description: string;
  default: boolean;
}[] = [
  {
    filter: ExceptionFilter.capabilityViolation,
    label: "Capability violation",
    description: "Stop when a driver touches hardware outside its grants (before the access is carried out)",
    default: true,
  },
  {
    filter: ExceptionFilter.driverFault,
    label: "Driver fault",
    description: "Stop when a driver faults: an uncaught exception (at the line that threw), watchdog, memory limit",
    default: false,
  },
  {
    filter: ExceptionFilter.deviceError,
    label: "Device error (NEEDS_RESET)",
    description:
      "Stop when a device enters DEVICE_NEEDS_RESET (NVMe: sets CSTS.CFS, controller fatal) or reports a driver error",
    default: false,
  },
  {
    filter: ExceptionFilter.dmaFault,
    label: "DMA fault",
    description: "Stop when a device reaches memory outside its driver's DMA buffers",
    default: false,
  },
  {
    filter: ExceptionFilter.irqMisuse,
    label: "IRQ misuse",
    description: "Stop on a double acknowledge or an acknowledge with no interrupt pending",
    default: false,
  },
];

export function isExceptionFilter(id: string): id is ExceptionFilterId {
  return EXCEPTION_FILTERS.some((f) => f.filter === id);
}

/** What an exception condition is matched against. */
export interface StopSubject {
  pid: number;
  process: string;
  device?: string;
  description: string;
}

/** An exception filter's condition: `pid == 3`, `process == virtio-blk`, `device == virtio-blk0`,
 *  joined with `&&`; any other term is text the stop's description must contain (case-insensitive). */
export type StopCondition = (subject: StopSubject) => boolean;

export function parseStopCondition(text: string | undefined): StopCondition | string {
  if (text === undefined || text.trim() === "") return () => true;
  const terms = text.split("&&").map((t) => t.trim());
  const tests: StopCondition[] = [];
  for (const term of terms) {
    if (term === "") return `empty term in condition "${text}"`;
    const m = /^(pid|process|device)\s*(==|!=)\s*(.+)$/.exec(term);
    if (!m) {
      const needle = term.replace(/^["']|["']$/g, "").toLowerCase();
      tests.push((s) => s.description.toLowerCase().includes(needle));
      continue;
    }
    const [, key, op, raw] = m;
    const want = raw.trim().replace(/^["']|["']$/g, "");
    if (key === "pid" && !/^\d+$/.test(want)) return `pid must be compared with a number in "${term}"`;
    const get = (s: StopSubject): string | undefined =>
      key === "pid" ? String(s.pid) : key === "process" ? s.process : s.device;
    tests.push(op === "==" ? (s) => get(s) === want : (s) => get(s) !== want);
  }
  return (s) => tests.every((t) => t(s));
}

/** A hit count condition: "5" or "== 5" (the 5th hit), ">= 5", "> 5", "% 5" (every 5th). */
export type HitCondition = (hits: number) => boolean;

export function parseHitCondition(text: string | undefined): HitCondition | string {
  if (text === undefined || text.trim() === "") return () => true;
  const m = /^\s*(==|>=|>|<=|<|%)?\s*(\d+)\s*$/.exec(text);
  if (!m) return `hit count "${text}" is not understood: use a number (5), ">= 5", "> 5", "< 5", "<= 5" or "% 5"`;
  const n = Number(m[2]);
  switch (m[1]) {
    case ">=":
      return (h) => h >= n;
    case ">":
      return (h) => h > n;
    case "<=":
      return (h) => h <= n;
    case "<":
      return (h) => h < n;
    case "%":
      return n === 0 ? 'hit count "% 0" never matches: use % 1 or more' : (h) => h % n === 0;
    default:
      return (h) => h === n;
  }
}

/** A logpoint's message: `{expression}` parts are evaluated in the paused frame. */
export function logMessageParts(message: string): ({ text: string } | { expression: string })[] {
  const parts: ({ text: string } | { expression: string })[] = [];
  const re = /\{([^{}]+)\}/g;
  let last = 0;
  for (let m = re.exec(message); m; m = re.exec(message)) {
    if (m.index > last) parts.push({ text: message.slice(last, m.index) });
    parts.push({ expression: m[1] });
    last = m.index + m[0].length;
  }
  if (last < message.length) parts.push({ text: message.slice(last) });
  return parts;
}
