// The fault specs of `zds run --fault`, the test API's `faults` and a debug session's inject
// request (docs/faults.md): KIND[@TARGET][,key=value…]. Parsed into values here; the injector
// (injector.ts) arms and fires them. Every problem is a FaultSpecError that names the spec and the fix.

export class FaultSpecError extends Error {}

/** How a kind of fault works: armed on a device's operations, or done at once when triggered. */
type FaultClass = "request" | "frame" | "irq" | "instant";

export const FAULT_KINDS = {
  "io-error": { class: "request", help: "a disk request completes with an error status (virtio-blk IOERR, ATA ERR)" },
  "completion-delay": { class: "request", help: "a disk request completes `by` later (by=TIME)" },
  "completion-drop": { class: "request", help: "a disk request is never completed (until the device is reset)" },
  "irq-lost": { class: "irq", help: "the device's interrupt is not delivered" },
  "irq-duplicate": { class: "irq", help: "the device's interrupt is delivered twice" },
  "irq-spurious": { class: "instant", help: "an interrupt is delivered while the device raised none" },
  "needs-reset": { class: "instant", help: "a virtio device sets DEVICE_NEEDS_RESET" },
  "link-down": { class: "instant", help: "a network link goes down (for=TIME: and comes back up)" },
  "link-up": { class: "instant", help: "a network link comes back up" },
  "frame-drop": { class: "frame", help: "a frame on the wire is lost" },
  "frame-duplicate": { class: "frame", help: "a frame on the wire arrives twice" },
  "frame-reorder": { class: "frame", help: "a frame arrives after the next one" },
  "frame-corrupt": { class: "frame", help: "a frame arrives with bytes flipped" },
  "uart-framing": { class: "instant", help: "the UART receiver sees a framing error (the next character is garbled)" },
  "uart-overrun": { class: "instant", help: "the UART receiver overruns (the next character is lost)" },
  "dma-revoke": { class: "instant", help: "the driver's DMA memory is taken out of its device's IOMMU view" },
  kill: { class: "instant", help: "the driver is killed; the supervisor restarts it" },
} as const satisfies Record<string, { class: FaultClass; help: string }>;

export type FaultKind = keyof typeof FAULT_KINDS;

export interface FaultSpec {
  /** The spec as written (what a trace header records). */
  readonly text: string;
  readonly kind: FaultKind;
  /** A device name (virtio-blk0) or, for kill and dma-revoke, a program name too. */
  readonly target?: string;
  /** Trigger: virtual time (ns). */
  readonly at?: number;
  /** Trigger: once this many SysLog events have happened. */
  readonly after?: number;
  /** Armed kinds: the nth matching operation (1: the first). Instant kinds with a request
   *  condition: triggered by the nth request of the target device. */
  readonly nth: number;
  /** How many times it fires (Infinity: every time). */
  readonly count: number;
  /** Instant kinds: triggered by a request of the device (request=, op= or sector= given). */
  readonly onRequest: boolean;
  readonly op?: "read" | "write" | "flush";
  readonly sector?: number;
  readonly direction?: "in" | "out";
  /** completion-delay: by how much (ns). */
  readonly byNs?: number;
  /** link-down: how long until the link is back up (ns). */
  readonly forNs?: number;
}

export function faultClass(kind: FaultKind): FaultClass {
  return FAULT_KINDS[kind].class;
}

const KEYS = ["at", "after", "nth", "request", "count", "op", "sector", "dir", "by", "for"] as const;

/** "5ms", "20us", "1.5s", "300ns" or a bare number of ns → ns. */
export function parseDuration(text: string, what: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(ns|us|µs|ms|s)?$/.exec(text.trim());
  if (!m) throw new FaultSpecError(`${what}: "${text}" is not a time (write e.g. 500us, 2ms, 1s)`);
  const scale = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9 }[(m[2] ?? "ns") as "ns"];
  return Math.round(Number(m[1]) * scale);
}

function parseCount(text: string, what: string, min: number): number {
  if (!/^\d+$/.test(text) || Number(text) < min)
    throw new FaultSpecError(`${what}: "${text}" is not a whole number ≥ ${min}`);
  return Number(text);
}

/** Parse one spec; throws FaultSpecError naming it. */
export function parseFaultSpec(input: string): FaultSpec {
  const text = input.trim();
  const [head, ...pairs] = text.split(",").map((p) => p.trim());
  const [kindText, target] = head.split("@", 2);
  if (!(kindText in FAULT_KINDS))
    throw new FaultSpecError(
      `--fault "${text}": unknown fault "${kindText}" (one of ${Object.keys(FAULT_KINDS).join(", ")}; docs/faults.md)`,
    );
  const kind = kindText as FaultKind;
  const what = `--fault "${text}"`;
  if (target !== undefined && target === "")
    throw new FaultSpecError(`${what}: nothing after "@" (name a device or a driver)`);
  const values: Partial<Record<(typeof KEYS)[number], string>> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    const key = (eq < 0 ? pair : pair.slice(0, eq)) as (typeof KEYS)[number];
    if (!KEYS.includes(key)) throw new FaultSpecError(`${what}: unknown key "${key}" (keys: ${KEYS.join(", ")})`);
    if (eq < 0) throw new FaultSpecError(`${what}: "${key}" needs a value (${key}=…)`);
    if (values[key] !== undefined) throw new FaultSpecError(`${what}: "${key}" given twice`);
    values[key] = pair.slice(eq + 1);
  }
  const cls = faultClass(kind);
  const op = values.op;
  if (op !== undefined && !["read", "write", "flush"].includes(op))
    throw new FaultSpecError(`${what}: op must be read, write or flush (got "${op}")`);
  const dir = values.dir;
  if (dir !== undefined && dir !== "in" && dir !== "out")
    throw new FaultSpecError(`${what}: dir must be in or out (got "${dir}")`);
  if (values.nth !== undefined && values.request !== undefined)
    throw new FaultSpecError(`${what}: give nth or request, not both (they mean the same)`);
  const nthText = values.nth ?? values.request;
  const countText = values.count;
  const spec: FaultSpec = {
    text,
    kind,
    ...(target !== undefined && { target }),
    ...(values.at !== undefined && { at: parseDuration(values.at, `${what} at`) }),
    ...(values.after !== undefined && { after: parseCount(values.after, `${what} after`, 0) }),
    nth: nthText === undefined ? 1 : parseCount(nthText, `${what} nth`, 1),
    count: countText === undefined ? 1 : countText === "all" ? Infinity : parseCount(countText, `${what} count`, 1),
    onRequest:
      cls === "instant" &&
      (values.request !== undefined || values.nth !== undefined || op !== undefined || values.sector !== undefined),
    ...(op !== undefined && { op: op as FaultSpec["op"] }),
    ...(values.sector !== undefined && { sector: parseCount(values.sector, `${what} sector`, 0) }),
    ...(dir !== undefined && { direction: dir }),
    ...(values.by !== undefined && { byNs: parseDuration(values.by, `${what} by`) }),
    ...(values.for !== undefined && { forNs: parseDuration(values.for, `${what} for`) }),
  };
  if (spec.at !== undefined && spec.after !== undefined)
    throw new FaultSpecError(`${what}: give at or after, not both`);
  if (kind === "completion-delay" && spec.byNs === undefined)
    throw new FaultSpecError(`${what}: completion-delay needs by=TIME (e.g. by=5ms)`);
  if (spec.byNs !== undefined && kind !== "completion-delay")
    throw new FaultSpecError(`${what}: by= is for completion-delay only`);
  if (spec.forNs !== undefined && kind !== "link-down") throw new FaultSpecError(`${what}: for= is for link-down only`);
  if (spec.direction !== undefined && cls !== "frame")
    throw new FaultSpecError(`${what}: dir= is for frame faults only`);
  if ((op !== undefined || spec.sector !== undefined) && cls !== "request" && !spec.onRequest)
    throw new FaultSpecError(`${what}: op= and sector= match disk requests`);
  if (cls === "instant" && !spec.onRequest && spec.at === undefined && spec.after === undefined)
    throw new FaultSpecError(
      `${what}: ${kind} happens once, so it needs a trigger: at=TIME (virtual time), after=N (SysLog events) or request=N (the device's nth request)`,
    );
  if (spec.onRequest && (spec.at !== undefined || spec.after !== undefined))
    throw new FaultSpecError(`${what}: a request trigger and at/after cannot be combined for ${kind}`);
  return spec;
}

/** Parse several specs (each may hold several separated by ";"). */
export function parseFaultSpecs(inputs: readonly string[]): FaultSpec[] {
  return inputs
    .flatMap((i) => i.split(";"))
    .filter((t) => t.trim() !== "")
    .map(parseFaultSpec);
}
