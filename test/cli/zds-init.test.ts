// `zds init` as a terminal user runs it (bin/zds.js, the built CLI) on a folder holding only a driver
// copied from a sample: afterwards TypeScript's own `tsc --noEmit -p` passes there (it fails with
// ts(2307) before), with the SDK's declarations checked too (no skipLibCheck), and `zds check`
// still finds a capability mistake through the copied declarations.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { SDK_PATH } from "../../cli/init";

const root = path.join(__dirname, "..", "..");
const zds = (cwd: string, ...args: string[]) =>
  spawnSync(process.execPath, [path.join(root, "bin", "zds.js"), ...args], { cwd, encoding: "utf8", timeout: 60_000 });
const tsc = (project: string) =>
  spawnSync(
    process.execPath,
    [path.join(root, "node_modules", "typescript", "bin", "tsc"), "--noEmit", "-p", project],
    {
      encoding: "utf8",
      timeout: 120_000,
    },
  );

describe("zds init", function () {
  this.timeout(180_000);
  let folder: string;
  beforeEach(() => {
    folder = fs.mkdtempSync(path.join(os.tmpdir(), "zds-init-"));
    fs.mkdirSync(path.join(folder, "my-rng"));
    fs.copyFileSync(path.join(root, "drivers", "virtio-rng", "index.ts"), path.join(folder, "my-rng", "index.ts"));
  });
  afterEach(() => fs.rmSync(folder, { recursive: true, force: true }));

  it("writes .zds/types and a tsconfig.json after which tsc --noEmit -p passes on a copied sample", () => {
    fs.writeFileSync(
      path.join(folder, "tsconfig.json"),
      JSON.stringify({ compilerOptions: { strict: true, noEmit: true, types: [] } }),
    );
    const before = tsc(folder);
    assert.notEqual(before.status, 0);
    assert.match(before.stdout, /error TS2307: Cannot find module '@zds\/sdk'/);
    fs.rmSync(path.join(folder, "tsconfig.json"));

    const r = zds(folder, "init");
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /the SDK's declarations in \.zds[/\\]types/);
    assert.match(r.stdout, /tsconfig\.json written: "@zds\/sdk" → \.\/\.zds\/types\/drivers\/sdk\/index\.d\.ts/);
    assert.ok(fs.existsSync(path.join(folder, ".zds", "types", "drivers", "sdk", "index.d.ts")));
    assert.ok(fs.existsSync(path.join(folder, ".zds", "types", "kernel", "abi", "index.d.ts")));
    const config = JSON.parse(fs.readFileSync(path.join(folder, "tsconfig.json"), "utf8")) as {
      compilerOptions: { paths: Record<string, string[]>; skipLibCheck?: boolean };
    };
    assert.deepEqual(config.compilerOptions.paths, { "@zds/sdk": [SDK_PATH] });
    assert.equal(config.compilerOptions.skipLibCheck, undefined, "the declarations are checked too");
    // The doc comments travel with the declarations (what an editor's hover shows).
    assert.match(
      fs.readFileSync(path.join(folder, ".zds", "types", "drivers", "sdk", "driver.d.ts"), "utf8"),
      /Define a driver: what the module's default export must be/,
    );

    const after = tsc(folder);
    assert.equal(after.status, 0, after.stdout + after.stderr);

    // A wrong SDK call is TypeScript's error now, not an unresolved import.
    fs.appendFileSync(
      path.join(folder, "my-rng", "index.ts"),
      `\nimport { mmio as m } from "@zds/sdk";\nm({ size: "big" });\n`,
    );
    const wrong = tsc(folder);
    assert.notEqual(wrong.status, 0);
    assert.match(wrong.stdout, /error TS2322: Type 'string' is not assignable to type 'number'/);
    assert.doesNotMatch(wrong.stdout, /TS2307/);
  });

  it("zds check resolves the SDK through the copied declarations: clean sample clean, a mistake found", () => {
    assert.equal(zds(folder, "init").status, 0);
    const clean = zds(folder, "check", "--format", "json");
    assert.equal(clean.status, 0, clean.stdout + clean.stderr);
    const report = JSON.parse(clean.stdout) as { files: string[]; summary: { errors: number; warnings: number } };
    assert.deepEqual(report.files, ["my-rng/index.ts"]);
    assert.deepEqual(report.summary, { files: 1, errors: 0, warnings: 0 });

    fs.mkdirSync(path.join(folder, "bad-rng"));
    fs.copyFileSync(
      path.join(root, "test", "e2e", "workspace", "drivers", "bad-rng", "index.ts"),
      path.join(folder, "bad-rng", "index.ts"),
    );
    const bad = zds(folder, "check");
    assert.equal(bad.status, 1, bad.stdout + bad.stderr);
    assert.match(bad.stdout, /bad-rng\/index\.ts:9:\d+: error ZDS101 .*outside the MMIO window "regs"/);
  });

  it("keeps a tsconfig.json it did not write (says what to add), --force replaces it; a re-run refreshes the types", () => {
    const mine = `{\n  // mine\n  "compilerOptions": { "strict": true }\n}\n`;
    fs.writeFileSync(path.join(folder, "tsconfig.json"), mine);
    const kept = zds(folder, "init");
    assert.equal(kept.status, 0, kept.stderr);
    assert.equal(fs.readFileSync(path.join(folder, "tsconfig.json"), "utf8"), mine);
    assert.match(kept.stderr, /tsconfig\.json kept \(--force replaces it\)/);
    assert.ok(kept.stderr.includes(`"paths": { "@zds/sdk": ["${SDK_PATH}"] }`), kept.stderr);

    const stale = path.join(folder, ".zds", "types", "drivers", "sdk", "gone.d.ts");
    fs.writeFileSync(stale, "export {};\n");
    const forced = zds(folder, "init", "--force");
    assert.equal(forced.status, 0, forced.stderr);
    assert.match(forced.stdout, /tsconfig\.json replaced/);
    assert.ok(!fs.existsSync(stale), "the old declarations were not replaced");
    assert.equal(tsc(folder).status, 0);

    const again = zds(folder, "init");
    assert.match(again.stdout, /tsconfig\.json kept; it maps "@zds\/sdk" already/);
  });

  it("usage errors: two folders, a missing folder (exit 2)", () => {
    assert.equal(zds(folder, "init", "a", "b").status, 2);
    const missing = zds(folder, "init", "nowhere");
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /nowhere: not a folder/);
  });
});
