// zds test end to end (docs/testing.md): mocha-like output and exit status, JUnit XML, --seeds, a
// failing test's trace (with the failure in it) that replays to the same SysLog hash.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { readZlog } from "../../kernel/trace/zlog-reader";
import { replayTrace } from "../../kernel/trace/replay";

const root = path.join(__dirname, "..", "..");
const zds = path.join(root, "bin", "zds.js");
const fixture = path.join(root, "test", "fixtures", "zds-test");

function zdsTest(args: string[], cwd: string) {
  const r = spawnSync(process.execPath, [zds, "test", ...args], { cwd, encoding: "utf8", timeout: 180_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Every tag closed in order, one root: enough to tell well-formed XML from not. */
function wellFormed(xml: string): boolean {
  const body = xml.replace(/^<\?xml[^>]*\?>\s*/, "");
  const stack: string[] = [];
  let roots = 0;
  for (const m of body.matchAll(/<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/g)) {
    if (m[1]) {
      if (stack.pop() !== m[2]) return false;
    } else if (!m[4]) {
      if (stack.length === 0) roots++;
      stack.push(m[2]);
    } else if (stack.length === 0) roots++;
  }
  return stack.length === 0 && roots === 1 && !/&(?!amp;|lt;|gt;|quot;|apos;)/.test(body);
}

describe("zds test", function () {
  this.timeout(240_000);
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), "zds-test-cwd-"));

  it("prints like mocha, exits 1 on a failure and keeps its trace, which replays to the same hash", async () => {
    const r = zdsTest([fixture], cwd);
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /✔ the sample driver serves rng-cat/);
    assert.match(r.stdout, /✔ an inline client that prints/);
    assert.match(r.stdout, /2 passing/);
    assert.match(r.stdout, /1 failing/);
    assert.match(r.stdout, /expected 0 to be 42/);
    assert.match(r.stdout, /at .*tests\/sample\.ts:17:\d+/);
    const m = /trace: (\S+\.zlog)/.exec(r.stdout);
    assert.ok(m, r.stdout);
    const trace = readZlog(path.resolve(cwd, m[1]));
    assert.equal(trace.assertion?.assert, "expected 0 to be 42");
    assert.equal(trace.assertion?.line, 17);
    assert.ok((trace.assertion?.event ?? 0) > 0);
    const report = await replayTrace(path.resolve(cwd, m[1]), {
      verify: true,
      output: { console: () => undefined, debug: () => undefined },
    });
    assert.equal(report.match, true, report.divergence?.message);
  });

  it("writes valid JUnit XML and runs a test over N seeds", () => {
    const out = path.join(cwd, "junit.xml");
    const r = zdsTest([fixture, "--reporter", "junit", "--output", out, "--seeds", "2", "--grep", "serves"], cwd);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const xml = fs.readFileSync(out, "utf8");
    assert.ok(wellFormed(xml), xml);
    assert.match(xml, /<testsuites name="zds test" tests="2" failures="0"/);
    assert.match(xml, /name="the sample driver serves rng-cat \[seed 1\]"/);
    assert.match(xml, /name="the sample driver serves rng-cat \[seed 2\]"/);
  });

  it("says what is wrong with its options", () => {
    const r = zdsTest(["--reporter", "tap"], cwd);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--reporter must be spec, junit or json/);
  });
});
