// A debug session's console takes keys (zeroDriver/consoleInput, what the extension's terminal
// sends): a shell waiting at its prompt keeps the machine up, typed keys go in at kernel input points,
// and they are kept so that step back re-runs the session the same way. Through DAP (`zds dap`).

import assert from "node:assert/strict";
import path from "node:path";
import type { DebugClient } from "@vscode/debugadapter-testsupport";
import type { DebugProtocol } from "@vscode/debugprotocol";
import { launchLikeVsCode, repoRoot, startDapClient } from "../helpers/dap-client";

const drivers = path.join(repoRoot, "drivers");

describe("debug adapter: console keys (zds dap)", function () {
  this.timeout(60_000);
  let dc: DebugClient;
  let output = "";

  beforeEach(async () => {
    dc = await startDapClient();
    output = "";
    dc.on("output", (e: DebugProtocol.OutputEvent) => (output += e.body.output));
  });

  afterEach(async () => {
    await dc.stop();
  });

  async function until(what: string, test: () => boolean): Promise<void> {
    const end = Date.now() + 20_000;
    while (!test()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}; output:\n${output}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  it("keeps a shell waiting for keys, types into it, and step back re-runs with the same keys", async () => {
    await launchLikeVsCode(dc, { programs: [`${drivers}/uart16550`, `${drivers}/echo-shell`] });
    await until("the prompt", () => output.includes("$ "));
    // Nothing typed yet, and the machine is still there: the shell waits for keys.
    await new Promise((r) => setTimeout(r, 500));
    assert.ok((await dc.threadsRequest()).body.threads.some((t) => t.name.startsWith("echo-shell")));

    await assert.rejects(
      dc.customRequest("zeroDriver/consoleInput", { device: "nope0", text: "x" }),
      /nope0 is not a console device of this machine \(virtio-console0, uart0\)/,
    );
    await dc.customRequest("zeroDriver/consoleInput", { device: "uart0", text: "echo first words\r" });
    await until("the echo", () => /\nfirst words/.test(output.replace(/\r/g, "")));

    const stopped = dc.waitForEvent("stopped") as Promise<DebugProtocol.StoppedEvent>;
    await dc.pauseRequest({ threadId: 0 });
    await stopped;
    const shell = (await dc.threadsRequest()).body.threads.find((t) => t.name.startsWith("echo-shell"));
    assert.ok(shell);
    const before = (await dc.customRequest("zeroDriver/position")).body as { event: number };
    const back = dc.waitForEvent("stopped") as Promise<DebugProtocol.StoppedEvent>;
    await dc.stepBackRequest({ threadId: shell.id });
    const landed = await back;
    assert.match(String(landed.body.description), /^Stepped back to event #\d+/);
    const after = (await dc.customRequest("zeroDriver/position")).body as { event: number };
    assert.ok(after.event < before.event, `${after.event} < ${before.event}`);
    // The re-run got the typed keys at the same point: the shell's reply to them is in the re-run too.
    assert.doesNotMatch(String(landed.body.description), /did not come again/);

    const exited = dc.waitForEvent("exited") as Promise<DebugProtocol.ExitedEvent>;
    await dc.continueRequest({ threadId: shell.id });
    await dc.customRequest("zeroDriver/consoleInput", { device: "uart0", text: "exit\r" });
    assert.equal((await exited).body.exitCode, 0, output);
  });
});
