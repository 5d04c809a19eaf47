// SYS_STORAGE_* from a Zero OS WASM program: results as messages from Init on slot 1, data kept
// across runs in the machine's store, limits and hostile requests answered, determinism and replay.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { MAX_STORAGE_VALUE_BYTES, StorageResult, Tag } from "../../../kernel/abi";
import { Errno } from "../../../kernel/abi/errors";
import { LOG_FILE, parseLog } from "../../../kernel/adapters/storage-store";
import { replayTrace } from "../../../kernel/trace/replay";
import { readZlog } from "../../../kernel/trace/zlog-reader";
import { assemble, decodeResult, idOf, stepsProgram, type Step } from "../../helpers/adapter-programs";
import { reported, runPrograms } from "../../helpers/run-session";

describe("platform adapters: SYS_STORAGE_* from a WASM program", function () {
  this.timeout(60_000);
  let dir: string;
  let store: string;
  const program = (name: string, steps: Step[]) => assemble(path.join(dir, `${name}.wasm`), stepsProgram(steps));
  const run = async (file: string, traceFile?: string, storageLatencyNs?: number) => {
    const r = await runPrograms([file], { adapters: { storageDir: store, timing: { storageLatencyNs } }, traceFile });
    assert.deepEqual(r.faults, []);
    return { ...r, r: reported(r.console) };
  };

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "zds-storage-"));
    store = path.join(dir, "store");
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("keeps what it wrote across two runs; results come from Init on slot 1 with the Zero OS framing", async () => {
    const first = await run(
      await program("kv-first", [
        { read: "greeting" },
        { write: "greeting", value: "hello, store" },
        { write: "other/a", value: Uint8Array.of(0, 1, 2, 255) },
        { read: "greeting" },
      ]),
    );
    assert.equal(first.summary.outcome, "completed");
    const notFound = decodeResult(first.r.r0);
    assert.equal(notFound.sender, 1, "from Init");
    assert.equal(notFound.tag, Tag.STORAGE_RESULT);
    assert.equal(notFound.type, StorageResult.NOT_FOUND);
    assert.equal(notFound.requestId, idOf(first.r.id0));
    assert.deepEqual(
      [1, 2, 3].map((n) => idOf(first.r[`id${n}`])),
      [2, 3, 4],
      "request ids count from 1",
    );
    assert.equal(decodeResult(first.r.r1).type, StorageResult.WRITE_OK);
    assert.equal(decodeResult(first.r.r3).text, "hello, store");

    const second = await run(
      await program("kv-second", [
        { read: "greeting" },
        { exists: "other/a" },
        { exists: "missing" },
        { list: "" },
        { list: "other/" },
        { read: "other/a" },
        { delete: "greeting" },
        { read: "greeting" },
      ]),
    );
    assert.equal(decodeResult(second.r.r0).text, "hello, store", "kept across runs");
    assert.deepEqual([...decodeResult(second.r.r1).data], [1]);
    assert.equal(decodeResult(second.r.r1).type, StorageResult.EXISTS_OK);
    assert.deepEqual([...decodeResult(second.r.r2).data], [0]);
    assert.equal(decodeResult(second.r.r3).type, StorageResult.LIST_OK);
    assert.deepEqual(JSON.parse(decodeResult(second.r.r3).text), ["greeting", "other/a"]);
    assert.deepEqual(JSON.parse(decodeResult(second.r.r4).text), ["other/a"]);
    assert.deepEqual([...decodeResult(second.r.r5).data], [0, 1, 2, 255]);
    assert.equal(decodeResult(second.r.r6).type, StorageResult.WRITE_OK, "DELETE answers WRITE_OK");
    assert.equal(decodeResult(second.r.r7).type, StorageResult.NOT_FOUND);
    assert.ok(second.summary.adapters, "the summary counts adapter requests");
    assert.equal(second.summary.adapters.requests.storage, 8);
    assert.equal(second.summary.adapters.delivered.storage, 8);
  });

  it("answers requests the store refuses with ERROR naming the limit, and unreadable ones with E_INVAL", async () => {
    const longKey = "k".repeat(257);
    const r = (
      await run(
        await program("kv-limits", [
          { read: "" },
          { read: longKey },
          { write: "big", value: new Uint8Array(MAX_STORAGE_VALUE_BYTES + 1) },
          { write: "ok", value: new Uint8Array(MAX_STORAGE_VALUE_BYTES) },
          // a0 disagrees with the payload; a key that is not UTF-8; a WRITE shorter than its header
          { raw: 0x70, a: [9, 0, 0], payload: new TextEncoder().encode("abc") },
          { raw: 0x70, a: [2, 0, 0], payload: Uint8Array.of(0xff, 0xfe) },
          { raw: 0x71, a: [1, 0, 0], payload: Uint8Array.of(1, 0) },
          { raw: 0x71, a: [1, 1, 0], payload: Uint8Array.of(9, 0, 0, 0, 0x41, 0x42) },
          { exists: "ok" },
        ]),
      )
    ).r;
    assert.match(decodeResult(r.r0).text, /^empty key$/);
    assert.equal(decodeResult(r.r0).type, StorageResult.ERROR);
    assert.match(decodeResult(r.r1).text, /key of 257 bytes is longer than 256 bytes/);
    assert.match(decodeResult(r.r2).text, new RegExp(`value of ${MAX_STORAGE_VALUE_BYTES + 1} bytes is larger than`));
    assert.equal(decodeResult(r.r3).type, StorageResult.WRITE_OK);
    for (const n of [4, 5, 6, 7]) assert.equal(idOf(r[`id${n}`]), -Errno.E_INVAL, `step ${n}`);
    assert.deepEqual([...decodeResult(r.r8).data], [1]);
    // (A READ_OK of it would be 2 × 16 KiB of hex, past what one CONSOLE_WRITE prints: read the log.)
    const { map } = parseLog(fs.readFileSync(path.join(store, LOG_FILE)));
    assert.equal(map.get("ok")?.length, MAX_STORAGE_VALUE_BYTES);
    assert.deepEqual([...map.keys()], ["ok"]);
  });

  it("refuses the 1001st pending request with E_AGAIN", async () => {
    const steps: Step[] = [];
    const key = new TextEncoder().encode("x");
    for (let i = 0; i < 1001; i++) steps.push({ raw: 0x74, a: [1, 0, 0], payload: key, noWait: true });
    // A latency of 1 s virtual: every request is still pending when the last one is made.
    const r = (await run(await program("kv-flood", steps), undefined, 1e9)).r;
    assert.equal(idOf(r.id999), 1000);
    assert.equal(idOf(r.id1000), -Errno.E_AGAIN);
  });

  it("is deterministic, and a replay gives the same results without the store", async () => {
    const file = await program("kv-det", [{ write: "n", value: "1" }, { read: "n" }, { list: "" }]);
    const trace = path.join(dir, "kv.zlog");
    const a = await run(file, trace);
    fs.rmSync(store, { recursive: true, force: true });
    const b = await run(file);
    assert.equal(b.summary.syslogHash, a.summary.syslogHash, "a fresh store gives the same run");
    const lines = readZlog(trace).adapterResults;
    assert.deepEqual(
      lines.map((l) => [l.kind, l.id, l.type]),
      [
        ["storage", 1, StorageResult.WRITE_OK],
        ["storage", 2, StorageResult.READ_OK],
        ["storage", 3, StorageResult.LIST_OK],
      ],
    );
    // The store now holds n=1 from run b; and then goes away entirely: replay needs neither.
    fs.rmSync(store, { recursive: true, force: true });
    const report = await replayTrace(trace, { verify: true, output: { console: () => {}, debug: () => {} } });
    assert.equal(report.match, true, JSON.stringify(report.divergence));
    assert.equal(report.summary.syslogHash, a.summary.syslogHash);
    assert.equal(fs.existsSync(store), false, "the replay did not open the store");
  });
});
