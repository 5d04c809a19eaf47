// The full stack: the virtio-console sample driver and console clients on the virt machine
// (virtio-console0 at 0x1000_4000, IRQ 5).
import assert from "node:assert/strict";
import { VirtioConsole } from "../../devices";
import { fixture, runPrograms, sample } from "../helpers/run-session";

describe("virtio-console driver + console clients on the virt machine", () => {
  it("hello-console's line goes out through the transmitq to the machine console; both programs exit 0", async () => {
    const run = await runPrograms([sample("virtio-console"), sample("hello-console")]);
    assert.equal(run.deviceConsole["virtio-console0"], "hello from Zero OS through the console service\n");
    assert.equal(run.deviceConsole.uart0, undefined);
    assert.equal(run.summary.outcome, "completed");
    for (const p of run.summary.processes)
      assert.equal(p.exitCode, 0, `${p.name} ${p.state}: ${JSON.stringify(p.faults)}`);
    assert.equal(run.summary.processes[0].device, "virtio-console0");
    assert.deepEqual(run.summary.violations, []);
    assert.ok(
      run.debug.some((line) => line.includes("virtio-console: ready, 80x25")),
      run.debug.join("\n"),
    );
  });

  it("typed input, in two bursts, reaches READs through the receiveq; a malformed WRITE is refused", async () => {
    const run = await runPrograms([sample("virtio-console"), fixture("console", "read-line.ts")], {
      consoleInput: [
        { at: 2_000_000, device: "virtio-console0", text: "hel" },
        { at: 5_000_000, device: "virtio-console0", text: "lo virtio\n" },
      ],
    });
    assert.match(run.console, /^line="hello virtio\\n"$/m);
    assert.match(run.console, /^reads=2$/m);
    assert.match(run.console, /^empty-write=1$/m);
    const device = run.machine.backend("virtio-console0", VirtioConsole);
    assert.equal(device.stats.rxBytes, 13);
    assert.equal(device.stats.inputDropped, 0);
  });

  it("input typed before the driver is up waits in the device and is not lost", async () => {
    const run = await runPrograms([sample("virtio-console"), fixture("console", "read-line.ts")], {
      consoleInput: [{ at: 0, device: "virtio-console0", text: "early\n" }],
    });
    assert.match(run.console, /^line="early\\n"$/m);
  });
});
