// Helpers for virtio drivers: the virtio-mmio transport and the split virtqueue.

export * from "./constants";
export * from "./errors";
export * from "./split-queue";
export * from "./transport";
