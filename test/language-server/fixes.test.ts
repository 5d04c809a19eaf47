// Quick fixes, applied to the buffer and re-analysed: each one removes the diagnostic it fixes and
// introduces none. Plus folding details the corpus does not show one by one.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { analyzeText, applyEdits, FIXTURE_MACHINES, fixtures, flagged } from "./helpers";

function fixOnce(name: string, code: string): { before: string[]; after: string[]; text: string } {
  const file = path.join(fixtures, name);
  const text = fs.readFileSync(file, "utf8");
  const analysis = analyzeText(file, text, { machines: FIXTURE_MACHINES })!;
  const finding = analysis.findings.find((f) => f.code === code);
  assert.ok(finding, `${name} has no ${code}`);
  assert.ok(finding.fixes.length > 0, `${code} has no quick fix`);
  const fixed = applyEdits(text, finding.fixes[0].edits);
  return {
    before: flagged(analysis),
    after: flagged(analyzeText(file, fixed, { machines: FIXTURE_MACHINES })),
    text: fixed,
  };
}

describe("language server: quick fixes", () => {
  it("narrows an over-wide window (ZDS302) to the highest offset used", () => {
    const r = fixOnce("least-privilege.ts", "ZDS302");
    assert.match(r.text, /size: 0x74,/);
    assert.deepEqual(
      r.after,
      r.before.filter((f) => !f.endsWith("ZDS302")),
    );
  });

  it("drops the rights never exercised (ZDS303)", () => {
    const r = fixOnce("least-privilege.ts", "ZDS303");
    assert.match(r.text, /rights: "r",/);
    assert.deepEqual(
      r.after,
      r.before.filter((f) => !f.endsWith("ZDS303")),
    );
  });

  it("removes an unused capability (ZDS301) from the manifest and from main's destructuring", () => {
    const r = fixOnce("least-privilege.ts", "ZDS301");
    assert.doesNotMatch(r.text, /spare/);
    assert.match(r.text, /main\(\{ regs, irq \}\)/);
    assert.deepEqual(r.after.map((f) => f.split(":")[1]).sort(), ["ZDS302", "ZDS303"]);
  });

  it("declares a missing capability (ZDS201), importing its constructor", () => {
    const r = fixOnce("undeclared.ts", "ZDS201");
    assert.match(r.text, /irq: irq\(\),?\n/);
    assert.match(r.text, /import \{ defineDriver, mmio, VirtioDevice, VirtioReg, irq \} from "@zds\/sdk"/);
    assert.ok(!r.after.some((f) => f.startsWith("13:") || f.startsWith("14:")), r.after.join(" "));
    assert.ok(
      r.after.some((f) => f.endsWith("ZDS201")),
      "the other undeclared handle (blk) is still flagged",
    );
  });

  it("shapes a declared MMIO window and port range after their uses", () => {
    const file = path.join(fixtures, "undeclared-shape.ts");
    const text = `import { defineDriver, VirtioDevice } from "@zds/sdk";
export default defineDriver({
  name: "shape",
  device: { virtio: VirtioDevice.Entropy },
  caps: {},
  main({ win, io }) {
    win.read32(0x10);
    win.write32(0x70, 1);
    io.in8(0x1f7);
    io.out8(0x1f2, 1);
  },
});
`;
    const analysis = analyzeText(file, text, { machines: FIXTURE_MACHINES })!;
    const titles = analysis.findings.map((f) => f.fixes[0]?.title);
    assert.ok(titles.includes(`Declare "win: mmio({ size: 0x74 })" in the manifest`), titles.join(" | "));
    assert.ok(
      titles.includes(`Declare "io: ports({ first: 0x1f2, last: 0x1f7 })" in the manifest`),
      titles.join(" | "),
    );
  });
});

describe("language server: bad input", () => {
  it("does not analyse a file over 2 MiB, and does not throw", () => {
    const file = path.join(fixtures, "huge.ts");
    const text =
      `import { defineDriver, mmio } from "@zds/sdk";\nexport default defineDriver({ name: "h", caps: { r: mmio({ size: 4 }) }, main({ r }) { r.read32(8); } });\n` +
      "//".padEnd(3 * 1024 * 1024, "x");
    assert.equal(analyzeText(file, text), undefined);
  });

  it("reports nothing for a file of garbage", () => {
    const file = path.join(fixtures, "garbage.ts");
    for (const text of [
      "defineDriver(",
      "defineDriver({ caps: { r: mmio({ size: }) }, main({ r }) { r.read32(",
      "}}}{{{ defineDriver({ caps: 5, main: 7 })",
      "defineDriver({ main({ a: { b } }) { b.read32(1e400) } })",
    ]) {
      assert.deepEqual(flagged(analyzeText(file, text)), [], text);
    }
  });
});
