// `expect(value).toBe(…)`: the assertions of `@zds/sdk/test`. A failed one throws ExpectationFailed
// with the message, the expected and actual values as text (for a diff in reports and the editor's
// TestMessage) and where in the test file it was made.

import { isDeepStrictEqual, inspect } from "node:util";

export interface SourceLocation {
  file: string;
  line: number;
  column: number;
}

export class ExpectationFailed extends Error {
  constructor(
    message: string,
    readonly expected: string,
    readonly actual: string,
    readonly location: SourceLocation | undefined,
  ) {
    super(message);
    this.name = "ExpectationFailed";
  }
}

/** Set by the loader: the test file whose frames locate a failure. */
let testFile: string | undefined;
export function setTestFile(file: string | undefined): void {
  testFile = file;
}

/** The first stack frame in the test file (the source-mapped line of the `expect`). */
export function locationIn(stack: string | undefined, file = testFile): SourceLocation | undefined {
  for (const line of (stack ?? "").split("\n").slice(1)) {
    const m = /\(?((?:[A-Za-z]:)?[^():]+):(\d+):(\d+)\)?$/.exec(line.trim());
    if (m && (file === undefined || m[1] === file)) return { file: m[1], line: Number(m[2]), column: Number(m[3]) };
  }
  return undefined;
}

const show = (v: unknown): string => (typeof v === "string" ? JSON.stringify(v) : inspect(v, { depth: 6 }));

export interface Matchers {
  toBe(expected: unknown): void;
  toEqual(expected: unknown): void;
  toMatch(pattern: RegExp | string): void;
  toContain(item: unknown): void;
  toHaveLength(length: number): void;
  toBeGreaterThan(n: number): void;
  toBeGreaterThanOrEqual(n: number): void;
  toBeLessThan(n: number): void;
  toBeLessThanOrEqual(n: number): void;
  toBeTruthy(): void;
  toBeFalsy(): void;
  toBeDefined(): void;
  toBeUndefined(): void;
  /** The same matchers, each meaning its opposite. */
  readonly not: Omit<Matchers, "not">;
}

export function expect(actual: unknown): Matchers {
  const make = (negated: boolean): Omit<Matchers, "not"> => {
    const check = (pass: boolean, what: string, expected: unknown): void => {
      if (pass !== negated) return;
      const message = `expected ${show(actual)} ${negated ? "not " : ""}${what}`;
      const error = new ExpectationFailed(message, show(expected), show(actual), undefined);
      const location = locationIn(error.stack);
      throw Object.assign(error, { location });
    };
    return {
      toBe: (e) => check(Object.is(actual, e), `to be ${show(e)}`, e),
      toEqual: (e) => check(isDeepStrictEqual(actual, e), `to equal ${show(e)}`, e),
      toMatch: (p) => {
        const text = String(actual);
        check(typeof p === "string" ? text.includes(p) : p.test(text), `to match ${String(p)}`, p);
      },
      toContain: (item) => {
        const pass =
          typeof actual === "string"
            ? actual.includes(String(item))
            : Array.isArray(actual) && actual.some((a) => isDeepStrictEqual(a, item));
        check(pass, `to contain ${show(item)}`, item);
      },
      toHaveLength: (n) => check((actual as { length?: number })?.length === n, `to have length ${n}`, n),
      toBeGreaterThan: (n) => check(Number(actual) > n, `to be greater than ${n}`, n),
      toBeGreaterThanOrEqual: (n) => check(Number(actual) >= n, `to be at least ${n}`, n),
      toBeLessThan: (n) => check(Number(actual) < n, `to be less than ${n}`, n),
      toBeLessThanOrEqual: (n) => check(Number(actual) <= n, `to be at most ${n}`, n),
      toBeTruthy: () => check(Boolean(actual), "to be truthy", true),
      toBeFalsy: () => check(!actual, "to be falsy", false),
      toBeDefined: () => check(actual !== undefined, "to be defined", "defined"),
      toBeUndefined: () => check(actual === undefined, "to be undefined", undefined),
    };
  };
  return { ...make(false), not: make(true) };
}
