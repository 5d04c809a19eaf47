// Keys from outside the machine (kernel/console-input.ts): applied at input points, to the console
// device whose driver runs; keys with nowhere to go are counted, never queued without limit.
import assert from "node:assert/strict";
import { createMachine, loadMachineDescription, Uart16550, VirtioConsole } from "../../devices";
import { Session, type RunSummary } from "../../kernel/session";
import { LiveKeys, MAX_PENDING_BYTES, PacedKeys } from "../../kernel/console-sources";
import { fixture, sample } from "../helpers/run-session";

async function runWithKeys(paths: string[], keys: LiveKeys | PacedKeys, typeAt?: { t: number; text: string }) {
  const description = loadMachineDescription("virt");
  const machine = createMachine(description, { seed: 1 });
  let consoleText = "";
  const session = new Session({
    machine,
    machineName: description.name,
    seed: 1,
    timeoutSeconds: 30,
    consoleInput: keys,
    output: { console: (_p, text) => (consoleText += text), debug: () => undefined },
  });
  keys.onInput(() => session.consoleInput?.wake());
  // Keys typed at a virtual time: from inside the machine's clock, as a deterministic stand-in for
  // a person typing while the machine runs.
  if (typeAt) machine.clock.schedule({ at: typeAt.t }, () => keys.push(new TextEncoder().encode(typeAt.text)));
  for (const b of await Session.bundle(paths)) session.spawn(b);
  const summary: RunSummary = await session.run();
  machine.close();
  return { summary, machine, hub: session.consoleInput!, consoleText };
}

describe("console input from outside", function () {
  this.timeout(60_000);

  it("keys typed while no console driver runs wait (bounded) and are counted when the run ends; the run is unaffected", async () => {
    const keys = new LiveKeys();
    keys.push(new TextEncoder().encode("anyone there?\r"));
    const run = await runWithKeys([sample("virtio-rng"), sample("rng-cat")], keys);
    assert.equal(run.summary.outcome, "completed");
    assert.equal(run.hub.stats.delivered, 0);
    assert.equal(keys.unused, 14);
    assert.equal(run.machine.backend("uart0", Uart16550).stats.rxBytes, 0);
  });

  it("keys typed before the console driver is up reach it once it is (type-ahead while booting)", async () => {
    const keys = new LiveKeys();
    keys.push(new TextEncoder().encode("early\n"));
    const run = await runWithKeys([sample("uart16550"), fixture("console", "read-line.ts")], keys);
    assert.equal(run.hub.stats.delivered, 6);
    assert.equal(run.hub.stats.device, "uart0");
    assert.match(run.consoleText, /^line="early\\n"$/m);
    assert.equal(keys.unused, 0);
  });

  it("keys typed while the UART driver has no READ outstanding: the 16-byte FIFO keeps the first, the rest overrun, counted", async () => {
    const text = "0123456789abcdefghijklmnopqrstuvwxyz";
    const run = await runWithKeys([sample("uart16550"), fixture("console", "late-reader.ts")], new LiveKeys(), {
      t: 1_000_000,
      text,
    });
    assert.equal(run.hub.stats.delivered, text.length);
    const uart = run.machine.backend("uart0", Uart16550).stats;
    assert.equal(uart.rxBytes, 16);
    assert.equal(uart.overruns, text.length - 16);
    assert.match(run.consoleText, /^got="0123456789abcdef"$/m);
  });

  it("virtio-console keeps keys typed while nobody reads (its driver keeps a receive buffer posted)", async () => {
    const text = "0123456789abcdefghijklmnopqrstuvwxyz";
    const run = await runWithKeys([sample("virtio-console"), fixture("console", "late-reader.ts")], new LiveKeys(), {
      t: 1_000_000,
      text,
    });
    assert.equal(run.machine.backend("virtio-console0", VirtioConsole).stats.inputDropped, 0);
    assert.match(run.consoleText, new RegExp(`^got="${text}"$`, "m"));
  });

  it("keys waiting to go in are bounded on the host: beyond the cap they are dropped and counted", () => {
    for (const keys of [new LiveKeys(), new PacedKeys()]) {
      keys.push(new Uint8Array(MAX_PENDING_BYTES - 10).fill(0x61));
      keys.push(new Uint8Array(100).fill(0x62));
      assert.equal(keys.dropped, 90, keys.constructor.name);
      assert.equal(keys.unused, MAX_PENDING_BYTES);
    }
  });

  it("paced keys: a line at a time, CR LF kept together, the last line without Enter still typed", () => {
    const keys = new PacedKeys();
    keys.push(new TextEncoder().encode("one\r\ntwo\nthr"));
    keys.push(new TextEncoder().encode("ee"));
    assert.equal(keys.idle(false), "none", "nobody waits for input: no key goes in");
    assert.deepEqual(keys.take(), []);
    const typed: string[] = [];
    assert.equal(keys.idle(true), "more");
    typed.push(...keys.take().map((b) => new TextDecoder().decode(b)));
    keys.close();
    while (keys.idle(true) === "more") typed.push(...keys.take().map((b) => new TextDecoder().decode(b)));
    assert.deepEqual(typed, ["one\r\n", "two\n", "three"]);
    assert.equal(keys.idle(true), "none");
  });
});
