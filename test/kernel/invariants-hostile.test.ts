// checkInvariants knows what the hostile-driver rules make true: each corruption below is one the
// kernel must never reach, and the check must name it.
import assert from "node:assert/strict";
import { Perm } from "../../kernel/abi/caps";
import { Sys } from "../../kernel/abi/syscalls";
import { checkInvariants } from "../../kernel/invariants";
import { KernelRig } from "../helpers/kernel-rig";
import { dmaAlloc, startup } from "./rig-steps";

describe("kernel invariants: DMA ownership, IOMMU views, limits, service names", () => {
  let rig: KernelRig;
  let phys = 0;
  beforeEach(() => {
    rig = new KernelRig(2);
    const [driver, client] = rig.procs;
    driver.device = "virtio-blk0";
    client.dmaBudget = 4096;
    const buf = dmaAlloc(rig, client.pid, 4096);
    assert.ok("slot" in buf);
    phys = buf.phys;
    rig.sys(client.pid, Sys.CAP_GRANT, buf.slot, driver.pid, Perm.READ);
    startup(rig, client.pid, { name: "alpha", caps: { svc: { kind: "serve", service: "alpha" } } });
    assert.deepEqual(checkInvariants(rig.kernel), []);
  });
  afterEach(() => rig.close());

  const problems = (): string => checkInvariants(rig.kernel).join("\n");

  it("a DMA page held by two processes", () => {
    rig.procs[0].dmaRegions.push(rig.procs[1].dmaRegions[0]);
    assert.match(problems(), new RegExp(`DMA page 0x${phys.toString(16)} is held by pid \\d+ and by pid \\d+`));
  });

  it("a device view with a lent buffer its driver holds no live capability to", () => {
    const [driver] = rig.procs;
    for (const [slot, cap] of driver.cspace.entries()) if (cap.objectType === 12) driver.cspace.remove(slot);
    assert.match(problems(), /reaches lent buffer .* with no live, unexpired Dma capability/);
  });

  it("a device view wider than the lent capability's rights", () => {
    const view = rig.kernel.iommuViews.get("virtio-blk0")!;
    rig.kernel.iommuViews.set("virtio-blk0", { ...view, shared: view.shared.map((m) => ({ ...m, write: true })) });
    assert.match(problems(), /may write lent buffer .* beyond pid \d+'s rights/);
  });

  it("a process past its endpoint limit", () => {
    rig.kernel.resources.endpoints = 2;
    assert.match(problems(), /owns 3 endpoints, above limits.endpoints 2/);
  });

  it("a service name held by a process not bound to the device that fronts it", () => {
    (rig.kernel.frontedBy as Map<string, readonly string[]>).set("alpha", ["virtio-rng0"]);
    assert.match(problems(), /service "alpha" is held by pid \d+, not bound to virtio-rng0/);
  });
});
