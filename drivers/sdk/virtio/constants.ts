// virtio-mmio version 2 numbers (virtio-reference.md §1.2, §2.1, §3, §4), as drivers import them.

// The numbers themselves are kernel/abi's (virtio-mmio.ts), the one table the language server and
// the device-equality test use too; the SDK re-exports them under the names drivers import.
export {
  VirtioReg,
  VIRTIO_MAGIC,
  VIRTIO_MMIO_VERSION,
  VirtioStatus,
  VirtioInterrupt,
  VirtioFeature,
  VIRTQ_DESC_BYTES,
  DescFlag,
  VIRTQ_AVAIL_F_NO_INTERRUPT,
  VIRTQ_USED_F_NO_NOTIFY,
} from "../../../kernel/abi";
import { VirtioFeature } from "../../../kernel/abi";

/** Ring features the SDK's DriverSplitQueue does not implement: asking for them is refused up front
 *  rather than negotiated and then silently broken. */
export const UNSUPPORTED_RING_FEATURES =
  VirtioFeature.RING_PACKED | VirtioFeature.IN_ORDER | VirtioFeature.NOTIFICATION_DATA;

/** Render a feature mask as hex for error messages. */
export function featureHex(features: bigint): string {
  return `0x${features.toString(16)}`;
}
