// An AHCI 1.3 host bus adapter with one SATA port and a disk on it, as QEMU's ich9-ahci behaves, on
// an MMIO window (the ABAR) with one level-triggered interrupt line. The disk is a BlockStore.
//
// What a driver sees:
//   - Generic host control: CAP (32 command slots, NCQ, 64-bit addressing, AHCI only), GHC (AE reads
//     1; IE gates the line; HR resets the HBA at once), IS (port 0's interrupt: PxIS & PxIE), PI = 1,
//     VS 1.3. Port 0's registers at 0x100: CLB/FB (the command list and the received FIS area),
//     IS/IE, CMD (ST, FRE; CR and FR follow them), TFD, SIG 0x101, SSTS (DET 3), SCTL, SERR, SACT, CI.
//   - Commands are issued by writing their slot's bit to PxCI (and, for NCQ, to PxSACT first). The
//     HBA takes the issued slots in turn from CCS + 1, one at a time as a SATA link does: it reads the
//     command header, the command FIS and the PRDT through the IOMMU view, and after a virtual
//     latency (plus transfer time) moves the data, posts a D2H register FIS (IDENTIFY also a PIO
//     setup FIS) into the received FIS area, clears the slot's CI bit and raises PxIS.DHRS. NCQ
//     commands (READ/WRITE FPDMA QUEUED) leave CI at once and finish out of line: a Set Device Bits
//     FIS clears their SACT bits and raises PxIS.SDBS.
// Mistakes end as on a real HBA (§6.1): a command the disk refuses (unknown, out of range, a bad
// command FIS) → PxTFD.STS.ERR with ERR.ABRT or IDNF and PxIS.TFES; memory the HBA cannot reach (CLB,
// CTBA, a PRDT entry, FB outside the driver's DMA grant) → PxIS.HBFS and a DMA fault event. Both
// stop the port: the failed slot stays in CI and PxCMD.CCS names it until software clears PxCMD.ST.
// Register misuse (ST without FRE, CLB written while running, a slot beyond CAP.NCS) is a
// driver-error event, and the access does what the HBA would do with it.

import type { AccessWidth, BusDevice } from "../bus-access";
import type { Scheduler, ScheduledEvent } from "../clock";
import type { ResettableDevice } from "../device-interfaces";
import type { BlockStore } from "../disk/block-store";
import { hex } from "../format";
import { IommuView, isDmaFault, type DmaFault } from "../iommu";
import type { IrqLine } from "../irq";
import type { DeviceEvent } from "../machine-interface";
import type { DiskOperation, FaultPoints, RequestAction } from "../faults";
import {
  AHCI_VERSION_1_3,
  AtaCmd,
  AtaError,
  AtaStatus,
  Cap,
  CFIS_BYTES,
  FisType,
  Ghc,
  HbaReg,
  Header,
  HEADER_BYTES,
  PORT_BASE,
  PORT_STRIDE,
  PortReg,
  PxCmd,
  PxIs,
  PxSerr,
  RxFis,
  SECTOR_BYTES,
  SIGNATURE_ATA,
  SSTS_UP,
  ahciRegisterName,
  ataCommandName,
} from "./ahci-spec";
import { d2hFis, pioSetupFis, setDeviceBitsFis, signatureFis } from "./fis";
import { dmaCommand, executeCommand, lbaOf, sectorCount, type DiskHost, type Fetched } from "./disk-commands";
import { sataIdentify } from "./sata-identify";

export interface AhciOptions {
  readonly name: string;
  readonly disk: BlockStore;
  readonly irq: IrqLine;
  readonly clock: Scheduler;
  readonly emit: (event: DeviceEvent) => void;
  /** Command slots (CAP.NCS + 1), 1..32. */
  readonly commandSlots?: number;
  /** From taking a command to its completion, before transfer time (ns). */
  readonly requestLatencyNs?: number;
  /** Virtual transfer time per KiB (ns): 6800 ≈ 150 MB/s, a Gen 1 link. */
  readonly transferNsPerKiB?: number;
  readonly serial?: string;
  /** Armed faults (devices/faults.ts), asked when the HBA takes a non-queued command: an error, a
   *  late completion, or none at all (until the port is stopped). */
  readonly faults?: FaultPoints;
}

export interface AhciStats {
  commands: number;
  completed: number;
  /** Completions each with its own interrupt decision (one per command: the HBA does not coalesce). */
  batches: number;
  /** Most commands issued at once (PxCI and PxSACT bits). */
  maxInFlight: number;
  queued: number;
  maxQueued: number;
  bytesRead: number;
  bytesWritten: number;
  flushes: number;
  errors: number;
}

/** What the views show of the HBA and its port. */
export interface AhciSnapshot {
  readonly cap: number;
  readonly ghc: number;
  readonly is: number;
  readonly port: {
    readonly clb: number;
    readonly fb: number;
    readonly is: number;
    readonly ie: number;
    readonly cmd: number;
    readonly tfd: number;
    readonly serr: number;
    readonly sact: number;
    readonly ci: number;
    /** The slot the HBA works on (a non-queued command), or the NCQ tags in flight. */
    readonly active: number | undefined;
    readonly ncqInFlight: readonly number[];
    readonly stoppedBy: string | undefined;
  };
  readonly irq: boolean;
}

/** From PxCI to the disk's D2H acknowledgement of an NCQ command (its command FIS on the link). */
const NCQ_HANDOFF_NS = 1_000;
const TFD_IDLE = AtaStatus.Drdy | AtaStatus.Dsc;
/** After reset: DRDY|DSC, and error 0x01 (diagnostics passed), as the signature FIS leaves it. */
const TFD_RESET = (0x01 << 8) | TFD_IDLE;

export class AhciHba implements BusDevice, ResettableDevice {
  readonly name: string;
  readonly disk: BlockStore;
  readonly slots: number;
  readonly stats: AhciStats = {
    commands: 0,
    completed: 0,
    batches: 0,
    maxInFlight: 0,
    queued: 0,
    maxQueued: 0,
    bytesRead: 0,
    bytesWritten: 0,
    flushes: 0,
    errors: 0,
  };
  readonly windowBytes = PORT_BASE + PORT_STRIDE;

  private readonly irq: IrqLine;
  private readonly clock: Scheduler;
  private readonly emit: (event: DeviceEvent) => void;
  private readonly latencyNs: number;
  private readonly nsPerKiB: number;
  private readonly cap: number;
  private readonly identify: Uint8Array;
  private readonly faults: FaultPoints | undefined;
  private view = IommuView.empty;

  private ghc = Ghc.Ae;
  private clb: [number, number] = [0, 0];
  private fb: [number, number] = [0, 0];
  private pxis = 0;
  private pxie = 0;
  private cmd = 0;
  private tfd = TFD_RESET;
  private sctl = 0;
  private serr = 0;
  private sact = 0;
  private ci = 0;
  /** The non-queued command the HBA is working on, and its completion. */
  private active: { slot: number; event: ScheduledEvent } | undefined;
  /** NCQ commands the disk holds, by tag, each finishing at its own time. */
  private readonly ncq = new Map<number, ScheduledEvent>();
  /** Why the port stopped processing (a fatal PxIS bit), until PxCMD.ST is cleared. */
  private stoppedBy: string | undefined;
  private signaturePosted = false;
  /** Where the HBA looks for the next issued slot: CCS + 1. */
  private nextSlot = 0;

  constructor(options: AhciOptions) {
    this.name = options.name;
    this.disk = options.disk;
    this.irq = options.irq;
    this.clock = options.clock;
    this.emit = options.emit;
    this.slots = options.commandSlots ?? 32;
    if (!Number.isInteger(this.slots) || this.slots < 1 || this.slots > 32)
      throw new RangeError(`${this.name}: an HBA has 1..32 command slots (asked for ${this.slots})`);
    this.faults = options.faults;
    this.latencyNs = options.requestLatencyNs ?? 10_000;
    this.nsPerKiB = options.transferNsPerKiB ?? 6_800;
    this.cap = (Cap.S64a | Cap.Sncq | Cap.Sam | Cap.issGen1 | Cap.ncs(this.slots) | Cap.np(1)) >>> 0;
    const serial = (options.serial ?? `ZDS-${this.name}`).slice(0, 20);
    this.identify = sataIdentify({ sectors: this.disk.sectors, serial, model: "ZDS SATA Disk", firmware: "1.0" });
  }

  /** The guest memory the HBA may reach; replaced whenever its driver's DMA grants change. */
  setIommuView(view: IommuView): void {
    this.view = view;
  }

  /** Power-on reset (also GHC.HR, and what the machine does when the driver dies). */
  reset(): void {
    this.stopPort();
    this.ghc = Ghc.Ae;
    this.clb = [0, 0];
    this.fb = [0, 0];
    this.pxis = 0;
    this.pxie = 0;
    this.cmd = 0;
    this.tfd = TFD_RESET;
    this.sctl = 0;
    this.serr = 0;
    this.signaturePosted = false;
    this.updateIrq();
  }

  snapshot(): AhciSnapshot {
    return {
      cap: this.cap,
      ghc: this.ghc,
      is: this.hbaIs(),
      port: {
        clb: address(this.clb),
        fb: address(this.fb),
        is: this.pxis >>> 0,
        ie: this.pxie >>> 0,
        cmd: this.readCmd(),
        tfd: this.tfd,
        serr: this.serr,
        sact: this.sact,
        ci: this.ci,
        active: this.active?.slot,
        ncqInFlight: [...this.ncq.keys()].sort((a, b) => a - b),
        stoppedBy: this.stoppedBy,
      },
      irq: this.irq.level,
    };
  }

  // ---- BusDevice ------------------------------------------------------------------------------

  read(offset: number, width: AccessWidth): number {
    if (width !== 4 || offset % 4 !== 0) {
      this.driverError(
        `${width}-byte read at ${hex(offset, 3)} (${ahciRegisterName(offset - (offset % 4))}): HBA registers take aligned 32-bit accesses; reads as 0`,
      );
      return 0;
    }
    if (offset < PORT_BASE) {
      switch (offset) {
        case HbaReg.Cap:
          return this.cap;
        case HbaReg.Ghc:
          return this.ghc >>> 0;
        case HbaReg.Is:
          return this.hbaIs();
        case HbaReg.Pi:
          return 1;
        case HbaReg.Vs:
          return AHCI_VERSION_1_3;
        default:
          return 0; // CCC, enclosure management, CAP2, BOHC: not implemented, read as 0
      }
    }
    if (offset >= PORT_BASE + PORT_STRIDE) return 0; // ports PI does not name read as 0
    switch (offset - PORT_BASE) {
      case PortReg.Clb:
        return this.clb[0];
      case PortReg.Clbu:
        return this.clb[1];
      case PortReg.Fb:
        return this.fb[0];
      case PortReg.Fbu:
        return this.fb[1];
      case PortReg.Is:
        return this.pxis >>> 0;
      case PortReg.Ie:
        return this.pxie >>> 0;
      case PortReg.Cmd:
        return this.readCmd();
      case PortReg.Tfd:
        return this.tfd;
      case PortReg.Sig:
        return SIGNATURE_ATA;
      case PortReg.Ssts:
        return (this.sctl & 0xf) === 1 ? 0 : SSTS_UP;
      case PortReg.Sctl:
        return this.sctl;
      case PortReg.Serr:
        return this.serr >>> 0;
      case PortReg.Sact:
        return this.sact >>> 0;
      case PortReg.Ci:
        return this.ci >>> 0;
      default:
        return 0;
    }
  }

  write(offset: number, width: AccessWidth, raw: number): void {
    const value = raw >>> 0;
    if (width !== 4 || offset % 4 !== 0)
      return this.driverError(
        `${width}-byte write at ${hex(offset, 3)} (${ahciRegisterName(offset - (offset % 4))}): HBA registers take aligned 32-bit accesses; dropped`,
      );
    if (offset < PORT_BASE) return this.writeHba(offset, value);
    if (offset >= PORT_BASE + PORT_STRIDE)
      return this.driverError(`write of ${hex(value)} to ${ahciRegisterName(offset)}; ignored`);
    const reg = offset - PORT_BASE;
    switch (reg) {
      case PortReg.Clb:
      case PortReg.Clbu:
      case PortReg.Fb:
      case PortReg.Fbu:
        return this.writeBase(reg, value);
      case PortReg.Is:
        this.pxis &= ~value;
        return this.updateIrq();
      case PortReg.Ie:
        this.pxie = (value & PxIs.Defined) >>> 0;
        return this.updateIrq();
      case PortReg.Cmd:
        return this.writeCmd(value);
      case PortReg.Sctl:
        return this.writeSctl(value);
      case PortReg.Serr:
        this.serr &= ~value;
        return;
      case PortReg.Sact:
        return this.writeSact(value);
      case PortReg.Ci:
        return this.writeCi(value);
      default:
        this.driverError(
          `write of ${hex(value)} to ${ahciRegisterName(offset)}, which is read-only or reserved; ignored`,
        );
    }
  }

  // ---- registers ------------------------------------------------------------------------------

  private writeHba(offset: number, value: number): void {
    if (offset === HbaReg.Ghc) {
      if (value & Ghc.Hr) return this.reset();
      if ((value & Ghc.Ae) === 0)
        this.driverError(`GHC ← ${hex(value)} clears AE: CAP.SAM says this HBA is AHCI only, so AE stays 1`);
      this.ghc = (Ghc.Ae | (value & Ghc.Ie)) >>> 0;
      return this.updateIrq();
    }
    if (offset === HbaReg.Is) return; // port bits clear through PxIS; IS follows them (as in QEMU)
    this.driverError(
      `write of ${hex(value)} to ${ahciRegisterName(offset)}, which is read-only or not implemented; ignored`,
    );
  }

  private writeBase(reg: number, value: number): void {
    const clb = reg === PortReg.Clb || reg === PortReg.Clbu;
    const running = clb ? this.cmd & PxCmd.St : this.cmd & PxCmd.Fre;
    const name = ahciRegisterName(PORT_BASE + reg);
    if (running)
      return this.driverError(
        `${name} ← ${hex(value)} while PxCMD.${clb ? "ST" : "FRE"} = 1: software may move it only while the port is stopped; ignored`,
      );
    const low = reg === PortReg.Clb || reg === PortReg.Fb;
    const align = clb ? 0x3ff : 0xff;
    if (low && (value & align) !== 0)
      this.driverError(
        `${name} ← ${hex(value)}: the ${clb ? "command list is 1 KiB" : "received FIS area is 256-byte"} aligned; bits ${clb ? "9:0" : "7:0"} are ignored`,
      );
    const target = clb ? this.clb : this.fb;
    target[low ? 0 : 1] = low ? (value & ~align) >>> 0 : value;
  }

  private readCmd(): number {
    let v = this.cmd;
    if (v & PxCmd.St) v |= PxCmd.Cr;
    if (v & PxCmd.Fre) v |= PxCmd.Fr;
    if (this.active !== undefined) v |= PxCmd.ccs(this.active.slot);
    else if (this.stoppedBy !== undefined) v |= PxCmd.ccs(this.failedSlot);
    return v >>> 0;
  }

  private failedSlot = 0;

  private writeCmd(value: number): void {
    const old = this.cmd;
    // CLO clears TFD.BSY/DRQ at once and reads back 0.
    if (value & PxCmd.Clo) this.tfd &= ~(AtaStatus.Bsy | AtaStatus.Drq);
    const next = value & PxCmd.Writable & ~PxCmd.Clo;
    if (next & PxCmd.Fre && !(old & PxCmd.Fre)) this.postSignature();
    if (next & PxCmd.St && !(old & PxCmd.St)) {
      if (!(next & PxCmd.Fre))
        this.driverError(
          "PxCMD.ST set while PxCMD.FRE = 0: the port runs, but no FIS it receives is posted to memory (set FRE first, AHCI §10.3.1)",
        );
      if (this.tfd & (AtaStatus.Bsy | AtaStatus.Drq))
        this.driverError(
          `PxCMD.ST set while PxTFD.STS has ${this.tfd & AtaStatus.Bsy ? "BSY" : "DRQ"}: software must wait for them to clear (or use CLO)`,
        );
    }
    this.cmd = next;
    if (old & PxCmd.St && !(next & PxCmd.St)) this.stopPort();
    if (!(old & PxCmd.St) && next & PxCmd.St) this.nextSlot = 0;
    this.kick();
  }

  private writeSctl(value: number): void {
    const det = value & 0xf;
    const wasReset = (this.sctl & 0xf) === 1;
    this.sctl = value & 0xfff;
    if (det === 1) {
      this.stopCommands();
      this.tfd = AtaStatus.Bsy | 0x7f;
    } else if (wasReset) {
      // COMRESET released: the disk comes back and sends its signature.
      this.tfd = TFD_RESET;
      this.signaturePosted = false;
      if (this.cmd & PxCmd.Fre) this.postSignature();
    }
  }

  private writeSact(value: number): void {
    if (!(this.cmd & PxCmd.St)) return this.driverError(`P0SACT ← ${hex(value)} while PxCMD.ST = 0; ignored`);
    this.sact = (this.sact | (value & this.slotMask())) >>> 0;
  }

  private writeCi(value: number): void {
    if (!(this.cmd & PxCmd.St))
      return this.driverError(
        `P0CI ← ${hex(value)} while PxCMD.ST = 0: commands are issued only to a started port; ignored`,
      );
    const beyond = value & ~this.slotMask();
    if (beyond !== 0)
      this.driverError(
        `P0CI ← ${hex(value)}: slots beyond CAP.NCS (${this.slots} slots) do not exist; bits ${hex(beyond >>> 0)} ignored`,
      );
    this.ci = (this.ci | (value & this.slotMask())) >>> 0;
    this.stats.maxInFlight = Math.max(this.stats.maxInFlight, popcount(this.ci | this.sact));
    this.kick();
  }

  private slotMask(): number {
    return this.slots === 32 ? 0xffff_ffff : (1 << this.slots) - 1;
  }

  // ---- commands -------------------------------------------------------------------------------

  /** Start the next issued slot, if the port runs and is free. */
  private kick(): void {
    if (!(this.cmd & PxCmd.St) || this.active !== undefined || this.stoppedBy !== undefined) return;
    if ((this.sctl & 0xf) === 1) return;
    if (this.ci === 0) return;
    // After ST goes 0 → 1 the search starts at slot 0, after that at CCS + 1, wrapping (§3.3.7).
    let slot = this.nextSlot;
    while ((this.ci & (1 << slot)) === 0) slot = (slot + 1) % this.slots;
    this.nextSlot = (slot + 1) % this.slots;
    this.tfd |= AtaStatus.Bsy;
    this.stats.commands++;
    const fault = this.askFaults(slot);
    // A dropped completion: the slot stays busy until software stops the port.
    const delay =
      fault?.kind === "drop"
        ? Number.MAX_SAFE_INTEGER / 2
        : this.takeNs(slot) + (fault?.kind === "delay" ? fault.ns : 0);
    this.active = {
      slot,
      event: this.clock.schedule({ delay }, () => {
        this.active = undefined;
        if (fault?.kind === "io-error") this.injectedError(slot);
        else this.run(slot);
        this.updateIrq();
        this.kick();
      }),
    };
  }

  /** What an armed fault does to the command in `slot` (NCQ commands are not offered). */
  private askFaults(slot: number): RequestAction | undefined {
    if (this.faults === undefined) return undefined;
    const f = this.fetch(slot);
    if (isDmaFault(f)) return undefined;
    const c = f.cfis[2];
    const lba = lbaOf(f.cfis);
    const sectors = sectorCount(f.cfis[12] | (f.cfis[13] << 8));
    let op: DiskOperation;
    if (c === AtaCmd.ReadDmaExt) op = { op: "read", sector: lba, sectors };
    else if (c === AtaCmd.WriteDmaExt) op = { op: "write", sector: lba, sectors };
    else if (c === AtaCmd.FlushCache || c === AtaCmd.FlushCacheExt) op = { op: "flush", sector: 0, sectors: 0 };
    else if (c === AtaCmd.ReadFpdmaQueued || c === AtaCmd.WriteFpdmaQueued) return undefined;
    else op = { op: "other", sector: 0, sectors: 0 };
    return this.faults.request(this.name, op);
  }

  /** An injected disk error: the command ends as a failed read (UNC) or write/other (ABRT) would. */
  private injectedError(slot: number): void {
    const f = this.fetch(slot);
    const read = !isDmaFault(f) && f.cfis[2] === AtaCmd.ReadDmaExt;
    this.taskFileError(slot, read ? AtaError.Unc : AtaError.Abrt, `slot ${slot}: injected fault (io-error)`);
  }

  /** How long the link is busy with the command in `slot` (the latency model only): an NCQ
   *  command only its command FIS and the disk's acknowledgement, any other one all its work. */
  private takeNs(slot: number): number {
    const f = this.fetch(slot);
    if (isDmaFault(f)) return this.latencyNs;
    const c = f.cfis[2];
    if (c === AtaCmd.ReadFpdmaQueued || c === AtaCmd.WriteFpdmaQueued) return NCQ_HANDOFF_NS;
    const bytes =
      c === AtaCmd.ReadDmaExt || c === AtaCmd.WriteDmaExt
        ? sectorCount(f.cfis[12] | (f.cfis[13] << 8)) * SECTOR_BYTES
        : 0;
    return this.latencyNs + Math.ceil(bytes / 1024) * this.nsPerKiB;
  }

  private fetch(slot: number): Fetched | DmaFault {
    const at = address(this.clb) + slot * HEADER_BYTES;
    const header = this.view.readLe32(at);
    if (isDmaFault(header)) return header;
    const ctba = this.view.readLe64(at + 8);
    if (isDmaFault(ctba)) return ctba;
    const base = ctba > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER + 1 : Number(ctba & ~0x7fn);
    const cfis = this.view.read(base, CFIS_BYTES);
    if (isDmaFault(cfis)) return cfis;
    return { slot, header, ctba: base, prdtl: header >>> 16, cfis };
  }

  /** Take slot `slot` off the link: execute it, post its FISes, or stop the port. */
  private run(slot: number): void {
    const f = this.fetch(slot);
    if (isDmaFault(f))
      return this.hostBusFatal(
        slot,
        `fetching command slot ${slot} (command header at CLB + ${slot * HEADER_BYTES}, or its table)`,
        f,
      );
    const fis = f.cfis;
    if (fis[0] !== FisType.RegH2d || (fis[1] & 0x80) === 0) {
      this.serr |= PxSerr.ProtocolError;
      return this.taskFileError(
        slot,
        AtaError.Abrt,
        `slot ${slot}: the command FIS is ${fis[0] === FisType.RegH2d ? "a register FIS with C = 0 (no command)" : `of type ${hex(fis[0], 2)}, not a register host-to-device FIS (0x27)`}; the disk aborts it`,
      );
    }
    const command = fis[2];
    if (f.header & Header.Atapi)
      return this.taskFileError(slot, AtaError.Abrt, `slot ${slot}: header A = 1 (ATAPI) for a disk`);
    if (command === AtaCmd.ReadFpdmaQueued || command === AtaCmd.WriteFpdmaQueued) return this.queue(f);
    const outcome = executeCommand(this.diskHost(), f, command);
    if (!outcome.ok) {
      if (outcome.fault)
        return this.hostBusFatal(slot, `${ataCommandName(command)} in slot ${slot}: ${outcome.why}`, outcome.fault);
      return this.taskFileError(slot, outcome.error, `${ataCommandName(command)} in slot ${slot}: ${outcome.why}`);
    }
    this.setPrdbc(slot, outcome.bytes);
    if (command === AtaCmd.IdentifyDevice) this.postPioSetup(outcome.bytes);
    this.tfd = TFD_IDLE;
    this.postD2h(TFD_IDLE, 0, true);
    this.ci &= ~(1 << slot);
    this.stats.completed++;
    this.stats.batches++;
  }

  // ---- NCQ ------------------------------------------------------------------------------------

  /** READ/WRITE FPDMA QUEUED: the disk takes the command (CI clears, BSY drops) and finishes it on its own time. */
  private queue(f: Fetched): void {
    const fis = f.cfis;
    const tag = (fis[12] >> 3) & 0x1f;
    const count = sectorCount(fis[3] | (fis[11] << 8));
    const write = fis[2] === AtaCmd.WriteFpdmaQueued;
    const lba = lbaOf(fis);
    this.ci &= ~(1 << f.slot);
    if (tag !== f.slot || !(this.sact & (1 << tag)) || this.ncq.has(tag)) {
      const why =
        tag !== f.slot
          ? `its tag ${tag} is not its slot ${f.slot}`
          : this.ncq.has(tag)
            ? `tag ${tag} is already queued`
            : `PxSACT bit ${tag} was not set before PxCI`;
      this.ci |= 1 << f.slot;
      return this.taskFileError(f.slot, AtaError.Abrt, `${ataCommandName(fis[2])} in slot ${f.slot}: ${why}`);
    }
    this.tfd = TFD_IDLE;
    this.stats.queued = this.ncq.size + 1;
    this.stats.maxQueued = Math.max(this.stats.maxQueued, this.stats.queued);
    const delay = this.latencyNs + Math.ceil((count * SECTOR_BYTES) / 1024) * this.nsPerKiB;
    this.ncq.set(
      tag,
      this.clock.schedule({ delay }, () => {
        this.ncq.delete(tag);
        this.stats.queued = this.ncq.size;
        const outcome = dmaCommand(this.diskHost(), f, write, lba, count);
        if (!outcome.ok) {
          if (outcome.fault) this.dmaFault(`${ataCommandName(fis[2])} tag ${tag}: ${outcome.why}`, outcome.fault);
          return this.ncqError(
            tag,
            outcome.error,
            `${ataCommandName(fis[2])} tag ${tag}: ${outcome.why}`,
            outcome.fault !== undefined,
          );
        }
        this.sact &= ~(1 << tag);
        this.stats.completed++;
        this.stats.batches++;
        this.postSdb(TFD_IDLE, 0, 1 << tag);
        this.updateIrq();
      }),
    );
  }

  private ncqError(tag: number, error: number, why: string, hostBus: boolean): void {
    this.stats.errors++;
    this.driverError(
      `${why}; the disk reports an error in a Set Device Bits FIS and the port stops until PxCMD.ST is cleared`,
    );
    this.tfd = (error << 8) | TFD_IDLE | AtaStatus.Err;
    this.postSdb(this.tfd & 0xff, error, 0);
    this.pxis |= hostBus ? PxIs.Hbfs | PxIs.Tfes : PxIs.Tfes;
    this.failedSlot = tag;
    this.halt(why);
    this.updateIrq();
  }

  // ---- errors ---------------------------------------------------------------------------------

  /** The disk ended the command with an error: D2H FIS with ERR, PxIS.TFES, the port stops. */
  private taskFileError(slot: number, error: number, why: string): void {
    this.stats.errors++;
    this.driverError(`${why}; PxTFD.STS.ERR, PxIS.TFES, and the port stops until PxCMD.ST is cleared`);
    this.tfd = (error << 8) | TFD_IDLE | AtaStatus.Err;
    this.postD2h(this.tfd & 0xff, error, true);
    this.pxis |= PxIs.Tfes;
    this.failedSlot = slot;
    this.halt(why);
  }

  /** The HBA could not reach memory it needed: PxIS.HBFS, the port stops. */
  private hostBusFatal(slot: number, why: string, fault: DmaFault): void {
    this.stats.errors++;
    this.dmaFault(why, fault);
    this.tfd = (AtaError.Abrt << 8) | TFD_IDLE | AtaStatus.Err;
    this.pxis |= PxIs.Hbfs;
    this.failedSlot = slot;
    this.halt(`host bus fatal error: ${why}`);
  }

  private dmaFault(why: string, fault: DmaFault): void {
    this.emit({
      kind: "dma-fault",
      device: this.name,
      address: fault.address,
      length: fault.length,
      write: fault.write,
      detail: `${why.includes(fault.reason) ? why : `${why}: ${fault.reason}`}; the port stops (PxIS.HBFS) until PxCMD.ST is cleared`,
      at: this.clock.now(),
    });
  }

  private halt(why: string): void {
    this.stoppedBy = why;
    for (const event of this.ncq.values()) event.cancel();
    this.ncq.clear();
  }

  /** PxCMD.ST 1 → 0: the HBA drops every issued command (CI, SACT) and CR clears (§3.3.7). */
  private stopPort(): void {
    this.stopCommands();
    this.stoppedBy = undefined;
  }

  private stopCommands(): void {
    this.active?.event.cancel();
    this.active = undefined;
    for (const event of this.ncq.values()) event.cancel();
    this.ncq.clear();
    this.ci = 0;
    this.sact = 0;
  }

  // ---- FISes and the interrupt ----------------------------------------------------------------

  /** Post a FIS into the received FIS area (only while FRE = 1), raise `status` in PxIS. */
  private post(offset: number, fis: Uint8Array, status: number): void {
    if (this.cmd & PxCmd.Fre) {
      const fault = this.view.write(address(this.fb) + offset, fis);
      if (fault !== undefined) {
        this.dmaFault("posting a received FIS (FB)", fault);
        this.pxis |= PxIs.Hbfs;
        this.halt("host bus fatal error: the received FIS area is outside the DMA grant");
      }
    }
    this.pxis |= status;
    this.updateIrq();
  }

  private postD2h(status: number, error: number, interrupt: boolean): void {
    this.post(RxFis.RegD2h, d2hFis(status, error, interrupt), interrupt ? PxIs.Dhrs : 0);
  }

  private postPioSetup(bytes: number): void {
    this.post(RxFis.PioSetup, pioSetupFis(bytes), PxIs.Pss);
  }

  private postSdb(status: number, error: number, done: number): void {
    this.post(RxFis.SetDeviceBits, setDeviceBitsFis(status, error, done), PxIs.Sdbs);
  }

  /** When FRE is first set after a reset, the disk's signature FIS lands in the area (no interrupt). */
  private postSignature(): void {
    if (this.signaturePosted) return;
    this.signaturePosted = true;
    const fault = this.view.write(address(this.fb) + RxFis.RegD2h, signatureFis(this.tfd));
    if (fault !== undefined)
      this.driverError(
        `PxCMD.FRE set with FB ${hex(address(this.fb))} outside the DMA grant: the signature FIS is lost (${fault.reason})`,
      );
  }

  /** What the disk commands need of the HBA. */
  private diskHost(): DiskHost {
    return {
      view: this.view,
      disk: this.disk,
      identify: this.identify,
      stats: this.stats,
      overflow: () => (this.pxis |= PxIs.Ofs),
      hostError: (message) => this.emit({ kind: "host-error", device: this.name, message, at: this.clock.now() }),
    };
  }

  private setPrdbc(slot: number, bytes: number): void {
    this.view.writeLe32(address(this.clb) + slot * HEADER_BYTES + 4, bytes);
  }

  private hbaIs(): number {
    return (this.pxis & this.pxie) !== 0 ? 1 : 0;
  }

  private updateIrq(): void {
    this.irq.set((this.ghc & Ghc.Ie) !== 0 && this.hbaIs() !== 0);
  }

  private driverError(message: string): void {
    this.emit({ kind: "driver-error", device: this.name, message, at: this.clock.now() });
  }
}

function popcount(bits: number): number {
  let n = 0;
  for (let v = bits >>> 0; v !== 0; v &= v - 1) n++;
  return n;
}

function address([low, high]: readonly [number, number]): number {
  return high * 2 ** 32 + low;
}
