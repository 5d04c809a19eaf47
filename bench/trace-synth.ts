// Synthetic .zlog traces of any length for the timeline's scale tests and benchmark: pairs of a
// block driver and its client doing what the recorded samples do (a CALL, a burst of MMIO, an
// interrupt, a REPLY), repeated. The records have the shapes of docs/zlog.md; the hashes are not
// computed (these traces are for reading, not for `zds replay`).

import fs from "node:fs";
import { BlkTag, Sys } from "../kernel/abi";

export interface SynthOptions {
  /** Lines after the header to write (SysLog events + commits; the end line included). */
  lines: number;
  /** Driver/client pairs (lanes = 2 × pairs). */
  pairs?: number;
}

export interface SynthResult {
  lines: number;
  bytes: number;
  /** Timeline events the trace holds (calls, bursts, interrupts, replies, exits). */
  iterations: number;
}

const HASH = "0".repeat(16);
const ID = "0".repeat(64);

export function writeSyntheticTrace(file: string, options: SynthOptions): SynthResult {
  const pairs = options.pairs ?? 2;
  const fd = fs.openSync(file, "w");
  let buffer: string[] = [];
  let lines = 0;
  let bytes = 0;
  const put = (record: object) => {
    buffer.push(JSON.stringify(record));
    lines++;
    if (buffer.length >= 8192) flush();
  };
  const flush = () => {
    if (buffer.length === 0) return;
    const text = buffer.join("\n") + "\n";
    bytes += Buffer.byteLength(text);
    fs.writeSync(fd, text);
    buffer = [];
  };
  const header = {
    zlog: 1,
    tool: "zero-driver-studio",
    machineName: "virt",
    machine: { name: "virt", devices: [] },
    seed: 1,
    options: { watchdogMs: 5000, compat: false },
    programs: [] as object[],
    inputs: [],
  };
  for (let k = 0; k < pairs; k++)
    header.programs.push(
      { name: `blk${k}`, path: `/synthetic/blk${k}`, sha256: ID },
      { name: `client${k}`, path: `/synthetic/client${k}`, sha256: ID },
    );
  buffer.push(JSON.stringify(header));
  let c = 0;
  let s = 0;
  let t = 0;
  const commit = (b: object) => put({ c: c++, t, id: ID, b });
  commit({ type: "Genesis" });
  for (let k = 0; k < pairs; k++) {
    const server = 2 + 2 * k;
    const client = server + 1;
    commit({ type: "ProcessCreated", pid: server, parent: 1, name: `blk${k}` });
    commit({ type: "EndpointCreated", id: 100 + 2 * k, owner: server }); // the service endpoint
    commit({ type: "EndpointCreated", id: 101 + 2 * k, owner: server }); // the IRQ endpoint
    commit({ type: "ProcessCreated", pid: client, parent: 1, name: `client${k}` });
  }
  const req = (p: number, n: number, a: number[], l = 0) => {
    const id = s;
    put({ s: s++, k: "req", p, t, n, a, l, h: HASH });
    return id;
  };
  const res = (p: number, r: number, v: number, l = 0) => put({ s: s++, k: "res", p, t, r, v, l, h: HASH });
  const budget = options.lines - 1 - 2 * pairs; // room for the end line and the exits
  let iterations = 0;
  while (lines < budget - 16) {
    const k = iterations % pairs;
    const server = 2 + 2 * k;
    const client = server + 1;
    t += 1000;
    const call = req(client, Sys.CALL, [3, BlkTag.READ, 12], 12);
    commit({ type: "MessageSent", fromPid: client, toEndpoint: 100 + 2 * k, tag: BlkTag.READ, size: 12 });
    for (const offset of [0x30, 0x38, 0x50]) {
      t += 1000;
      res(server, req(server, Sys.MMIO_WRITE, [3, offset, 4], 4), 0);
    }
    t += 5000;
    commit({ type: "MessageSent", fromPid: 0, toEndpoint: 101 + 2 * k, tag: 0x101 + k, size: 1 });
    t += 1000;
    res(server, req(server, Sys.MMIO_READ, [3, 0x60, 4]), 1);
    t += 1000;
    res(server, req(server, Sys.REPLY, [client, BlkTag.DATA, 4096], 4096), 0);
    res(client, call, 1, 4105);
    iterations++;
  }
  t += 1000;
  for (let pid = 2; pid < 2 + 2 * pairs; pid++) commit({ type: "ProcessExited", pid, code: 0 });
  put({ end: true, outcome: "completed", syslogHash: HASH, commitHead: ID, syscalls: s / 2, events: s, commits: c });
  flush();
  fs.closeSync(fd);
  return { lines, bytes, iterations };
}
