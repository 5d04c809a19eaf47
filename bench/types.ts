// What one benchmark reports. Figures are compared with a baseline measured in the same run, on the
// same machine, so that a noisy shared machine moves both together.

export interface Figure {
  /** What was measured, e.g. "syscall round trip (p50)". */
  label: string;
  value: number;
  unit: string;
  /** The same kind of work done the plainest way, measured in the same run. */
  baseline?: { label: string; value: number; unit: string };
  /** value ÷ baseline (or baseline ÷ value when `higherIsBetter`), as the target is phrased. */
  ratio?: number;
  higherIsBetter?: boolean;
  /** The goal in words, e.g. "≤ 1.5× bare Atomics". */
  target?: string;
  /** Whether the target is met; undefined when there is no target. */
  met?: boolean;
}

export interface BenchResult {
  name: string;
  figures: Figure[];
  /** Free-form notes: where the time goes, what limited the figure. */
  notes?: string[];
}

export interface Benchmark {
  name: string;
  run(options: { quick: boolean }): Promise<BenchResult>;
}
