// The Zero Driver Studio driver SDK: everything a driver imports, from "@zds/sdk".
//
//   export default defineDriver({ name, device, caps: { regs: mmio({ size: 0x200 }), … }, main(handles, sys) { … } });
//
// The SDK imports only kernel/abi, so drivers bundle for a neutral platform with no Node APIs.

// Defining a driver and its manifest.
export { defineDriver, type Driver, type DriverDefinition } from "./driver";
export { mmio, irq, dma, ports, serve, client } from "./manifest";
export type { Handles, HandleFor, HandleKinds } from "./handles";

// Handles.
export { MmioRegion } from "./mmio";
export { PortRange } from "./ports";
export { Irq } from "./irq";
export { DmaBuffer } from "./dma";
export { Service, type Request } from "./service";
export { ServiceClient, Connection, type Reply } from "./client";
export type { System } from "./system";

// Messages and errors.
export { Reader, Writer } from "./ipc";
export { SyscallFailedError, ServiceError, ProtocolError, MachineShutdown } from "./errors";

// Virtio.
export * from "./virtio";

// The Intel e1000 (82540EM): its registers, bits and legacy descriptor layouts (kernel/abi/e1000.ts).
export {
  E1000Reg,
  E1000Ctrl,
  E1000Status,
  E1000Eerd,
  E1000Icr,
  E1000Rctl,
  E1000Tctl,
  E1000RxDesc,
  E1000RxStatus,
  E1000TxDesc,
  E1000TxCmd,
  E1000TxStatus,
  E1000_RAH_AV,
  E1000_DESC_BYTES,
  E1000_RING_ALIGN,
  E1000_MMIO_BYTES,
} from "../../kernel/abi";

// The block protocol, server side.
export { decodeBlockRequest, blockInfoPayload, blockError, type BlockInfo, type BlockRequest } from "./block";
// Its bulk path: buffers lent with ATTACH and BATCH requests, server and client side.
export {
  LentBuffers,
  decodeBatch,
  batchDonePayload,
  type LentBuffer,
  type BatchEntry,
  type DecodedBatch,
} from "./block-bulk";
export {
  askDiskInfo,
  decodeDiskInfo,
  attachBuffer,
  detachBuffer,
  BatchWriter,
  type BulkTransfer,
  type DiskInfo,
} from "./block-client";
// The console protocol, server side.
export { decodeConsoleRequest, consoleWritten, consoleError, type ConsoleRequest } from "./console";
// The network protocol, server side.
export { decodeNetRequest, netLinkStatus, netError, type NetRequest } from "./net";

// ABI facts drivers need: device ids, errno values, the protocols of the bundled services.
export {
  VirtioDevice,
  Errno,
  describeError,
  Perm,
  permString,
  objectTypeName,
  RngTag,
  RNG_MAX_REQUEST,
  BlkTag,
  BlkError,
  BlkInfoFlag,
  describeBlkError,
  BLK_SECTOR_SIZE,
  BLK_MAX_READ_SECTORS,
  BLK_MAX_WRITE_SECTORS,
  BLK_MAX_BATCH,
  BLK_MAX_BULK_SECTORS,
  BlkBatchOp,
  ConsoleTag,
  ConsoleError,
  CONSOLE_MAX_WRITE,
  CONSOLE_MAX_READ,
  NetTag,
  NetError,
  NetReceiveFlag,
  NET_MIN_FRAME,
  NET_MAX_FRAME,
  MAX_MESSAGE_BYTES,
  DMA_PAGE_BYTES,
  type ErrnoName,
  type Rights,
  type CapSpec,
  type DeviceSelector,
  type DriverManifest,
  type StartupInfo,
  type CapInfo,
  type CapListEntry,
  type PsEntry,
} from "../../kernel/abi";
