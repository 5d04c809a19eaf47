// F5 without launch.json: the configuration made for the active file (extension/debug-adapter/
// configuration.ts), then launched through the real adapter to show it runs to a clean end.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { DebugProtocol } from "@vscode/debugprotocol";
import { configurationForFile } from "../../debug-adapter/configuration";
import { repoRoot, startDapClient } from "../helpers/dap-client";

const drivers = path.join(repoRoot, "drivers");

describe("debug adapter: configuration for the active file", function () {
  this.timeout(30_000);

  it("debugs a serving driver's folder with a client of its service", () => {
    const config = configurationForFile(path.join(drivers, "virtio-rng/index.ts"), repoRoot, drivers);
    assert.equal(typeof config, "object");
    assert.deepEqual(config, {
      type: "zero-driver",
      request: "launch",
      name: "Debug virtio-rng + rng-cat",
      program: path.join(drivers, "virtio-rng"),
      programs: [path.join(drivers, "rng-cat")],
      cwd: repoRoot,
    });
  });

  it("pairs a client with a driver that serves it, and a lone file with nothing", () => {
    const client = configurationForFile(path.join(drivers, "rng-cat/index.ts"), undefined, drivers);
    assert.ok(typeof client === "object");
    assert.deepEqual(client.programs, [path.join(drivers, "virtio-rng")]);
    const lone = configurationForFile(path.join(repoRoot, "test/fixtures/debug/locals.ts"), repoRoot, drivers);
    assert.ok(typeof lone === "object");
    assert.equal(lone.program, path.join(repoRoot, "test/fixtures/debug/locals.ts"));
    assert.equal(lone.programs, undefined);
  });

  it("finds the partner next to a workspace driver before the bundled samples", () => {
    const ws = fs.mkdtempSync(path.join(os.tmpdir(), "zds-config-"));
    try {
      fs.mkdirSync(path.join(ws, "drivers/my-rng"), { recursive: true });
      fs.mkdirSync(path.join(ws, "drivers/my-cat"), { recursive: true });
      fs.writeFileSync(path.join(ws, "drivers/my-rng/index.ts"), `caps: { rng: serve("rng") }`);
      fs.writeFileSync(path.join(ws, "drivers/my-cat/index.ts"), `caps: { rng: client("rng") }`);
      const config = configurationForFile(path.join(ws, "drivers/my-rng/index.ts"), ws, drivers);
      assert.ok(typeof config === "object");
      assert.deepEqual(config.programs, [path.join(ws, "drivers/my-cat")]);
    } finally {
      fs.rmSync(ws, { recursive: true, force: true });
    }
  });

  it("says what to open when there is no driver file", () => {
    assert.match(String(configurationForFile(undefined, undefined, drivers)), /Open a driver's TypeScript file/);
    assert.match(String(configurationForFile("/w/notes.md", undefined, drivers)), /notes\.md is not a driver/);
  });

  it("launches the configuration made for an open driver file to a clean end", async () => {
    const config = configurationForFile(path.join(drivers, "virtio-rng/index.ts"), repoRoot, drivers);
    assert.ok(typeof config === "object");
    const dc = await startDapClient();
    try {
      await dc.initializeRequest({ adapterID: "zero-driver", pathFormat: "path" });
      const exited = dc.waitForEvent("exited") as Promise<DebugProtocol.ExitedEvent>;
      await dc.launch(config as DebugProtocol.LaunchRequestArguments);
      assert.equal((await exited).body.exitCode, 0);
    } finally {
      await dc.stop();
    }
  });
});
