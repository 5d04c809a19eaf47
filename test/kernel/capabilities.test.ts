import assert from "node:assert/strict";
import { verifyChain, type Commit } from "../../kernel/axiom/commitlog";
import { fixture, reported, runPrograms, type SessionResult } from "../helpers/run-session";

describe("capabilities: grant, derive, revoke, expiry, transfer", () => {
  let run: SessionResult;
  let r: Record<string, string>;
  before(async () => {
    run = await runPrograms([fixture("raw", "cap-owner.ts"), fixture("raw", "cap-holder.ts")]);
    r = reported(run.console);
    assert.deepEqual(run.faults, []);
  });

  it("derive and grant only narrow rights, and grant needs the grant right", () => {
    assert.equal(r.derive_escalation, "-1");
    assert.equal(r.grant_slot_ok, "true");
    assert.equal(r.grant_without_grant_right, "-1");
    assert.equal(r.grant_escalation, "-1");
    assert.equal(r.grant_to_nobody, "-2");
  });

  it("a granted capability works in the other process", () => {
    assert.equal(r.holder_send_granted, "0");
    assert.deepEqual(JSON.parse(r.via_grant), { sender: 3, text: "hello" });
  });

  it("revoke reaches what was granted from the capability and tells the holder (0x3010)", () => {
    assert.equal(r.revoke, "0");
    assert.equal(r.use_after_revoke, "-7");
    assert.equal(r.holder_use_after_revoke, "-7");
    const notice = JSON.parse(r.revoked_notice);
    assert.deepEqual(notice, { sender: 0, tag: 0x3010, slot: notice.slot, type: 1, reason: 1, mine: true });
    assert.equal(r.root_survives, "1");
  });

  it("an expired capability fails with E_PERM and is gone afterwards", () => {
    assert.equal(r.expiry_fresh, "0");
    assert.equal(r.expired, "-1");
    assert.equal(r.expired_gone, "-7");
  });

  it("SEND_CAP moves a capability into the receiver, within the 4-capability limit", () => {
    assert.equal(r.sendcap_too_many, "-3");
    assert.equal(r.sendcap, "0");
    assert.equal(r.sendcap_moved, "-7");
    assert.deepEqual(JSON.parse(r.transfer), { caps: 1, text: "cap!" });
    assert.equal(r.holder_send_transferred, "0");
    assert.deepEqual(JSON.parse(r.via_transfer), { sender: 3, text: "via-transfer" });
  });

  it("process calls: KILL needs a Process capability; Init-only calls are refused", () => {
    assert.equal(r.kill_without_cap, "-1");
    assert.equal(r.register_process, "-1");
    assert.equal(r.spawn_process, "-4");
  });

  it("RANDOM gives up to 256 bytes", () => {
    assert.equal(r.random, "16");
    assert.equal(r.random_bytes, "16");
    assert.equal(r.random_too_many, "-3");
  });

  it("DELETE_ENDPOINT is for the owner only, and leaves other capabilities to it dangling", () => {
    assert.equal(r.delete_foreign_endpoint, "-1");
    assert.equal(r.delete_endpoint, "0");
    assert.equal(r.use_deleted_endpoint, "-2");
  });

  it("every state change is in a hash-chained CommitLog with Zero OS commit types", () => {
    const commits: Commit[] = [...run.commits];
    assert.equal(commits[0].body.type, "Genesis");
    assert.deepEqual(verifyChain(commits), { ok: true });
    const types = new Set(commits.map((c) => c.body.type));
    for (const t of [
      "ProcessCreated",
      "ProcessExited",
      "CapInserted",
      "CapRemoved",
      "CapGranted",
      "EndpointCreated",
      "EndpointDestroyed",
      "MessageSent",
    ])
      assert.ok(types.has(t as Commit["body"]["type"]), t);
    const tampered = commits.map((c) => ({ ...c }));
    tampered[5] = { ...tampered[5], timestamp: tampered[5].timestamp + 1 };
    assert.equal(verifyChain(tampered).ok, false);
  });
});
