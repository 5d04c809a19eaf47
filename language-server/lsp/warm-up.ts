// Warm-up at server start, before the first message is read: the driver SDK (and the kernel/abi
// files it imports) parsed and bound into the shared DocumentRegistry, and the analysis, the
// incremental parser and the checker run once over a small generated driver, open and edited, so
// that the first real didOpen finds the SDK's SourceFiles already there and the code already
// compiled by V8. A project whose tsconfig maps `@zds/sdk` to this SDK (what New Driver… writes)
// with the same source-affecting compiler options reuses the warm SourceFiles; any other project
// gets the compiled code only.

import path from "node:path";
import type ts from "typescript";
import { compilerOptions, DriverProject, norm } from "../analysis/project";
import { bundledSdkEntry } from "../analysis/sdk-entry";

export { bundledSdkEntry };

export interface WarmUpReport {
  /** The SDK entry point warmed, or undefined when none was found beside the server. */
  sdk?: string;
  /** Wall time of the whole warm-up. */
  ms: number;
  /** Files of the warm-up program (the SDK and what it imports, plus the generated driver). */
  files: number;
  /** The warm-up program, kept: its SDK SourceFiles are the ones later projects get. */
  program?: ts.Program;
}

/** Run the warm-up synchronously; never throws (a failed warm-up only costs the first open). */
export function warmUp(sdk: string | undefined = bundledSdkEntry()): WarmUpReport {
  const t0 = performance.now();
  if (!sdk) return { ms: performance.now() - t0, files: 0 };
  try {
    const dir = path.join(path.dirname(path.dirname(path.dirname(sdk))), ".zds-warm-up");
    const options = { ...compilerOptions(undefined), baseUrl: dir, paths: { "@zds/sdk": [sdk] } };
    const project = new DriverProject(options, dir);
    const file = norm(path.join(dir, "warm-up-driver.ts"));
    let text = warmUpDriver(24);
    project.setOverlay(file, text);
    project.analyze(file);
    // A few edits, as typing does: the incremental parser and the program's reuse of old files.
    for (const value of ["0x300", "0x8", "0x300", "0x8"]) {
      text = text.replace(/REG_BASE \+ 0x[0-9a-f]+,/, `REG_BASE + ${value},`);
      project.setOverlay(file, text);
      project.analyze(file);
    }
    const program = project.program();
    return { sdk, ms: performance.now() - t0, files: program.getSourceFiles().length, program };
  } catch {
    return { sdk, ms: performance.now() - t0, files: 0 };
  }
}

/** A driver with the shapes the analysis folds: an enum, consts, helpers called with handles,
 *  loops with constant bounds, guards, DMA views, ports, an IRQ and a service. */
export function warmUpDriver(helpers: number): string {
  const lines = [
    `import { defineDriver, dma, irq, mmio, ports, serve, VirtioDevice, VirtioReg, type DmaBuffer, type MmioRegion, type PortRange } from "@zds/sdk";`,
    `const REG_BASE = 0x100;`,
    `const SLOTS = [0, 4, 8, 12] as const;`,
    `const LAYOUT = { head: 0, tail: 4 } as const;`,
    `enum Queue { Request, Reply, Event }`,
    `export default defineDriver({`,
    `  name: "zds-warm-up",`,
    `  device: { virtio: VirtioDevice.Entropy },`,
    `  caps: { regs: mmio({ size: 0x140 }), io: ports({ first: 0x3f8, last: 0x3ff }), irq: irq(), ring: dma({ size: 8192 }), svc: serve("zds-warm-up") },`,
    `  main({ regs, io, irq, ring, svc }) {`,
    `    let total = 0;`,
    ...Array.from({ length: helpers }, (_, n) => `    total += step${n}(regs, ring, io);`),
    `    irq.wait();`,
    `    irq.ack();`,
    `    svc.ready();`,
    `    return total & 1;`,
    `  },`,
    `});`,
  ];
  for (let n = 0; n < helpers; n++) {
    lines.push(
      `function step${n}(regs: MmioRegion, ring: DmaBuffer, io: PortRange): number {`,
      `  regs.write32(VirtioReg.QUEUE_SEL, Queue.${["Request", "Reply", "Event"][n % 3]});`,
      `  const size = regs.read32(VirtioReg.QUEUE_SIZE_MAX);`,
      `  for (let i = 0; i < 4; i++) ring.setU32(${(n * 16) % 4096} + i * 4, size);`,
      `  for (const s of SLOTS) ring.bytes[${n % 64} + s] = 1;`,
      `  regs.write32(REG_BASE + 0x${((n % 16) * 4).toString(16)}, size & 0xff);`,
      `  if (size > 0x40) io.out8(0x3f8 + ${n % 8}, 1);`,
      `  ring.view.setUint32(LAYOUT.tail + ${n * 8}, \`\${size}\`.length);`,
      `  return ring.getU32(LAYOUT.head + ${n * 8}) + size;`,
      `}`,
    );
  }
  return lines.join("\n") + "\n";
}
