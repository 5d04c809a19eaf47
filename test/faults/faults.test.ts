// Fault injection (docs/faults.md): specs parse or say what is wrong; each kind of fault takes
// effect on the device it names and is a SysLog event; a trace with injected faults replays to the
// same SysLog hash, event for event.
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createMachine, loadMachineDescription } from "../../devices";
import { FaultSpecError, parseFaultSpec, parseFaultSpecs } from "../../kernel/faults/spec";
import { Session } from "../../kernel/session";
import { replayTrace } from "../../kernel/trace/replay";
import { readZlog } from "../../kernel/trace/zlog-reader";
import { sample } from "../helpers/run-session";

const dir = mkdtempSync(path.join(tmpdir(), "zds-faults-"));
const quiet = { console: () => undefined, debug: () => undefined };

async function run(programs: string[], faults: string[], traceFile?: string) {
  const description = loadMachineDescription("virt");
  const machine = createMachine(description, { seed: 1 });
  const { source: _s, ...machineData } = description;
  const session = new Session({
    machine,
    machineName: description.name,
    machineData,
    seed: 1,
    output: quiet,
    timeoutSeconds: 60,
    supervision: description.supervision,
    faults: parseFaultSpecs(faults),
    traceFile,
  });
  for (const b of await Session.bundle(programs)) session.spawn(b);
  const summary = await session.run();
  machine.close();
  return { summary, session };
}

describe("fault specs", () => {
  it("parse kind, target, trigger and match keys", () => {
    const s = parseFaultSpec("io-error@virtio-blk0,sector=16370,count=all");
    assert.equal(s.kind, "io-error");
    assert.equal(s.target, "virtio-blk0");
    assert.equal(s.sector, 16370);
    assert.equal(s.count, Infinity);
    assert.equal(parseFaultSpec("link-down,at=2ms,for=500us").forNs, 500_000);
    assert.equal(parseFaultSpec("link-down,at=2ms").at, 2_000_000);
    assert.equal(parseFaultSpec("kill@virtio-blk0,request=3").onRequest, true);
    assert.equal(parseFaultSpec("needs-reset@virtio-blk0,after=40").after, 40);
    assert.equal(parseFaultSpecs(["io-error,op=flush; irq-lost@ata0,nth=2"]).length, 2);
  });

  for (const [spec, message] of [
    ["bogus", /unknown fault "bogus"/],
    ["io-error,colour=red", /unknown key "colour"/],
    ["completion-delay", /needs by=TIME/],
    ["kill@virtio-blk", /needs a trigger/],
    ["link-down,at=soon", /is not a time/],
    ["io-error,op=trim", /op must be read, write or flush/],
    ["needs-reset@x,at=1ms,after=2", /at or after, not both/],
  ] as const)
    it(`refuse "${spec}" saying why`, () =>
      assert.throws(
        () => parseFaultSpec(spec),
        (e: unknown) => e instanceof FaultSpecError && message.test(e.message),
      ));
});

describe("fault injection on the virt machine", () => {
  it("an IOERR on one sector reaches the client as an error, and is one SysLog event", async () => {
    const { summary, session } = await run([sample("virtio-blk"), sample("blk-check")], ["io-error,sector=16370"]);
    assert.equal(summary.faults?.length, 1);
    assert.match(summary.faults![0].detail, /^io-error virtio-blk0: write of \d+ sectors at 16368$/);
    const events = session.kernel.syslog.recent().filter((e) => e.kind === "fault");
    assert.equal(events.length, 1);
    assert.equal(summary.processes.find((p) => p.name === "blk-check")?.exitCode, 1);
  });

  it("a machine without the device refuses the fault by name", async () => {
    await assert.rejects(
      run([sample("virtio-rng")], ["io-error@virtio-rng0,request=1"]),
      /io-error cannot happen to virtio-rng0/,
    );
    await assert.rejects(
      run([sample("virtio-rng")], ["kill@nowhere0,request=1"]),
      /a request trigger watches a device/,
    );
  });

  it("a trace with injected faults replays to the same SysLog hash, event for event", async function () {
    this.timeout(120_000);
    const file = path.join(dir, "faults.zlog");
    const faults = [
      "completion-delay@virtio-blk0,request=1,by=1ms",
      "irq-duplicate@virtio-blk0,nth=2",
      "irq-spurious@virtio-blk0,at=1500us",
      "kill@virtio-blk0,request=6",
    ];
    const { summary } = await run([sample("virtio-blk"), sample("blk-check")], faults, file);
    assert.ok((summary.faults?.length ?? 0) >= 3, JSON.stringify(summary.faults));
    const trace = readZlog(file);
    assert.deepEqual(trace.header.faults, faults);
    assert.equal(trace.syscalls.filter((e) => e.k === "flt").length, summary.faults!.length);
    const report = await replayTrace(file, { verify: true, output: quiet });
    assert.equal(report.divergence, undefined, report.divergence?.message);
    assert.equal(report.match, true);
    assert.equal(report.summary.syslogHash, summary.syslogHash);
    // And without the faults the run is another run: the faults are in the hash.
    const clean = await run([sample("virtio-blk"), sample("blk-check")], []);
    assert.notEqual(clean.summary.syslogHash, summary.syslogHash);
  });
});
