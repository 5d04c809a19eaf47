// Shared by the language-server tests: analyse a file (or a buffer) the way the server does.
import path from "node:path";
import type { FileAnalysis } from "../../language-server/analysis/analyze";
import type { MachineKnowledge } from "../../language-server/analysis/machines";
import { Workspace } from "../../language-server/analysis/project";
import type { TextEdit } from "../../language-server/analysis/types";

export const root = path.join(__dirname, "..", "..");
export const fixtures = path.join(root, "test", "fixtures", "lsp");

/** A fixed view of what machines offer, so the corpus does not change when the catalog grows. */
export const FIXTURE_MACHINES: MachineKnowledge = {
  offers: [
    { type: "virtio-rng", virtioId: 4 },
    { type: "virtio-blk", virtioId: 2 },
    { type: "nvme", kind: "mmio" },
    { type: "e1000", kind: "mmio" },
    {
      type: "ata",
      ports: [
        { first: 0x1f0, last: 0x1f7 },
        { first: 0x3f6, last: 0x3f6 },
      ],
    },
  ],
  placements: [{ machine: "virt", device: "virtio-rng0", type: "virtio-rng", base: 0x10003000, size: 0x1000, irq: 3 }],
};

export function analyzeFile(
  file: string,
  options: { hints?: boolean; machines?: MachineKnowledge } = {},
): FileAnalysis | undefined {
  const project = new Workspace().projectFor(file);
  project.addRoot(file);
  return project.analyze(file, options);
}

/** Analyse `text` as if it were the unsaved buffer of `file`. */
export function analyzeText(
  file: string,
  text: string,
  options: { hints?: boolean; machines?: MachineKnowledge } = {},
): FileAnalysis | undefined {
  const project = new Workspace().projectFor(file);
  project.setOverlay(file, text);
  return project.analyze(file, options);
}

/** Apply edits (offsets into `text`) from last to first. */
export function applyEdits(text: string, edits: readonly TextEdit[]): string {
  return [...edits]
    .sort((a, b) => b.start - a.start)
    .reduce((t, e) => t.slice(0, e.start) + e.newText + t.slice(e.end), text);
}

/** "line:CODE" for every finding (lines 1-based). */
export function flagged(analysis: FileAnalysis | undefined): string[] {
  if (!analysis) return [];
  return analysis.findings.map((f) => `${analysis.lineCol(f.file, f.start).line + 1}:${f.code}`).sort();
}
