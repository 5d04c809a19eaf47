// Where the tests of a test file are (docs/testing.md), for the Test Explorer and the gutter buttons:
// a file is a test file when it imports "@zds/sdk/test" and is named *.test.ts/js or sits in a tests/
// folder; its tests are the calls test("name", …) / test.only / test.skip, inside describe("name", …)
// blocks. Read from the text (no compiler in the extension host): titles are string literals.

export interface FoundTest {
  /** Suites (describe names) around it, outermost first, then the test's own name. */
  readonly title: string[];
  /** 0-based line and column of the `test(` call. */
  readonly line: number;
  readonly column: number;
}

export function isTestFilePath(file: string): boolean {
  return /\.test\.[jt]s$/.test(file) || /[\\/]tests[\\/][^\\/]+\.[jt]s$/.test(file);
}

export function importsTestApi(text: string): boolean {
  return /from\s+["']@zds\/sdk\/test["']/.test(text);
}

const CALL = /\b(describe|test)(?:\.(?:only|skip))?\s*\(\s*(["'`])((?:\\.|(?!\2).)*)\2/g;

/** The tests in `text`, with their suites (describe blocks are followed by their braces). */
export function findTests(text: string): FoundTest[] {
  const found: FoundTest[] = [];
  const suites: { name: string; depth: number }[] = [];
  let depth = 0;
  let at = 0;
  const lineStarts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === "\n") lineStarts.push(i + 1);
  const position = (offset: number) => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo, column: offset - lineStarts[lo] };
  };
  const advance = (to: number) => {
    for (; at < to; at++) {
      const c = text[at];
      if (c === "{") depth++;
      else if (c === "}") {
        depth--;
        while (suites.length > 0 && depth <= suites[suites.length - 1].depth) suites.pop();
      }
    }
  };
  for (const m of text.matchAll(CALL)) {
    advance(m.index);
    const name = m[3].replace(/\\(.)/g, "$1");
    if (m[1] === "describe") suites.push({ name, depth });
    else found.push({ title: [...suites.map((s) => s.name), name], ...position(m.index) });
  }
  return found;
}
