// The language server's virtio configuration layouts (language-server/virtio-config.ts) are the
// devices' own: every field the emulated devices define sits where hover says it does.
import assert from "node:assert/strict";
import { BlkConfig } from "../../devices/virtio/blk-spec";
import { ConsoleConfig } from "../../devices/virtio/console";
import { GpuConfig } from "../../devices/virtio/gpu-spec";
import { NetConfig } from "../../devices/virtio/net-spec";
import { configFieldAt } from "../../language-server/virtio-config";

describe("language server: virtio configuration layouts match the devices", () => {
  const cases: [string, number, Record<string, number>, Record<string, string>][] = [
    ["net", 1, NetConfig, { mac: "mac", status: "status", maxVirtqueuePairs: "max_virtqueue_pairs", mtu: "mtu" }],
    ["block", 2, BlkConfig, { capacity: "capacity", sizeMax: "size_max", segMax: "seg_max", blkSize: "blk_size" }],
    ["console", 3, ConsoleConfig, { Cols: "cols", Rows: "rows", MaxNrPorts: "max_nr_ports", EmergWr: "emerg_wr" }],
    [
      "gpu",
      16,
      GpuConfig,
      {
        EventsRead: "events_read",
        EventsClear: "events_clear",
        NumScanouts: "num_scanouts",
        NumCapsets: "num_capsets",
      },
    ],
  ];
  for (const [what, id, device, names] of cases) {
    it(`${what}: each field of the device's config is the field hover names at that offset`, () => {
      for (const [key, name] of Object.entries(names)) assert.equal(configFieldAt(id, device[key])?.name, name, key);
    });
  }

  it("bytes inside a field belong to it; past the layout there is none", () => {
    assert.equal(configFieldAt(1, 5)?.name, "mac");
    assert.equal(configFieldAt(2, 4)?.name, "capacity");
    assert.equal(configFieldAt(16, 16), undefined);
    assert.equal(configFieldAt(4, 0), undefined, "entropy has no configuration");
  });
});
