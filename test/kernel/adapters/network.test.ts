// SYS_NETWORK_FETCH from a Zero OS WASM program against a loopback HTTP server: the answer when the
// host is in the machine's allow-list, PolicyDenied naming the host and the fix when it is not,
// timeouts, size limits, garbage requests; determinism, and a replay without the network.
import assert from "node:assert/strict";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { Errno } from "../../../kernel/abi/errors";
import { Tag, type HttpResponseJson } from "../../../kernel/abi";
import type { NetworkPolicy } from "../../../kernel/adapters/network-fetch";
import { parseMachineDescription } from "../../../devices";
import { replayTrace } from "../../../kernel/trace/replay";
import { assemble, decodeResult, idOf, stepsProgram, type Step } from "../../helpers/adapter-programs";
import { reported, runPrograms } from "../../helpers/run-session";

describe("platform adapters: SYS_NETWORK_FETCH from a WASM program", function () {
  this.timeout(60_000);
  let dir: string;
  let server: http.Server;
  let port: number;
  let hits = 0;

  before(async () => {
    server = http.createServer((req, res) => {
      hits++;
      // No Date header: the same request gets the same bytes back, so two runs can be compared.
      res.sendDate = false;
      if (req.url === "/slow") return void setTimeout(() => res.end("late"), 3000);
      if (req.url === "/big") return void res.end(Buffer.alloc(5000, 0x61));
      if (req.url === "/huge") return void res.end(Buffer.alloc(20_000, 0x61));
      if (req.url === "/redirect") {
        res.writeHead(302, { location: "http://example.com/" });
        return void res.end();
      }
      let body = "";
      req.on("data", (d: Buffer) => (body += d.toString()));
      req.on("end", () => {
        res.writeHead(200, { "content-type": "text/plain", "x-zds": "yes" });
        res.end(`hello ${req.method} ${req.url} ${req.headers["x-test"] ?? ""} ${body}`);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "zds-net-"))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const policy = (over: Partial<NetworkPolicy> = {}): NetworkPolicy => ({
    allow: [`127.0.0.1:${port}`],
    timeoutMs: 10_000,
    maxResponseBytes: 1 << 20,
    ...over,
  });
  const run = async (steps: Step[], network?: NetworkPolicy, traceFile?: string) => {
    const file = await assemble(path.join(dir, "fetch.wasm"), stepsProgram(steps));
    const r = await runPrograms([file], { adapters: { storageDir: path.join(dir, "store"), network }, traceFile });
    assert.deepEqual(r.faults, []);
    return { ...r, r: reported(r.console), file };
  };
  const response = (hex: string | undefined) => {
    const d = decodeResult(hex);
    assert.equal(d.sender, 1);
    assert.equal(d.tag, Tag.NET_RESULT);
    assert.equal(d.type, 0, "network results always carry result_type 0");
    return JSON.parse(d.text) as HttpResponseJson;
  };
  const ok = (r: HttpResponseJson) => {
    assert.ok("Ok" in r.result, JSON.stringify(r));
    return { ...r.result.Ok, text: Buffer.from(r.result.Ok.body).toString() };
  };

  it("gets the loopback server's answer, and is refused a host outside the allow-list", async () => {
    const url = `http://127.0.0.1:${port}`;
    const { r, summary } = await run(
      [
        { fetch: { method: "Get", url: `${url}/hello`, headers: [["X-Test", "t1"]], body: null, timeout_ms: 5000 } },
        { fetch: { method: "POST", url: `${url}/post`, headers: [], body: [...Buffer.from("payload")] } },
        { fetch: { method: "Get", url: `http://localhost:${port}/hello`, headers: [], body: null } },
        { fetch: { method: "Get", url: `${url}/redirect`, headers: [], body: null } },
      ],
      policy(),
    );
    const first = ok(response(r.r0));
    assert.equal(idOf(r.id0), 1, "network request ids count from 1, apart from storage's");
    assert.equal(first.status, 200);
    assert.equal(first.text, "hello GET /hello t1 ");
    assert.ok(first.headers.some(([k, v]) => k === "x-zds" && v === "yes"));
    assert.equal(ok(response(r.r1)).text, "hello POST /post  payload");
    const denied = response(r.r2);
    assert.deepEqual(denied.result, { Err: "PolicyDenied" });
    assert.match(denied.message ?? "", new RegExp(`host localhost:${port} is not in the machine's network allow-list`));
    assert.match(
      denied.message ?? "",
      /add "localhost:\d+" to "network": \{ "allow": \[...\] \} in the machine description/,
    );
    const redirect = ok(response(r.r3));
    assert.equal(redirect.status, 302, "redirects are not followed");
    assert.ok(redirect.headers.some(([k, v]) => k === "location" && v === "http://example.com/"));
    assert.equal(summary.adapters?.delivered.network, 4);
  });

  it("reaches nothing by default: the allow-list is empty", async () => {
    const before = hits;
    const { r } = await run([{ fetch: { method: "Get", url: `http://127.0.0.1:${port}/`, headers: [], body: null } }]);
    const denied = response(r.r0);
    assert.deepEqual(denied.result, { Err: "PolicyDenied" });
    assert.match(denied.message ?? "", /empty: no host may be reached/);
    assert.equal(hits, before, "the server was never asked");
  });

  it("times out, limits the response size, and answers garbage with an error, never a crash", async () => {
    const url = `http://127.0.0.1:${port}`;
    const { r } = await run(
      [
        { fetch: { method: "Get", url: `${url}/slow`, headers: [], body: null, timeout_ms: 300 } },
        { fetch: { method: "Get", url: `${url}/big`, headers: [], body: null } },
        { fetch: "{ not json" },
        { fetch: { method: "Teleport", url } },
        { fetch: { method: "Get", url: "ftp://127.0.0.1/" } },
        { fetch: { method: "Get", url: `${url}/`, body: [1, 2, 999] } },
        { raw: 0x90, a: [99, 0, 0], payload: new TextEncoder().encode("{}") },
        { raw: 0x90, a: [2, 0, 0], payload: Uint8Array.of(0xff, 0xfe) },
      ],
      policy({ maxResponseBytes: 1000 }),
    );
    const timeout = response(r.r0);
    assert.deepEqual(timeout.result, { Err: "Timeout" });
    assert.match(timeout.message ?? "", /did not answer within 300 ms/);
    assert.match(response(r.r1).message ?? "", /larger than 1000 bytes \(network.maxResponseBytes/);
    assert.match(JSON.stringify(response(r.r2).result), /bad request: not JSON/);
    assert.match(response(r.r3).message ?? "", /"method" must be one of/);
    assert.deepEqual(response(r.r4).result, { Err: "InvalidUrl" });
    assert.match(response(r.r5).message ?? "", /"body" must be null or a list of byte values/);
    assert.equal(idOf(r.id6), -Errno.E_INVAL);
    assert.equal(idOf(r.id7), -Errno.E_INVAL);
  });

  it("a response too large for one result message is an error that says so", async () => {
    const { r } = await run(
      [{ fetch: { method: "Get", url: `http://127.0.0.1:${port}/huge`, headers: [], body: null } }],
      policy(),
    );
    assert.match(response(r.r0).message ?? "", /more than a result message carries \(16338 bytes/);
  });

  it("is deterministic however slow the host is, and a replay needs no network", async () => {
    const steps: Step[] = [
      { fetch: { method: "Get", url: `http://127.0.0.1:${port}/a`, headers: [], body: null } },
      { write: "k", value: "v" },
      { fetch: { method: "Get", url: `http://127.0.0.1:${port}/slow`, headers: [], body: null, timeout_ms: 200 } },
    ];
    const trace = path.join(dir, "net.zlog");
    const a = await run(steps, policy(), trace);
    fs.rmSync(path.join(dir, "store"), { recursive: true, force: true });
    const b = await run(steps, policy());
    assert.equal(b.summary.syslogHash, a.summary.syslogHash);
    assert.ok((a.summary.adapters?.holds ?? 0) > 0, "the scheduler held for the host at least once");
    await new Promise<void>((resolve) => server.close(() => resolve()));
    try {
      const report = await replayTrace(trace, { verify: true, output: { console: () => {}, debug: () => {} } });
      assert.equal(report.match, true, JSON.stringify(report.divergence));
      assert.match(report.notes.join("\n"), /3 storage\/network results were given back from the trace/);
    } finally {
      server.listen(port, "127.0.0.1");
    }
  });

  it("the machine description's network section: allow-list, limits, and clear errors", () => {
    const base = { name: "m", dma: { base: "0x4000_0000", size: "0x1000" }, devices: [] };
    const d = parseMachineDescription(
      { ...base, network: { allow: ["127.0.0.1:8080", "example.com"], timeoutMs: 2000 }, storage: { path: "s" } },
      "m.json",
    );
    assert.deepEqual(d.network, {
      allow: ["127.0.0.1:8080", "example.com"],
      timeoutMs: 2000,
      maxResponseBytes: 1 << 20,
      latencyUs: 1000,
    });
    assert.deepEqual(d.storage, { path: "s", latencyUs: 100 });
    assert.throws(
      () => parseMachineDescription({ ...base, network: { allow: ["http://x/"], timeout: 1 } }, "m.json"),
      /unknown field "timeout"[\s\S]*"http:\/\/x\/" is not "host" or "host:port" \(no scheme, no path\)/,
    );
  });
});
