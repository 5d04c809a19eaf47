// A Dma capability lent to a driver puts that buffer in the driver's device's IOMMU view, in the
// directions its rights allow, and only for as long as the driver holds it (kernel/dma-sharing.ts).
// Driven syscall by syscall on the real Kernel; the view is read back from the machine's device.
import assert from "node:assert/strict";
import { ObjectType, Perm } from "../../kernel/abi/caps";
import { Sys } from "../../kernel/abi/syscalls";
import type { IommuMapping } from "../../devices/machine-interface";
import { KernelRig } from "../helpers/kernel-rig";

describe("kernel: lending DMA buffers to a driver's device", () => {
  let rig: KernelRig;
  let views: { shared: readonly IommuMapping[]; own: number }[];
  let driver: number;
  let client: number;
  let clientSlot: number;
  let phys: number;

  beforeEach(() => {
    rig = new KernelRig(2);
    const [d, c] = rig.procs;
    d.device = "virtio-blk0";
    c.dmaBudget = 2 * 4096;
    driver = d.pid;
    client = c.pid;
    views = [];
    const set = rig.machine.setIommuView.bind(rig.machine);
    rig.machine.setIommuView = (device, regions, shared = []) => {
      if (device === "virtio-blk0") views.push({ shared, own: regions.length });
      set(device, regions, shared);
    };
    const alloc = rig.sys(client, Sys.DMA_ALLOC, 4096);
    clientSlot = alloc!.result;
    phys = Number(new DataView(alloc!.payload!.buffer, alloc!.payload!.byteOffset).getBigUint64(4, true));
  });
  afterEach(() => rig.close());

  const lastShared = (): { phys: number; read: boolean; write: boolean }[] =>
    (views.at(-1)?.shared ?? []).map((m) => ({ phys: m.region.phys, read: m.read, write: m.write }));

  it("DMA_ALLOC gives read, write and grant, so the owner can lend the buffer", () => {
    const cap = rig.kernel.processes.get(client)!.cspace.get(clientSlot)!;
    assert.equal(cap.objectType, ObjectType.Dma);
    assert.equal(cap.perms, Perm.ALL);
  });

  it("a granted read-only capability lets the driver's device read the buffer, not write it", () => {
    const granted = rig.sys(client, Sys.CAP_GRANT, clientSlot, driver, Perm.READ);
    assert.ok(granted && granted.result >= 0);
    assert.deepEqual(lastShared(), [{ phys, read: true, write: false }]);
  });

  it("two capabilities to one buffer give the union of their rights", () => {
    rig.sys(client, Sys.CAP_GRANT, clientSlot, driver, Perm.READ);
    rig.sys(client, Sys.CAP_GRANT, clientSlot, driver, Perm.WRITE);
    assert.deepEqual(lastShared(), [{ phys, read: true, write: true }]);
  });

  it("revoking the owner's capability takes the buffer out of the device's view", () => {
    rig.sys(client, Sys.CAP_GRANT, clientSlot, driver, Perm.READ | Perm.WRITE);
    assert.equal(lastShared().length, 1);
    rig.sys(client, Sys.CAP_REVOKE, clientSlot);
    assert.deepEqual(lastShared(), []);
  });

  it("the driver deleting its copy takes the buffer out of the view", () => {
    const granted = rig.sys(client, Sys.CAP_GRANT, clientSlot, driver, Perm.WRITE)!.result;
    rig.sys(driver, Sys.CAP_DELETE, granted);
    assert.deepEqual(lastShared(), []);
  });

  it("a buffer lent to a process bound to no device changes no view", () => {
    const before = views.length;
    rig.procs[0].device = undefined;
    rig.sys(client, Sys.CAP_GRANT, clientSlot, driver, Perm.READ);
    assert.equal(views.length, before);
  });
});
