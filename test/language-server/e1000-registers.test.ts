// The e1000's register map in the language server: the same registers and directions as the device,
// hover naming the register at an access with what it does, and the findings naming the register.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { E1000_REGISTERS as DEVICE_E1000_REGISTERS } from "../../devices";
import { DEVICE_REGISTER_MAPS } from "../../language-server/device-registers";
import { hoverAt } from "../../language-server/features/hover";
import { analyzeFile, FIXTURE_MACHINES, fixtures } from "./helpers";

const file = path.join(fixtures, "e1000-registers.ts");

describe("language server: the e1000 register map", () => {
  it("is the device's: every register the device decodes, 32 bits, same direction", () => {
    const map = DEVICE_REGISTER_MAPS.e1000;
    for (const r of DEVICE_E1000_REGISTERS) {
      const found = map.registerAt(r.offset);
      assert.ok(found, `no ${r.name} at 0x${r.offset.toString(16)}`);
      assert.equal(found.width, 4);
      assert.equal(found.access, r.access, r.name);
    }
    assert.deepEqual(
      [0x2818, 0x5208, 0x540c, 0x4020].map((o) => map.registerAt(o)?.name),
      ["RDT", "MTA[2]", "RAH1", "statistics 0x4020"],
    );
    assert.equal(map.registerAt(0x0004), undefined);
  });

  it("hover on an access names the register, its direction and width, and what it does", () => {
    const analysis = analyzeFile(file, { machines: FIXTURE_MACHINES });
    assert.ok(analysis);
    const text = fs.readFileSync(file, "utf8");
    const hover = hoverAt(analysis, text.indexOf("regs.write32(E1000Reg.RDT") + "regs.write32(".length);
    assert.ok(hover);
    assert.match(hover.markdown, /\*\*RDT\*\* — e1000, RW, 32-bit/);
    assert.match(hover.markdown, /the doorbell/);
  });

  it("says which register and why: width, read-only, write-only", () => {
    const analysis = analyzeFile(file, { machines: FIXTURE_MACHINES });
    const messages = (analysis?.findings ?? []).map((f) => `${f.code} ${f.message}`);
    for (const start of [
      "ZDS108 read16(0x8): e1000 STATUS (0x8) is a 32-bit register",
      "ZDS108 read64(0x2800): e1000 RDBAL (0x2800) is a 32-bit register; a 64-bit access reaches into the next register",
      "ZDS109 write32(0x8): e1000 STATUS (0x8) is read-only",
      "ZDS109 write32(0x4074): e1000 GPRC (0x4074) is read-only",
      "ZDS110 read32(0xc8): e1000 ICS (0xc8) is write-only",
    ])
      assert.ok(
        messages.some((m) => m.startsWith(start)),
        `${start}\n---\n${messages.join("\n")}`,
      );
  });

  it("drivers/e1000 checks clean", () => {
    const analysis = analyzeFile(path.join(__dirname, "..", "..", "drivers", "e1000", "index.ts"));
    assert.deepEqual(
      (analysis?.findings ?? []).map((f) => `${f.code} ${f.message}`),
      [],
    );
  });
});
