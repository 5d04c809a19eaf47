// The timeline of a .zlog trace as data: processes as lanes, and the events drawn on them (IPC
// messages as arrows, interrupts, bursts of register I/O, faults and exits as marks) along virtual
// time. Plain JSON-able data: the same shapes travel to the browser view and the VS Code webview.

/** What a timeline event is. */
export type EventKind =
  /** An IPC message: an arrow from `pid` (sender) to `to` (the receiving endpoint's owner). */
  | "message"
  /** An interrupt delivered to `pid` (the IRQ endpoint's owner); `tag` is 0x0100 | line. */
  | "irq"
  /** A run of consecutive MMIO syscalls of one process, collapsed into one bar from `t` to `t2`. */
  | "mmio"
  /** The same for port I/O (IN/OUT). */
  | "port"
  /** The process faulted (a capability violation, a watchdog, an exception…). */
  | "fault"
  /** The process ended. */
  | "exit";

export const EVENT_KINDS: readonly EventKind[] = ["message", "irq", "mmio", "port", "fault", "exit"];

/** How a message was sent. */
export type MessageVia = "send" | "call" | "reply" | "kernel";

export interface TimelineEvent {
  /** Index of the event in the timeline (0…n−1, in the order the trace completes them). */
  i: number;
  kind: EventKind;
  /** Virtual time (ns) the event starts. */
  t: number;
  /** Virtual time it ends (bursts); equal to `t` for instant events. */
  t2: number;
  /** The lane: sender of a message, receiver of an interrupt, the process of the rest. */
  pid: number;
  /** Receiver of a message. */
  to?: number;
  /** Interrupts: the device on that line (from the trace header's machine). */
  device?: string;
  /** MMIO bursts: doorbell writes among them, by doorbell ("SQ 1 tail": 2), for devices with doorbells. */
  doorbells?: Record<string, number>;
  /** MMIO bursts: interrupt causes the driver read back (an e1000's ICR), by cause ("RXT0": 1). */
  causes?: Record<string, number>;
  /** Message tag (interrupts: 0x0100 | line). */
  tag?: number;
  /** Payload bytes of a message. */
  size?: number;
  via?: MessageVia;
  /** SysLog event index (`s` in the .zlog) of the syscall the event happened in or after; −1 before
   *  the first. For a burst: its first syscall. This is what `goToEvent` names. */
  s: number;
  /** The debugger's event index (what `zeroDriver/position` reports and `zeroDriver/goToEvent`
   *  takes): every syscall about to be carried out and every message delivered takes the next
   *  number. A syscall's is its requests-before + deliveries-before; a message's or interrupt's its
   *  delivery; a burst's its first syscall's; a fault's or exit's the next event's. */
  d: number;
  /** For a burst: the SysLog index of its last syscall. */
  s2?: number;
  /** 1-based line of the .zlog that records it (for a burst: its first syscall). */
  line: number;
  /** Bursts: syscalls in the run, reads and writes among them. */
  count?: number;
  reads?: number;
  writes?: number;
  /** Faults: the Zero OS fault reason; exits: the exit code. */
  code?: number;
  /** Faults: the kernel's description. */
  text?: string;
  /** A capability violation (fault reason 3). */
  violation?: boolean;
  /** Faults: the reason's name ("capability violation", "panic"…). */
  reason?: string;
  /** Faults: the kind the kernel recorded (panic, capability-violation, startup, watchdog…). */
  faultKind?: string;
  /** Faults: the code of docs/diagnostics.md the fault is the run-time verdict of. */
  diagnostic?: string;
  /** Faults: the driver's TypeScript line, `file:line:col` (the trace's `pf` line). */
  where?: string;
  /** Faults: the driver's own frames, innermost first (`main (index.ts:14:5)`). */
  frames?: string[];
  /** Faults: what to change. */
  fix?: string;
  /** Messages: the result of the syscall that sent it when known (negative: it failed). */
  result?: number;
}

export interface LaneStats {
  sent: number;
  received: number;
  irqs: number;
  mmio: number;
  port: number;
  faults: number;
  /** Syscalls the process made (requests). */
  syscalls: number;
}

export interface Lane {
  pid: number;
  name: string;
  /** Virtual time the process was created (0 for the kernel and Init). */
  start: number;
  /** Virtual time it ended; undefined if it was still alive at the end of the trace. */
  end?: number;
  exitCode?: number;
  faulted?: boolean;
  stats: LaneStats;
}

export interface TagStat {
  tag: number;
  name: string;
  count: number;
}

/** A page of the trace file: a run of lines and what the events it completes look like. The
 *  builder's state at the page's first line is kept beside it (host side) so that a page can be
 *  re-read alone. */
export interface PageInfo {
  /** Byte offset of the page's first line in the file. */
  offset: number;
  /** Bytes in the page. */
  bytes: number;
  /** 1-based line number of the first line. */
  line: number;
  /** Events completed in this page, and the index of the first. */
  events: number;
  first: number;
  /** Earliest start and latest end of those events (NaN when the page completes none). */
  t0: number;
  t1: number;
  /** Events per lane (by lane position in `TimelineSummary.lanes`). */
  perLane: number[];
}

export interface TimelineSummary {
  file: string;
  machineName: string;
  seed: number;
  programs: string[];
  /** The trace's end line: outcome and counts; undefined when the trace was cut short. */
  outcome?: string;
  /** SysLog events (requests and results) and commits in the file. */
  syslogEvents: number;
  commits: number;
  lines: number;
  bytes: number;
  /** Lanes sorted by PID. */
  lanes: Lane[];
  tags: TagStat[];
  events: number;
  byKind: Record<EventKind, number>;
  /** Virtual time range of the trace. */
  t0: number;
  t1: number;
  pages: PageInfo[];
}

/** A PID's display name: the process name, or the kernel and Init. */
export function laneName(pid: number, names: ReadonlyMap<number, string>): string {
  return names.get(pid) ?? (pid === 0 ? "kernel" : pid === 1 ? "init" : `pid ${pid}`);
}
