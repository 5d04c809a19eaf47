// What bundling drivers costs with each bundler a vsix can carry (docs/packaging.md): the native
// esbuild (a platform binary, so one vsix per platform) against esbuild-wasm (one portable
// WebAssembly file). Each run is a fresh `zds bench --probe-bundler KIND` process that bundles every
// sample in drivers/ through kernel/loader/bundle-driver.ts, as `zds run` does: the first bundle is
// cold (loading the package, starting its service, for wasm compiling the module), the rest warm.
// Medians over several runs of each, alternated so load on a shared machine hits both alike. The
// vsix cost is the bundler's files deflated as vsce stores them.

import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { bundleDriver } from "../kernel/loader/bundle-driver";
import { bundler, platformName, type BundlerKind } from "../kernel/loader/bundler";
import type { Benchmark, BenchResult, Figure } from "./types";
import { median, repoRoot, round } from "./harness";

/** What one probe process prints (one JSON line). */
export interface ProbeResult {
  kind: BundlerKind;
  /** From the start of the probe (nothing of the bundler loaded) to the first bundle done. */
  firstMs: number;
  /** Each later bundle, one per sample. */
  warmMs: number[];
  samples: string[];
  sha256: string[];
}

/** The sample programs in drivers/ (every folder but the SDK). */
export function sampleFolders(): string[] {
  const root = path.join(repoRoot, "drivers");
  return fs
    .readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isDirectory() && e.name !== "sdk" && fs.existsSync(path.join(root, e.name, "index.ts")))
    .map((e) => e.name)
    .sort();
}

/** The child's side: bundle every sample with the bundler ZDS_BUNDLER names and report the times. */
export async function probeBundler(kind: BundlerKind): Promise<ProbeResult> {
  process.env.ZDS_BUNDLER = kind;
  const samples = sampleFolders();
  const times: number[] = [];
  const sha256: string[] = [];
  const t0 = performance.now();
  let from = t0;
  for (const name of samples) {
    const b = await bundleDriver(path.join(repoRoot, "drivers", name));
    const now = performance.now();
    times.push(now - from);
    from = now;
    sha256.push(b.sha256);
  }
  const used = await bundler();
  if (used.kind !== kind) throw new Error(`asked for the ${kind} bundler, got ${used.kind}`);
  await used.stop();
  return { kind, firstMs: round(times[0]), warmMs: times.slice(1).map((t) => round(t)), samples, sha256 };
}

function runProbe(kind: BundlerKind): Promise<ProbeResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(repoRoot, "bin", "zds.js"), "bench", "--probe-bundler", kind], {
      cwd: repoRoot,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0) return reject(new Error(`probe ${kind} exited ${code}: ${err.trim()}`));
      try {
        resolve(JSON.parse(out.trim().split("\n").pop() ?? "") as ProbeResult);
      } catch {
        reject(new Error(`probe ${kind} printed no result: ${out}${err}`));
      }
    });
  });
}

function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true, recursive: true }).flatMap((e) => {
    const full = path.join(e.parentPath, e.name);
    return e.isFile() ? [full] : [];
  });
}

/** Bytes of `files` as stored in a zip (deflated), and unpacked. */
function packedSize(files: string[]): { packed: number; unpacked: number } {
  let packed = 0;
  let unpacked = 0;
  for (const f of files) {
    const data = fs.readFileSync(f);
    unpacked += data.length;
    packed += Math.min(data.length, zlib.deflateRawSync(data).length);
  }
  return { packed, unpacked };
}

/** What a vsix carries of esbuild-wasm (.vscodeignore): its Node API, its launcher and the module. */
export const WASM_FILES = [
  "package.json",
  "LICENSE.md",
  "lib/main.js",
  "bin/esbuild",
  "wasm_exec.js",
  "wasm_exec_node.js",
  "esbuild.wasm",
];

/** What each option puts in a vsix: the JS API and the host's platform binary, or esbuild-wasm. */
export function bundlerFootprint(): {
  native: { packed: number; unpacked: number };
  wasm: { packed: number; unpacked: number };
} {
  const modules = path.join(repoRoot, "node_modules");
  const api = ["package.json", "LICENSE.md"].map((f) => path.join(modules, "esbuild", f));
  const native = [
    ...api,
    ...filesUnder(path.join(modules, "esbuild", "lib")),
    ...filesUnder(path.join(modules, "@esbuild", platformName())),
  ];
  const wasm = WASM_FILES.map((f) => path.join(modules, "esbuild-wasm", f));
  return { native: packedSize(native.filter((f) => fs.existsSync(f))), wasm: packedSize(wasm) };
}

const MiB = 1024 * 1024;

export const bundlerBench: Benchmark = {
  name: "bundler",
  async run({ quick }): Promise<BenchResult> {
    const runs = quick ? 2 : 5;
    const probes: Record<BundlerKind, ProbeResult[]> = { native: [], wasm: [] };
    for (let i = 0; i < runs; i++)
      for (const kind of ["native", "wasm"] as const) probes[kind].push(await runProbe(kind));
    const samples = probes.native[0].samples;
    const same = probes.wasm.every((p) => p.sha256.join() === probes.native[0].sha256.join());
    if (!same) throw new Error("esbuild-wasm and esbuild bundled a sample differently");
    const first = (k: BundlerKind): number => round(median(probes[k].map((p) => p.firstMs)));
    const warm = (k: BundlerKind): number => round(median(probes[k].map((p) => median(p.warmMs))));
    const all = (k: BundlerKind): number =>
      round(median(probes[k].map((p) => p.firstMs + p.warmMs.reduce((a, b) => a + b, 0))));
    const size = bundlerFootprint();
    const vs = (label: string, wasm: number, native: number, unit: string): Figure => ({
      label,
      value: wasm,
      unit,
      baseline: { label: "native esbuild", value: native, unit },
      ratio: round(wasm / native),
    });
    return {
      name: "bundler",
      figures: [
        { label: "first bundle in a fresh process, native esbuild", value: first("native"), unit: "ms" },
        vs("first bundle in a fresh process, esbuild-wasm", first("wasm"), first("native"), "ms"),
        { label: "a later bundle (median), native esbuild", value: warm("native"), unit: "ms" },
        vs("a later bundle (median), esbuild-wasm", warm("wasm"), warm("native"), "ms"),
        vs(`all ${samples.length} samples in a fresh process, esbuild-wasm`, all("wasm"), all("native"), "ms"),
        {
          label: `bundler in the vsix, native (${platformName()} binary)`,
          value: round(size.native.packed / MiB),
          unit: "MiB",
        },
        vs("bundler in the vsix, esbuild-wasm", round(size.wasm.packed / MiB), round(size.native.packed / MiB), "MiB"),
      ],
      notes: [
        `${runs} fresh processes per bundler, alternated; samples: ${samples.join(", ")}; both bundlers gave identical bundles`,
        `unpacked: native ${round(size.native.unpacked / MiB)} MiB, esbuild-wasm ${round(size.wasm.unpacked / MiB)} MiB`,
      ],
    };
  },
};
