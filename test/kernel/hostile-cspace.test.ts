// A hostile driver against the size of capability spaces, driven syscall by syscall on the real
// Kernel (test/helpers/kernel-rig.ts): every way a process makes the kernel put a capability into a
// CSpace (CAP_DERIVE, CAP_GRANT, DMA_ALLOC, CREATE_ENDPOINT, SEND_CAP and its receipt, LOOKUP_SERVICE,
// the manifest's grants at STARTUP) stops at limits.capabilities with a named E_NOMEM, and a space
// over its limit is an invariant violation.
import assert from "node:assert/strict";
import { loadMachineDescription, parseMachineDescription } from "../../devices";
import { Perm } from "../../kernel/abi/caps";
import { Errno } from "../../kernel/abi/errors";
import { Sys } from "../../kernel/abi/syscalls";
import { Tag } from "../../kernel/abi/tags";
import { decodeWireMessage } from "../../kernel/abi/wire";
import { checkInvariants } from "../../kernel/invariants";
import type { LimitRefusal } from "../../kernel/limits";
import { KernelRig } from "../helpers/kernel-rig";
import { dmaAlloc, lookup, nameBytes, register, startup } from "./rig-steps";

const PAGE = 4096;
const MESSAGE = "E_NOMEM: capability limit 32 reached (limits.capabilities in the machine description)";

/** The kernel's resources as a plain record, so the test also runs before the limit exists. */
const resources = (rig: KernelRig): Record<string, number> => rig.kernel.resources as unknown as Record<string, number>;

/** CAP_DERIVE from slot 0 until refused; returns the refusal's result. */
function fill(rig: KernelRig, pid: number): number {
  let result = 0;
  for (let i = 0; i < 1100 && result >= 0; i++) result = rig.sys(pid, Sys.CAP_DERIVE, 0, Perm.ALL, 0)!.result;
  return result;
}

/** CAP_GRANT slot 0 of `from` to `to` until refused; returns how many were granted. */
function grantUntilRefused(rig: KernelRig, from: number, to: number): number {
  let granted = 0;
  while (granted < 100 && rig.sys(from, Sys.CAP_GRANT, 0, to, Perm.READ)!.result >= 0) granted++;
  return granted;
}

/** Free `n` derived slots (the highest ones). */
function free(rig: KernelRig, pid: number, n: number): void {
  const p = rig.kernel.processes.get(pid)!;
  for (const [slot] of p.cspace.entries().slice(-n)) assert.equal(rig.sys(pid, Sys.CAP_DELETE, slot)!.result, 0);
}

function sendCaps(rig: KernelRig, pid: number, slot: number, caps: number[]): number | undefined {
  const payload = new Uint8Array(4 * caps.length);
  const v = new DataView(payload.buffer);
  caps.forEach((c, i) => v.setUint32(4 * i, c, true));
  return rig.sys(pid, Sys.SEND_CAP, slot, 0x77, caps.length << 16, payload)?.result;
}

const refusal = (
  rig: KernelRig,
  syscall: string,
): Pick<LimitRefusal, "limit" | "maximum" | "pid" | "message"> | undefined => {
  const r = rig.kernel.limitRefusals.find((x) => x.syscall === syscall);
  return r && { limit: r.limit, maximum: r.maximum, pid: r.pid, message: r.message };
};

const sound = (rig: KernelRig): void => assert.deepEqual(checkInvariants(rig.kernel), []);

describe("machine descriptions: limits.capabilities", () => {
  it("virt states 1024, a description without it gets 1024, and a value out of bounds is named", () => {
    assert.equal(loadMachineDescription("virt").limits?.capabilities, 1024);
    const base = { name: "m", dma: { base: "0x4000_0000", size: "0x10_0000" }, devices: [] };
    assert.equal(parseMachineDescription(base, "m.json").limits?.capabilities, 1024);
    assert.equal(parseMachineDescription({ ...base, limits: { capabilities: 64 } }, "m.json").limits?.capabilities, 64);
    assert.throws(
      () => parseMachineDescription({ ...base, limits: { capabilities: 2 } }, "m.json"),
      /field "limits\.capabilities": 2 is outside 16\.\.1048576/,
    );
  });
});

describe("kernel: a capability space is bounded (limits.capabilities)", () => {
  let rig: KernelRig;
  afterEach(() => rig.close());

  it("CAP_DERIVE in a loop stops at the default 1024 with a named E_NOMEM; refusals create no records; a freed slot can be used again", () => {
    rig = new KernelRig(1);
    const p = rig.procs[0];
    assert.equal(resources(rig).capabilities, 1024, "virt.json's default");
    assert.equal(fill(rig, p.pid), -Errno.E_NOMEM);
    assert.equal(p.cspace.size, 1024);
    const created = rig.kernel.caps.capsCreated;
    for (let i = 0; i < 100; i++) assert.equal(rig.sys(p.pid, Sys.CAP_DERIVE, 0, Perm.ALL, 0)!.result, -Errno.E_NOMEM);
    assert.equal(rig.kernel.caps.capsCreated, created, "a refused derivation still made a capability record");
    assert.deepEqual(refusal(rig, "SYS_CAP_DERIVE"), {
      limit: "capabilities",
      maximum: 1024,
      pid: p.pid,
      message: "E_NOMEM: capability limit 1024 reached (limits.capabilities in the machine description)",
    });
    assert.equal(rig.kernel.limitRefusals.length, 1, "one record per process, limit and syscall");
    assert.equal(rig.kernel.limitRefusals[0].count, 101);
    sound(rig);
    free(rig, p.pid, 1);
    assert.ok(rig.sys(p.pid, Sys.CAP_DERIVE, 0, Perm.ALL, 0)!.result >= 0);
  });

  it("CAP_GRANT into a full space refuses the granter (E_NOMEM, named); the target's space does not grow", () => {
    rig = new KernelRig(2);
    resources(rig).capabilities = 32;
    const [granter, target] = rig.procs;
    assert.equal(fill(rig, target.pid), -Errno.E_NOMEM);
    assert.equal(target.cspace.size, 32);
    const created = rig.kernel.caps.capsCreated;
    assert.equal(rig.sys(granter.pid, Sys.CAP_GRANT, 0, target.pid, Perm.READ)!.result, -Errno.E_NOMEM);
    assert.equal(target.cspace.size, 32);
    assert.equal(rig.kernel.caps.capsCreated, created);
    assert.deepEqual(refusal(rig, "SYS_CAP_GRANT"), {
      limit: "capabilities",
      maximum: 32,
      pid: granter.pid,
      message: MESSAGE,
    });
    sound(rig);
  });

  it("DMA_ALLOC with a full space fails E_NOMEM by name and takes no DMA memory", () => {
    rig = new KernelRig(1);
    resources(rig).capabilities = 32;
    const p = rig.procs[0];
    p.dmaBudget = 4 * PAGE;
    assert.equal(fill(rig, p.pid), -Errno.E_NOMEM);
    assert.deepEqual(dmaAlloc(rig, p.pid, PAGE), { errno: Errno.E_NOMEM });
    assert.equal(p.dmaRegions.length, 0, "a refused DMA_ALLOC kept a buffer");
    assert.deepEqual(refusal(rig, "SYS_DMA_ALLOC"), {
      limit: "capabilities",
      maximum: 32,
      pid: p.pid,
      message: MESSAGE,
    });
    sound(rig);
    free(rig, p.pid, 1);
    assert.ok("slot" in dmaAlloc(rig, p.pid, PAGE));
  });

  it("CREATE_ENDPOINT with a full space fails E_NOMEM by name and creates no endpoint", () => {
    rig = new KernelRig(1);
    resources(rig).capabilities = 32;
    const p = rig.procs[0];
    assert.equal(fill(rig, p.pid), -Errno.E_NOMEM);
    const endpoints = rig.kernel.endpoints.size;
    assert.equal(rig.sys(p.pid, Sys.CREATE_ENDPOINT)!.result, -Errno.E_NOMEM);
    assert.equal(rig.kernel.endpoints.size, endpoints, "a refused CREATE_ENDPOINT left an endpoint behind");
    assert.deepEqual(refusal(rig, "SYS_CREATE_ENDPOINT"), {
      limit: "capabilities",
      maximum: 32,
      pid: p.pid,
      message: MESSAGE,
    });
    sound(rig);
  });

  it("SEND_CAP is refused up front when the receiving endpoint's owner could not take the capabilities; capabilities on their way count", () => {
    rig = new KernelRig(2);
    resources(rig).capabilities = 32;
    const [sender, owner] = rig.procs;
    const write = rig.sys(owner.pid, Sys.CAP_GRANT, 1, sender.pid, Perm.WRITE)!.result; // the owner's input endpoint
    assert.ok(write >= 0);
    const a = rig.sys(sender.pid, Sys.CAP_DERIVE, 0, Perm.ALL, 0)!.result;
    const b = rig.sys(sender.pid, Sys.CAP_DERIVE, 0, Perm.ALL, 0)!.result;
    const c = rig.sys(sender.pid, Sys.CAP_DERIVE, 0, Perm.ALL, 0)!.result;
    assert.equal(fill(rig, owner.pid), -Errno.E_NOMEM);
    assert.equal(sendCaps(rig, sender.pid, write, [a]), -Errno.E_NOMEM);
    assert.ok(sender.cspace.get(a), "a refused SEND_CAP took the sender's capability");
    assert.deepEqual(refusal(rig, "SYS_SEND_CAP"), {
      limit: "capabilities",
      maximum: 32,
      pid: sender.pid,
      message: MESSAGE,
    });
    free(rig, owner.pid, 2); // 30 held: room for two more
    assert.equal(sendCaps(rig, sender.pid, write, [a, b, c]), -Errno.E_NOMEM, "three do not fit in two");
    assert.equal(sendCaps(rig, sender.pid, write, [a]), 0);
    assert.equal(sendCaps(rig, sender.pid, write, [b]), 0);
    assert.equal(sendCaps(rig, sender.pid, write, [c]), -Errno.E_NOMEM, "the two on their way fill the space");
    // The owner cannot spend the room reserved for what is on its way...
    assert.equal(rig.sys(owner.pid, Sys.CAP_DERIVE, 0, Perm.ALL, 0)!.result, -Errno.E_NOMEM);
    sound(rig);
    // ...so receiving it always fits.
    for (let i = 0; i < 2; i++) {
      const got = rig.sys(owner.pid, Sys.RECV, 1)!;
      assert.equal(got.result, 1);
      assert.equal(decodeWireMessage(got.payload!)?.caps.length, 1);
    }
    assert.equal(owner.cspace.size, 32);
    sound(rig);
  });

  it("a receiver that is not the owner and has no room: RECV fails E_NOMEM by name and the message stays queued", () => {
    rig = new KernelRig(3);
    resources(rig).capabilities = 32;
    const [sender, owner, reader] = rig.procs;
    const write = rig.sys(owner.pid, Sys.CAP_GRANT, 1, sender.pid, Perm.WRITE)!.result;
    const read = rig.sys(owner.pid, Sys.CAP_GRANT, 1, reader.pid, Perm.READ)!.result;
    const a = rig.sys(sender.pid, Sys.CAP_DERIVE, 0, Perm.ALL, 0)!.result;
    assert.equal(fill(rig, reader.pid), -Errno.E_NOMEM);
    assert.equal(sendCaps(rig, sender.pid, write, [a]), 0, "the owner has room");
    const ep = rig.kernel.endpoints.get(owner.cspace.get(1)!.objectId)!;
    assert.equal(rig.sys(reader.pid, Sys.RECV, read)!.result, -Errno.E_NOMEM);
    assert.equal(
      rig.sys(reader.pid, Sys.RECV_WAIT, read)!.result,
      -Errno.E_NOMEM,
      "RECV_WAIT must not block on a message it cannot take",
    );
    assert.equal(ep.queue.length, 1, "the message was lost");
    assert.deepEqual(refusal(rig, "SYS_RECV"), {
      limit: "capabilities",
      maximum: 32,
      pid: reader.pid,
      message: MESSAGE,
    });
    sound(rig);
    free(rig, reader.pid, 1);
    const got = rig.sys(reader.pid, Sys.RECV, read)!;
    assert.equal(got.result, 1);
    assert.equal(decodeWireMessage(got.payload!)?.caps.length, 1);
    assert.equal(reader.cspace.size, 32);
    sound(rig);
  });

  it("a waiter whose space filled while it waited is woken E_NOMEM (named) and the message queues", () => {
    rig = new KernelRig(3);
    resources(rig).capabilities = 32;
    const [sender, owner, reader] = rig.procs;
    const write = rig.sys(owner.pid, Sys.CAP_GRANT, 1, sender.pid, Perm.WRITE)!.result;
    const read = rig.sys(owner.pid, Sys.CAP_GRANT, 1, reader.pid, Perm.READ)!.result;
    const a = rig.sys(sender.pid, Sys.CAP_DERIVE, 0, Perm.ALL, 0)!.result;
    assert.equal(rig.sys(reader.pid, Sys.RECV_WAIT, read), undefined, "blocks");
    const granted = grantUntilRefused(rig, owner.pid, reader.pid);
    assert.equal(reader.cspace.size, 32);
    assert.equal(sendCaps(rig, sender.pid, write, [a]), 0);
    assert.equal(rig.lastOf(reader.pid)?.result, -Errno.E_NOMEM);
    assert.equal(rig.kernel.endpoints.get(owner.cspace.get(1)!.objectId)!.queue.length, 1);
    assert.deepEqual(refusal(rig, "SYS_RECV_WAIT"), {
      limit: "capabilities",
      maximum: 32,
      pid: reader.pid,
      message: MESSAGE,
    });
    assert.ok(granted > 0);
    sound(rig);
  });

  it("LOOKUP_SERVICE with a full space fails E_NOMEM by name, at once or when a held lookup is answered", () => {
    rig = new KernelRig(3);
    resources(rig).capabilities = 32;
    const [server, client, waiter] = rig.procs;
    const info = startup(rig, server.pid, { name: "server", caps: { svc: { kind: "serve", service: "svc" } } })!;
    const endpointId = (
      JSON.parse(new TextDecoder().decode(info.payload)) as { handles: { svc: { endpointId: number } } }
    ).handles.svc.endpointId;
    startup(rig, client.pid, { name: "client", caps: { svc: { kind: "client", service: "svc" } } });
    startup(rig, waiter.pid, { name: "waiter", caps: { svc: { kind: "client", service: "svc" } } });
    assert.equal(lookup(rig, waiter.pid, "svc"), undefined, "held until registration");
    grantUntilRefused(rig, server.pid, waiter.pid);
    assert.equal(waiter.cspace.size, 32);
    assert.equal(register(rig, server.pid, "svc", endpointId), 0);
    assert.equal(rig.lastOf(waiter.pid)?.result, -Errno.E_NOMEM);
    assert.equal(waiter.cspace.size, 32);
    assert.equal(fill(rig, client.pid), -Errno.E_NOMEM);
    const name = nameBytes("svc");
    assert.equal(rig.sys(client.pid, Sys.CALL, 2, Tag.LOOKUP_SERVICE, name.length, name)!.result, -Errno.E_NOMEM);
    assert.equal(client.cspace.size, 32);
    assert.deepEqual(
      rig.kernel.limitRefusals.filter((r) => r.syscall === "SYS_CALL").map((r) => [r.limit, r.pid]),
      [
        ["capabilities", waiter.pid],
        ["capabilities", client.pid],
      ],
    );
    sound(rig);
  });

  it("a manifest whose grants need more capabilities than the limit is refused at STARTUP, naming the limit", () => {
    rig = new KernelRig(2);
    resources(rig).capabilities = 5; // the three conventional slots and two more
    const [greedy, next] = rig.procs;
    const three = {
      a: { kind: "serve", service: "a" },
      b: { kind: "serve", service: "b" },
      c: { kind: "serve", service: "c" },
    };
    startup(rig, greedy.pid, { name: "greedy", caps: three });
    assert.equal(greedy.state, "faulted");
    assert.match(
      greedy.faults[0].message,
      /the manifest needs 6 capabilities, more than the per-process limit 5 \(limits\.capabilities in the machine description\)/,
    );
    assert.deepEqual(refusal(rig, "SYS_STARTUP"), {
      limit: "capabilities",
      maximum: 5,
      pid: greedy.pid,
      message: "E_NOMEM: capability limit 5 reached (limits.capabilities in the machine description)",
    });
    const info = startup(rig, next.pid, { name: "next", caps: { a: three.a, b: three.b } });
    assert.equal(info?.result, 0);
    assert.equal(next.cspace.size, 5);
    sound(rig);
  });

  it("a CSpace over its limit is an invariant violation", () => {
    rig = new KernelRig(1);
    const p = rig.procs[0];
    for (let i = 0; i < 10; i++) rig.sys(p.pid, Sys.CAP_DERIVE, 0, Perm.ALL, 0);
    sound(rig);
    resources(rig).capabilities = 5;
    assert.ok(
      checkInvariants(rig.kernel).some((v) =>
        v.includes(`pid ${p.pid} holds 13 capabilities, above limits.capabilities 5`),
      ),
      checkInvariants(rig.kernel).join("\n"),
    );
  });
});
