// The fixture corpus: every line marked `// expect: ZDSnnn` must carry exactly those diagnostics, and
// no other line any. Also: the bundled sample drivers check clean.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { analyzeFile, FIXTURE_MACHINES, fixtures, flagged, root } from "./helpers";

const EXPECT = /\/\/\s*expect:\s*(ZDS\d{3}(?:\s*,\s*ZDS\d{3})*)/;

function expected(file: string): string[] {
  const out: string[] = [];
  fs.readFileSync(file, "utf8")
    .split("\n")
    .forEach((line, i) => {
      const m = EXPECT.exec(line);
      if (m) for (const code of m[1].split(",")) out.push(`${i + 1}:${code.trim()}`);
    });
  return out.sort();
}

describe("language server: fixture corpus (exact match)", () => {
  const files = fs.readdirSync(fixtures).filter((f) => /\.(ts|js)$/.test(f));

  it("has fixtures for every rule", () => {
    const all = new Set(files.flatMap((f) => expected(path.join(fixtures, f)).map((e) => e.split(":")[1])));
    for (const code of [
      "ZDS001",
      "ZDS101",
      "ZDS102",
      "ZDS103",
      "ZDS104",
      "ZDS105",
      "ZDS106",
      "ZDS107",
      "ZDS108",
      "ZDS109",
      "ZDS110",
      "ZDS201",
      "ZDS202",
      "ZDS301",
      "ZDS302",
      "ZDS303",
      "ZDS401",
      "ZDS402",
      "ZDS403",
      "ZDS901",
      "ZDS902",
    ]) {
      assert.ok(all.has(code), `no fixture expects ${code}`);
    }
  });

  for (const name of files) {
    it(name, () => {
      const file = path.join(fixtures, name);
      const analysis = analyzeFile(file, { hints: name.startsWith("hints-"), machines: FIXTURE_MACHINES });
      assert.deepEqual(flagged(analysis), expected(file));
    });
  }
});

describe("language server: sample drivers", () => {
  for (const driver of ["virtio-rng", "rng-cat", "nvme"]) {
    it(`${driver} checks clean (default machines, no hints)`, () => {
      const analysis = analyzeFile(path.join(root, "drivers", driver, "index.ts"));
      assert.ok(analysis, "analysed");
      assert.equal(analysis.drivers.length, 1, "found its manifest");
      assert.deepEqual(analysis.findings, []);
    });
  }
});
