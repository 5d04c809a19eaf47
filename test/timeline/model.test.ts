// The timeline model against traces recorded from the sample drivers: lanes, messages, interrupts,
// bursts and faults must agree with the run's own summary and with the raw lines of the file.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { Sys } from "../../kernel/abi";
import { ZlogError } from "../../kernel/trace/zlog-reader";
import { decodeEvents, encodeEvents } from "../../timeline/columns";
import type { TimelineEvent } from "../../timeline/model";
import { readPage, readWindow } from "../../timeline/pages";
import { buildTimeline, scanTrace } from "../../timeline/scan";
import { recordTrace, tempDir } from "./traces";

const SAMPLES = ["drivers/virtio-rng", "drivers/rng-cat", "drivers/virtio-blk", "drivers/blk-check"];

type Line = { s?: number; k?: string; p?: number; n?: number; c?: number; b?: { type: string; [k: string]: unknown } };
const lines = (file: string): Line[] =>
  fs
    .readFileSync(file, "utf8")
    .split("\n")
    .slice(1)
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Line);

describe("timeline model", function () {
  this.timeout(120_000);

  it("has a lane per process (plus the kernel and Init when they take part), named as in the trace", async () => {
    const { file, summary: run } = recordTrace(...SAMPLES);
    const { summary } = await buildTimeline(file);
    const created = lines(file)
      .filter((l) => l.b?.type === "ProcessCreated")
      .map((l) => [l.b!.pid, l.b!.name]);
    assert.deepEqual(
      created,
      run.processes.map((p) => [p.pid, p.name]),
    );
    assert.deepEqual(
      summary.lanes.map((l) => [l.pid, l.name]),
      [[0, "kernel"], [1, "init"], ...created],
    );
    for (const p of run.processes) {
      const lane = summary.lanes.find((l) => l.pid === p.pid)!;
      assert.equal(lane.exitCode, p.exitCode, p.name);
      assert.equal(lane.stats.syscalls, p.syscalls, `${p.name} syscalls`);
    }
  });

  it("counts the IPC messages and interrupts the run reported, with sender, receiver and tag", async () => {
    const { file, summary: run } = recordTrace(...SAMPLES);
    const { summary, events } = await buildTimeline(file);
    const messages = events.filter((e) => e.kind === "message");
    // The kernel's own notices (SHUTDOWN) are messages on the timeline but not in the run's IPC count.
    assert.equal(messages.filter((m) => m.via !== "kernel").length, run.ipcMessages);
    assert.equal(events.filter((e) => e.kind === "irq").length, run.irqs);
    assert.ok(run.ipcMessages > 10 && run.irqs > 3, "the samples exchange messages and take interrupts");
    const pid = (name: string) => run.processes.find((p) => p.name === name)!.pid;
    // rng-cat calls the rng driver with RNG_GET_BYTES and gets RNG_BYTES back.
    const get = messages.find((m) => m.tag === 0x6000)!;
    assert.deepEqual([get.pid, get.to, get.via], [pid("rng-cat"), pid("virtio-rng"), "call"]);
    const bytes = messages.find((m) => m.tag === 0x6001)!;
    assert.deepEqual([bytes.pid, bytes.to, bytes.via, bytes.result], [pid("virtio-rng"), pid("rng-cat"), "reply", 0]);
    assert.ok(bytes.t > get.t);
    // Every client looked its server up through Init.
    assert.equal(messages.filter((m) => m.to === 1 && m.tag === 0x1001).length, 2);
    // Every MessageSent commit of the file is one arrow or one interrupt at its line.
    const sent = new Set(
      events
        .filter((e) => (e.kind === "message" && e.via !== "reply" && e.to !== 1) || e.kind === "irq")
        .map((e) => e.line),
    );
    const raw = fs.readFileSync(file, "utf8").split("\n");
    const commitLines = raw.flatMap((l, n) => (l.includes('"type":"MessageSent"') ? [n + 1] : []));
    assert.deepEqual(
      [...sent].sort((a, b) => a - b),
      commitLines,
    );
    assert.equal(summary.tags.find((t) => t.tag === 0x6000)?.name, "RNG_GET_BYTES");
    // Interrupts land on the driver of the device whose line the machine description gives.
    const header = JSON.parse(fs.readFileSync(file, "utf8").split("\n")[0]) as {
      machine: { devices: { name: string; irq: number }[] };
    };
    const line = (device: string) => header.machine.devices.find((d) => d.name === device)!.irq;
    const irqs = events.filter((e) => e.kind === "irq");
    assert.deepEqual(
      new Set(irqs.map((e) => [e.pid, e.tag].join())),
      new Set([
        [pid("virtio-rng"), 0x100 | line("virtio-rng0")].join(),
        [pid("virtio-blk"), 0x100 | line("virtio-blk0")].join(),
      ]),
    );
  });

  it("collapses consecutive MMIO syscalls of a process into bursts that cover every MMIO syscall once", async () => {
    const { file } = recordTrace(...SAMPLES);
    const { events } = await buildTimeline(file);
    const mmioReqs = lines(file).filter((l) => l.k === "req" && (l.n === Sys.MMIO_READ || l.n === Sys.MMIO_WRITE));
    const bursts = events.filter((e) => e.kind === "mmio");
    assert.equal(
      bursts.reduce((n, b) => n + b.count!, 0),
      mmioReqs.length,
    );
    assert.ok(bursts.length < mmioReqs.length, `${bursts.length} bursts for ${mmioReqs.length} accesses`);
    // A burst's first and last syscalls are MMIO requests of its process, and no other syscall of
    // that process lies between them.
    const reqs = lines(file).filter((l) => l.k === "req");
    // And each burst is a whole run: between two bursts of a process lies a syscall of it that is not MMIO.
    const isMmio = (n: number | undefined) => n === Sys.MMIO_READ || n === Sys.MMIO_WRITE;
    for (const pid of new Set(bursts.map((b) => b.pid))) {
      const own = bursts.filter((b) => b.pid === pid).sort((a, b) => a.s - b.s);
      for (let i = 1; i < own.length; i++)
        assert.ok(
          reqs.some((l) => l.p === pid && l.s! > own[i - 1].s2! && l.s! < own[i].s && !isMmio(l.n)),
          `bursts #${own[i - 1].i} and #${own[i].i} of pid ${pid} are one run`,
        );
    }
    for (const b of bursts) {
      const own = reqs.filter((l) => l.p === b.pid && l.s! >= b.s && l.s! <= b.s2!);
      assert.equal(own.length, b.count, `burst #${b.i}`);
      assert.ok(
        own.every((l) => l.n === Sys.MMIO_READ || l.n === Sys.MMIO_WRITE),
        `burst #${b.i} holds only MMIO`,
      );
      assert.equal(b.reads! + b.writes!, b.count);
    }
  });

  it("draws port I/O of the ATA driver as port bursts", async () => {
    const { file } = recordTrace("drivers/ata-pio", "drivers/blk-check");
    const { events, summary } = await buildTimeline(file);
    const portReqs = lines(file).filter((l) => l.k === "req" && l.n! >= Sys.IN8 && l.n! <= Sys.OUT32).length;
    const bursts = events.filter((e) => e.kind === "port");
    assert.ok(portReqs > 0);
    assert.equal(
      bursts.reduce((n, b) => n + b.count!, 0),
      portReqs,
    );
    assert.equal(summary.lanes.find((l) => l.name === "ata-pio")!.stats.port, portReqs);
  });

  it("names the NVMe driver's doorbells in its MMIO bursts and its interrupts as nvme0's (completions)", async () => {
    const { file } = recordTrace("drivers/nvme", "drivers/blk-check");
    // A re-read page knows the driver's device from the start (its first interrupt is in the index).
    const index = await scanTrace(file);
    const events = (await Promise.all(index.summary.pages.map((_, n) => readPage(file, index, n)))).flat();
    const irqs = events.filter((e) => e.kind === "irq");
    assert.ok(irqs.length > 0);
    assert.ok(
      irqs.every((e) => e.device === "nvme0"),
      JSON.stringify(irqs[0]),
    );
    const bells: Record<string, number> = {};
    for (const e of events.filter((x) => x.kind === "mmio"))
      for (const [name, n] of Object.entries(e.doorbells ?? {})) bells[name] = (bells[name] ?? 0) + n;
    // Each doorbell write is a SYS_MMIO_WRITE at 0x1000 + 4·index in the trace.
    const writes = lines(file).filter((l) => l.k === "req" && l.n === Sys.MMIO_WRITE && l.p === 2) as (Line & {
      a: number[];
    })[];
    const at = (offset: number) => writes.filter((l) => l.a[1] === offset).length;
    assert.deepEqual(bells, {
      "SQ 0 tail": at(0x1000),
      "CQ 0 head": at(0x1004),
      "SQ 1 tail": at(0x1008),
      "CQ 1 head": at(0x100c),
    });
    assert.ok(bells["SQ 1 tail"] > 0 && bells["CQ 1 head"] > 0);
  });

  it("names the e1000 driver's RDT/TDT doorbells and the interrupt causes it read from ICR, its interrupts as e1000-0's", async () => {
    const { file } = recordTrace("drivers/e1000", "drivers/ping");
    const index = await scanTrace(file);
    const events = (await Promise.all(index.summary.pages.map((_, n) => readPage(file, index, n)))).flat();
    const irqs = events.filter((e) => e.kind === "irq");
    assert.ok(irqs.length > 0 && irqs.every((e) => e.device === "e1000-0"), JSON.stringify(irqs[0]));
    const bells: Record<string, number> = {};
    const causes: Record<string, number> = {};
    for (const e of events.filter((x) => x.kind === "mmio")) {
      for (const [name, n] of Object.entries(e.doorbells ?? {})) bells[name] = (bells[name] ?? 0) + n;
      for (const [name, n] of Object.entries(e.causes ?? {})) causes[name] = (causes[name] ?? 0) + n;
    }
    const all = lines(file) as (Line & { a?: number[]; r?: number; v?: number; s?: number })[];
    const driver = all.filter((l) => l.k === "req" && l.p === 2);
    const writesAt = (offset: number) => driver.filter((l) => l.n === Sys.MMIO_WRITE && l.a?.[1] === offset).length;
    assert.deepEqual(bells, { RDT: writesAt(0x2818), TDT: writesAt(0x3818) });
    assert.ok(bells.TDT >= 5, "one TDT write per frame sent");
    // Every ICR read's result, decoded: what the causes must add up to.
    const expected: Record<string, number> = {};
    const names: [number, string][] = [
      [1, "TXDW"],
      [2, "TXQE"],
      [4, "LSC"],
      [16, "RXDMT0"],
      [64, "RXO"],
      [128, "RXT0"],
    ];
    for (const req of driver.filter((l) => l.n === Sys.MMIO_READ && l.a?.[1] === 0xc0)) {
      const res = all.find((l) => l.k === "res" && l.r === req.s);
      for (const [bit, name] of names) if ((res?.v ?? 0) & bit) expected[name] = (expected[name] ?? 0) + 1;
    }
    assert.deepEqual(causes, expected);
    assert.ok((causes.TXDW ?? 0) > 0 && (causes.RXT0 ?? 0) > 0, JSON.stringify(causes));
  });

  it("marks a capability violation as a fault of the process, then its exit", async () => {
    const { file, summary: run } = recordTrace("test/fixtures/raw/hostile-write.ts");
    assert.equal(run.violations.length, 1);
    const { events, summary } = await buildTimeline(file);
    const fault = events.find((e) => e.kind === "fault")!;
    assert.equal(fault.violation, true);
    assert.match(fault.text!, /capability violation in SYS_MMIO_WRITE/);
    const lane = summary.lanes.find((l) => l.pid === fault.pid)!;
    assert.equal(lane.faulted, true);
    assert.equal(lane.stats.faults, 1);
    const exit = events.find((e) => e.kind === "exit" && e.pid === fault.pid)!;
    assert.ok(exit.i > fault.i);
    // The burst holding the offending write ends at the fault.
    const burst = events.find((e) => e.kind === "mmio" && e.pid === fault.pid)!;
    assert.ok(burst.s2! <= fault.s);
  });

  it("numbers events as the debugger does: each syscall about to run and each delivery takes the next index", async () => {
    const { file } = recordTrace(...SAMPLES);
    const { events } = await buildTimeline(file);
    // Count from the raw lines: a request's index is requests + deliveries before it; a delivery's
    // (MessageSent) index is the same count at its line.
    const at = new Map<number, number>();
    let count = 0;
    fs.readFileSync(file, "utf8")
      .split("\n")
      .forEach((text, n) => {
        if (text.includes('"k":"req"') || text.includes('"type":"MessageSent"')) at.set(n + 1, count++);
      });
    for (const e of events) {
      if (e.kind === "message" || e.kind === "irq" || e.kind === "mmio")
        assert.equal(e.d, at.get(e.line), `${e.kind} #${e.i} at line ${e.line}`);
    }
    const ds = events.filter((e) => e.kind !== "exit" && e.kind !== "fault").map((e) => e.d);
    assert.equal(new Set(ds).size, ds.length, "no two events share an index");
  });

  it("re-reads any page alone to exactly the events the full scan found there", async () => {
    const { file } = recordTrace(...SAMPLES);
    const all = (await buildTimeline(file)).events;
    const index = await scanTrace(file, { pageLines: 37 });
    assert.ok(index.summary.pages.length > 5);
    const paged: TimelineEvent[] = [];
    for (let n = 0; n < index.summary.pages.length; n++) {
      const events = await readPage(file, index, n);
      const page = index.summary.pages[n];
      assert.equal(events.length, page.events, `page ${n}`);
      if (events.length) assert.equal(events[0].i, page.first);
      paged.push(...events);
    }
    paged.sort((a, b) => a.t - b.t || a.i - b.i);
    assert.deepEqual(paged, all);
    // A window holds the events that overlap it, and only those.
    const mid = (index.summary.t0 + index.summary.t1) / 2;
    const { events } = await readWindow(file, index, mid - 20_000, mid + 20_000);
    assert.deepEqual(
      events,
      all.filter((e) => e.t <= mid + 20_000 && e.t2 >= mid - 20_000),
    );
    assert.ok(events.length > 0 && events.length < all.length);
  });

  it("round-trips events through the columns sent to the view", async () => {
    const { file } = recordTrace(...SAMPLES);
    const { events } = await buildTimeline(file);
    const faults = (await buildTimeline(recordTrace("test/fixtures/raw/hostile-write.ts").file)).events;
    for (const list of [events, faults])
      assert.deepEqual(
        decodeEvents(JSON.parse(JSON.stringify(encodeEvents(list)))),
        list.map((e) => (e.kind === "message" ? { via: "send", ...e } : e)),
      );
  });

  it("names the file and line of what is not a trace", async () => {
    const dir = tempDir();
    const notTrace = path.join(dir, "not.zlog");
    fs.writeFileSync(notTrace, "hello\n");
    await assert.rejects(
      scanTrace(notTrace),
      (e: unknown) => e instanceof ZlogError && /not\.zlog:1: not a \.zlog trace/.test(e.message),
    );
    const broken = path.join(dir, "broken.zlog");
    const good = fs.readFileSync(recordTrace(...SAMPLES).file, "utf8").split("\n");
    fs.writeFileSync(broken, [...good.slice(0, 5), "{oops", ...good.slice(5)].join("\n"));
    await assert.rejects(
      scanTrace(broken),
      (e: unknown) => e instanceof ZlogError && /broken\.zlog:6: not valid JSON/.test(e.message),
    );
    await assert.rejects(
      scanTrace(path.join(dir, "missing.zlog")),
      (e: unknown) => e instanceof ZlogError && /missing\.zlog: cannot read the trace/.test(e.message),
    );
  });

  it("reads a trace cut short (no end line) up to where it ends", async () => {
    const good = fs.readFileSync(recordTrace(...SAMPLES).file, "utf8").split("\n");
    const cut = path.join(tempDir(), "cut.zlog");
    fs.writeFileSync(cut, good.slice(0, 200).join("\n"));
    const { summary, events } = await buildTimeline(cut);
    assert.equal(summary.outcome, undefined);
    assert.ok(events.length > 5);
    assert.equal(summary.lines, 200);
  });
});
