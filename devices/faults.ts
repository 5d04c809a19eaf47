// Fault points of the machine (docs/faults.md): the places where a device asks whether a fault is
// armed for what it is about to do — a disk request, a frame on the wire. Rules are armed from
// outside (the kernel's fault injector, kernel/faults/); a device only asks and obeys. Nothing here is
// random: a rule matches by what the operation is and by how many matching ones came before, so the
// same run meets the same faults at the same operations.

/** What a disk device is about to do (one virtio-blk request, one ATA command). */
export interface DiskOperation {
  readonly op: "read" | "write" | "flush" | "other";
  /** First sector and number of sectors (0 for FLUSH and others). */
  readonly sector: number;
  readonly sectors: number;
}

/** What a disk device is told to do with a request a rule matched. */
export type RequestAction =
  /** Complete it with an error status (virtio-blk IOERR, ATA ERR): no data moves. */
  | { readonly kind: "io-error" }
  /** Complete it `ns` later than it would have. */
  | { readonly kind: "delay"; readonly ns: number }
  /** Never complete it (until the device is reset). */
  | { readonly kind: "drop" }
  /** Do it as usual (the rule only watches: a kernel-level fault triggered by a request). */
  | { readonly kind: "observe" };

/** What the wire does with a frame a rule matched. */
export type FrameAction = "drop" | "duplicate" | "reorder" | "corrupt";

export interface RequestMatch {
  readonly op?: DiskOperation["op"];
  /** Only requests whose sectors include this one. */
  readonly sector?: number;
}

export interface FrameMatch {
  readonly direction?: "in" | "out";
}

interface RuleBase {
  readonly device: string;
  /** The rule fires at the nth matching operation (1: the first) and on the ones after it, until
   *  it has fired `count` times. */
  readonly nth: number;
  readonly count: number;
  /** Told each time the rule fires, with what it fired on (for the SysLog). */
  fired(detail: string): void;
}

export interface RequestRule extends RuleBase {
  readonly point: "request";
  readonly match: RequestMatch;
  readonly action: RequestAction;
}

export interface FrameRule extends RuleBase {
  readonly point: "frame";
  readonly match: FrameMatch;
  readonly action: FrameAction;
}

export type FaultRule = RequestRule | FrameRule;

interface Armed {
  readonly rule: FaultRule;
  seen: number;
  firedCount: number;
}

/** The armed rules of one machine. Devices ask; the fault injector arms and disarms. */
export class FaultPoints {
  private armed: Armed[] = [];

  /** Arm a rule; returns a function that disarms it. */
  arm(rule: FaultRule): () => void {
    const entry: Armed = { rule, seen: 0, firedCount: 0 };
    this.armed.push(entry);
    return () => {
      this.armed = this.armed.filter((a) => a !== entry);
    };
  }

  /** Rules still armed (for views and tests). */
  get size(): number {
    return this.armed.length;
  }

  /** A disk device is about to carry out a request: the first armed action that matches, if any. */
  request(device: string, op: DiskOperation): RequestAction | undefined {
    let result: RequestAction | undefined;
    for (const entry of [...this.armed]) {
      const { rule } = entry;
      if (rule.point !== "request" || rule.device !== device || !matchesRequest(rule.match, op)) continue;
      if (!this.take(entry)) continue;
      rule.fired(describeOperation(op));
      if (result === undefined && rule.action.kind !== "observe") result = rule.action;
    }
    return result;
  }

  /** A frame is about to cross the wire of a network device. */
  frame(device: string, direction: "in" | "out", frame: Uint8Array): FrameAction | undefined {
    let result: FrameAction | undefined;
    for (const entry of [...this.armed]) {
      const { rule } = entry;
      if (rule.point !== "frame" || rule.device !== device) continue;
      if (rule.match.direction !== undefined && rule.match.direction !== direction) continue;
      if (!this.take(entry)) continue;
      rule.fired(`${direction === "in" ? "incoming" : "outgoing"} frame of ${frame.length} bytes`);
      result ??= rule.action;
    }
    return result;
  }

  /** Count a matching operation; true when the rule fires on it. Spent rules are disarmed. */
  private take(entry: Armed): boolean {
    entry.seen++;
    if (entry.seen < entry.rule.nth) return false;
    entry.firedCount++;
    if (entry.firedCount >= entry.rule.count) this.armed = this.armed.filter((a) => a !== entry);
    return true;
  }
}

function matchesRequest(match: RequestMatch, op: DiskOperation): boolean {
  if (match.op !== undefined && match.op !== op.op) return false;
  if (match.sector !== undefined) {
    if (op.sectors === 0) return false;
    if (match.sector < op.sector || match.sector >= op.sector + op.sectors) return false;
  }
  return true;
}

function describeOperation(op: DiskOperation): string {
  if (op.sectors === 0) return op.op === "flush" ? "FLUSH" : `${op.op} request`;
  return `${op.op} of ${op.sectors} sector${op.sectors === 1 ? "" : "s"} at ${op.sector}`;
}

/** Corrupt a frame the same way every time: every byte of the payload's middle 4 flipped. */
export function corruptFrame(frame: Uint8Array): Uint8Array {
  const copy = frame.slice();
  const middle = Math.max(14, Math.floor(copy.length / 2) - 2);
  for (let i = middle; i < Math.min(copy.length, middle + 4); i++) copy[i] ^= 0xff;
  return copy;
}
