// The register map of a device bound by type (NVMe): hover names the register at a folded offset, and
// the findings say which register and why. The map itself is held equal to the device's own.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { NVME_REGISTERS as DEVICE_NVME_REGISTERS } from "../../devices";
import { NVME_REGISTERS, DEVICE_REGISTER_MAPS } from "../../language-server/device-registers";
import { hoverAt } from "../../language-server/features/hover";
import { analyzeFile, FIXTURE_MACHINES, fixtures } from "./helpers";

const file = path.join(fixtures, "nvme-registers.ts");

describe("language server: the NVMe register map", () => {
  it("is the device's: same offsets, names, widths and directions", () => {
    assert.deepEqual(
      NVME_REGISTERS.map((r) => [r.offset, r.name, r.width, r.access]),
      DEVICE_NVME_REGISTERS.map((r) => [r.offset, r.name, r.width, r.access]),
    );
  });

  it("names the doorbells by queue, write-only and 32 bits", () => {
    const nvme = DEVICE_REGISTER_MAPS.nvme;
    assert.deepEqual(
      [0x1000, 0x1004, 0x1008, 0x100e].map((o) => nvme.registerAt(o)?.name),
      ["SQ0TDBL", "CQ0HDBL", "SQ1TDBL", "CQ1HDBL"],
    );
    assert.equal(nvme.registerAt(0x1008)?.access, "W");
    assert.equal(nvme.registerAt(0x40), undefined);
  });

  it("hover on an access shows the register, its direction, width and fields", () => {
    const analysis = analyzeFile(file, { machines: FIXTURE_MACHINES });
    assert.ok(analysis);
    const text = fs.readFileSync(file, "utf8");
    const at = text.indexOf("regs.write32(CC") + "regs.write32(".length;
    const hover = hoverAt(analysis, at);
    assert.ok(hover);
    assert.match(hover.markdown, /\*\*CC\*\* — NVMe, RW, 32-bit/);
    assert.match(hover.markdown, /EN 0 \(enable; 0 resets\)/);
    const high = hoverAt(analysis, text.indexOf("regs.read32(CAP + 4)") + "regs.read32(".length);
    assert.match(high?.markdown ?? "", /\*\*CAP\*\* \(high half\) — NVMe, R, 64-bit/);
  });

  it("says which register and why: width, read-only, write-only", () => {
    const analysis = analyzeFile(file, { machines: FIXTURE_MACHINES });
    const messages = (analysis?.findings ?? []).map((f) => `${f.code} ${f.message}`);
    assert.ok(
      messages.some((m) =>
        m.startsWith(
          "ZDS108 read64(0x10): NVMe INTMC (0x10) is a 32-bit register; a 64-bit access reaches into the next register",
        ),
      ),
      messages.join("\n"),
    );
    assert.ok(
      messages.some((m) => m.startsWith("ZDS109 write32(0x1c): NVMe CSTS (0x1c) is read-only")),
      messages.join("\n"),
    );
    assert.ok(
      messages.some((m) => m.startsWith("ZDS110 read32(0x100c): NVMe CQ1HDBL (0x100c) is write-only")),
      messages.join("\n"),
    );
  });
});
