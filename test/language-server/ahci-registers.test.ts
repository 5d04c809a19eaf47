// The AHCI HBA's register map in the language server: held equal to the device's own names, hover
// names the register, and the findings say which register and why.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { ahciRegisterName } from "../../devices";
import { AHCI_REGISTERS } from "../../kernel/abi/ahci";
import { DEVICE_REGISTER_MAPS } from "../../language-server/device-registers";
import { hoverAt } from "../../language-server/features/hover";
import { analyzeFile, FIXTURE_MACHINES } from "./helpers";

const file = path.join(__dirname, "..", "fixtures", "ahci", "lsp-registers.ts");
const machines = { ...FIXTURE_MACHINES, offers: [...FIXTURE_MACHINES.offers, { type: "ahci", kind: "mmio" as const }] };

describe("language server: the AHCI register map", () => {
  it("is the device's: every register the map names has the HBA's name at that offset", () => {
    for (const r of AHCI_REGISTERS)
      assert.equal(ahciRegisterName(r.offset), r.name, `offset 0x${r.offset.toString(16)}`);
  });

  it("knows the HBA's and port 0's registers, and nothing between", () => {
    const ahci = DEVICE_REGISTER_MAPS.ahci;
    assert.deepEqual(
      [0x00, 0x0c, 0x118, 0x138, 0x13a].map((o) => ahci.registerAt(o)?.name),
      ["CAP", "PI", "P0CMD", "P0CI", "P0CI"],
    );
    assert.equal(ahci.registerAt(0x2c), undefined);
    assert.equal(ahci.registerAt(0x120)?.access, "R");
  });

  it("hover on an access shows the register, its direction and fields", () => {
    const analysis = analyzeFile(file, { machines });
    assert.ok(analysis);
    const text = fs.readFileSync(file, "utf8");
    const hover = hoverAt(analysis, text.indexOf("regs.write32(P0CI") + "regs.write32(".length);
    assert.match(hover?.markdown ?? "", /\*\*P0CI\*\* — AHCI, RW, 32-bit/);
    assert.match(hover?.markdown ?? "", /set bit n to issue slot n/);
  });

  it("says which register and why: width, read-only", () => {
    const analysis = analyzeFile(file, { machines });
    const found = (analysis?.findings ?? []).map((f) => f.code).filter((c) => /^ZDS10[89]$/.test(c));
    assert.deepEqual(found.sort(), ["ZDS108", "ZDS109", "ZDS109"]);
    const messages = (analysis?.findings ?? []).map((f) => f.message).join("\n");
    assert.match(messages, /P0TFD/);
  });
});
