// Folders point one way: every import of every TypeScript file in the project follows an allowed
// arrow of test/architecture/boundaries.ts (the table docs/architecture.md states as invariants).
// The checker is also run on small invented trees, so a wrong-way import is known to be reported.

import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { areaOf, checkBoundaries, RULES, type Violation } from "./boundaries";

const root = path.join(__dirname, "..", "..");
const SKIP = new Set(["node_modules", "dist", "out", "coverage"]);

function projectSources(): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      if (entry.name.startsWith(".") || SKIP.has(entry.name)) continue;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (/\.(ts|tsx|mts|cts)$/.test(entry.name))
        files.set(path.relative(root, full).split(path.sep).join("/"), fs.readFileSync(full, "utf8"));
    }
  };
  walk(root);
  return files;
}

const tree = (files: Record<string, string>) => new Map(Object.entries(files));
const specifiers = (violations: Violation[]) => violations.map((v) => `${v.file}: ${v.specifier}`);

describe("architecture: folders point one way", () => {
  it("every import in the project follows an allowed arrow", () => {
    const files = projectSources();
    assert.ok(files.size > 300, `read ${files.size} files`);
    const violations = checkBoundaries(files);
    assert.deepEqual(
      violations.map((v) => `${v.file}:${v.line}: ${v.message}`),
      [],
      "imports against the allowed arrows (docs/architecture.md, Invariants)",
    );
  });

  it("every top-level folder holding TypeScript is in the table", () => {
    const folders = new Set([...projectSources().keys()].map((f) => f.split("/")[0]!));
    for (const folder of folders) assert.ok(areaOf(`${folder}/x.ts`), `${folder}/ has no row in RULES`);
  });

  it("reports a wrong-way import, naming the file and the import", () => {
    const violations = checkBoundaries(
      tree({
        "devices/uart.ts": `import { Kernel } from "../kernel/kernel";\nexport const x = 1;`,
        "kernel/kernel.ts": `export class Kernel {}`,
      }),
    );
    assert.equal(violations.length, 1);
    assert.equal(violations[0]!.file, "devices/uart.ts");
    assert.equal(violations[0]!.specifier, "../kernel/kernel");
    assert.equal(violations[0]!.line, 1);
    assert.match(
      violations[0]!.message,
      /devices\/uart\.ts imports "\.\.\/kernel\/kernel": devices → kernel is not an allowed arrow/,
    );
  });

  it("reports each rule DESIGN.md states", () => {
    const violations = checkBoundaries(
      tree({
        // kernel and language-server never import vscode (nor do the adapter, the runner, the CLI)
        "kernel/a.ts": `import * as vscode from "vscode";`,
        "language-server/a.ts": `import type { Uri } from "vscode";`,
        "debug-adapter/a.ts": `const v = require("vscode");`,
        // the kernel reaches devices through the narrow interface only
        "kernel/b.ts": `import { VirtioBlk } from "../devices/virtio/blk";\nimport type { MachineHandle } from "../devices/machine-interface";\nimport { createMachine } from "../devices";`,
        "devices/index.ts": ``,
        "devices/machine-interface.ts": ``,
        "devices/virtio/blk.ts": ``,
        // a driver imports only the SDK (as @zds/sdk) and its own files
        "drivers/rng/index.ts": `import { defineDriver } from "@zds/sdk";\nimport { helper } from "./helper";\nimport { Sys } from "../../kernel/abi";\nimport { other } from "../blk/index";\nimport fs from "node:fs";\nimport { mmio } from "../sdk/index";`,
        "drivers/rng/helper.ts": ``,
        "drivers/blk/index.ts": ``,
        // the SDK imports kernel/abi only
        "drivers/sdk/index.ts": `export * from "../../kernel/abi";\nexport { Machine } from "../../devices";`,
        "kernel/abi/index.ts": ``,
        // the language server: machine descriptions yes, the emulator no
        "language-server/b.ts": `import { deviceCatalog } from "../devices/device-catalog";\nimport { Machine } from "../devices";`,
        "devices/device-catalog.ts": ``,
        // the extension never imports cli/ (dynamic import too); bench never cli/
        "extension/c.ts": `export async function f() { return (await import("../cli/run")).runCommand; }`,
        "cli/run.ts": ``,
        "bench/d.ts": `import { checkPaths } from "../cli/run";`,
        // the DAP session never imports the extension
        "debug-adapter/e.ts": `export type { X } from "../extension/views";`,
        "extension/views.ts": ``,
        // a folder nobody decided on
        "newthing/a.ts": `import { Kernel } from "../kernel/kernel";`,
      }),
    );
    assert.deepEqual(specifiers(violations).sort(), [
      "bench/d.ts: ../cli/run",
      "debug-adapter/a.ts: vscode",
      "debug-adapter/e.ts: ../extension/views",
      "drivers/rng/index.ts: ../../kernel/abi",
      "drivers/rng/index.ts: ../blk/index",
      "drivers/rng/index.ts: ../sdk/index",
      "drivers/rng/index.ts: node:fs",
      "drivers/sdk/index.ts: ../../devices",
      "extension/c.ts: ../cli/run",
      "kernel/a.ts: vscode",
      "kernel/b.ts: ../devices/virtio/blk",
      "language-server/a.ts: vscode",
      "language-server/b.ts: ../devices",
      "newthing/a.ts: ",
    ]);
  });

  it("lets the allowed arrows through", () => {
    const violations = checkBoundaries(
      tree({
        "extension/a.ts": `import * as vscode from "vscode";\nimport { ZeroDriverDebugSession } from "../debug-adapter/session";\nimport { runCommand } from "../runner/run";`,
        "debug-adapter/session.ts": `import { exitStatus } from "../runner/run";\nimport { DebugRuntime } from "../kernel/debug/runtime";`,
        "runner/run.ts": `import { Session } from "../kernel/session";\nimport { createMachine } from "../devices";`,
        "cli/dap.ts": `import { ZeroDriverDebugSession } from "../debug-adapter/session";`,
        "bench/ls.ts": `import { Workspace } from "../language-server/analysis/project";`,
        "language-server/analysis/project.ts": `import { Perm } from "../../kernel/abi";`,
        "kernel/debug/runtime.ts": ``,
        "kernel/session.ts": ``,
        "kernel/abi/index.ts": ``,
        "devices/index.ts": ``,
        "test/x.test.ts": `import * as vscode from "vscode";\nimport { runCommand } from "../runner/run";\nimport { main } from "../cli/zds";`,
      }),
    );
    assert.deepEqual(violations, []);
  });

  it("has a rule for every area, and no area imports itself by name", () => {
    for (const [area, rule] of Object.entries(RULES)) assert.ok(!rule.imports.includes(area as never), area);
  });
});

describe("architecture: no god modules", () => {
  // Issue 20's line: a file past it is doing more than one job, and the next device would make it worse.
  const LIMIT = 600;
  it(`no file under kernel/ or extension/ is over ${LIMIT} lines`, () => {
    const long = [...projectSources()]
      .filter(([file]) => /^(kernel|extension)\//.test(file))
      .map(([file, text]) => ({ file, lines: text.split("\n").length - (text.endsWith("\n") ? 1 : 0) }))
      .filter((f) => f.lines > LIMIT)
      .map((f) => `${f.file}: ${f.lines} lines`);
    assert.deepEqual(long, [], `split these by job (docs/architecture.md):\n${long.join("\n")}`);
  });
});
