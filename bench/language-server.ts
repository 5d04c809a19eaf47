// Language-server speed (issue 5): (a) diagnostics for a 2,000-line driver after an edit, through the
// real server over stdio — incremental: the edited document is re-analysed, the program reused;
// (b) a workspace of 50 generated drivers checked with the analysis, as `zds check` does.
// Baselines: (a) a plain ts.createSourceFile parse of the same text, (b) ts.createProgram over the
// same files (parsing and binding only), both measured in this run.

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

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
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

async function editLatency(quick: boolean): Promise<{ figures: Figure[]; notes: string[] }> {
  const serverPath = path.join(root, "dist", "language-server.js");
  if (!fs.existsSync(serverPath)) throw new Error(`${serverPath} is missing; run npm run build first`);
  const dir = makeWorkspace();
  const file = path.join(dir, "big-driver.ts");
  const text = generateDriver(2000);
  fs.writeFileSync(file, text);
  const uri = pathToFileURL(file).href;
  const lineCount = text.split("\n").length;

  // Baseline: the plainest parse of the same text.
  const parses: number[] = [];
  for (let i = 0; i < 20; i++) {
    const t0 = performance.now();
    ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
    parses.push(performance.now() - t0);
  }

  const child = spawn(process.execPath, [serverPath, "--stdio"], { stdio: ["pipe", "pipe", "inherit"] });
  const conn = createProtocolConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
  const waiting = new Map<number, (p: PublishDiagnosticsParams) => void>();
  conn.onNotification(PublishDiagnosticsNotification.type, (p) => {
    if (p.uri === uri && p.version !== undefined) waiting.get(p.version)?.(p);
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
    await conn.sendNotification(InitializedNotification.type, {});
    let t0 = performance.now();
    const opened = diagnosticsFor(1);
    await conn.sendNotification(DidOpenTextDocumentNotification.type, {
      textDocument: { uri, languageId: "typescript", version: 1, text },
    });
    await opened;
    const firstMs = performance.now() - t0;

    // Edits: rewrite one offset inside a helper, alternately out of the window (an error appears)
    // and back in (it disappears), so every edit changes what is published.
    const target = text.split("\n").findIndex((l) => l.includes("regs.write32(REG_BASE + "));
    const lineText = text.split("\n")[target];
    const col = lineText.indexOf("REG_BASE + ") + "REG_BASE + ".length;
    const numberEnd = lineText.indexOf(",", col);
    let current = lineText.slice(col, numberEnd);
    const latencies: number[] = [];
    const edits = quick ? 10 : 40;
    let flagged = 0;
    for (let v = 2; v < 2 + edits; v++) {
      const next = v % 2 === 0 ? "0x300" : "0";
      const change = {
        range: { start: { line: target, character: col }, end: { line: target, character: col + current.length } },
        text: next,
      };
      current = next;
      t0 = performance.now();
      const published = diagnosticsFor(v);
      await conn.sendNotification(DidChangeTextDocumentNotification.type, {
        textDocument: { uri, version: v },
        contentChanges: [change],
      });
      const diags = await published;
      latencies.push(performance.now() - t0);
      if (diags.diagnostics.some((d) => d.code === "ZDS101")) flagged++;
    }
    if (flagged !== Math.ceil(edits / 2))
      throw new Error(`expected ${Math.ceil(edits / 2)} edits to be flagged ZDS101, got ${flagged}`);
    await conn.sendRequest(ShutdownRequest.type);
    await conn.sendNotification(ExitNotification.type);
    const p50 = median(latencies);
    const parse = median(parses);
    return {
      figures: [
        {
          label: `diagnostics after an edit, ${lineCount}-line driver, over stdio (p50)`,
          value: round(p50),
          unit: "ms",
          baseline: { label: "ts.createSourceFile of the same text (p50)", value: round(parse), unit: "ms" },
          ratio: round(p50 / parse),
          target: "≤ 100 ms",
          met: p50 <= 100,
        },
        {
          label: `diagnostics after an edit (p95 of ${edits})`,
          value: round(percentile(latencies, 0.95)),
          unit: "ms",
          target: "≤ 100 ms",
          met: percentile(latencies, 0.95) <= 100,
        },
        { label: "first diagnostics after open (cold: SDK parsed, program built)", value: round(firstMs), unit: "ms" },
      ],
      notes: [
        `edit = one offset changed in a helper, alternately out of the MMIO window and back; every edit's diagnostics were checked`,
      ],
    };
  } finally {
    conn.dispose();
    child.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  }
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
