// Zero OS WASM processes: small modules written in WebAssembly text, assembled here with wabt,
// run as processes through the same Session, worker host and mailbox as TypeScript drivers.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import wabtInit from "wabt";
import { DriverLoadError, bundleDriver } from "../../kernel/loader/bundle-driver";
import { MANIFEST_SECTION } from "../../kernel/loader/wasm-program";
import { spawnSync } from "node:child_process";
import { reported, runPrograms, sample, type SessionResult } from "../helpers/run-session";

const root = path.join(__dirname, "..", "..");
const zds = (...args: string[]) =>
  spawnSync(process.execPath, [path.join(root, "bin", "zds.js"), ...args], {
    cwd: root,
    encoding: "utf8",
    timeout: 60_000,
  });

type Wabt = Awaited<ReturnType<typeof wabtInit>>;

// Guest memory layout used by every test module: hex digits, then strings, then scratch space.
const HEX_AT = 0x1_0000;
const STRINGS_AT = 0x1_0100;
const SCRATCH = 0x2_0000;
const OUT = 0x3_0000;

const HEADER = `
  (import "env" "memory" (memory 32 64 shared))
  (import "env" "zos_syscall" (func $sys (param i32 i32 i32 i32) (result i64)))
  (import "env" "zos_send_bytes" (func $send_bytes (param i32 i32)))
  (import "env" "zos_recv_bytes" (func $recv_bytes (param i32 i32) (result i32)))
  (import "env" "zos_yield" (func $yield))
  (import "env" "zos_get_pid" (func $pid (result i32)))
  (data (i32.const ${HEX_AT}) "0123456789abcdef")
  ;; console(ptr, len): SYS_CONSOLE_WRITE (0x07) of guest bytes
  (func $console (param $p i32) (param $n i32)
    (call $send_bytes (local.get $p) (local.get $n))
    (drop (call $sys (i32.const 7) (local.get $n) (i32.const 0) (i32.const 0))))
  ;; report(key, keylen, src, n): prints "key=<hex of n bytes at src>\\n" on the console
  (func $report (param $k i32) (param $kn i32) (param $src i32) (param $n i32) (local $i i32) (local $b i32) (local $o i32)
    (local.set $o (i32.const ${OUT}))
    (block $kd (loop $kl
      (br_if $kd (i32.ge_u (local.get $i) (local.get $kn)))
      (i32.store8 (local.get $o) (i32.load8_u (i32.add (local.get $k) (local.get $i))))
      (local.set $o (i32.add (local.get $o) (i32.const 1)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $kl)))
    (i32.store8 (local.get $o) (i32.const 61))
    (local.set $o (i32.add (local.get $o) (i32.const 1)))
    (local.set $i (i32.const 0))
    (block $d (loop $l
      (br_if $d (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $b (i32.load8_u (i32.add (local.get $src) (local.get $i))))
      (i32.store8 (local.get $o) (i32.load8_u (i32.add (i32.const ${HEX_AT}) (i32.shr_u (local.get $b) (i32.const 4)))))
      (i32.store8 (i32.add (local.get $o) (i32.const 1)) (i32.load8_u (i32.add (i32.const ${HEX_AT}) (i32.and (local.get $b) (i32.const 15)))))
      (local.set $o (i32.add (local.get $o) (i32.const 2)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))
    (i32.store8 (local.get $o) (i32.const 10))
    (call $console (i32.const ${OUT}) (i32.sub (i32.add (local.get $o) (i32.const 1)) (i32.const ${OUT}))))
  ;; report64(key, keylen, value): an i64 as 8 little-endian bytes
  (func $report64 (param $k i32) (param $kn i32) (param $v i64)
    (i64.store (i32.const ${SCRATCH}) (local.get $v))
    (call $report (local.get $k) (local.get $kn) (i32.const ${SCRATCH}) (i32.const 8)))
`;

/**
 * A module: `$s:name` in the body becomes `(i32.const addr) (i32.const len)` of that string, laid
 * out from STRINGS_AT. `extra` goes at module level (exports other than _start, memory, …).
 */
function program(strings: Record<string, string>, body: string, extra = ""): string {
  let at = STRINGS_AT;
  let data = "";
  const where = new Map<string, [number, number]>();
  for (const [name, text] of Object.entries(strings)) {
    const bytes = Buffer.from(text, "utf8");
    where.set(name, [at, bytes.length]);
    data += `  (data (i32.const ${at}) "${[...bytes].map((b) => `\\${b.toString(16).padStart(2, "0")}`).join("")}")\n`;
    at += bytes.length + 8;
  }
  const code = body.replace(/\$s:([\w]+)/g, (_m, name: string) => {
    const w = where.get(name);
    if (!w) throw new Error(`no string ${name}`);
    return `(i32.const ${w[0]}) (i32.const ${w[1]})`;
  });
  return `(module ${HEADER}\n${data}${extra}\n  (func (export "_start") ${code}))`;
}

/** A custom section (id 0) holding `data` under `name`, appended to a module's bytes. */
function customSection(name: string, data: string): Uint8Array {
  const leb = (n: number): number[] => {
    const out: number[] = [];
    do {
      let b = n & 0x7f;
      n >>>= 7;
      if (n) b |= 0x80;
      out.push(b);
    } while (n);
    return out;
  };
  const nameBytes = [...Buffer.from(name)];
  const body = [...leb(nameBytes.length), ...nameBytes, ...Buffer.from(data)];
  return Uint8Array.from([0, ...leb(body.length), ...body]);
}

/** Little-endian hex → unsigned BigInt. */
const le = (hex: string): bigint => BigInt(`0x${(hex.match(/../g) ?? []).reverse().join("") || "0"}`);
const u32At = (hex: string, byte: number): number => Number(le(hex.slice(byte * 2, byte * 2 + 8)));

describe("Zero OS WASM processes", function () {
  this.timeout(60_000);
  let wabt: Wabt;
  let dir: string;

  const assemble = (name: string, wat: string, manifest?: object): string => {
    const mod = wabt.parseWat(`${name}.wat`, wat, { threads: true });
    try {
      // No mod.validate(): wabt's validator ignores the threads feature here; the loader validates.
      let bytes = mod.toBinary({}).buffer;
      if (manifest) bytes = Buffer.concat([bytes, customSection(MANIFEST_SECTION, JSON.stringify(manifest))]);
      const file = path.join(dir, `${name}.wasm`);
      fs.writeFileSync(file, bytes);
      return file;
    } finally {
      mod.destroy();
    }
  };

  before(async () => {
    wabt = await wabtInit();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "zds-wasm-"));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  describe("debug output, pid, send/receive, yield", () => {
    let run: SessionResult;
    let r: Record<string, string>;
    let file: string;
    before(async () => {
      file = assemble(
        "wasm-hello",
        program(
          {
            hello: "hello from wasm",
            ping: "ping",
            pid: "pid",
            ep: "ep",
            send: "send",
            recv: "recv",
            got: "got",
            msg: "msg",
            again: "again",
            empty: "empty",
          },
          `(local $ep i64) (local $slot i32) (local $n i32) (local $res i64)
           ;; SYS_DEBUG with the text staged by zos_send_bytes
           (call $send_bytes $s:hello)
           (drop (call $sys (i32.const 1) (i32.const 15) (i32.const 0) (i32.const 0)))
           (call $report64 $s:pid (i64.extend_i32_u (call $pid)))
           ;; CREATE_ENDPOINT → slot << 32 | id
           (local.set $ep (call $sys (i32.const 0x11) (i32.const 0) (i32.const 0) (i32.const 0)))
           (call $report64 $s:ep (local.get $ep))
           (local.set $slot (i32.wrap_i64 (i64.shr_u (local.get $ep) (i64.const 32))))
           ;; SEND to ourselves, tag 0x6abc, "ping"; a yield in between keeps the staged payload
           (call $send_bytes $s:ping)
           (call $yield)
           (call $report64 $s:send (call $sys (i32.const 0x40) (local.get $slot) (i32.const 0x6abc) (i32.const 4)))
           ;; RECV → 1 + [sender u32][tag u32][ncaps u8][payload]
           ;; (zos_recv_bytes reads the LAST syscall's response, so fetch before reporting anything)
           (local.set $res (call $sys (i32.const 0x41) (local.get $slot) (i32.const 0) (i32.const 0)))
           (call $yield)
           (local.set $n (call $recv_bytes (i32.const ${SCRATCH + 0x100}) (i32.const 64)))
           (call $report64 $s:recv (local.get $res))
           (call $report64 $s:got (i64.extend_i32_u (local.get $n)))
           (call $report $s:msg (i32.const ${SCRATCH + 0x100}) (local.get $n))
           ;; max smaller than the message: copies only max bytes
           (drop (call $sys (i32.const 0x40) (local.get $slot) (i32.const 0x6abc) (i32.const 0)))
           (call $report64 $s:again (i64.extend_i32_u (call $recv_bytes (i32.const ${SCRATCH + 0x200}) (i32.const 3))))
           ;; RECV on the now-empty queue returns 0
           (drop (call $sys (i32.const 0x41) (local.get $slot) (i32.const 0) (i32.const 0)))
           (call $report64 $s:empty (call $sys (i32.const 0x41) (local.get $slot) (i32.const 0) (i32.const 0)))`,
        ),
      );
      run = await runPrograms([file]);
      r = reported(run.console);
    });

    it("runs as a process named after its file and exits 0 when _start returns", () => {
      assert.equal(run.summary.outcome, "completed");
      assert.deepEqual(run.faults, []);
      const p = run.summary.processes.find((x) => x.name === "wasm-hello");
      assert.ok(p, JSON.stringify(run.summary.processes));
      assert.equal(p.state, "exited");
      assert.equal(p.exitCode, 0);
      assert.equal(Number(le(r.pid)), p.pid, "zos_get_pid answers the kernel's PID");
    });

    it("writes debug output with zos_send_bytes + SYS_DEBUG", () => {
      assert.ok(run.debug.includes("wasm-hello: hello from wasm"), run.debug.join("\n"));
    });

    it("gets 64-bit results: CREATE_ENDPOINT's slot survives in the high half", () => {
      const packed = le(r.ep);
      assert.equal(packed >> 32n, 3n);
      assert.ok((packed & 0xffffffffn) > 0n);
    });

    it("sends and receives in the Zero OS wire format", () => {
      assert.equal(le(r.send), 0n);
      assert.equal(le(r.recv), 1n);
      assert.equal(Number(le(r.got)), 13);
      const pid = run.summary.processes.find((x) => x.name === "wasm-hello")!.pid;
      assert.equal(u32At(r.msg, 0), pid, "sender");
      assert.equal(u32At(r.msg, 4), 0x6abc, "tag");
      assert.equal(r.msg.slice(16, 18), "00", "no capabilities");
      assert.equal(Buffer.from(r.msg.slice(18), "hex").toString(), "ping");
      assert.equal(Number(le(r.again)), 0, "SEND's response is empty: recv_bytes copies the LAST response");
      assert.equal(le(r.empty), 0n);
    });

    it("is deterministic, and the module is hashed like a bundle", async () => {
      const again = await runPrograms([file]);
      assert.equal(again.summary.syslogHash, run.summary.syslogHash);
      const bundle = await bundleDriver(file);
      assert.equal(bundle.kind, "wasm");
      assert.match(bundle.sha256, /^[0-9a-f]{64}$/);
    });
  });

  describe("exit codes and faults", () => {
    it("SYS_EXIT ends the process with its code; nothing after it runs", async () => {
      const file = assemble(
        "wasm-exit",
        program(
          { after: "after" },
          `(drop (call $sys (i32.const 3) (i32.const 7) (i32.const 0) (i32.const 0))) (call $console $s:after)`,
        ),
      );
      const run = await runPrograms([file]);
      const p = run.summary.processes.find((x) => x.name === "wasm-exit")!;
      assert.equal(p.state, "exited");
      assert.equal(p.exitCode, 7);
      assert.equal(run.console, "");
    });

    it("a negative exit code stays negative", async () => {
      const file = assemble(
        "wasm-exit-neg",
        program({}, `(drop (call $sys (i32.const 3) (i32.const -2) (i32.const 0) (i32.const 0)))`),
      );
      const run = await runPrograms([file]);
      assert.equal(run.summary.processes.find((x) => x.name === "wasm-exit-neg")!.exitCode, -2);
    });

    it("calls __zero_rt_init(0) before _start", async () => {
      const file = assemble(
        "wasm-init",
        program(
          { start: "start\n" },
          `(call $console $s:start)`,
          `(func (export "__zero_rt_init") (param $x i32) (call $console (i32.const ${STRINGS_AT + 0x80}) (i32.const 5)))\n  (data (i32.const ${STRINGS_AT + 0x80}) "init\\n")`,
        ),
      );
      const run = await runPrograms([file]);
      assert.equal(run.console, "init\nstart\n");
    });

    it("a trap faults the process with the trap message; the rest of the machine runs on", async () => {
      const trap = assemble("wasm-trap", program({ before: "before\n" }, `(call $console $s:before) unreachable`));
      const ok = assemble("wasm-ok", program({ ok: "ok\n" }, `(call $yield) (call $yield) (call $console $s:ok)`));
      const run = await runPrograms([trap, ok]);
      const p = run.summary.processes.find((x) => x.name === "wasm-trap")!;
      assert.equal(p.state, "faulted");
      assert.equal(p.faults.length > 0, true);
      assert.match(p.faults[0].message, /RuntimeError: unreachable/);
      assert.ok(
        run.faults.some((f) => /^wasm-trap: .*unreachable/.test(f)),
        run.faults.join("\n"),
      );
      assert.match(run.console, /before\n/);
      assert.match(run.console, /ok\n/);
      assert.equal(run.summary.processes.find((x) => x.name === "wasm-ok")!.exitCode, 0);
    });

    it("linear memory is bounded by the process memory limit: memory.grow past it returns -1", async () => {
      const file = assemble(
        "wasm-grow",
        `(module
          (import "env" "memory" (memory 2 65536 shared))
          (import "env" "zos_syscall" (func $sys (param i32 i32 i32 i32) (result i64)))
          (func (export "_start")
            ;; exit code = (grow 200 pages fails → -1) * 1000 + (grow 10 → old size 2)
            (drop (call $sys (i32.const 3)
              (i32.add (i32.mul (memory.grow (i32.const 200)) (i32.const 1000)) (memory.grow (i32.const 10)))
              (i32.const 0) (i32.const 0)))))`,
      );
      const run = await runPrograms([file], { memoryMb: 8 }); // 8 MiB = 128 pages
      assert.equal(run.summary.processes.find((x) => x.name === "wasm-grow")!.exitCode, -1000 + 2);
      const big = assemble(
        "wasm-big",
        `(module (import "env" "memory" (memory 256 256 shared)) (func (export "_start")))`,
      );
      const tooBig = await runPrograms([big], { memoryMb: 8 });
      const p = tooBig.summary.processes.find((x) => x.name === "wasm-big")!;
      assert.equal(p.state, "faulted");
      assert.match(p.faults[0].message, /16 MiB of initial memory but the process memory limit is 8 MiB/);
    });

    it("an out-of-bounds zos_send_bytes is a fault naming the host function", async () => {
      const file = assemble("wasm-oob", program({}, `(call $send_bytes (i32.const 0x7ffffff0) (i32.const 64))`));
      const run = await runPrograms([file]);
      const p = run.summary.processes.find((x) => x.name === "wasm-oob")!;
      assert.equal(p.state, "faulted");
      assert.match(p.faults[0].message, /zos_send_bytes.*past the end of linear memory/);
    });
  });

  describe("modules that are not Zero OS-shaped are load errors naming the file", () => {
    const rejects = async (name: string, wat: string | Uint8Array, pattern: RegExp) => {
      let file: string;
      if (typeof wat === "string") file = assemble(name, wat);
      else fs.writeFileSync((file = path.join(dir, `${name}.wasm`)), wat);
      await assert.rejects(bundleDriver(file), (e: unknown) => {
        assert.ok(e instanceof DriverLoadError, String(e));
        assert.ok(e.message.includes(`${name}.wasm`), e.message);
        assert.match(e.message, pattern);
        return true;
      });
    };

    it("bytes that are not WebAssembly", () =>
      rejects("garbage", Uint8Array.from([0, 0x61, 0x73, 0x6d, 9, 9, 9, 9]), /not a valid WebAssembly module/));

    it("no _start", () =>
      rejects(
        "no-start",
        `(module (import "env" "memory" (memory 32 64 shared)))`,
        /does not export a _start function/,
      ));

    it("an unknown import", () =>
      rejects(
        "unknown-import",
        `(module (import "env" "memory" (memory 32 64 shared)) (import "env" "fd_write" (func)) (func (export "_start")))`,
        /unknown import "env"."fd_write"/,
      ));

    it("a host function with the wrong type", () =>
      rejects(
        "bad-sig",
        `(module (import "env" "memory" (memory 32 64 shared)) (import "env" "zos_syscall" (func (param i32) (result i32))) (func (export "_start")))`,
        /"env"."zos_syscall" has type \(i32\) → \(i32\)/,
      ));

    it("a non-shared memory import", () =>
      rejects(
        "unshared",
        `(module (import "env" "memory" (memory 32 64)) (func (export "_start")))`,
        /must be shared memory/,
      ));

    it("its own memory instead of env.memory", () =>
      rejects(
        "own-memory",
        `(module (memory (export "memory") 1) (func (export "_start")))`,
        /does not import env.memory.*defines its own memory/,
      ));

    it("an invalid manifest section", async () => {
      const bytes = Buffer.concat([
        wabt
          .parseWat("m.wat", `(module (import "env" "memory" (memory 32 64 shared)) (func (export "_start")))`, {
            threads: true,
          })
          .toBinary({}).buffer,
        customSection(MANIFEST_SECTION, `{"caps": {"x": {"kind": "nope"}}}`),
      ]);
      await rejects("bad-manifest", bytes, /invalid manifest.*\n.*caps.x: unknown capability kind/);
    });
  });

  describe("a WASM client of a TypeScript driver", () => {
    it("looks up rng through Init's CALL protocol and gets bytes from drivers/virtio-rng", async () => {
      const client = assemble(
        "wasm-rng-client",
        program(
          { lookup: "\x03rng", count: "\x10\x00\x00\x00", lk: "lk", bytes: "bytes", res: "res" },
          `(local $slot i32) (local $n i32) (local $res i64)
           ;; LOOKUP_SERVICE (0x1001) by CALL on slot 2 (Init); the reply carries a send capability
           (call $send_bytes $s:lookup)
           (drop (call $sys (i32.const 0x42) (i32.const 2) (i32.const 0x1001) (i32.const 4)))
           (local.set $n (call $recv_bytes (i32.const ${SCRATCH + 0x100}) (i32.const 64)))
           (call $report $s:lk (i32.const ${SCRATCH + 0x100}) (local.get $n))
           (local.set $slot (i32.load (i32.const ${SCRATCH + 0x109})))
           ;; GET_BYTES (0x6000) [count u32 = 16]
           (call $send_bytes $s:count)
           (local.set $res (call $sys (i32.const 0x42) (local.get $slot) (i32.const 0x6000) (i32.const 4)))
           (local.set $n (call $recv_bytes (i32.const ${SCRATCH + 0x200}) (i32.const 256)))
           (call $report64 $s:res (local.get $res))
           (call $report $s:bytes (i32.const ${SCRATCH + 0x200}) (local.get $n))`,
        ),
        { caps: { rng: { kind: "client", service: "rng" } } },
      );
      const run = await runPrograms([sample("virtio-rng"), client]);
      const r = reported(run.console);
      assert.deepEqual(run.faults, []);
      assert.equal(u32At(r.lk, 0), 1, "the lookup reply comes from Init");
      assert.equal(u32At(r.lk, 4), 0x1002);
      assert.equal(r.lk.slice(16, 18), "01", "one capability");
      assert.equal(r.lk.slice(26, 28), "01", "found");
      assert.equal(le(r.res), 1n);
      const rngPid = run.summary.processes.find((p) => p.name === "virtio-rng")!.pid;
      assert.equal(u32At(r.bytes, 0), rngPid);
      assert.equal(u32At(r.bytes, 4), 0x6001);
      assert.equal(r.bytes.length, (9 + 16) * 2);
      assert.equal(run.summary.processes.find((p) => p.name === "wasm-rng-client")!.exitCode, 0);
    });
  });

  it("zds run --trace and zds replay --verify work for a WASM program", () => {
    const file = assemble("wasm-traced", program({ hi: "hi\n" }, `(call $console $s:hi) (call $yield)`));
    const trace = path.join(dir, "w.zlog");
    const run = zds("run", file, "--trace", trace);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /hi/);
    const replay = zds("replay", trace, "--verify");
    assert.equal(replay.status, 0, replay.stderr);
    assert.match(replay.stderr, /hashes match/);
    // One changed byte of the module: the recorded hash no longer matches.
    const bytes = fs.readFileSync(file);
    const at = bytes.indexOf(Buffer.from("hi\n"));
    bytes[at] = "H".charCodeAt(0);
    fs.writeFileSync(file, bytes);
    const changed = zds("replay", trace, "--verify", "--json");
    assert.equal(changed.status, 1);
    assert.match(changed.stdout, /"changedPrograms":\["wasm-traced"\]/);
  });

  it("zds run names the file of a module that is not Zero OS-shaped", () => {
    const file = assemble("cli-no-start", `(module (import "env" "memory" (memory 32 64 shared)))`);
    const r = zds("run", file);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /cli-no-start\.wasm: not a Zero OS WASM program: it does not export a _start function/);
  });
});
