// The public surface of devices/: what the kernel, the CLI, the extension and the tests import.

export type { DeviceEvent, DeviceInfo, DmaRegion, MachineClock, MachineHandle } from "./machine-interface";
export { createMachine, Machine, type MachineOptions } from "./machine";
export { parseMachineDescription, MachineDescriptionError, type MachineDescription, type DeviceDescription, type VirtioDeviceDescription, type AtaDeviceDescription } from "./machine-description";
export { loadMachineDescription, defaultMachineName, bundledMachineNames, bundledMachineJson } from "./machine-loader";
export { deviceCatalog, DEFAULT_DISK_SLOT, type DeviceType } from "./device-catalog";
export { openDisk, DiskImageError, RawFile, CowOverlay, ZeroDisk, SECTOR_SIZE, DEFAULT_BLANK_BYTES, type BlockStore, type DiskSpec } from "./disk";
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
export { VirtioBlk, VIRTIO_ID_BLOCK, type VirtioBlkOptions, type VirtioBlkStats } from "./virtio/blk";
export { BlkFeature, BlkType, BlkStatus, BlkConfig } from "./virtio/blk-spec";
export { AtaDevice, type AtaOptions, type AtaStats } from "./ata/ata";
export { AtaReg, AtaStatus, AtaError, AtaControl, AtaCommand } from "./ata/ata-registers";
export { identifyString, IdentifyWord } from "./ata/identify";
export { Reg, Status, Feature, Interrupt, MAGIC_VALUE, MMIO_VERSION, VENDOR_ID, statusNames } from "./virtio/registers";
export { parseSupervision, type DriverPolicy, type RestartMode, type SupervisionDescription } from "./supervision-description";
