// The device-status state machine (virtio-reference §2.1–§2.3, §9 items 6–7) as a pure decision:
// given the current status and what the driver wrote, what the status becomes and what to tell
// the driver author. The driver may only add bits, in the order ACKNOWLEDGE → DRIVER →
// FEATURES_OK → DRIVER_OK (several at once is fine if none is skipped), FAILED at any time, and 0
// to reset. DEVICE_NEEDS_RESET belongs to the device.

import { Status, statusNames } from "./registers";

export type StatusDecision =
  | { readonly kind: "reset" }
  /** `refusal` is set when FEATURES_OK (and any DRIVER_OK with it) was refused. */
  | { readonly kind: "set"; readonly status: number; readonly refusal?: string }
  | { readonly kind: "ignored"; readonly reason: string };

const SEQUENCE = [Status.Acknowledge, Status.Driver, Status.FeaturesOk, Status.DriverOk] as const;
const DRIVER_BITS = Status.Acknowledge | Status.Driver | Status.FeaturesOk | Status.DriverOk | Status.Failed;

/**
 * @param checkFeatures why the accepted features cannot be taken, or undefined if they can;
 *   consulted only when the write newly sets FEATURES_OK.
 */
export function decideStatusWrite(
  current: number,
  written: number,
  checkFeatures: () => string | undefined,
): StatusDecision {
  if (written === 0) return { kind: "reset" };
  const ignored = (reason: string): StatusDecision => ({
    kind: "ignored",
    reason: `Status ← 0x${written.toString(16).toUpperCase()} (was ${statusNames(current)}): ${reason}`,
  });

  if (written > 0xff) return ignored("the status is one byte; bits above 7 are set");
  const cleared = current & ~written;
  if (cleared !== 0) return ignored(`clears ${statusNames(cleared)}; only a reset (Status ← 0) clears bits`);
  const added = written & ~current;
  if ((added & Status.NeedsReset) !== 0) return ignored("DEVICE_NEEDS_RESET is set by the device, never by the driver");
  const unknown = added & ~DRIVER_BITS & ~Status.NeedsReset;
  if (unknown !== 0) return ignored(`sets ${statusNames(unknown)}, which this device does not offer`);
  if (added === 0) return { kind: "set", status: current };
  if ((current & Status.Failed) !== 0)
    return ignored("the driver set FAILED; it must reset the device before initialising it again");

  for (let step = 1; step < SEQUENCE.length; step++) {
    const bit = SEQUENCE[step];
    const previous = SEQUENCE[step - 1];
    if ((written & bit) !== 0 && (written & previous) === 0)
      return ignored(`sets ${statusNames(bit)} without ${statusNames(previous)} (skips a step of §2.2)`);
  }

  if ((added & Status.FeaturesOk) !== 0) {
    const problem = checkFeatures();
    if (problem !== undefined) {
      const withheld = written & (Status.FeaturesOk | Status.DriverOk);
      return { kind: "set", status: written & ~withheld, refusal: `FEATURES_OK refused: ${problem}` };
    }
  }
  return { kind: "set", status: written };
}
