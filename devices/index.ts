// The public surface of devices/: what the kernel, the CLI, the extension and the tests import.

export type {
  DeviceEvent,
  DeviceInfo,
  DmaRegion,
  InstantDeviceFault,
  MachineClock,
  MachineFaults,
  MachineHandle,
} from "./machine-interface";
export {
  FaultPoints,
  corruptFrame,
  type DiskOperation,
  type FaultRule,
  type FrameAction,
  type FrameRule,
  type RequestAction,
  type RequestRule,
} from "./faults";
export {
  createMachine,
  Machine,
  type MachineOptions,
  type ConsoleOutputListener,
  type NetworkFrameListener,
} from "./machine";
export {
  parseMachineDescription,
  MachineDescriptionError,
  type MachineDescription,
  type DeviceDescription,
  type VirtioDeviceDescription,
  type MmioDeviceDescription,
  type AtaDeviceDescription,
  type UartDeviceDescription,
  type StorageDescription,
  type NetworkDescription,
} from "./machine-description";
export { loadMachineDescription, defaultMachineName, bundledMachineNames, bundledMachineJson } from "./machine-loader";
export { deviceCatalog, DEFAULT_DISK_SLOT, UART_PORTS, type DeviceType } from "./device-catalog";
export {
  openDisk,
  DiskImageError,
  RawFile,
  CowOverlay,
  ZeroDisk,
  SECTOR_SIZE,
  DEFAULT_BLANK_BYTES,
  type BlockStore,
  type DiskSpec,
} from "./disk";
export { VirtualClock, type Scheduler, type ScheduledEvent, type Timing } from "./clock";
export { GuestMemory, PAGE_SIZE, type DmaWindow } from "./memory";
export { IommuView, isDmaFault, type DmaFault } from "./iommu";
export { MmioBus } from "./mmio-bus";
export { PortBus } from "./port-bus";
export type { AccessWidth, BusDevice } from "./bus-access";
export type { ResettableDevice, ConsoleInputDevice } from "./device-interfaces";
export { InterruptLines, type IrqLine } from "./irq";
export { VirtioMmioTransport, type VirtioTransportSnapshot } from "./virtio/mmio-transport";
export type { VirtioBackend, VirtioDeviceContext, ConfigSpace, VirtioQueueSpec } from "./virtio/backend";
export {
  SplitQueue,
  needEvent,
  type PopResult,
  type SplitQueueLayout,
  type SplitQueueState,
} from "./virtio/split-queue";
export {
  walkChain,
  MAX_CHAIN_DESCRIPTORS,
  MAX_CHAIN_BYTES,
  type DescriptorChain,
  type ChainBuffer,
} from "./virtio/descriptor-chain";
export { hostBufferMeter, resetHostBufferMeter, type HostBufferMeter } from "./virtio/host-buffer";
export { describeQueueError, isQueueError, type QueueError } from "./virtio/queue-error";
export { VirtioRng, VIRTIO_ID_RNG, RNG_MAX_REQUEST_BYTES } from "./virtio/rng";
export { VirtioBlk, VIRTIO_ID_BLOCK, type VirtioBlkOptions, type VirtioBlkStats } from "./virtio/blk";
export { BlkFeature, BlkType, BlkStatus, BlkConfig, BLK_MAX_REQUEST_BYTES, BLK_BOUNCE_BYTES } from "./virtio/blk-spec";
export { VirtioGpu, VIRTIO_ID_GPU, type VirtioGpuSnapshot, type DisplayFrame } from "./virtio/gpu";
export { AhciHba, type AhciOptions, type AhciStats, type AhciSnapshot } from "./ahci/ahci";
export {
  ahciRegisterName,
  HbaReg as AhciHbaReg,
  PortReg as AhciPortReg,
  PORT_BASE as AHCI_PORT_BASE,
} from "./ahci/ahci-spec";
export { NvmeController, type NvmeOptions, type NvmeStats } from "./nvme/nvme";
export type { NvmeSnapshot, NvmeQueueView } from "./nvme/snapshot";
export { NVME_REGISTERS, nvmeRegisterName, type NvmeRegister } from "./nvme/registers";
export {
  NvmeReg,
  Cc as NvmeCc,
  Csts as NvmeCsts,
  AdminOpcode as NvmeAdminOpcode,
  IoOpcode as NvmeIoOpcode,
  Status as NvmeStatus,
  statusName as nvmeStatusName,
} from "./nvme/nvme-spec";
export { AtaDevice, type AtaOptions, type AtaStats, type AtaSnapshot } from "./ata/ata";
export { AtaReg, AtaStatus, AtaError, AtaControl, AtaCommand } from "./ata/ata-registers";
export { identifyString, IdentifyWord } from "./ata/identify";
export { Reg, Status, Feature, Interrupt, MAGIC_VALUE, MMIO_VERSION, VENDOR_ID, statusNames } from "./virtio/registers";
export { DESC_SIZE, DescFlag, Avail, Used } from "./virtio/descriptors";
export {
  parseSupervision,
  type DriverPolicy,
  type RestartMode,
  type SupervisionDescription,
} from "./supervision-description";
export {
  Uart16550,
  UartReg,
  UartIer,
  UartIir,
  UartFcr,
  UartLcr,
  UartMcr,
  UartLsr,
  UartMsr,
  UART_BASE_BAUD,
  UART_FIFO_BYTES,
  UART_DEFAULT_WIRE_BYTES,
  type UartOptions,
  type UartStats,
  type UartSnapshot,
} from "./uart16550";
export {
  VirtioConsole,
  VIRTIO_ID_CONSOLE,
  CONSOLE_MAX_TX_CHAIN_BYTES,
  ConsoleFeature,
  ConsoleConfig,
  type VirtioConsoleOptions,
  type VirtioConsoleStats,
} from "./virtio/console";
export { VirtioNet, VIRTIO_ID_NET, type VirtioNetOptions, type VirtioNetStats, type NetWire } from "./virtio/net";
export { NetFeature, NetConfig, NetLinkStatus, NetHdr, NetHdrFlag, NET_HDR_BYTES, NetQueue } from "./virtio/net-spec";
export {
  SimulatedNetwork,
  DEFAULT_PEER,
  DEFAULT_TIMING,
  type FrameDirection,
  type FrameListener,
  type NetworkTiming,
} from "./net/network";
export { PeerHost, type PeerConfig, type PeerStats } from "./net/peer-host";
export {
  E1000,
  type E1000Options,
  type E1000Stats,
  type E1000Snapshot,
  type E1000RingSnapshot,
  type E1000DescriptorView,
} from "./e1000/e1000";
export {
  E1000Reg,
  E1000_REGISTERS,
  E1000_MMIO_BYTES,
  Ctrl as E1000Ctrl,
  StatusBit as E1000Status,
  Eerd as E1000Eerd,
  Mdic as E1000Mdic,
  Icr as E1000Icr,
  Rctl as E1000Rctl,
  Tctl as E1000Tctl,
  TxCmd as E1000TxCmd,
  RxStatus as E1000RxStatus,
  TxStatus as E1000TxStatus,
  RAH_AV as E1000_RAH_AV,
} from "./e1000/registers";
export { EEPROM_WORDS, EEPROM_CHECKSUM } from "./e1000/eeprom";
export {
  pcapFileHeader,
  pcapRecord,
  readPcap,
  LINKTYPE_ETHERNET,
  PCAP_MAGIC_NS,
  type PcapFile,
  type PcapPacket,
} from "./net/pcap";
export {
  buildEthernet,
  parseEthernet,
  formatMac,
  parseMac,
  EtherType,
  ETH_MAX_FRAME,
  ETH_HEADER_BYTES,
  BROADCAST_MAC,
} from "./net/ethernet";
export { buildArp, parseArp, ArpOp } from "./net/arp";
export { buildIpv4, parseIpv4, formatIp, parseIp, IpProtocol } from "./net/ipv4";
export { buildIcmpEcho, parseIcmpEcho, IcmpType } from "./net/icmp";
export { buildUdp, parseUdp } from "./net/udp";
