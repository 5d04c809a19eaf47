// The store behind SYS_STORAGE_*: records survive a hard kill of the host once acknowledged, a torn
// last record is cut on recovery (and kept aside), a damaged one too, and a store is one machine's.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { encodeRecord, FileStore, LOCK_FILE, LOG_FILE, parseLog } from "../../../kernel/adapters/storage-store";
import { assemble, writerProgram } from "../../helpers/adapter-programs";

const enc = new TextEncoder();
const text = (v: Uint8Array | undefined) => (v === undefined ? undefined : new TextDecoder().decode(v));

describe("platform adapters: the durable store", function () {
  this.timeout(90_000);
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "zds-store-"))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("keeps every acknowledged write when the host is killed with SIGKILL mid-run", async () => {
    const program = await assemble(path.join(dir, "writer.wasm"), writerProgram(20_000));
    const store = path.join(dir, "store");
    const child = spawn(
      process.execPath,
      [
        "--require",
        "tsx/cjs",
        path.join(__dirname, "..", "..", "fixtures", "adapters", "run-with-store.ts"),
        program,
        store,
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    const acked: string[] = [];
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const killed = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on("exit", (_code, signal) => resolve(signal)),
    );
    let buffered = "";
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no 200 acks in time; stderr:\n${stderr}`)), 80_000);
      child.stdout.on("data", (d: Buffer) => {
        buffered += d.toString();
        const lines = buffered.split("\n");
        buffered = lines.pop() ?? "";
        for (const line of lines) if (line.startsWith("ack=")) acked.push(line.slice(4));
        if (acked.length >= 200 && child.exitCode === null && !child.killed) {
          // Hard kill in the middle of the stream: writes are in flight right now.
          child.kill("SIGKILL");
          clearTimeout(timer);
          resolve();
        }
      });
      child.on("exit", () => {
        clearTimeout(timer);
        resolve();
      });
    });
    assert.equal(await killed, "SIGKILL", `the child ended on its own; stderr:\n${stderr}`);
    assert.ok(fs.existsSync(path.join(store, LOCK_FILE)), "the killed host left its lock behind");
    // Reopen as the next run would (taking over the dead host's lock): every acknowledged key is there.
    const reopened = await FileStore.open(store);
    try {
      const missing = acked.filter((k) => !reopened.has(k));
      assert.deepEqual(missing, [], `${missing.length} of ${acked.length} acknowledged writes lost`);
      const last = acked[acked.length - 1];
      assert.deepEqual([...(reopened.get(last) ?? [])], new Array(64).fill(Number.parseInt(last.slice(1), 16) & 0xff));
      assert.ok(reopened.keys("k").length >= acked.length);
    } finally {
      await reopened.close();
    }
  });

  it("cuts a torn last record on recovery, keeps the cut bytes aside, and appends after it", async () => {
    const store = await FileStore.open(dir);
    await store.put("a", enc.encode("one"));
    await store.put("b", enc.encode("two"));
    await store.close();
    const file = path.join(dir, LOG_FILE);
    const good = fs.statSync(file).size;
    // A hard kill in the middle of writing a third record: half of it reached the disk.
    const torn = encodeRecord(1, enc.encode("c"), enc.encode("three"));
    fs.appendFileSync(file, torn.subarray(0, torn.length - 3));
    const again = await FileStore.open(dir);
    assert.equal(text(again.get("a")), "one");
    assert.equal(text(again.get("b")), "two");
    assert.equal(again.has("c"), false);
    assert.equal(again.stats.recoveredBytes, torn.length - 3);
    assert.equal(fs.statSync(file).size, good, "the log is cut back to its last good record");
    assert.equal(fs.readdirSync(dir).filter((f) => f.startsWith(`${LOG_FILE}.tail-`)).length, 1);
    await again.put("d", enc.encode("four"));
    await again.close();
    const { map, good: end } = parseLog(fs.readFileSync(file));
    assert.deepEqual([...map.keys()], ["a", "b", "d"]);
    assert.equal(end, fs.statSync(file).size);
  });

  it("stops at a record whose checksum fails, and at a record of garbage", () => {
    const a = encodeRecord(1, enc.encode("a"), enc.encode("1"));
    const b = encodeRecord(1, enc.encode("b"), enc.encode("2"));
    const flipped = b.slice();
    flipped[flipped.length - 1] ^= 0x40;
    assert.deepEqual([...parseLog(Buffer.concat([a, flipped])).map.keys()], ["a"]);
    assert.equal(parseLog(Buffer.concat([a, flipped])).good, a.length);
    assert.equal(parseLog(Buffer.concat([a, Buffer.from("garbage garbage garbage")])).good, a.length);
    const deleted = encodeRecord(2, enc.encode("a"), new Uint8Array(0));
    assert.deepEqual([...parseLog(Buffer.concat([a, b, deleted])).map.keys()], ["b"]);
  });

  it("is one machine's at a time: a second open is refused naming the fix", async () => {
    const first = await FileStore.open(dir);
    try {
      await assert.rejects(FileStore.open(dir), /is in use by another machine .*--storage DIR/);
    } finally {
      await first.close();
    }
    const second = await FileStore.open(dir);
    await second.close();
  });

  it("compacts a log that is mostly dead records when it opens", async () => {
    const store = await FileStore.open(dir);
    const value = new Uint8Array(32 * 1024);
    for (let i = 0; i < 40; i++) await store.put("same", value);
    await store.close();
    const before = fs.statSync(path.join(dir, LOG_FILE)).size;
    const again = await FileStore.open(dir);
    await again.close();
    const after = fs.statSync(path.join(dir, LOG_FILE)).size;
    assert.ok(before > 1 << 20 && after < 40 * 1024, `${before} → ${after}`);
    assert.deepEqual([...parseLog(fs.readFileSync(path.join(dir, LOG_FILE))).map.keys()], ["same"]);
  });
});
