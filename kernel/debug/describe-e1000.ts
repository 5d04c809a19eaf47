// Words for an e1000 in the debugger: its registers decoded (each a data breakpoint target: RDT and
// TDT writes are the doorbells), and both descriptor rings as they sit in DMA memory, each
// descriptor with its owner (the card owns head … tail − 1), buffer, length and status. From the
// device's side-effect-free snapshot, never a register read (reading ICR would clear it).

import { formatMac, type E1000RingSnapshot, type E1000Snapshot } from "../../devices";
import {
  E1000Ctrl,
  E1000Icr,
  E1000Rctl,
  E1000Reg,
  E1000RxStatus,
  E1000Status,
  E1000Tctl,
  E1000TxCmd,
  E1000TxStatus,
  e1000RegisterAt,
} from "../abi/e1000";
import type { InspectItem } from "./describe";

const hex = (n: number): string => `0x${n.toString(16)}`;

function flags(value: number, names: Readonly<Record<string, number>>): string {
  const set = Object.entries(names)
    .filter(([, bit]) => bit !== 0 && (value & bit) === bit)
    .map(([name]) => name);
  return set.length ? set.join("|") : "-";
}

const CTRL_BITS = {
  FD: E1000Ctrl.FD,
  ASDE: E1000Ctrl.ASDE,
  SLU: E1000Ctrl.SLU,
  RST: E1000Ctrl.RST,
  VME: E1000Ctrl.VME,
};
const STATUS_BITS = {
  FD: E1000Status.FD,
  LU: E1000Status.LU,
  TXOFF: E1000Status.TXOFF,
  "1000Mb/s": E1000Status.SPEED_1000,
};
const ICR_BITS = {
  TXDW: E1000Icr.TXDW,
  TXQE: E1000Icr.TXQE,
  LSC: E1000Icr.LSC,
  RXSEQ: E1000Icr.RXSEQ,
  RXDMT0: E1000Icr.RXDMT0,
  RXO: E1000Icr.RXO,
  RXT0: E1000Icr.RXT0,
};
const RCTL_BITS = {
  EN: E1000Rctl.EN,
  SBP: E1000Rctl.SBP,
  UPE: E1000Rctl.UPE,
  MPE: E1000Rctl.MPE,
  LPE: E1000Rctl.LPE,
  BAM: E1000Rctl.BAM,
  BSEX: E1000Rctl.BSEX,
  SECRC: E1000Rctl.SECRC,
};
const TCTL_BITS = { EN: E1000Tctl.EN, PSP: E1000Tctl.PSP };

function rctlText(v: number): string {
  const code = (v & E1000Rctl.BSIZE_MASK) >>> E1000Rctl.BSIZE_SHIFT;
  const size = v & E1000Rctl.BSEX ? [0, 16384, 8192, 4096][code] : [2048, 1024, 512, 256][code];
  return `${flags(v, RCTL_BITS)}, buffers ${size === 0 ? "reserved size" : `${size} bytes`}`;
}

/** The e1000's registers, decoded; each carries a data breakpoint id on its MMIO address. */
export function describeE1000(device: string, base: number, s: E1000Snapshot): InspectItem[] {
  const decode: Partial<Record<string, (v: number) => string>> = {
    CTRL: (v) => flags(v, CTRL_BITS),
    STATUS: (v) => flags(v, STATUS_BITS),
    ICR: (v) => `${flags(v, ICR_BITS)} (pending causes; a driver read clears them)`,
    IMS: (v) => `${flags(v, ICR_BITS)} (unmasked)`,
    RCTL: rctlText,
    TCTL: (v) => flags(v, TCTL_BITS),
    EERD: (v) => (v & 0x10 ? `DONE, word ${(v >>> 8) & 0xff} = ${hex(v >>> 16)}` : "idle"),
    RDLEN: (v) => `${v} bytes, ${v / 16} descriptors`,
    TDLEN: (v) => `${v} bytes, ${v / 16} descriptors`,
    RDT: () => "the receive doorbell",
    TDT: () => "the transmit doorbell",
    RAH0: (v) => (v & 0x8000_0000 ? "address valid" : "not valid"),
  };
  const registers: InspectItem[] = s.registers.map((r) => {
    const words = decode[r.name]?.(r.value);
    return {
      name: r.name,
      value: `${hex(r.value)}${words ? ` (${words})` : ""}`,
      dataId: `mmio:${hex(base + r.offset)}:4`,
    };
  });
  const st = s.stats;
  return [
    {
      name: "device",
      value: `${device} (e1000) at ${hex(base)}, MAC ${formatMac(s.mac)}, link ${s.link ? "up" : "down"}, IRQ line ${s.irqLevel ? "high" : "low"}`,
    },
    ...registers,
    {
      name: "counters",
      value: `${st.txFrames} sent, ${st.rxFrames} received, ${st.deviceErrors} device errors, ${st.dmaFaults} DMA faults, ${st.ringStops} ring stops`,
      children: Object.entries(st).map(([name, count]) => ({ name, value: String(count) })),
    },
  ];
}

/** Both rings: registers, the device's state, every descriptor (up to what the snapshot holds). */
export function describeE1000Rings(base: number, s: E1000Snapshot): InspectItem[] {
  return s.rings.map((ring) => describeRing(base, ring));
}

function describeRing(base: number, ring: E1000RingSnapshot): InspectItem {
  const rx = ring.name === "receive";
  const p = rx ? "RD" : "TD";
  const headOffset = rx ? E1000Reg.RDH : E1000Reg.TDH;
  const tailOffset = rx ? E1000Reg.RDT : E1000Reg.TDT;
  const owned = ring.count === 0 ? 0 : (ring.tail - ring.head + ring.count) % ring.count;
  const state = ring.stopped ? `STOPPED: ${ring.stopped}` : ring.enabled ? "enabled" : "off";
  const descriptors: InspectItem[] =
    typeof ring.descriptors === "string"
      ? [{ name: "descriptors", value: ring.descriptors }]
      : ring.descriptors.map((d) => ({
          name: `[${d.index}]`,
          value: rx
            ? `${d.owner}: addr ${hex(d.addr)} len ${d.length} status ${flags(d.status, { DD: E1000RxStatus.DD, EOP: E1000RxStatus.EOP, IXSM: E1000RxStatus.IXSM })}${d.cmdOrErrors ? ` errors ${hex(d.cmdOrErrors)}` : ""}`
            : `${d.owner}: addr ${hex(d.addr)} len ${d.length} cmd ${flags(d.cmdOrErrors, E1000TxCmd)} status ${flags(d.status, { DD: E1000TxStatus.DD })}`,
          ...(d.addr !== 0 && { memoryReference: hex(d.addr) }),
        }));
  return {
    name: `${ring.name} ring`,
    value: `${ring.count} descriptors at ${hex(ring.base)}, ${p}H ${ring.head}, ${p}T ${ring.tail}, the card owns ${owned}; ${state}`,
    ...(ring.count > 0 && { memoryReference: hex(ring.base) }),
    children: [
      { name: `${p}H`, value: `${ring.head} (the card's next descriptor)`, dataId: `mmio:${hex(base + headOffset)}:4` },
      { name: `${p}T`, value: `${ring.tail} (the doorbell: the driver's)`, dataId: `mmio:${hex(base + tailOffset)}:4` },
      { name: `${p}LEN`, value: `${ring.lengthBytes} bytes` },
      ...descriptors,
    ],
  };
}

/** " (RDT)" for an e1000 register offset, "" elsewhere. */
export function e1000RegisterName(offset: number): string {
  const r = e1000RegisterAt(offset);
  return r ? ` (${r.name})` : "";
}
