// The admin command set (NVMe Base 2.0 §5): what each command on the admin submission queue does,
// and the status it completes with when the driver got it wrong. The controller (nvme.ts) fetches,
// schedules and completes; this module only decides.

import type { DmaFault, IommuView } from "../iommu";
import { activeNamespaceList, identifyController, identifyNamespace, type ControllerIdentity } from "./identify";
import {
  AdminOpcode,
  Cc,
  Cns,
  CQES_LOG2,
  CQE_BYTES,
  FeatureId,
  PAGE_BYTES,
  SQES_LOG2,
  SQE_BYTES,
  Status,
  type NvmeStatus,
} from "./nvme-spec";
import { walkPrp } from "./prp";
import { CompletionQueue, SubmissionQueue, type Command } from "./queues";

/** What a command ends with: a completion (status, DW0), or nothing yet (an ASYNC EVENT REQUEST
 *  waits for an event); `why` says, for the device event, what was wrong. */
export type AdminOutcome =
  | {
      readonly kind: "complete";
      readonly status: NvmeStatus;
      readonly dw0?: number;
      readonly why?: string;
      readonly fault?: DmaFault;
    }
  | { readonly kind: "held" };

/** What the admin commands need of the controller. */
export interface AdminHost {
  memory(): IommuView;
  readonly sectors: number;
  readonly readOnly: boolean;
  readonly identity: ControllerIdentity;
  readonly cc: number;
  /** Entries a queue may have at most (CAP.MQES + 1). */
  readonly maxQueueEntries: number;
  readonly sqs: Map<number, SubmissionQueue>;
  readonly cqs: Map<number, CompletionQueue>;
  /** I/O submission and completion queues the driver may create (Number of Queues, 1's based). */
  queuesAllowed: { sq: number; cq: number };
  /** The most I/O queue pairs this controller has. */
  readonly maxIoQueues: number;
  /** Volatile Write Cache enabled (feature 06h): off means every write is written through. */
  writeCache: boolean;
  asyncEventConfig: number;
  /** Delete an I/O submission queue: its commands in flight complete as aborted first. */
  deleteSq(id: number): void;
  /** Take an ASYNC EVENT REQUEST: false if AERL + 1 are already outstanding. */
  holdAsyncEvent(command: Command): boolean;
}

const complete = (status: NvmeStatus, why?: string, dw0?: number): AdminOutcome => ({
  kind: "complete",
  status,
  ...(why !== undefined && { why }),
  ...(dw0 !== undefined && { dw0 }),
});
const ok = (dw0?: number): AdminOutcome => complete(Status.Success, undefined, dw0);

export function runAdmin(host: AdminHost, cmd: Command): AdminOutcome {
  switch (cmd.opcode) {
    case AdminOpcode.Identify:
      return identify(host, cmd);
    case AdminOpcode.CreateIoCq:
      return createCq(host, cmd);
    case AdminOpcode.CreateIoSq:
      return createSq(host, cmd);
    case AdminOpcode.DeleteIoSq:
      return deleteSq(host, cmd);
    case AdminOpcode.DeleteIoCq:
      return deleteCq(host, cmd);
    case AdminOpcode.SetFeatures:
      return setFeatures(host, cmd);
    case AdminOpcode.GetFeatures:
      return getFeatures(host, cmd);
    case AdminOpcode.Abort:
      // Commands here finish on their own after a fixed virtual latency; none is ever cut short, and
      // the specification lets a controller say so: DW0 bit 0 = 1, "command not aborted".
      return ok(1);
    case AdminOpcode.AsyncEventRequest:
      return host.holdAsyncEvent(cmd)
        ? { kind: "held" }
        : complete(
            Status.AsyncEventLimitExceeded,
            `more than AERL + 1 = ${host.identity.asyncEventLimit} ASYNC EVENT REQUESTs outstanding`,
          );
    default:
      return complete(
        Status.InvalidOpcode,
        cmd.opcode === AdminOpcode.GetLogPage
          ? "GET LOG PAGE (0x02) is not implemented by this controller"
          : `admin opcode 0x${cmd.opcode.toString(16).padStart(2, "0")} is not an admin command this controller knows`,
      );
  }
}

function identify(host: AdminHost, cmd: Command): AdminOutcome {
  const cns = cmd.cdw[0] & 0xff;
  let data: Uint8Array;
  if (cns === Cns.Controller) data = identifyController(host.identity);
  else if (cns === Cns.Namespace) {
    if (cmd.nsid !== 1)
      return complete(
        Status.InvalidNamespace,
        `IDENTIFY namespace with NSID ${cmd.nsid}: the only namespace is NSID 1`,
      );
    data = identifyNamespace(host.sectors, host.readOnly);
  } else if (cns === Cns.ActiveNamespaces) {
    if (cmd.nsid >= 0xffff_fffe)
      return complete(Status.InvalidNamespace, `IDENTIFY active namespace list after NSID 0x${cmd.nsid.toString(16)}`);
    data = activeNamespaceList(cmd.nsid);
  } else
    return complete(
      Status.InvalidField,
      `IDENTIFY with CNS 0x${cns.toString(16)}: this controller answers CNS 0, 1 and 2`,
    );
  return toHost(host, cmd, data);
}

/** Copy a data structure into the command's PRPs. */
function toHost(host: AdminHost, cmd: Command, data: Uint8Array): AdminOutcome {
  const memory = host.memory();
  const walk = walkPrp(memory, cmd.prp1, cmd.prp2, data.length, true);
  if (!walk.ok)
    return { kind: "complete", status: walk.status, why: walk.reason, ...(walk.fault && { fault: walk.fault }) };
  let at = 0;
  for (const span of walk.spans) {
    memory.write(span.addr, data.subarray(at, at + span.len));
    at += span.len;
  }
  return ok();
}

/** QID and QSIZE of CDW10, and why they are unacceptable for a new queue, if they are. */
function checkNewQueue(
  host: AdminHost,
  cmd: Command,
  kind: "submission" | "completion",
): { qid: number; entries: number } | AdminOutcome {
  const qid = cmd.cdw[0] & 0xffff;
  const entries = (cmd.cdw[0] >>> 16) + 1;
  const allowed = kind === "submission" ? host.queuesAllowed.sq : host.queuesAllowed.cq;
  const existing = kind === "submission" ? host.sqs : host.cqs;
  if (qid === 0 || qid > allowed)
    return complete(
      Status.InvalidQueueIdentifier,
      `CREATE I/O ${kind.toUpperCase()} QUEUE with QID ${qid}: I/O queue IDs run 1..${allowed} (Number of Queues)`,
    );
  if (existing.has(qid))
    return complete(Status.InvalidQueueIdentifier, `CREATE I/O ${kind.toUpperCase()} QUEUE: QID ${qid} already exists`);
  if (entries < 2 || entries > host.maxQueueEntries)
    return complete(
      Status.InvalidQueueSize,
      `CREATE I/O ${kind.toUpperCase()} QUEUE ${qid} of ${entries} entries: a queue holds 2..${host.maxQueueEntries} (CAP.MQES + 1)`,
    );
  const bytesLog2 = kind === "submission" ? Cc.iosqes(host.cc) : Cc.iocqes(host.cc);
  const want = kind === "submission" ? SQES_LOG2 : CQES_LOG2;
  if (bytesLog2 !== want)
    return complete(
      Status.InvalidField,
      `CREATE I/O ${kind.toUpperCase()} QUEUE with CC.${kind === "submission" ? "IOSQES" : "IOCQES"} = ${bytesLog2}: set it to ${want} (${1 << want}-byte entries) before creating I/O queues`,
    );
  if ((cmd.cdw[1] & 1) === 0)
    return complete(
      Status.InvalidField,
      `CREATE I/O ${kind.toUpperCase()} QUEUE ${qid} with PC = 0: CAP.CQR says queues must be physically contiguous`,
    );
  const base = Number(cmd.prp1);
  if (base % PAGE_BYTES !== 0)
    return complete(
      Status.InvalidPrpOffset,
      `CREATE I/O ${kind.toUpperCase()} QUEUE ${qid}: PRP1 0x${cmd.prp1.toString(16)} is not page aligned`,
    );
  const bytes = entries * (kind === "submission" ? SQE_BYTES : CQE_BYTES);
  const fault = host.memory().check(base, bytes, kind === "completion");
  if (fault !== undefined)
    return complete(Status.DataTransferError, `CREATE I/O ${kind.toUpperCase()} QUEUE ${qid}: ${fault.reason}`);
  return { qid, entries };
}

function createCq(host: AdminHost, cmd: Command): AdminOutcome {
  const checked = checkNewQueue(host, cmd, "completion");
  if ("kind" in checked) return checked;
  const vector = cmd.cdw[1] >>> 16;
  if (vector !== 0)
    return complete(
      Status.InvalidInterruptVector,
      `CREATE I/O COMPLETION QUEUE ${checked.qid} with interrupt vector ${vector}: one pin-based vector (0) exists`,
    );
  host.cqs.set(
    checked.qid,
    new CompletionQueue(checked.qid, Number(cmd.prp1), checked.entries, (cmd.cdw[1] & 2) !== 0),
  );
  return ok();
}

function createSq(host: AdminHost, cmd: Command): AdminOutcome {
  const cqid = cmd.cdw[1] >>> 16;
  const cq = cqid === 0 ? undefined : host.cqs.get(cqid);
  if (cq === undefined)
    return complete(
      Status.CompletionQueueInvalid,
      `CREATE I/O SUBMISSION QUEUE with CQID ${cqid}: no such I/O completion queue`,
    );
  const checked = checkNewQueue(host, cmd, "submission");
  if ("kind" in checked) return checked;
  host.sqs.set(checked.qid, new SubmissionQueue(checked.qid, Number(cmd.prp1), checked.entries, cqid));
  cq.sqs.add(checked.qid);
  return ok();
}

function deleteSq(host: AdminHost, cmd: Command): AdminOutcome {
  const qid = cmd.cdw[0] & 0xffff;
  if (qid === 0 || !host.sqs.has(qid))
    return complete(Status.InvalidQueueIdentifier, `DELETE I/O SUBMISSION QUEUE ${qid}: no such I/O submission queue`);
  host.deleteSq(qid);
  return ok();
}

function deleteCq(host: AdminHost, cmd: Command): AdminOutcome {
  const qid = cmd.cdw[0] & 0xffff;
  const cq = qid === 0 ? undefined : host.cqs.get(qid);
  if (cq === undefined)
    return complete(Status.InvalidQueueIdentifier, `DELETE I/O COMPLETION QUEUE ${qid}: no such I/O completion queue`);
  if (cq.sqs.size > 0)
    return complete(
      Status.InvalidQueueDeletion,
      `DELETE I/O COMPLETION QUEUE ${qid} while submission queue(s) ${[...cq.sqs].join(", ")} still complete into it (delete those first)`,
    );
  host.cqs.delete(qid);
  return ok();
}

function setFeatures(host: AdminHost, cmd: Command): AdminOutcome {
  const fid = cmd.cdw[0] & 0xff;
  if ((cmd.cdw[0] & 0x8000_0000) !== 0)
    return complete(
      Status.FeatureNotSaveable,
      `SET FEATURES 0x${fid.toString(16)} with SV = 1: no feature is saveable here`,
    );
  switch (fid) {
    case FeatureId.NumberOfQueues: {
      const nsqr = (cmd.cdw[1] & 0xffff) + 1;
      const ncqr = (cmd.cdw[1] >>> 16) + 1;
      if (nsqr === 0x10000 || ncqr === 0x10000)
        return complete(
          Status.InvalidField,
          "SET FEATURES Number of Queues asks for 65536 queues (0xFFFF is reserved)",
        );
      if (host.sqs.size > 1 || host.cqs.size > 1)
        return complete(
          Status.CommandSequenceError,
          "SET FEATURES Number of Queues after I/O queues were created (set it once, before creating them)",
        );
      host.queuesAllowed = { sq: Math.min(nsqr, host.maxIoQueues), cq: Math.min(ncqr, host.maxIoQueues) };
      return ok(queuesDw0(host));
    }
    case FeatureId.VolatileWriteCache:
      host.writeCache = (cmd.cdw[1] & 1) !== 0;
      return ok();
    case FeatureId.AsyncEventConfig:
      host.asyncEventConfig = cmd.cdw[1];
      return ok();
    default:
      return complete(
        Status.InvalidField,
        `SET FEATURES 0x${fid.toString(16)}: this controller has features 0x06, 0x07 and 0x0b`,
      );
  }
}

function getFeatures(host: AdminHost, cmd: Command): AdminOutcome {
  const fid = cmd.cdw[0] & 0xff;
  const select = (cmd.cdw[0] >>> 8) & 0x7;
  if (select > 3) return complete(Status.InvalidField, `GET FEATURES with SEL ${select}: 0..3 are defined`);
  // SEL 3 (supported capabilities): changeable, not saveable, not namespace specific.
  if (select === 3 && isFeature(fid)) return ok(0b100);
  const current = select === 0;
  switch (fid) {
    case FeatureId.NumberOfQueues:
      return ok(current ? queuesDw0(host) : (((host.maxIoQueues - 1) << 16) | (host.maxIoQueues - 1)) >>> 0);
    case FeatureId.VolatileWriteCache:
      return ok(current ? (host.writeCache ? 1 : 0) : 1);
    case FeatureId.AsyncEventConfig:
      return ok(current ? host.asyncEventConfig : 0);
    default:
      return complete(
        Status.InvalidField,
        `GET FEATURES 0x${fid.toString(16)}: this controller has features 0x06, 0x07 and 0x0b`,
      );
  }
}

function isFeature(fid: number): boolean {
  return fid === FeatureId.NumberOfQueues || fid === FeatureId.VolatileWriteCache || fid === FeatureId.AsyncEventConfig;
}

/** NSQA 15:0, NCQA 31:16, both 0's based. */
function queuesDw0(host: AdminHost): number {
  return (((host.queuesAllowed.cq - 1) << 16) | (host.queuesAllowed.sq - 1)) >>> 0;
}
