// The public surface of devices/: what the kernel, the CLI, the extension and the tests import.

export type { DeviceEvent, DeviceInfo, DmaRegion, MachineClock, MachineHandle } from "./machine-interface";
export { createMachine, Machine, type MachineOptions } from "./machine";
export { parseMachineDescription, MachineDescriptionError, type MachineDescription, type DeviceDescription } from "./machine-description";
export { loadMachineDescription, defaultMachineName, bundledMachineNames, bundledMachineJson } from "./machine-loader";
export { deviceCatalog, type DeviceType } from "./device-catalog";
export { VirtualClock, type Scheduler, type ScheduledEvent, type Timing } from "./clock";
export { GuestMemory, PAGE_SIZE, type DmaWindow } from "./memory";
export { IommuView, isDmaFault, type DmaFault } from "./iommu";
export { MmioBus } from "./mmio-bus";
export { PortBus } from "./port-bus";
export type { AccessWidth, BusDevice } from "./bus-access";
export { InterruptLines, type IrqLine } from "./irq";
export { VirtioMmioTransport, type VirtioTransportSnapshot } from "./virtio/mmio-transport";
export type { VirtioBackend, VirtioDeviceContext, ConfigSpace, VirtioQueueSpec } from "./virtio/backend";
export { SplitQueue, needEvent, type PopResult, type SplitQueueLayout, type SplitQueueState } from "./virtio/split-queue";
export { walkChain, type DescriptorChain, type ChainBuffer } from "./virtio/descriptor-chain";
export { describeQueueError, isQueueError, type QueueError } from "./virtio/queue-error";
export { VirtioRng, VIRTIO_ID_RNG } from "./virtio/rng";
export { Reg, Status, Feature, Interrupt, MAGIC_VALUE, MMIO_VERSION, VENDOR_ID, statusNames } from "./virtio/registers";
