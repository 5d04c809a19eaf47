// UDP echo round trips with the simulated peer host, one at a time, through the whole stack:
// client → IPC → drivers/virtio-net → transmitq → device → wire → peer → wire → receiveq → IRQ →
// driver → reply. The baseline is the same exchange done the plainest way on this host: a UDP
// datagram to an echo socket over loopback and back, in this process.

import dgram from "node:dgram";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Benchmark, BenchResult } from "./types";
import {
  buildProgram,
  firstMark,
  perUnit,
  round,
  runInstrumented,
  sampleDriver,
  syscallMix,
  throwIfFailed,
} from "./harness";
import type { NetEchoParams } from "./programs/net-echo";

const QUICK = { count: 200, warmup: 20, baselineMs: 50 };
const FULL = { count: 2_000, warmup: 100, baselineMs: 400 };
const PAYLOAD = 64;

/** Round trips per second of a 64-byte UDP datagram to an echo socket on 127.0.0.1, for at least `minMs`. */
async function loopbackEcho(minMs: number): Promise<number> {
  const server = dgram.createSocket("udp4");
  const sender = dgram.createSocket("udp4");
  server.on("message", (msg, rinfo) => server.send(msg, rinfo.port, rinfo.address));
  await new Promise<void>((resolve) => server.bind(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  const payload = Buffer.alloc(PAYLOAD, 0x5a);
  try {
    let n = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < minMs) {
      await new Promise<void>((resolve) => {
        sender.once("message", () => resolve());
        sender.send(payload, port, "127.0.0.1");
      });
      n++;
    }
    return n / ((performance.now() - t0) / 1000);
  } finally {
    sender.close();
    server.close();
  }
}

/** One card's echo run: round trips per second and the per-round-trip note. */
async function echoThrough(
  driver: "virtio-net" | "e1000",
  dir: string,
  s: typeof QUICK,
): Promise<{ perSecond: number; note: string }> {
  const params: NetEchoParams = { count: s.count, warmup: s.warmup, bytes: PAYLOAD };
  const run = await runInstrumented({
    programs: [await sampleDriver(driver), await buildProgram(dir, "net-echo", "netEcho", params, "bench-net-echo")],
    timeoutSeconds: 300,
  });
  throwIfFailed(`UDP echo through ${driver}`, run);
  const go = firstMark(run, "bench:go");
  const done = firstMark(run, "bench:done");
  const virtual = run.marks.find((m) => m.text.startsWith("bench:virtual-ns="));
  if (!go || !done || !virtual) throw new Error(`the echo client printed no marks (${driver})`);
  const c = perUnit(go.at, done.at, s.count);
  return {
    perSecond: s.count / ((done.at.t - go.at.t) / 1000),
    note:
      `${driver}, per round trip: ${round(((done.at.t - go.at.t) * 1000) / s.count, 1)} µs wall, ${Number(virtual.text.split("=")[1]) / 1000} µs virtual; ` +
      `${c.syscalls} syscalls, ${c.ipcMessages} IPC messages, ${c.irqs} interrupts, ${c.processSwitches} process switches; syscalls: ${syscallMix(go.at, done.at, s.count)}`,
  };
}

export const networkBench: Benchmark = {
  name: "network",
  async run({ quick }): Promise<BenchResult> {
    const s = quick ? QUICK : FULL;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "zds-bench-net-"));
    try {
      // Both cards in the same run as the one baseline, so the three figures share one machine load.
      const virtio = await echoThrough("virtio-net", dir, s);
      const e1000 = await echoThrough("e1000", dir, s);
      const baseline = await loopbackEcho(s.baselineMs);
      const figure = (driver: string, perSecond: number) => ({
        label: `UDP echo round trips with the peer host through the whole stack, ${driver} (${PAYLOAD}-byte payload, one at a time)`,
        value: Math.round(perSecond),
        unit: "round trips/s",
        baseline: {
          label: "the same echo over a loopback UDP socket in this process",
          value: Math.round(baseline),
          unit: "round trips/s",
        },
        ratio: round(perSecond / baseline, 4),
        higherIsBetter: true,
      });
      return {
        name: "network",
        figures: [figure("virtio-net", virtio.perSecond), figure("e1000", e1000.perSecond)],
        notes: [virtio.note, e1000.note],
      };
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
};
