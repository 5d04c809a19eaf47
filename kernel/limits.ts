// Per-process bounds on what a driver can make the kernel hold in host memory (the machine
// description's "limits" section), and the record of each refusal by name, so that an E_NOMEM says
// which limit was reached instead of leaving the author to guess (docs/abi.md, "Limits").

import {
  defaultMachineName,
  loadMachineDescription,
  Machine,
  type MachineDescription,
  type MachineHandle,
} from "../devices";
import { Pid } from "./abi/syscalls";
import type { Endpoint, Message } from "./objects";

export type ResourceLimits = NonNullable<MachineDescription["limits"]>;
export type LimitName = keyof ResourceLimits;

/** One limit reached: the first refusal of its kind (process, limit, syscall), and how often. */
export interface LimitRefusal {
  limit: LimitName;
  /** What the refused request would have brought the total to. */
  value: number;
  maximum: number;
  syscall: string;
  pid: number;
  process: string;
  /** Virtual time of the first refusal. */
  at: number;
  count: number;
  /** "E_NOMEM: endpoint limit 64 reached (limits.endpoints in the machine description)". */
  message: string;
  /** The pid whose capability space was full, when it is not the refused process's own (CAP_GRANT
   *  into another process, SEND_CAP to an endpoint another process owns). */
  holder?: number;
}

const WHAT: Record<LimitName, string> = {
  endpoints: "endpoint",
  queuedBytes: "queued-bytes",
  dmaBytes: "DMA-bytes",
  capabilities: "capability",
};

export function refusalMessage(limit: LimitName, maximum: number): string {
  return `E_NOMEM: ${WHAT[limit]} limit ${maximum} reached (limits.${limit} in the machine description)`;
}

let defaults: ResourceLimits | undefined;

/** The limits a machine describes; a handle that describes none runs under the default machine's. */
export function limitsOf(machine: MachineHandle): ResourceLimits {
  const own = machine instanceof Machine ? machine.description.limits : undefined;
  return { ...(own ?? (defaults ??= loadMachineDescription(defaultMachineName).limits!)) };
}

/** Service name → the devices that front it (a description's `services`); names no device fronts
 *  are first come, first served. */
export function servicesFrontedBy(machine: MachineHandle): ReadonlyMap<string, readonly string[]> {
  const services = machine instanceof Machine ? machine.description.services : undefined;
  return new Map(Object.entries(services ?? {}));
}

/** Bytes a message charges to the owner of the endpoint it waits on: only what processes sent
 *  (kernel notices — interrupts, CAP_REVOKED, SHUTDOWN — are bounded by the queue's length). */
export function chargedBytes(message: Message): number {
  return message.sender === Pid.KERNEL || message.sender === Pid.INIT ? 0 : message.payload.length;
}

/** Capabilities a message carries that count against its receiver (all of them: one revoked in
 *  flight is dropped at receipt, but holds host memory until then). */
export function carriedCaps(message: Message): number {
  return message.caps?.length ?? 0;
}

/** Charged bytes queued on every endpoint `owner` owns. */
export function queuedBytesOf(endpoints: ReadonlyMap<number, Endpoint>, ownerEndpoints: ReadonlySet<number>): number {
  let total = 0;
  for (const id of ownerEndpoints) total += endpoints.get(id)?.queuedBytes ?? 0;
  return total;
}

/** The limits in force; a test or a debugger may change them on a running kernel. */
export type LimitsInForce = { -readonly [K in LimitName]: number };
