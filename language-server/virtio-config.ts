// Each virtio device type's configuration fields (at 0x100 of the virtio-mmio window), for hover: the
// field at an offset, its width and whether the driver may write it. From the device sections of
// virtio 1.2 (§5.1.4 net, §5.2.4 block, §5.3.4 console, §5.7.4 GPU; entropy has none), the layouts
// devices/virtio/*.ts implement.

export interface ConfigField {
  /** Offset from the start of the configuration (window offset − 0x100). */
  readonly at: number;
  readonly name: string;
  readonly width: 1 | 2 | 4 | 8;
  readonly dir: "R" | "W" | "RW";
  readonly meaning: string;
}

export const VIRTIO_CONFIG_FIELDS: Readonly<Record<number, readonly ConfigField[]>> = {
  1: [
    { at: 0, name: "mac", width: 1, dir: "R", meaning: "the card's MAC address, 6 bytes (VIRTIO_NET_F_MAC)" },
    { at: 6, name: "status", width: 2, dir: "R", meaning: "bit 0 LINK_UP, bit 1 ANNOUNCE (VIRTIO_NET_F_STATUS)" },
    {
      at: 8,
      name: "max_virtqueue_pairs",
      width: 2,
      dir: "R",
      meaning: "receive/transmit queue pairs (VIRTIO_NET_F_MQ)",
    },
    { at: 10, name: "mtu", width: 2, dir: "R", meaning: "largest MTU the driver should use (VIRTIO_NET_F_MTU)" },
  ],
  2: [
    { at: 0, name: "capacity", width: 8, dir: "R", meaning: "size of the disk in 512-byte sectors" },
    { at: 8, name: "size_max", width: 4, dir: "R", meaning: "largest segment in bytes (VIRTIO_BLK_F_SIZE_MAX)" },
    { at: 12, name: "seg_max", width: 4, dir: "R", meaning: "most segments in one request (VIRTIO_BLK_F_SEG_MAX)" },
    {
      at: 16,
      name: "geometry",
      width: 4,
      dir: "R",
      meaning: "cylinders u16, heads u8, sectors u8 (VIRTIO_BLK_F_GEOMETRY)",
    },
    {
      at: 20,
      name: "blk_size",
      width: 4,
      dir: "R",
      meaning: "the optimal block size in bytes (VIRTIO_BLK_F_BLK_SIZE)",
    },
  ],
  3: [
    { at: 0, name: "cols", width: 2, dir: "R", meaning: "console columns (VIRTIO_CONSOLE_F_SIZE)" },
    { at: 2, name: "rows", width: 2, dir: "R", meaning: "console rows (VIRTIO_CONSOLE_F_SIZE)" },
    { at: 4, name: "max_nr_ports", width: 4, dir: "R", meaning: "most ports (VIRTIO_CONSOLE_F_MULTIPORT)" },
    {
      at: 8,
      name: "emerg_wr",
      width: 4,
      dir: "W",
      meaning: "a byte written here is output at once (VIRTIO_CONSOLE_F_EMERG_WRITE)",
    },
  ],
  16: [
    {
      at: 0,
      name: "events_read",
      width: 4,
      dir: "R",
      meaning: "pending events: bit 0 VIRTIO_GPU_EVENT_DISPLAY (ask GET_DISPLAY_INFO again)",
    },
    { at: 4, name: "events_clear", width: 4, dir: "W", meaning: "write 1s to clear those bits of events_read" },
    { at: 8, name: "num_scanouts", width: 4, dir: "R", meaning: "scanouts (screens) the device has, 1 … 16" },
    { at: 12, name: "num_capsets", width: 4, dir: "R", meaning: "3D capability sets (0: a 2D device)" },
  ],
};

/** The configuration field holding byte `delta` of the configuration of device type `id`. */
export function configFieldAt(id: number, delta: number): ConfigField | undefined {
  return VIRTIO_CONFIG_FIELDS[id]?.find((f) => f.at <= delta && delta < f.at + (f.name === "mac" ? 6 : f.width));
}
