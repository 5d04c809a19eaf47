// Words for the debugger's NVMe scope: the controller's registers decoded field by field, every queue
// with its head, tail and phase, and the commands in flight. Each register and doorbell carries a
// data breakpoint id, so "break when CC is written" or "when SQ 1's tail doorbell rings" is one click.

import { nvmeRegisterName, type NvmeSnapshot } from "../../devices";
import type { InspectItem } from "./describe";

const DOORBELLS = 0x1000;

/** " (CC)", " (SQ 1 tail doorbell)" for an offset in an NVMe window; "" where no register is. */
export function nvmeRegisterLabel(offset: number, stride = 4): string {
  const name = nvmeRegisterName(offset, stride);
  return name.startsWith("offset ") ? "" : ` (${name.replace(/ \(0x[0-9A-F]+\)$/, "")})`;
}

export function describeNvme(device: string, base: number, s: NvmeSnapshot): InspectItem[] {
  const watch = (offset: number) => `mmio:0x${(base + offset).toString(16)}:4`;
  const cap = s.cap;
  const field = (shift: bigint, bits: bigint) => Number((cap >> shift) & ((1n << bits) - 1n));
  const cc = s.cc;
  const ccField = (shift: number, bits: number) => (cc >>> shift) & ((1 << bits) - 1);
  const doorbell = (qid: number, completion: boolean) =>
    DOORBELLS + (2 * qid + (completion ? 1 : 0)) * s.doorbellStride;
  return [
    { name: "device", value: `${device} at ${hex(base)}, interrupt line ${s.irq ? "high" : "low"}` },
    {
      name: "CAP",
      value: `0x${cap.toString(16)} (MQES ${field(0n, 16n)}: queues of up to ${field(0n, 16n) + 1} entries, CQR ${field(16n, 1n)}, TO ${field(24n, 8n) * 500} ms, DSTRD ${field(32n, 4n)}: doorbells ${s.doorbellStride} bytes apart, CSS ${field(37n, 1n) ? "NVM" : "none"}, pages ${4 << field(48n, 4n)}–${4 << field(52n, 4n)} KiB)`,
      dataId: watch(0),
    },
    {
      name: "VS",
      value: `${hex(s.vs)} (NVMe ${s.vs >>> 16}.${(s.vs >>> 8) & 0xff}.${s.vs & 0xff})`,
      dataId: watch(0x08),
    },
    { name: "INTMS", value: `${hex(s.intms)} (vector 0 ${s.intms & 1 ? "masked" : "unmasked"})`, dataId: watch(0x0c) },
    {
      name: "CC",
      value: `${hex(cc)} (${cc & 1 ? "EN" : "disabled"}, CSS ${ccField(4, 3)}, MPS ${ccField(7, 4)} = ${4 << ccField(7, 4)} KiB pages, AMS ${ccField(11, 3)}, SHN ${ccField(14, 2)}, IOSQES ${ccField(16, 4)} = ${1 << ccField(16, 4)} B, IOCQES ${ccField(20, 4)} = ${1 << ccField(20, 4)} B)`,
      dataId: watch(0x14),
    },
    {
      name: "CSTS",
      value: `${hex(s.csts)} (${[s.csts & 1 ? "RDY" : "not ready", s.csts & 2 ? "CFS" : "", ["", "shutdown occurring", "shutdown complete", ""][(s.csts >>> 2) & 3]].filter(Boolean).join(", ")})${s.fatalReason ? `: ${s.fatalReason}` : ""}`,
      dataId: watch(0x1c),
    },
    {
      name: "AQA",
      value: `${hex(s.aqa)} (admin SQ ${(s.aqa & 0xfff) + 1} entries, CQ ${((s.aqa >>> 16) & 0xfff) + 1})`,
      dataId: watch(0x24),
    },
    { name: "ASQ", value: hex(s.asq), memoryReference: hex(s.asq), dataId: watch(0x28) },
    { name: "ACQ", value: hex(s.acq), memoryReference: hex(s.acq), dataId: watch(0x30) },
    {
      name: "submission queues",
      value: String(s.submissionQueues.length),
      children: s.submissionQueues.map((q) => ({
        name: `SQ ${q.id}`,
        value: `head ${q.head}, tail ${q.tail}, ${q.size} entries at ${hex(q.base)}, completes into CQ ${q.cqid}; tail doorbell ${hex(base + doorbell(q.id, false))}`,
        memoryReference: hex(q.base),
        dataId: watch(doorbell(q.id, false)),
      })),
    },
    {
      name: "completion queues",
      value: String(s.completionQueues.length),
      children: s.completionQueues.map((q) => ({
        name: `CQ ${q.id}`,
        value: `head ${q.head}, tail ${q.tail}, phase ${q.phase}, ${q.size} entries at ${hex(q.base)}, interrupts ${q.interrupts ? "on" : "off"}, ${q.unconsumed} not consumed${q.held ? `, ${q.held} held (queue full)` : ""}; head doorbell ${hex(base + doorbell(q.id, true))}`,
        memoryReference: hex(q.base),
        dataId: watch(doorbell(q.id, true)),
      })),
    },
    {
      name: "commands in flight",
      value: `${s.inFlight.length}${s.retainedEvents ? `, ${s.retainedEvents} asynchronous events kept` : ""}`,
      children: s.inFlight.map((c) => ({
        name: `SQ ${c.sqid} CID ${c.cid}`,
        value: `${c.command}: ${c.detail}; fetched at ${c.fetchedAt} ns`,
      })),
    },
  ];
}

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}
