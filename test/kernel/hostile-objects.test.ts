// A hostile driver against the kernel's objects and rules, driven syscall by syscall on the real
// Kernel (test/helpers/kernel-rig.ts): DMA ownership and lending, expiry reaching the device,
// per-process limits on kernel objects, service names, and clients of a driver that gave up.
import assert from "node:assert/strict";
import type { IommuMapping } from "../../devices/machine-interface";
import { Perm } from "../../kernel/abi/caps";
import { Errno } from "../../kernel/abi/errors";
import { Sys } from "../../kernel/abi/syscalls";
import { Tag } from "../../kernel/abi/tags";
import { Supervisor } from "../../kernel/supervisor";
import { KernelRig } from "../helpers/kernel-rig";
import { dmaAlloc, lookup, register, resumedMessage, startup, u32 } from "./rig-steps";

const PAGE = 4096;
const kernelErrors = (rig: KernelRig): string[] =>
  rig.procs.flatMap((p) => p.faults.filter((f) => f.kind === "panic").map((f) => f.message));

describe("kernel: only the owner frees a DMA buffer", () => {
  let rig: KernelRig;
  afterEach(() => rig.close());

  it("a borrower's DMA_FREE fails with E_PERM; the owner's teardown does not throw; nobody else gets the owner's page", () => {
    rig = new KernelRig(3);
    const [owner, borrower, third] = rig.procs;
    owner.dmaBudget = PAGE;
    third.dmaBudget = PAGE;
    const buf = dmaAlloc(rig, owner.pid, PAGE);
    assert.ok("slot" in buf);
    const lent = rig.sys(owner.pid, Sys.CAP_GRANT, buf.slot, borrower.pid, Perm.ALL)!.result;
    assert.ok(lent >= 0);
    assert.equal(rig.sys(borrower.pid, Sys.DMA_FREE, lent)!.result, -Errno.E_PERM);
    const other = dmaAlloc(rig, third.pid, PAGE);
    assert.ok("phys" in other);
    assert.notEqual(other.phys, buf.phys, "the third process was given the owner's page");
    rig.sys(owner.pid, Sys.EXIT, 0);
    assert.equal(owner.state, "exited");
    assert.deepEqual(kernelErrors(rig), []);
    // The owner's exit took the lent capability with it.
    assert.equal(borrower.cspace.get(lent), undefined);
  });

  it("the owner's DMA_FREE through a derived slot takes every lent copy with it", () => {
    rig = new KernelRig(2);
    const [owner, borrower] = rig.procs;
    owner.dmaBudget = PAGE;
    const buf = dmaAlloc(rig, owner.pid, PAGE);
    assert.ok("slot" in buf);
    const lent = rig.sys(owner.pid, Sys.CAP_GRANT, buf.slot, borrower.pid, Perm.READ)!.result;
    const child = rig.sys(owner.pid, Sys.CAP_DERIVE, buf.slot, Perm.ALL, 0)!.result;
    assert.equal(rig.sys(owner.pid, Sys.DMA_FREE, child)!.result, 0);
    assert.equal(borrower.cspace.get(lent), undefined, "a lent copy outlived the buffer");
    assert.equal(owner.cspace.get(buf.slot), undefined);
    assert.equal(owner.dmaRegions.length, 0);
  });
});

describe("kernel: a lend that expires leaves the device's view at once", () => {
  it("at the lifetime's end the buffer is out of the driver's device's IOMMU view, with no syscall made", () => {
    const rig = new KernelRig(2);
    try {
      const [driver, client] = rig.procs;
      driver.device = "virtio-blk0";
      client.dmaBudget = PAGE;
      const views: (readonly IommuMapping[])[] = [];
      const set = rig.machine.setIommuView.bind(rig.machine);
      rig.machine.setIommuView = (device, regions, shared = []) => {
        if (device === "virtio-blk0") views.push(shared);
        set(device, regions, shared);
      };
      const buf = dmaAlloc(rig, client.pid, PAGE);
      assert.ok("slot" in buf);
      const short = rig.sys(client.pid, Sys.CAP_DERIVE, buf.slot, Perm.ALL, 10)!.result; // 10 µs
      rig.sys(client.pid, Sys.CAP_GRANT, short, driver.pid, Perm.READ | Perm.WRITE);
      assert.equal(views.at(-1)?.length, 1);
      rig.machine.clock.advance(20_000);
      assert.deepEqual(views.at(-1), [], "the expired lend is still in the device's view");
    } finally {
      rig.close();
    }
  });
});

describe("kernel: per-process limits on kernel objects (machine description limits)", () => {
  let rig: KernelRig;
  afterEach(() => rig.close());

  it("CREATE_ENDPOINT past limits.endpoints fails E_NOMEM, and the refusal is recorded by name", () => {
    rig = new KernelRig(1);
    const p = rig.procs[0];
    const max = rig.kernel.resources.endpoints;
    assert.equal(max, 64, "virt.json's default");
    let result = 0;
    for (let i = 0; i < 1000 && result >= 0; i++) result = rig.sys(p.pid, Sys.CREATE_ENDPOINT)!.result;
    assert.equal(result, -Errno.E_NOMEM);
    assert.equal([...p.endpoints].filter((id) => rig.kernel.endpoints.has(id)).length, max);
    const refusal = rig.kernel.limitRefusals[0];
    assert.deepEqual(
      { limit: refusal.limit, maximum: refusal.maximum, syscall: refusal.syscall, pid: refusal.pid },
      { limit: "endpoints", maximum: 64, syscall: "SYS_CREATE_ENDPOINT", pid: p.pid },
    );
    assert.equal(refusal.message, "E_NOMEM: endpoint limit 64 reached (limits.endpoints in the machine description)");
  });

  it("bytes queued on a process's endpoints are bounded (E_NOMEM), and the 256-message E_AGAIN rule still holds", () => {
    rig = new KernelRig(1);
    const p = rig.procs[0];
    const payload = new Uint8Array(4096);
    const max = rig.kernel.resources.queuedBytes;
    assert.equal(max, 4 * 1024 * 1024);
    let sent = 0;
    let last = 0;
    for (let e = 0; e < 10 && last !== -Errno.E_NOMEM; e++) {
      const slot = Math.floor(rig.sys(p.pid, Sys.CREATE_ENDPOINT)!.result / 2 ** 32);
      for (let i = 0; i < 300; i++) {
        last = rig.sys(p.pid, Sys.SEND, slot, 7, payload.length, payload)!.result;
        if (last !== 0) break;
        sent++;
      }
      if (e === 0) assert.equal(last, -Errno.E_AGAIN, "the 256-message queue bound");
    }
    assert.equal(last, -Errno.E_NOMEM);
    assert.equal(sent * 4096, max);
    assert.equal(rig.kernel.limitRefusals.at(-1)?.limit, "queuedBytes");
  });

  it("DMA_ALLOC past limits.dmaBytes fails E_NOMEM by name, whatever the budget", () => {
    rig = new KernelRig(1);
    const p = rig.procs[0];
    rig.kernel.resources.dmaBytes = 2 * PAGE;
    p.dmaBudget = 16 * PAGE;
    assert.ok("slot" in dmaAlloc(rig, p.pid, 2 * PAGE));
    assert.deepEqual(dmaAlloc(rig, p.pid, PAGE), { errno: Errno.E_NOMEM });
    assert.equal(rig.kernel.limitRefusals.at(-1)?.limit, "dmaBytes");
  });

  it("a manifest asking for more DMA than limits.dmaBytes is refused at STARTUP, naming the limit", () => {
    rig = new KernelRig(2);
    const [greedy, next] = rig.procs;
    startup(rig, greedy.pid, { name: "greedy", caps: { all: { kind: "dma", size: 0x400_0000 } } });
    assert.equal(greedy.state, "faulted");
    assert.match(greedy.faults[0].message, /limits\.dmaBytes/);
    assert.equal(rig.kernel.limitRefusals.at(-1)?.syscall, "SYS_STARTUP");
    startup(rig, next.pid, { name: "next", caps: { buf: { kind: "dma", size: 8192 } } });
    assert.ok("slot" in dmaAlloc(rig, next.pid, 8192));
  });
});

describe("kernel: service names a device fronts", () => {
  it("an impostor cannot serve the name of a device it is not bound to; the real driver then can", () => {
    const rig = new KernelRig(3);
    try {
      const [impostor, driver, client] = rig.procs;
      startup(rig, impostor.pid, { name: "impostor", caps: { rng: { kind: "serve", service: "rng" } } });
      assert.equal(impostor.state, "faulted");
      assert.match(
        impostor.faults[0].message,
        /service "rng" is fronted by device virtio-rng0.*only a driver bound to it may serve it/,
      );
      const info = startup(rig, driver.pid, {
        name: "virtio-rng",
        device: { virtio: 4 },
        caps: { rng: { kind: "serve", service: "rng" } },
      });
      assert.equal(info?.result, 0);
      startup(rig, client.pid, {
        name: "client",
        caps: { rng: { kind: "client", service: "rng" }, mine: { kind: "serve", service: "anything" } },
      });
      assert.equal(client.state !== "faulted", true, "other names stay first come, first served");
    } finally {
      rig.close();
    }
  });
});

describe("kernel: clients of a driver the supervisor gave up on", () => {
  function supervised(rig: KernelRig): void {
    const sup = new Supervisor(rig.kernel, { default: { restart: "on-failure", limit: 0 } }, {}, () => {
      throw new Error("no restart expected");
    });
    sup.track(0, "server", rig.procs[0]);
  }

  it("a pending CALL ends with CALL_FAILED (E_NOENT), and a held or later lookup of its name fails at once", () => {
    const rig = new KernelRig(3);
    try {
      supervised(rig);
      const [server, caller, waiter] = rig.procs;
      const info = startup(rig, server.pid, { name: "server", caps: { svc: { kind: "serve", service: "svc" } } })!;
      const endpointId = (
        JSON.parse(new TextDecoder().decode(info.payload)) as { handles: { svc: { endpointId: number } } }
      ).handles.svc.endpointId;
      startup(rig, caller.pid, { name: "caller", caps: { svc: { kind: "client", service: "svc" } } });
      startup(rig, waiter.pid, { name: "waiter", caps: { svc: { kind: "client", service: "svc" } } });
      assert.equal(register(rig, server.pid, "svc", endpointId), 0);
      const found = lookup(rig, caller.pid, "svc")!;
      assert.equal(found.payload[0], 1);
      assert.equal(rig.sys(caller.pid, Sys.CALL, found.caps[0], 0x42, 0), undefined, "the CALL blocks");
      rig.sys(server.pid, Sys.RECV_WAIT, 3); // takes the call: it now owes a reply
      // A second server process would register "svc" again; none will, once the supervisor gives up.
      rig.sys(server.pid, Sys.FAULT, 0, 0, 0, new TextEncoder().encode("Error: boom"));
      const failed = resumedMessage(rig, caller.pid)!;
      assert.equal(failed.tag, Tag.CALL_FAILED);
      assert.equal(u32(failed.payload), Errno.E_NOENT);
      const late = lookup(rig, waiter.pid, "svc");
      assert.ok(late, "a lookup of a name that will never be registered must not wait");
      assert.equal(late.tag, Tag.LOOKUP_RESPONSE);
      assert.equal(late.payload[0], 0);
    } finally {
      rig.close();
    }
  });

  it("a lookup already held when the supervisor gives up is answered (found = 0)", () => {
    const rig = new KernelRig(2);
    try {
      supervised(rig);
      const [server, waiter] = rig.procs;
      startup(rig, server.pid, { name: "server", caps: { svc: { kind: "serve", service: "svc" } } });
      startup(rig, waiter.pid, { name: "waiter", caps: { svc: { kind: "client", service: "svc" } } });
      assert.equal(lookup(rig, waiter.pid, "svc"), undefined, "held until registration");
      rig.sys(server.pid, Sys.FAULT, 0, 0, 0, new TextEncoder().encode("Error: boom"));
      const answer = resumedMessage(rig, waiter.pid);
      assert.equal(answer?.tag, Tag.LOOKUP_RESPONSE);
      assert.equal(answer?.payload[0], 0);
    } finally {
      rig.close();
    }
  });
});
