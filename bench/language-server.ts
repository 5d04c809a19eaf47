// Language-server speed (issues 5 and 14): (a) diagnostics for a 2,000-line driver after an edit,
// through the real server over stdio, p50 and p95 over edits spread across the file; the first
// diagnostics after didOpen in a fresh server process, with process start → initialize answered,
// with and without the start-up warm-up; (b) a workspace of 50 generated drivers checked with the
// analysis, as `zds check` does. Baselines: (a) ts.createSourceFile of the same text, parsed in
// the bench process right after each edit's diagnostics (so under the same load), and for the
// cold figures a fresh Node process loading TypeScript and parsing the text once; (b)
// ts.createProgram over the same files (parsing and binding only); all measured in this run.

import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import ts from "typescript";
import {
  createProtocolConnection,
  DidChangeTextDocumentNotification,
  DidOpenTextDocumentNotification,
  ExitNotification,
  InitializedNotification,
  InitializeRequest,
  LogMessageNotification,
  PublishDiagnosticsNotification,
  ShutdownRequest,
  StreamMessageReader,
  StreamMessageWriter,
  type PublishDiagnosticsParams,
} from "vscode-languageserver-protocol/node";
import { norm, Workspace } from "../language-server/analysis/project";
import type { Benchmark, BenchResult, Figure } from "./types";

const root = path.join(__dirname, "..");

/** A driver of about `lines` lines: a manifest, a main calling `steps` helpers, each helper a dozen
 *  lines of register and DMA accesses with constant offsets, loops and arithmetic. */
export function generateDriver(lines: number, name = "bench-driver"): string {
  const head = [
    `import { defineDriver, dma, irq, mmio, serve, VirtioDevice, VirtioReg, type DmaBuffer, type MmioRegion } from "@zds/sdk";`,
    ``,
    `const REG_BASE = 0x100;`,
    `const SLOT_BYTES = 16;`,
    `enum Queue { Request, Reply, Event, Control }`,
  ];
  const steps = Math.max(1, Math.floor((lines - head.length - 20) / 13));
  const body: string[] = [];
  for (let n = 0; n < steps; n++) {
    body.push(
      `/** Step ${n}: select a queue, read its size, fill a slot of the ring. */`,
      `function step${n}(regs: MmioRegion, ring: DmaBuffer): number {`,
      `  regs.write32(VirtioReg.QUEUE_SEL, Queue.${["Request", "Reply", "Event", "Control"][n % 4]});`,
      `  const size = regs.read32(VirtioReg.QUEUE_SIZE_MAX);`,
      `  for (let i = 0; i < 4; i++) ring.setU32(${(n * 16) % 8000} + i * 4, size);`,
      `  regs.write32(REG_BASE + ${(n % 16) * 4}, size & 0xff);`,
      `  const status = regs.read32(VirtioReg.STATUS);`,
      `  if (status & 0x40) regs.write32(VirtioReg.STATUS, 0);`,
      `  ring.setU16(${(n * 16) % 8000}, status);`,
      `  const word = ring.getU32(${(n * 8) % 8000});`,
      `  regs.write32(VirtioReg.QUEUE_NOTIFY, ${n % 4});`,
      `  return word + size;`,
      `}`,
    );
  }
  const main = [
    ``,
    `export default defineDriver({`,
    `  name: ${JSON.stringify(name)},`,
    `  device: { virtio: VirtioDevice.Entropy },`,
    // The window ends right after the highest register used, so the driver is clean (least privilege).
    `  caps: { regs: mmio({ size: 0x${(0x100 + Math.min(steps, 16) * 4).toString(16)} }), irq: irq(), ring: dma({ size: 8192 }), svc: serve(${JSON.stringify(name)}) },`,
    `  main({ regs, irq, ring, svc }) {`,
    `    let total = 0;`,
    ...Array.from({ length: steps }, (_, n) => `    total += step${n}(regs, ring);`),
    `    irq.wait();`,
    `    irq.ack();`,
    `    svc.ready();`,
    `    return total & 1;`,
    `  },`,
    `});`,
  ];
  return [...head, ...main, ``, ...body, ``].join("\n");
}

const percentile = (xs: number[], p: number): number =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];

/** A workspace directory whose tsconfig maps @zds/sdk to this repository's SDK. */
function makeWorkspace(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "zds-lsp-bench-"));
  fs.writeFileSync(
    path.join(dir, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: { baseUrl: ".", paths: { "@zds/sdk": [path.join(root, "drivers", "sdk", "index.ts")] } },
    }),
  );
  return dir;
}

/** One fresh server process over stdio: spawn → initialize answered, didOpen → first diagnostics,
 *  then `edits` edits, each timed from didChange to the diagnostics of that version. After each
 *  edit's diagnostics the bench process parses the same text with ts.createSourceFile, so the
 *  baseline runs under the same load as the edit it is compared with. */
async function serverRun(options: { warmUp: boolean; edits: number; seed: number }): Promise<{
  initMs: number;
  firstMs: number;
  startToFirstMs: number;
  latencies: number[];
  parses: number[];
  lineCount: number;
  warmLog?: string;
}> {
  const serverPath = path.join(root, "dist", "language-server.js");
  if (!fs.existsSync(serverPath)) throw new Error(`${serverPath} is missing; run npm run build first`);
  const dir = makeWorkspace();
  const file = path.join(dir, "big-driver.ts");
  const text = generateDriver(2000);
  fs.writeFileSync(file, text);
  const uri = pathToFileURL(file).href;
  const lines = text.split("\n");

  const env = { ...process.env, ZDS_LS_WARMUP: options.warmUp ? "1" : "0" };
  const spawned = performance.now();
  const child = spawn(process.execPath, [serverPath, "--stdio"], { stdio: ["pipe", "pipe", "inherit"], env });
  const conn = createProtocolConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
  const waiting = new Map<number, (p: PublishDiagnosticsParams) => void>();
  conn.onNotification(PublishDiagnosticsNotification.type, (p) => {
    if (p.uri === uri && p.version !== undefined) waiting.get(p.version)?.(p);
  });
  let warmLog: string | undefined;
  conn.onNotification(LogMessageNotification.type, (m) => {
    if (m.message.startsWith("warm-up:")) warmLog = m.message;
  });
  conn.listen();
  const diagnosticsFor = (version: number) =>
    new Promise<PublishDiagnosticsParams>((resolve) => waiting.set(version, resolve));
  try {
    await conn.sendRequest(InitializeRequest.type, {
      processId: process.pid,
      rootUri: pathToFileURL(dir).href,
      capabilities: {},
      workspaceFolders: null,
    });
    const initMs = performance.now() - spawned;
    // As an editor does: initialized, then at once the open documents.
    await conn.sendNotification(InitializedNotification.type, {});
    let t0 = performance.now();
    const opened = diagnosticsFor(1);
    await conn.sendNotification(DidOpenTextDocumentNotification.type, {
      textDocument: { uri, languageId: "typescript", version: 1, text },
    });
    await opened;
    const firstMs = performance.now() - t0;
    const startToFirstMs = performance.now() - spawned;

    // Edits: one offset in a helper picked at random (seeded), out of the MMIO window (an error
    // appears), then back in the same helper (it disappears), so every edit changes what is
    // published and the edits move around the file.
    const targets = lines.flatMap((l, i) => (l.includes("regs.write32(REG_BASE + ") ? [i] : []));
    let seed = options.seed;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const current = new Map<number, string>();
    const latencies: number[] = [];
    const parses: number[] = [];
    let line = targets[0];
    let flagged = 0;
    for (let v = 2; v < 2 + options.edits; v++) {
      if (v % 2 === 0) line = targets[Math.floor(random() * targets.length)];
      const lineText = lines[line];
      const col = lineText.indexOf("REG_BASE + ") + "REG_BASE + ".length;
      const old = current.get(line) ?? lineText.slice(col, lineText.indexOf(",", col));
      const next = v % 2 === 0 ? "0x300" : "0";
      const change = {
        range: { start: { line, character: col }, end: { line, character: col + old.length } },
        text: next,
      };
      current.set(line, next);
      lines[line] = lineText.slice(0, col) + next + lineText.slice(col + old.length);
      t0 = performance.now();
      const published = diagnosticsFor(v);
      await conn.sendNotification(DidChangeTextDocumentNotification.type, {
        textDocument: { uri, version: v },
        contentChanges: [change],
      });
      const diags = await published;
      latencies.push(performance.now() - t0);
      const flags = diags.diagnostics.filter((d) => d.code === "ZDS101");
      if (flags.length !== (v % 2 === 0 ? 1 : 0) || (flags[0] && flags[0].range.start.line !== line))
        throw new Error(
          `edit ${v} (line ${line + 1}): expected ${v % 2 === 0 ? "one ZDS101 there" : "none"}, got ${JSON.stringify(diags.diagnostics)}`,
        );
      flagged += flags.length;
      const edited = lines.join("\n");
      const p0 = performance.now();
      ts.createSourceFile(file, edited, ts.ScriptTarget.ES2022, true);
      parses.push(performance.now() - p0);
    }
    if (flagged !== Math.ceil(options.edits / 2)) throw new Error(`${flagged} edits flagged ZDS101`);
    await conn.sendRequest(ShutdownRequest.type);
    await conn.sendNotification(ExitNotification.type);
    return { initMs, firstMs, startToFirstMs, latencies, parses, lineCount: lines.length, warmLog };
  } finally {
    conn.dispose();
    child.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The cold baseline: a fresh Node process that loads the TypeScript compiler and parses the same
 *  text once, timed from spawn to its exit (what any TypeScript-based server pays at least). */
function coldParse(text: string): { processMs: number; parseMs: number } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "zds-lsp-cold-"));
  try {
    const file = path.join(dir, "big-driver.ts");
    fs.writeFileSync(file, text);
    const script = `const t=require(${JSON.stringify(require.resolve("typescript"))});const s=require("fs").readFileSync(${JSON.stringify(file)},"utf8");const t0=performance.now();t.createSourceFile("x.ts",s,t.ScriptTarget.ES2022,true);process.stdout.write(String(performance.now()-t0));`;
    const t0 = performance.now();
    const r = spawnSync(process.execPath, ["-e", script], { encoding: "utf8" });
    const processMs = performance.now() - t0;
    if (r.status !== 0) throw new Error(`cold parse failed: ${r.stderr}`);
    return { processMs, parseMs: Number(r.stdout) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function editLatency(quick: boolean): Promise<{ figures: Figure[]; notes: string[] }> {
  const edits = quick ? 10 : 100;
  // Without the warm-up first (the same server, ZDS_LS_WARMUP=0), then the server as shipped.
  const cold = await serverRun({ warmUp: false, edits: quick ? 2 : 10, seed: 11 });
  const run = await serverRun({ warmUp: true, edits, seed: 7 });
  const base = coldParse(generateDriver(2000));
  const p50 = percentile(run.latencies, 0.5);
  const p95 = percentile(run.latencies, 0.95);
  const parse50 = percentile(run.parses, 0.5);
  const parse95 = percentile(run.parses, 0.95);
  const lines = run.lineCount;
  return {
    figures: [
      {
        label: `diagnostics after an edit, ${lines}-line driver, over stdio (p50 of ${edits})`,
        value: round(p50),
        unit: "ms",
        baseline: { label: "ts.createSourceFile of the same text (p50)", value: round(parse50), unit: "ms" },
        ratio: round(p50 / parse50),
        target: "≤ 100 ms",
        met: p50 <= 100,
      },
      {
        label: `diagnostics after an edit (p95 of ${edits})`,
        value: round(p95),
        unit: "ms",
        baseline: { label: "ts.createSourceFile of the same text (p95)", value: round(parse95), unit: "ms" },
        ratio: round(p95 / parse95),
        target: "≤ 100 ms",
        met: p95 <= 100,
      },
      {
        label: `first diagnostics after open, fresh server (didOpen → publishDiagnostics)`,
        value: round(run.firstMs),
        unit: "ms",
        baseline: { label: "ts.createSourceFile in a fresh process", value: round(base.parseMs), unit: "ms" },
        ratio: round(run.firstMs / base.parseMs),
        target: "≤ 300 ms",
        met: run.firstMs <= 300,
      },
      { label: "server process start → initialize answered (warm-up included)", value: round(run.initMs), unit: "ms" },
      {
        label: "server process start → first diagnostics",
        value: round(run.startToFirstMs),
        unit: "ms",
        baseline: {
          label: "fresh node: load typescript + parse the text, spawn to exit",
          value: round(base.processMs),
          unit: "ms",
        },
        ratio: round(run.startToFirstMs / base.processMs),
      },
      { label: "without warm-up: first diagnostics after open", value: round(cold.firstMs), unit: "ms" },
      { label: "without warm-up: process start → initialize answered", value: round(cold.initMs), unit: "ms" },
      { label: "without warm-up: process start → first diagnostics", value: round(cold.startToFirstMs), unit: "ms" },
    ],
    notes: [
      `edit = one offset changed in a helper picked at random, out of the MMIO window and back; every edit's diagnostics were checked (one ZDS101 on the edited line, or none)`,
      `edits: max ${round(Math.max(...run.latencies))} ms, first three ${run.latencies
        .slice(0, 3)
        .map(round)
        .join(", ")} ms; without warm-up the first edits took ${cold.latencies.map(round).join(", ")} ms`,
      run.warmLog ? `server log: ${run.warmLog}` : "the server logged no warm-up",
    ],
  };
}

function workspaceCheck(): { figures: Figure[]; notes: string[] } {
  const dir = makeWorkspace();
  try {
    const files: string[] = [];
    for (let i = 0; i < 50; i++) {
      const f = path.join(dir, `driver-${i}`, "index.ts");
      fs.mkdirSync(path.dirname(f));
      fs.writeFileSync(f, generateDriver(200 + (i % 5) * 100, `drv-${i}`));
      files.push(f);
    }
    const lines = files.reduce((n, f) => n + fs.readFileSync(f, "utf8").split("\n").length, 0);
    const cwd = process.cwd();
    process.chdir(dir);
    let checkMs: number;
    let diagnostics: number;
    let baseMs: number;
    try {
      let t0 = performance.now();
      const result = analyseWorkspace(files);
      checkMs = performance.now() - t0;
      diagnostics = result.diagnostics;
      if (result.drivers !== 50) throw new Error(`checked ${result.drivers} drivers, expected 50`);
      t0 = performance.now();
      const program = ts.createProgram(files, {
        noLib: true,
        types: [],
        baseUrl: dir,
        paths: { "@zds/sdk": [path.join(root, "drivers", "sdk", "index.ts")] },
        noEmit: true,
      });
      program.getTypeChecker();
      baseMs = performance.now() - t0;
    } finally {
      process.chdir(cwd);
    }
    // The same as a user runs it: a child process, startup and all.
    const t0 = performance.now();
    const cli = spawnSync(process.execPath, [path.join(root, "bin", "zds.js"), "check", dir], { encoding: "utf8" });
    const cliMs = performance.now() - t0;
    if (cli.status !== 0)
      throw new Error(`zds check on the generated workspace exited ${cli.status}: ${cli.stdout}${cli.stderr}`);
    return {
      figures: [
        {
          label: `zds check of 50 generated drivers (${lines} lines), child process end to end`,
          value: round(cliMs),
          unit: "ms",
          target: "< 3000 ms",
          met: cliMs < 3000,
        },
        {
          label: `zds check analysis of 50 generated drivers (${lines} lines), in process`,
          value: round(checkMs),
          unit: "ms",
          baseline: { label: "ts.createProgram + binder over the same files", value: round(baseMs), unit: "ms" },
          ratio: round(checkMs / baseMs),
          target: "< 3000 ms",
          met: checkMs < 3000,
        },
      ],
      notes: [`${diagnostics} diagnostics (the generated drivers are clean)`],
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** What `zds check` does with the files it found: one workspace, every root added first so each
 *  project builds one program, then each file analysed. The language server's analysis directly,
 *  not cli/check.ts: bench/ sits beside the CLI, not on top of it. */
function analyseWorkspace(files: readonly string[]): { drivers: number; diagnostics: number } {
  const workspace = new Workspace();
  const roots = files.map(norm);
  for (const f of roots) workspace.projectFor(f).addRoot(f);
  let drivers = 0;
  let diagnostics = 0;
  for (const f of roots) {
    const analysis = workspace.projectFor(f).analyze(f, { hints: false });
    if (!analysis || analysis.drivers.length === 0) continue;
    drivers++;
    diagnostics += analysis.findings.length;
  }
  return { drivers, diagnostics };
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

export const languageServerBench: Benchmark = {
  name: "language server",
  async run({ quick }): Promise<BenchResult> {
    const a = await editLatency(quick);
    const b = workspaceCheck();
    return { name: "language server", figures: [...a.figures, ...b.figures], notes: [...a.notes, ...b.notes] };
  },
};
