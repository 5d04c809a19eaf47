// An Intel 82540EM gigabit Ethernet controller (e1000), as QEMU emulates it, on an MMIO window of
// its own and one interrupt line, on the same simulated wire as virtio-net (devices/net/). What a
// driver sees (numbers in registers.ts, the page for driver authors is docs/e1000.md):
//
//   - A 128 KiB register window of 32-bit registers. Narrower, wider or misaligned accesses, reads
//     of write-only and writes of read-only registers, and offsets where no register sits are
//     reported (driver-error events, counted) and do nothing; reads give 0.
//   - CTRL (RST resets the device), STATUS (link up, 1000 Mb/s full duplex), the EEPROM through
//     EERD (the MAC in words 0–2, eeprom.ts), the PHY through MDIC (phy.ts), RAL0/RAH0 loaded with the
//     MAC at reset, the multicast table, and the statistics registers a driver reads (cleared by the
//     read).
//   - Interrupt causes in ICR (TXDW, TXQE, LSC, RXDMT0, RXO, RXT0): reading ICR returns and clears
//     them, writing 1s clears those bits, ICS sets causes, IMS/IMC set and clear the mask; the line
//     is high while a cause is both set and unmasked (level-triggered, like virtio's).
//   - Legacy receive and transmit descriptor rings (ring.ts): receive when a frame arrives
//     (receive.ts), transmit when TDT moves (transmit.ts). A transmit batch completes after a virtual
//     latency plus the wire time of its bytes — only then are the frames on the wire, descriptors with
//     RS written back with DD and TDH moved — like virtio-net's, so both cards show the same timing.
//   - A ring set up impossibly (length not a multiple of 128, head or tail past its end, a
//     descriptor or buffer outside the driver's DMA grant) stops: counted, reported, and no memory
//     of it is touched until the driver sets it up again (ring.ts says why a real part differs).
//
// Not emulated (docs/e1000.md): extended descriptors (checksum/TSO offloads), interrupt moderation
// (ITR, RDTR, RADV, TIDV, TADV are kept but delay nothing), flow control, VLAN filtering, loopback
// modes, EEPROM bit-banging through EECD, wake-on-LAN, the PCI configuration space.

import type { AccessWidth, BusDevice } from "../bus-access";
import type { ScheduledEvent, Scheduler } from "../clock";
import type { ResettableDevice } from "../device-interfaces";
import { hex } from "../format";
import { IommuView, isDmaFault, type DmaFault } from "../iommu";
import type { IrqLine } from "../irq";
import type { DeviceEvent } from "../machine-interface";
import type { NetWire } from "../virtio/net";
import { eepromImage, eerdRead } from "./eeprom";
import { Phy } from "./phy";
import { filterFrame, placeFrame, receiveBufferBytes, receivedBytes, RX_MAX_FRAME, RX_MAX_LONG_FRAME } from "./receive";
import {
  Ctrl,
  E1000_MMIO_BYTES,
  E1000Reg,
  e1000Register,
  e1000RegisterLabel,
  Eecd,
  Icr,
  ICR_MASK,
  MTA_ENTRIES,
  RAH_AV,
  Rctl,
  RECEIVE_ADDRESSES,
  RESET_VALUES,
  RxDesc,
  StatusBit,
  STATS_FIRST,
  STATS_LAST,
  Tctl,
  TxDesc,
  TxStatus,
} from "./registers";
import { DescriptorRing, type RingName, type RingState } from "./ring";
import { newPacket, walkTransmit, type TxDropReason, type TxWalk } from "./transmit";

export interface E1000Options {
  readonly deviceName: string;
  readonly mac: Uint8Array;
  readonly wire: NetWire;
  readonly irq: IrqLine;
  readonly clock: Scheduler;
  readonly emit: (event: DeviceEvent) => void;
  /** Virtual time from a TDT write to the batch's completion, before wire time (ns). */
  readonly txLatencyNs?: number;
  /** Wire time per byte (ns): 8 = 1 Gbit/s. */
  readonly nsPerByte?: number;
}

/** Counters for tests, the run summary and the views; never cleared (the statistics registers are). */
export interface E1000Stats {
  txFrames: number;
  txBytes: number;
  rxFrames: number;
  rxBytes: number;
  /** Transmit packets dropped: longer than a frame may be. */
  txOversize: number;
  /** Transmit packets dropped: shorter than an Ethernet header. */
  txRunt: number;
  /** Transmit packets dropped: extended (DEXT) descriptors, not emulated. */
  txExtended: number;
  /** Transmit frames completed while the link was down: not sent. */
  txLinkDown: number;
  /** Incoming frames dropped: no (or too few) receive descriptors owned by the device (MPC). */
  rxMissed: number;
  /** Incoming frames not for us (the address filter). */
  rxFiltered: number;
  /** Incoming frames dropped: the receiver is off (RCTL.EN clear). */
  rxDisabled: number;
  /** Incoming frames dropped: the receive ring is stopped. */
  rxStopped: number;
  /** Incoming frames dropped: the link was down. */
  rxLinkDown: number;
  /** Incoming frames dropped: longer than RCTL allows. */
  rxOversize: number;
  /** Register misuse and impossible ring settings reported (driver-error events). */
  deviceErrors: number;
  /** Device accesses to guest memory refused by the IOMMU view (dma-fault events). */
  dmaFaults: number;
  /** Times a ring stopped. */
  ringStops: number;
}

/** One descriptor as the debugger shows it. */
export interface E1000DescriptorView {
  readonly index: number;
  readonly addr: number;
  readonly length: number;
  /** Receive: status; transmit: status. */
  readonly status: number;
  /** Transmit: CMD; receive: errors. */
  readonly cmdOrErrors: number;
  /** Who owns it now: the device (head ≤ i < tail) or the driver. */
  readonly owner: "device" | "driver";
}

export interface E1000RingSnapshot extends RingState {
  readonly name: RingName;
  readonly enabled: boolean;
  /** Descriptors read through the IOMMU view (at most DESCRIPTOR_VIEW_LIMIT), or why they cannot be. */
  readonly descriptors: readonly E1000DescriptorView[] | string;
}

export interface E1000Snapshot {
  /** Every register with a name, as a read would show it but without a read's side effects. */
  readonly registers: readonly { readonly name: string; readonly offset: number; readonly value: number }[];
  readonly mac: Uint8Array;
  readonly link: boolean;
  readonly irqLevel: boolean;
  readonly rings: readonly [E1000RingSnapshot, E1000RingSnapshot];
  readonly stats: Readonly<E1000Stats>;
}

const DESCRIPTOR_VIEW_LIMIT = 256;

export class E1000 implements BusDevice, ResettableDevice {
  readonly deviceName: string;
  readonly mac: Uint8Array;
  readonly stats: E1000Stats = {
    txFrames: 0,
    txBytes: 0,
    rxFrames: 0,
    rxBytes: 0,
    txOversize: 0,
    txRunt: 0,
    txExtended: 0,
    txLinkDown: 0,
    rxMissed: 0,
    rxFiltered: 0,
    rxDisabled: 0,
    rxStopped: 0,
    rxLinkDown: 0,
    rxOversize: 0,
    deviceErrors: 0,
    dmaFaults: 0,
    ringStops: 0,
  };
  readonly rx = new DescriptorRing("receive", "RD");
  readonly tx = new DescriptorRing("transmit", "TD");

  private readonly wire: NetWire;
  private readonly irq: IrqLine;
  private readonly clock: Scheduler;
  private readonly emit: (event: DeviceEvent) => void;
  private readonly txLatencyNs: number;
  private readonly nsPerByte: number;
  private readonly eeprom: Uint16Array;
  private readonly phy = new Phy();
  private view = IommuView.empty;
  private linkUp = true;

  /** Registers that only hold what was written (CTRL_EXT, TIPG, ITR, …), by offset. */
  private readonly plain = new Map<number, number>();
  private ctrl = 0;
  private eecd = 0;
  private eerd = 0;
  private mdic = 0;
  private icr = 0;
  private ims = 0;
  private rctl = 0;
  private tctl = 0;
  private readonly ra = new Uint32Array(2 * RECEIVE_ADDRESSES);
  private readonly mta = new Uint32Array(MTA_ENTRIES);
  private readonly counters = new Map<number, number>();
  /** Transmit descriptors fetched: [TDH, txFetched) are in flight. */
  private txFetched = 0;
  private txPacket = newPacket();
  private readonly pending = new Set<ScheduledEvent>();
  /** Set after a frame was missed; cleared by the next delivery (one report per run of misses). */
  private missing = false;

  constructor(options: E1000Options) {
    if (options.mac.length !== 6)
      throw new RangeError(`${options.deviceName}: a MAC address is 6 bytes, not ${options.mac.length}`);
    this.deviceName = options.deviceName;
    this.mac = options.mac.slice();
    this.wire = options.wire;
    this.irq = options.irq;
    this.clock = options.clock;
    this.emit = options.emit;
    this.txLatencyNs = options.txLatencyNs ?? 2_000;
    this.nsPerByte = options.nsPerByte ?? 8;
    this.eeprom = eepromImage(this.mac);
    this.reset();
  }

  get windowBytes(): number {
    return E1000_MMIO_BYTES;
  }

  get link(): boolean {
    return this.linkUp;
  }

  /** The guest memory the device may reach; replaced whenever its driver's DMA grants change. */
  setIommuView(view: IommuView): void {
    this.view = view;
  }

  /** Power-on reset, and what CTRL.RST does: every register to its reset value, both rings off,
   *  frames in flight dropped. The cable (link) is not the device's to reset. */
  reset(): void {
    for (const event of this.pending) event.cancel();
    this.pending.clear();
    this.plain.clear();
    for (const r of [E1000Reg.LEDCTL, E1000Reg.PBA, E1000Reg.TIPG]) this.plain.set(r, RESET_VALUES[r] ?? 0);
    this.ctrl = RESET_VALUES[E1000Reg.CTRL] ?? 0;
    this.eecd = RESET_VALUES[E1000Reg.EECD] ?? 0;
    this.eerd = 0;
    this.mdic = 0;
    this.icr = 0;
    this.ims = 0;
    this.rctl = 0;
    this.tctl = 0;
    this.rx.reset();
    this.tx.reset();
    this.mta.fill(0);
    this.ra.fill(0);
    // The first receive address comes from the EEPROM, valid, as the part loads it at reset.
    this.ra[0] = (this.mac[0] | (this.mac[1] << 8) | (this.mac[2] << 16) | (this.mac[3] << 24)) >>> 0;
    this.ra[1] = (this.mac[4] | (this.mac[5] << 8) | RAH_AV) >>> 0;
    this.counters.clear();
    this.txFetched = 0;
    this.txPacket = newPacket();
    this.missing = false;
    this.phy.reset();
    this.updateIrq();
  }

  /** The cable: link up or down raises LSC. */
  setLink(up: boolean): void {
    if (up === this.linkUp) return;
    this.linkUp = up;
    this.raise(Icr.LSC);
  }

  // ---- BusDevice ------------------------------------------------------------------------------

  read(offset: number, width: AccessWidth): number {
    if (!this.accessOk(offset, width, "read")) return 0;
    switch (offset) {
      case E1000Reg.CTRL:
        return this.ctrl;
      case E1000Reg.STATUS:
        return this.status();
      case E1000Reg.EECD:
        return this.eecd;
      case E1000Reg.EERD:
        return this.eerd;
      case E1000Reg.MDIC:
        return this.mdic;
      case E1000Reg.ICR: {
        // Read to clear: the causes go, and with them the line.
        const value = this.icr;
        this.icr = 0;
        this.updateIrq();
        return value;
      }
      case E1000Reg.IMS:
        return this.ims;
      case E1000Reg.RCTL:
        return this.rctl;
      case E1000Reg.TCTL:
        return this.tctl;
      case E1000Reg.ICS:
      case E1000Reg.IMC:
        this.driverError(`read of write-only register ${e1000RegisterLabel(offset)}; reads as 0`);
        return 0;
    }
    const ring = this.ringRegister(offset);
    if (ring !== undefined) return ring.read();
    if (offset >= STATS_FIRST && offset <= STATS_LAST) {
      const value = this.counters.get(offset) ?? 0;
      this.counters.delete(offset);
      return value;
    }
    const table = this.tableSlot(offset);
    if (table !== undefined) return table.array[table.index];
    return this.plain.get(offset) ?? 0;
  }

  write(offset: number, width: AccessWidth, value: number): void {
    if (!this.accessOk(offset, width, "write")) return;
    const v = value >>> 0;
    switch (offset) {
      case E1000Reg.CTRL:
        return this.writeCtrl(v);
      case E1000Reg.STATUS:
        return this.driverError(`write of ${hex(v)} to read-only register STATUS (0x0008); ignored`);
      case E1000Reg.EECD:
        // Only the request/grant bits would matter for bit-banging, which is not emulated.
        this.eecd = (v & ~Eecd.PRES) | Eecd.PRES;
        return;
      case E1000Reg.EERD: {
        const result = eerdRead(v, this.eeprom);
        this.eerd = result.value;
        if (result.missing !== undefined)
          this.driverError(
            `EERD read of EEPROM word ${hex(result.missing)}: the EEPROM has ${this.eeprom.length} words (0x00–0x3F); DONE with data 0`,
          );
        return;
      }
      case E1000Reg.MDIC: {
        const result = this.phy.access(v, this.linkUp);
        this.mdic = result.value;
        if (result.problem !== undefined) this.driverError(`${result.problem}; MDIC.ERROR set`);
        return;
      }
      case E1000Reg.ICR:
        // Writing 1s clears those causes.
        this.icr &= ~v;
        return this.updateIrq();
      case E1000Reg.ICS:
        return this.raise(v & ICR_MASK);
      case E1000Reg.IMS:
        this.ims = (this.ims | (v & ICR_MASK)) >>> 0;
        return this.updateIrq();
      case E1000Reg.IMC:
        this.ims = (this.ims & ~v) >>> 0;
        return this.updateIrq();
      case E1000Reg.RCTL:
        return this.writeRctl(v);
      case E1000Reg.TCTL:
        return this.writeTctl(v);
    }
    const ring = this.ringRegister(offset);
    if (ring !== undefined) return ring.write(v);
    if (offset >= STATS_FIRST && offset <= STATS_LAST)
      return this.driverError(
        `write of ${hex(v)} to statistics register ${e1000RegisterLabel(offset)} (read-only, cleared by reading); ignored`,
      );
    const table = this.tableSlot(offset);
    if (table !== undefined) {
      table.array[table.index] = v;
      return;
    }
    const known = e1000Register(offset);
    if (known?.access === "R")
      return this.driverError(`write of ${hex(v)} to read-only register ${e1000RegisterLabel(offset)}; ignored`);
    this.plain.set(offset, v);
  }

  // ---- the wire ---------------------------------------------------------------------------------

  /** A frame reached the device from the wire. */
  receive(frame: Uint8Array): void {
    if (!this.linkUp) return void this.stats.rxLinkDown++;
    if ((this.rctl & Rctl.EN) === 0) return void this.stats.rxDisabled++;
    if (this.rx.stopped !== undefined) return void this.stats.rxStopped++;
    const limit = (this.rctl & Rctl.LPE) !== 0 ? RX_MAX_LONG_FRAME : RX_MAX_FRAME;
    if (frame.length + 4 > limit) return void this.stats.rxOversize++;
    if (frame.length < 14 || filterFrame(frame, this.rctl, this.ra, this.mta) === "filtered")
      return void this.stats.rxFiltered++;
    const bufferBytes = receiveBufferBytes(this.rctl);
    if (bufferBytes === undefined) {
      this.stats.rxStopped++;
      this.stopRing(this.rx, "RCTL selects BSIZE 00 with BSEX set, a reserved buffer size");
      return;
    }
    const bytes = receivedBytes(frame, this.rctl);
    const placed = placeFrame(this.view, this.rx, bytes, bufferBytes);
    switch (placed.kind) {
      case "missed":
        this.stats.rxMissed++;
        this.count(E1000Reg.MPC, 1);
        if (!this.missing)
          this.driverError(
            `no receive descriptor for an incoming ${frame.length}-byte frame (it needs ${placed.needed} of ${bufferBytes} bytes, the device owns ${placed.owned}: RDH ${this.rx.head}, RDT ${this.rx.tail}); dropped (RXO, MPC); further misses are only counted until a frame is delivered again`,
          );
        this.missing = true;
        return this.raise(Icr.RXO);
      case "fault":
        return this.dmaFault(this.rx, placed.what, placed.fault);
      case "placed": {
        this.missing = false;
        this.stats.rxFrames++;
        this.stats.rxBytes += frame.length;
        this.countReceived(frame, bytes.length);
        const threshold = this.rx.count >> (((this.rctl & Rctl.RDMTS_MASK) >>> Rctl.RDMTS_SHIFT) + 1);
        return this.raise(Icr.RXT0 | (this.rx.owned <= threshold ? Icr.RXDMT0 : 0));
      }
    }
  }

  // ---- the views ----------------------------------------------------------------------------------

  snapshot(): E1000Snapshot {
    const registers = [
      ["CTRL", E1000Reg.CTRL, this.ctrl],
      ["STATUS", E1000Reg.STATUS, this.status()],
      ["EECD", E1000Reg.EECD, this.eecd],
      ["EERD", E1000Reg.EERD, this.eerd],
      ["MDIC", E1000Reg.MDIC, this.mdic],
      ["ICR", E1000Reg.ICR, this.icr],
      ["IMS", E1000Reg.IMS, this.ims],
      ["RCTL", E1000Reg.RCTL, this.rctl],
      ["TCTL", E1000Reg.TCTL, this.tctl],
      ["RDBAL", E1000Reg.RDBAL, this.rx.baseLow],
      ["RDBAH", E1000Reg.RDBAH, this.rx.baseHigh],
      ["RDLEN", E1000Reg.RDLEN, this.rx.lengthBytes],
      ["RDH", E1000Reg.RDH, this.rx.head],
      ["RDT", E1000Reg.RDT, this.rx.tail],
      ["TDBAL", E1000Reg.TDBAL, this.tx.baseLow],
      ["TDBAH", E1000Reg.TDBAH, this.tx.baseHigh],
      ["TDLEN", E1000Reg.TDLEN, this.tx.lengthBytes],
      ["TDH", E1000Reg.TDH, this.tx.head],
      ["TDT", E1000Reg.TDT, this.tx.tail],
      ["RAL0", E1000Reg.RAL0, this.ra[0]],
      ["RAH0", E1000Reg.RAH0, this.ra[1]],
    ] as const;
    return {
      registers: registers.map(([name, offset, value]) => ({ name, offset, value: value >>> 0 })),
      mac: this.mac.slice(),
      link: this.linkUp,
      irqLevel: this.irq.level,
      rings: [
        this.ringSnapshot(this.rx, (this.rctl & Rctl.EN) !== 0),
        this.ringSnapshot(this.tx, (this.tctl & Tctl.EN) !== 0),
      ],
      stats: { ...this.stats },
    };
  }

  // ---- registers ----------------------------------------------------------------------------------

  private status(): number {
    const link = this.linkUp ? StatusBit.LU : 0;
    return (
      (0x8000_0000 |
        StatusBit.GIO_MASTER_ENABLE |
        StatusBit.MTXCKOK |
        StatusBit.ASDV_1000 |
        StatusBit.SPEED_1000 |
        StatusBit.FD |
        link) >>>
      0
    );
  }

  private writeCtrl(value: number): void {
    if ((value & Ctrl.RST) !== 0) return this.reset();
    // PHY_RST resets the PHY, which is back at once.
    if ((value & Ctrl.PHY_RST) !== 0) this.phy.reset();
    this.ctrl = (value & ~(Ctrl.RST | Ctrl.PHY_RST)) >>> 0;
  }

  private writeRctl(value: number): void {
    const was = this.rctl;
    this.rctl = value;
    if ((value & Rctl.EN) !== 0 && (was & Rctl.EN) === 0) {
      const problem = this.rx.enable();
      if (problem !== undefined) this.ringStopped(this.rx, problem);
    }
  }

  private writeTctl(value: number): void {
    const was = this.tctl;
    this.tctl = value;
    if ((value & Tctl.EN) === 0 || (was & Tctl.EN) !== 0) return;
    const problem = this.tx.enable();
    if (problem !== undefined) return this.ringStopped(this.tx, problem);
    if (this.pending.size === 0) this.txFetched = this.tx.head;
    this.transmit();
  }

  /** The descriptor ring registers at `offset`, as a register. */
  private ringRegister(offset: number): { read(): number; write(value: number): void } | undefined {
    const at = (ring: DescriptorRing, base: number) => {
      const checked = (problem: string | undefined) => {
        if (problem !== undefined) this.ringStopped(ring, problem);
      };
      switch (offset - base) {
        case 0x00:
          return { read: () => ring.baseLow, write: (v: number) => void (ring.baseLow = v) };
        case 0x04:
          return { read: () => ring.baseHigh, write: (v: number) => void (ring.baseHigh = v) };
        case 0x08:
          return { read: () => ring.lengthBytes, write: (v: number) => checked(ring.writeLength(v)) };
        case 0x10:
          return {
            read: () => ring.head,
            write: (v: number) => {
              checked(ring.writeIndex("head", v));
              if (ring === this.tx && this.pending.size === 0) this.txFetched = ring.head;
            },
          };
        case 0x18:
          return {
            read: () => ring.tail,
            write: (v: number) => {
              checked(ring.writeIndex("tail", v));
              if (ring === this.tx) this.transmit();
            },
          };
        default:
          return undefined;
      }
    };
    if (offset >= E1000Reg.RDBAL && offset <= E1000Reg.RDT) return at(this.rx, E1000Reg.RDBAL);
    if (offset >= E1000Reg.TDBAL && offset <= E1000Reg.TDT) return at(this.tx, E1000Reg.TDBAL);
    return undefined;
  }

  /** MTA[n] and RAL/RAH(n) live in arrays. */
  private tableSlot(offset: number): { array: Uint32Array; index: number } | undefined {
    if (offset >= E1000Reg.MTA && offset < E1000Reg.MTA + 4 * MTA_ENTRIES)
      return { array: this.mta, index: (offset - E1000Reg.MTA) / 4 };
    if (offset >= E1000Reg.RAL0 && offset < E1000Reg.RAL0 + 8 * RECEIVE_ADDRESSES)
      return { array: this.ra, index: (offset - E1000Reg.RAL0) / 4 };
    return undefined;
  }

  private accessOk(offset: number, width: AccessWidth, direction: "read" | "write"): boolean {
    const effect = direction === "read" ? "reads as 0" : "ignored";
    if (width !== 4 || offset % 4 !== 0) {
      this.driverError(
        `${width}-byte ${direction} at ${e1000RegisterLabel(offset - (offset % 4))}${offset % 4 === 0 ? "" : ` + ${offset % 4}`}: e1000 registers take aligned 32-bit accesses only; ${effect}`,
      );
      return false;
    }
    const known =
      e1000Register(offset) !== undefined ||
      this.tableSlot(offset) !== undefined ||
      (offset >= STATS_FIRST && offset <= STATS_LAST);
    if (!known) {
      this.driverError(`${direction} at ${hex(offset)}: no e1000 register sits there; ${effect}`);
      return false;
    }
    return true;
  }

  // ---- transmit -----------------------------------------------------------------------------------

  /** Take every descriptor from the fetch cursor up to TDT; complete them as one batch later. */
  private transmit(): void {
    const ring = this.tx;
    if ((this.tctl & Tctl.EN) === 0 || ring.stopped !== undefined || ring.count === 0) return;
    const walk = walkTransmit(this.view, ring, this.txFetched, this.txPacket);
    this.txFetched = (this.txFetched + walk.consumed) % ring.count;
    for (const drop of walk.drops) {
      this.countDrop(drop.reason);
      this.driverError(`transmit packet dropped: ${drop.message}`);
    }
    const end = this.txFetched;
    if (walk.consumed > 0) {
      const bytes = walk.frames.reduce((sum, f) => sum + f.length, 0);
      const event = this.clock.schedule({ delay: this.txLatencyNs + bytes * this.nsPerByte }, () => {
        this.pending.delete(event);
        this.complete(walk, end);
      });
      this.pending.add(event);
    }
    if (walk.fault !== undefined) this.dmaFault(ring, walk.fault.what, walk.fault.fault);
  }

  private complete(walk: TxWalk, end: number): void {
    for (const frame of walk.frames) {
      if (!this.linkUp) {
        this.stats.txLinkDown++;
        continue;
      }
      this.stats.txFrames++;
      this.stats.txBytes += frame.length;
      this.count(E1000Reg.GPTC, 1);
      this.count(E1000Reg.TPT, 1);
      this.count64(E1000Reg.GOTCL, frame.length + 4);
      this.count64(E1000Reg.TOTL, frame.length + 4);
      this.wire.send(frame);
    }
    for (const index of walk.reportStatus) {
      const fault = this.view.write(this.tx.address(index) + TxDesc.status, Uint8Array.of(TxStatus.DD));
      if (fault !== undefined) return this.dmaFault(this.tx, `writing back transmit descriptor ${index}`, fault);
    }
    this.tx.head = end;
    const cause = (walk.reportStatus.length > 0 ? Icr.TXDW : 0) | (this.tx.head === this.tx.tail ? Icr.TXQE : 0);
    this.raise(cause);
  }

  // ---- interrupts, errors, counters ---------------------------------------------------------------

  private raise(cause: number): void {
    this.icr = (this.icr | cause) >>> 0;
    this.updateIrq();
  }

  private updateIrq(): void {
    this.irq.set((this.icr & this.ims) !== 0);
  }

  private driverError(message: string): void {
    this.stats.deviceErrors++;
    this.emit({ kind: "driver-error", device: this.deviceName, message, at: this.clock.now() });
  }

  private ringStopped(ring: DescriptorRing, reason: string): void {
    this.stats.ringStops++;
    this.driverError(`the ${ring.name} ring stopped: ${reason}`);
  }

  private stopRing(ring: DescriptorRing, reason: string): void {
    if (ring.stopped !== undefined) return;
    ring.stop(reason);
    this.ringStopped(ring, reason);
  }

  private dmaFault(ring: DescriptorRing, what: string, fault: DmaFault): void {
    this.stats.dmaFaults++;
    const detail = `${what}: ${fault.reason}; the ${ring.name} ring stopped`;
    this.emit({
      kind: "dma-fault",
      device: this.deviceName,
      address: fault.address,
      length: fault.length,
      write: fault.write,
      detail,
      at: this.clock.now(),
    });
    if (ring.stopped === undefined) {
      ring.stop(`${what} is outside the driver's DMA memory`);
      this.stats.ringStops++;
    }
  }

  private countDrop(reason: TxDropReason): void {
    this.stats[reason]++;
  }

  private count(register: number, n: number): void {
    this.counters.set(register, ((this.counters.get(register) ?? 0) + n) >>> 0);
  }

  /** A 64-bit counter kept in a low/high register pair. */
  private count64(low: number, n: number): void {
    const total = (this.counters.get(low) ?? 0) + (this.counters.get(low + 4) ?? 0) * 2 ** 32 + n;
    this.counters.set(low, total % 2 ** 32);
    this.counters.set(low + 4, Math.floor(total / 2 ** 32) >>> 0);
  }

  private countReceived(frame: Uint8Array, bytes: number): void {
    this.count(E1000Reg.GPRC, 1);
    this.count(E1000Reg.TPR, 1);
    this.count64(E1000Reg.GORCL, bytes);
    this.count64(E1000Reg.TORL, bytes);
    if ((frame[0] & 1) !== 0)
      this.count(frame.subarray(0, 6).every((b) => b === 0xff) ? E1000Reg.BPRC : E1000Reg.MPRC, 1);
  }

  private ringSnapshot(ring: DescriptorRing, enabled: boolean): E1000RingSnapshot {
    return { ...ring.state(), name: ring.name, enabled, descriptors: this.descriptors(ring) };
  }

  private descriptors(ring: DescriptorRing): readonly E1000DescriptorView[] | string {
    const n = Math.min(ring.count, DESCRIPTOR_VIEW_LIMIT);
    if (n === 0) return "no ring (length 0)";
    const out: E1000DescriptorView[] = [];
    for (let i = 0; i < n; i++) {
      const desc = this.view.dataView(ring.address(i), 16);
      if (isDmaFault(desc)) return `descriptor ${i} cannot be read: ${desc.reason}`;
      const { view, offset } = desc;
      const owned = ring.count > 0 && (i - ring.head + ring.count) % ring.count < ring.owned;
      out.push({
        index: i,
        addr: Number(view.getBigUint64(offset, true)),
        length: view.getUint16(offset + RxDesc.length, true),
        status: view.getUint8(offset + RxDesc.status),
        cmdOrErrors: view.getUint8(offset + (ring === this.tx ? TxDesc.cmd : RxDesc.errors)),
        owner: owned ? "device" : "driver",
      });
    }
    return out;
  }
}
