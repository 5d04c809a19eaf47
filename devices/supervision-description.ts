// The "supervision" section of a machine description: how the kernel's supervisor treats each
// driver that faults (restart policy, limit, back-off) and the limits it runs under. Plain data,
// validated here with the rest of the description; the kernel applies it.

export type RestartMode = "never" | "on-failure" | "always";

export interface DriverPolicy {
  /** "on-failure": restart after a fault or a non-zero exit; "always": after any end. */
  readonly restart?: RestartMode;
  /** Restarts allowed in one session; after that the driver stays down. */
  readonly limit?: number;
  /** Virtual µs before the first restart; doubles each time up to maxBackoffUs. */
  readonly backoffUs?: number;
  readonly maxBackoffUs?: number;
  /** Heap limit of the driver's isolate, MiB. */
  readonly memoryMb?: number;
  /** Wall-clock ms the driver may run without a syscall. */
  readonly watchdogMs?: number;
}

export interface SupervisionDescription {
  /** Applies to every program without its own entry. */
  readonly default?: DriverPolicy;
  /** By program name (its folder or file name, usually also its manifest name). */
  readonly drivers?: Readonly<Record<string, DriverPolicy>>;
}

const MODES: readonly string[] = ["never", "on-failure", "always"];
const LIMITS: Record<Exclude<keyof DriverPolicy, "restart">, [number, number]> = {
  limit: [0, 1000],
  backoffUs: [0, 60_000_000],
  maxBackoffUs: [0, 600_000_000],
  memoryMb: [8, 4096],
  watchdogMs: [10, 600_000],
};

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function parsePolicy(value: unknown, where: string, problems: string[]): DriverPolicy | undefined {
  if (!isObject(value)) {
    problems.push(`${where}: must be an object`);
    return undefined;
  }
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (key === "restart") {
      if (typeof v !== "string" || !MODES.includes(v))
        problems.push(`${where}.restart: must be one of ${MODES.join(", ")}`);
      else out.restart = v;
    } else if (key in LIMITS) {
      const [min, max] = LIMITS[key as keyof typeof LIMITS];
      if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max)
        problems.push(`${where}.${key}: must be an integer from ${min} to ${max}`);
      else out[key] = v;
    } else if (!key.startsWith("$")) {
      problems.push(`${where}: unknown field "${key}" (known: restart, ${Object.keys(LIMITS).join(", ")})`);
    }
  }
  return out as DriverPolicy;
}

export function parseSupervision(value: unknown, problems: string[]): SupervisionDescription | undefined {
  if (value === undefined) return undefined;
  if (!isObject(value)) {
    problems.push(`field "supervision": must be an object { "default": {…}, "drivers": { name: {…} } }`);
    return undefined;
  }
  const out: { default?: DriverPolicy; drivers?: Record<string, DriverPolicy> } = {};
  for (const key of Object.keys(value)) {
    if (key !== "default" && key !== "drivers" && !key.startsWith("$"))
      problems.push(`field "supervision": unknown field "${key}"`);
  }
  if (value.default !== undefined) out.default = parsePolicy(value.default, `field "supervision.default"`, problems);
  if (value.drivers !== undefined) {
    if (!isObject(value.drivers)) problems.push(`field "supervision.drivers": must be an object keyed by program name`);
    else {
      out.drivers = {};
      for (const [name, policy] of Object.entries(value.drivers)) {
        const parsed = parsePolicy(policy, `field "supervision.drivers.${name}"`, problems);
        if (parsed) out.drivers[name] = parsed;
      }
    }
  }
  return out;
}
