// How a run reports a driver that goes wrong (issue 19): each mistake at the driver's TypeScript line
// through the bundle's source map, in the form `zds check` prints (file:line:col: error CODE …), in
// the words and with the code of docs/diagnostics.md, the SDK's, worker's and Node's frames left out
// (kept with --verbose). One test per form; test/fixtures/runtime holds the drivers.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createMachine, loadMachineDescription } from "../../devices";
import { Codes } from "../../kernel/abi/diagnostics";
import { snapshotMachine } from "../../kernel/debug/machine-snapshot";
import { formatFault } from "../../kernel/fault-text";
import type { Fault } from "../../kernel/process";
import { Session, type RunSummary } from "../../kernel/session";
import { formatSummary } from "../../runner/run";
import { fixture, runPrograms, sample } from "../helpers/run-session";
import { repoRoot, zdsChild } from "../helpers/zds-child";

const runtime = (name: string): string => fixture("runtime", name);

async function faultOf(file: string): Promise<{ fault: Fault; summary: RunSummary }> {
  const run = await runPrograms([file]);
  const p = run.summary.processes[0];
  assert.equal(p.state, "faulted", JSON.stringify(run.summary.processes));
  return { fault: p.faults[p.faults.length - 1], summary: run.summary };
}

/** The position `zds check` would print for line/column of a fixture. */
function at(file: string, line: number, column: number) {
  return { file, line, column };
}

describe("run-time faults in the words of zds check", function () {
  this.timeout(60_000);

  it("a capability the manifest does not declare: ZDS201, its message and its fix, a counted violation", async () => {
    const file = runtime("undeclared-irq.ts");
    const { fault, summary } = await faultOf(file);
    assert.equal(fault.kind, "capability-violation");
    assert.equal(fault.code, Codes.UNDECLARED_CAPABILITY);
    assert.equal(
      fault.message,
      'wait() uses capability "irq", which the manifest does not declare: the kernel grants this driver no irq capability by that name (declare irq: irq())',
    );
    assert.equal(fault.fix, 'Declare "irq: irq()" in the manifest');
    assert.deepEqual(fault.source, at(file, 16, 3));
    assert.equal(summary.violations.length, 1);
    assert.equal(summary.violations[0].code, "ZDS201");
    assert.deepEqual(summary.violations[0].source, fault.source);
  });

  it("a DMA accessor past the buffer: the DMA-range violation ZDS103, counted, not a RangeError", async () => {
    const file = runtime("dma-outside.ts");
    const { fault, summary } = await faultOf(file);
    assert.equal(fault.kind, "capability-violation");
    assert.equal(fault.code, "ZDS103");
    assert.equal(
      fault.message,
      'setU32(8192, …): DMA write of 4 bytes at offset 8192 (0x2000) is outside the DMA buffer "mem" (8192 bytes); it ends at 8192',
    );
    assert.deepEqual(fault.source, at(file, 9, 5));
    assert.equal(summary.violations.length, 1);
    assert.match(summary.violations[0].grant, /^DMA 0x[0-9a-f]+\+0x2000 \(buffer "mem"\)$/);
  });

  it("the same through the buffer's DataView", async () => {
    const file = runtime("dma-view.ts");
    const { fault, summary } = await faultOf(file);
    assert.equal(fault.code, "ZDS103");
    assert.match(fault.message, /^view\.getUint32\(4094, …\): DMA read of 4 bytes at offset 4094 /);
    assert.equal(fault.source?.line, 9);
    assert.equal(summary.violations.length, 1);
  });

  it("a method of another kind of handle: ZDS202 names the handle's kind and what it offers", async () => {
    const file = runtime("wrong-method.ts");
    const { fault, summary } = await faultOf(file);
    assert.equal(fault.kind, "panic");
    assert.equal(fault.code, Codes.WRONG_CAPABILITY_KIND);
    assert.match(
      fault.message,
      /"regs" is an mmio capability \(MMIO window "regs" \(0x200 bytes, rw\)\), which has no out8\(\)/,
    );
    assert.match(
      fault.message,
      /an mmio handle offers read8\/16\/32\/64\(offset\), write8\/16\/32\/64\(offset, value\)/,
    );
    assert.doesNotMatch(fault.message, /is not a function/);
    assert.equal(fault.source?.line, 10);
    assert.equal(summary.violations.length, 0);
  });

  it("a kernel error from the SDK says which rule: an IRQ acknowledged with none pending", async () => {
    const { fault } = await faultOf(runtime("double-ack.ts"));
    assert.equal(fault.kind, "panic");
    assert.match(
      fault.message,
      /^SyscallFailedError: ack\(\) on IRQ "irq", line \d+: SYS_IRQ_ACK failed: E_INVAL \(invalid argument\): the IRQ was acknowledged with no interrupt pending/,
    );
    assert.equal(fault.source?.line, 10);
  });

  it("a violation the kernel finds names the driver's line and the frames that led there, not the SDK's", async () => {
    const file = runtime("mmio-outside.ts");
    const { fault, summary } = await faultOf(file);
    assert.equal(fault.code, "ZDS101");
    assert.match(
      fault.message,
      /read32\(0x100\): MMIO read of 4 bytes at offset 0x100 is outside the MMIO window "regs" \(0x100 bytes, r\); it ends at 0x100$/,
    );
    assert.deepEqual(fault.source, at(file, 15, 10));
    const own = (fault.frames ?? []).filter((f) => f.origin === "driver");
    assert.deepEqual(
      own.map((f) => [f.name, f.source?.line]),
      [
        ["peek", 15],
        ["Object.main", 10],
      ],
    );
    assert.ok(
      (fault.frames ?? []).some((f) => f.origin === "sdk" && f.source?.file.includes(path.join("drivers", "sdk"))),
    );
    assert.deepEqual(summary.violations[0].source, fault.source);
  });

  it("Init's refusal of a manifest is ZDS001 at the manifest entry it refused", async () => {
    const file = fixture("lsp", "ports-on-virtio.ts");
    const { fault } = await faultOf(file);
    assert.equal(fault.kind, "startup");
    assert.equal(fault.code, "ZDS001");
    assert.deepEqual(fault.problems, [
      {
        message: "caps.io: ports 0x1f0–0x1f7 are not decoded by the bound device",
        code: "ZDS001",
        source: at(file, 11, 5),
      },
    ]);
  });

  it("an error thrown while the module is evaluated is located too", async () => {
    const file = runtime("top-level-throw.ts");
    const { fault } = await faultOf(file);
    assert.equal(fault.kind, "panic");
    assert.equal(fault.message, "Error: the table needs three entries");
    assert.equal(fault.source?.line, 5);
  });

  it("the report: the check form first, the driver's frames, the fix; SDK and host frames only when verbose", async () => {
    const file = runtime("undeclared-irq.ts");
    const { fault } = await faultOf(file);
    const cwd = repoRoot;
    const lines = formatFault({ name: "undeclared-irq", pid: 2 }, fault, { cwd });
    assert.deepEqual(lines, [
      'test/fixtures/runtime/undeclared-irq.ts:16:3: error ZDS201 wait() uses capability "irq", which the manifest does not declare: the kernel grants this driver no irq capability by that name (declare irq: irq())',
      "  undeclared-irq (pid 2) capability-violation, counted as a violation",
      "    at waitFor (test/fixtures/runtime/undeclared-irq.ts:16:3)",
      "    at main (test/fixtures/runtime/undeclared-irq.ts:11:5)",
      '  fix: Declare "irq: irq()" in the manifest',
    ]);
    const verbose = formatFault({ name: "undeclared-irq", pid: 2 }, fault, { cwd, verbose: true });
    assert.ok(
      verbose.some((l) => / \[sdk\]$/.test(l) && l.includes("drivers/sdk/")),
      verbose.join("\n"),
    );
    assert.ok(
      verbose.some((l) => /worker\.js|node:internal/.test(l)),
      verbose.join("\n"),
    );
  });
});

describe("the views' picture of a faulted process", function () {
  this.timeout(60_000);

  it("names the fault's kind, code and line, and keeps the report for the tooltip and children", async () => {
    const file = runtime("dma-outside.ts");
    const description = loadMachineDescription("virt");
    const machine = createMachine(description, { seed: 1 });
    const session = new Session({
      machine,
      machineName: description.name,
      seed: 1,
      timeoutSeconds: 30,
      output: { console: () => undefined, debug: () => undefined },
    });
    for (const bundle of await Session.bundle([file])) session.spawn(bundle);
    await session.run();
    const view = snapshotMachine(description.name, session.kernel, machine).processes[0];
    machine.close();
    assert.match(
      view.fault!,
      /^capability-violation ZDS103 at (\/|test\/).*dma-outside\.ts:9:5: setU32\(8192, …\): DMA write of 4 bytes/,
    );
    assert.deepEqual(view.faultSource, at(file, 9, 5));
    assert.match(view.faultReport![0], /dma-outside\.ts:9:5: error ZDS103 setU32/);
  });
});

describe("zds run: what a newcomer hits", function () {
  this.timeout(90_000);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "zds-faults-"));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it("prints the fault in the check form and drops the SDK's, worker's and Node's frames (--verbose keeps them)", async () => {
    const plain = await zdsChild(["run", "test/fixtures/runtime/mmio-outside.ts"]);
    assert.equal(plain.status, 1);
    assert.match(
      plain.stderr,
      /^test\/fixtures\/runtime\/mmio-outside\.ts:15:10: error ZDS101 read32\(0x100\): MMIO read of 4 bytes at offset 0x100 is outside the MMIO window "regs"/m,
    );
    assert.match(plain.stderr, /^ {4}at peek \(test\/fixtures\/runtime\/mmio-outside\.ts:15:10\)$/m);
    assert.doesNotMatch(plain.stderr, /zds-driver:\/\/\/|worker\.js|node:internal|\[sdk\]/);
    assert.match(
      plain.stderr,
      /violation: mmio-outside \(pid 2\) ZDS101 test\/fixtures\/runtime\/mmio-outside\.ts:15:10: read32/,
    );
    const verbose = await zdsChild(["run", "test/fixtures/runtime/mmio-outside.ts", "--verbose"]);
    assert.match(verbose.stderr, /at MmioRegion\.read32 \(drivers\/sdk\/mmio\.ts:\d+:\d+\) \[sdk\]/);
    assert.match(verbose.stderr, /worker\.js/);
  });

  it("--json carries code, source and the driver's frames (all of them with --verbose)", async () => {
    const r = await zdsChild(["run", "test/fixtures/runtime/dma-outside.ts", "--json"]);
    const summary = JSON.parse(r.stdout.trim().split("\n").pop()!) as RunSummary;
    const fault = summary.processes[0].faults[0];
    assert.equal(fault.code, "ZDS103");
    assert.equal(fault.source?.line, 9);
    assert.ok(fault.frames!.length > 0 && fault.frames!.every((f) => f.origin === "driver"));
    const all = await zdsChild(["run", "test/fixtures/runtime/dma-outside.ts", "--json", "--verbose"]);
    const frames = (JSON.parse(all.stdout.trim().split("\n").pop()!) as RunSummary).processes[0].faults[0].frames!;
    assert.ok(frames.some((f) => f.origin === "sdk") && frames.some((f) => f.origin === "host"));
  });

  it("a client waiting for a service no program serves is told so", async () => {
    const r = await zdsChild(["run", "drivers/rng-cat"]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^\[rng-cat\] waiting for "rng": no program in this run serves it$/m);
    assert.match(r.stderr, /pid 2 +rng-cat +blocked .*\n +waiting for "rng": no program in this run serves it/);
    const json = await zdsChild(["run", sample("rng-cat"), "--json"]);
    const summary = JSON.parse(json.stdout.trim().split("\n").pop()!) as RunSummary;
    assert.equal(summary.processes[0].waiting, 'waiting for "rng": no program in this run serves it');
  });

  it("--trace says where it wrote; --json-out writes the summary to a file and leaves stdout the console", async () => {
    const trace = path.join(tmp, "t.zlog");
    const out = path.join(tmp, "s.json");
    const r = await zdsChild(["run", "drivers/virtio-rng", "drivers/rng-cat", "--trace", trace, "--json-out", out]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(
      r.stderr,
      new RegExp(
        `^zds: trace written to ${trace.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} \\(\\d+ syscalls, \\d+ commits\\); re-run it with zds replay`,
        "m",
      ),
    );
    assert.match(r.stdout, /^rng-cat: 32 random bytes: [0-9a-f]{64}\n$/);
    const summary = JSON.parse(fs.readFileSync(out, "utf8")) as RunSummary;
    assert.deepEqual(
      summary.processes.map((p) => p.state),
      ["exited", "exited"],
    );
    assert.match(r.stderr, /── virt machine/, "the text summary stays on stderr");
  });

  it("an unknown option points to --help", async () => {
    const r = await zdsChild(["run", "drivers/rng-cat", "--verbos"]);
    assert.equal(r.status, 2);
    assert.equal(r.stderr, "zds: unknown option --verbos: zds run --help lists the options\n");
  });

  it("counts in the summary agree in number: 1 interrupt, 1 violation, 1 syscall", async () => {
    const r = await zdsChild(["run", "test/fixtures/lsp/ports-on-virtio.ts"]);
    assert.match(r.stderr, / 1 syscall\n/);
    assert.match(r.stderr, /1 syscall, 0 IPC messages, 0 interrupts, 0 violations, 0 device events/);
    const v = await zdsChild(["run", "test/fixtures/runtime/dma-outside.ts"]);
    assert.match(v.stderr, /, 1 violation, /);
    const one = formatSummary({ ...syntheticSummary(), irqs: 1, ipcMessages: 1 });
    assert.match(one, /1 IPC message, 1 interrupt, 0 violations/);
  });
});

/** A summary with nothing in it, to format. */
function syntheticSummary(): RunSummary {
  return {
    machine: "virt",
    seed: 1,
    outcome: "completed",
    processes: [],
    syscalls: 0,
    ipcMessages: 0,
    irqs: 0,
    violations: [],
    limits: [],
    supervision: [],
    deviceEvents: [],
    virtualTimeNs: 0,
    syslogHash: "0",
    commits: 0,
    commitHead: "0",
    wallMs: 0,
  };
}
