// The one table of Zero OS numbers used by the kernel, the SDK, the language server and the CLI.
// Numbers and encodings follow zos-ipc / zos-process (what real Zero OS binaries emit); the driver
// syscalls live in ranges Zero OS leaves free. docs/abi.md is the prose form of this file.
// Pure data: no imports, so drivers (bundled for a neutral platform) can include it.

export * from "./syscalls";
export * from "./errors";
export * from "./caps";
export * from "./wire";
export * from "./manifest";
export * from "./tags";
export * from "./gate";
export * from "./virtio-mmio";
export * from "./e1000";
export * from "./block";
export * from "./adapters";
export * from "./diagnostics";
