// What the property test needs, plus a structural check for "is this a QueueError".

export { GuestMemory, IommuView, SplitQueue, walkChain } from "../../../devices";
import type { DescriptorChain, QueueError } from "../../../devices";

export function isQueueErrorLike(value: DescriptorChain | QueueError): value is QueueError {
  return !("readable" in value);
}
