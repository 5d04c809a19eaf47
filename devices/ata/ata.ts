// An ATA disk on one IDE channel, PIO only (ATA/ATAPI-6 protocols PIO data-in, PIO data-out and
// non-data), device 0 only, backed by a BlockStore.
//
// What a driver sees, as on real controllers:
//   - BSY while the device works (on the virtual clock), then DRQ when a sector can move through
//     the 16-bit data register, or DRDY alone when the command is done, ERR (+ Error register) if not.
//   - INTRQ: raised when a sector is ready to read (each sector of READ SECTORS, IDENTIFY), when
//     the device has taken a written sector and wants the next (WRITE SECTORS), and at the end of a
//     write, a flush or a failed command. Reading the Status register (not Alternate Status)
//     clears it; writing a command clears it; nIEN in Device Control keeps the line low.
//   - SRST in Device Control resets the device; the ATA signature appears when it is released.
// Commands: IDENTIFY DEVICE, READ SECTORS, WRITE SECTORS (LBA28; count 0 = 256), FLUSH CACHE.
// Anything else, or CHS addressing, is aborted (ERR + ABRT). Beyond the disk: ERR + IDNF.

import type { AccessWidth, BusDevice } from "../bus-access";
import type { Scheduler, ScheduledEvent } from "../clock";
import type { ResettableDevice } from "../device-interfaces";
import { SECTOR_SIZE, type BlockStore } from "../disk/block-store";
import { hex } from "../format";
import type { IrqLine } from "../irq";
import type { DeviceEvent } from "../machine-interface";
import type { FaultPoints, RequestAction } from "../faults";
import { AtaCommand, AtaControl, AtaDeviceBits, AtaError, AtaReg, AtaStatus, LBA28_MAX_SECTORS } from "./ata-registers";
import { identifyData } from "./identify";

export interface AtaOptions {
  readonly name: string;
  readonly disk: BlockStore;
  readonly irq: IrqLine;
  readonly clock: Scheduler;
  readonly emit: (event: DeviceEvent) => void;
  /** BSY time per sector read or written, and per non-data command (ns). */
  readonly sectorNs?: number;
  /** BSY time after SRST is released (ns). */
  readonly resetNs?: number;
  /** Armed faults (devices/faults.ts): an error for chosen sectors or commands, a late or lost completion. */
  readonly faults?: FaultPoints;
}

/** What the device is doing between register accesses. */
type Phase =
  | { readonly kind: "idle" }
  | { readonly kind: "busy" }
  | { readonly kind: "reset" }
  /** DRQ: the host reads `buffer`; then `after` (next sector, or done). */
  | { readonly kind: "data-in"; readonly buffer: Uint8Array; pos: number; readonly after: () => void }
  /** DRQ: the host fills `buffer`; then `after` stores it. */
  | { readonly kind: "data-out"; readonly buffer: Uint8Array; pos: number; readonly after: () => void };

/** Counters for tests and views. */
export interface AtaStats {
  commands: number;
  sectorsRead: number;
  sectorsWritten: number;
  interrupts: number;
}

const MODEL = "ZDS ATA DISK";
const FIRMWARE = "1.0";

/** The ATA task file at one moment (see AtaDevice.snapshot). */
export interface AtaSnapshot {
  status: number;
  error: number;
  features: number;
  sectorCount: number;
  lbaLow: number;
  lbaMid: number;
  lbaHigh: number;
  device: number;
  control: number;
  intrq: boolean;
  phase: string;
}

export class AtaDevice implements ResettableDevice {
  readonly name: string;
  readonly disk: BlockStore;
  readonly stats: AtaStats = { commands: 0, sectorsRead: 0, sectorsWritten: 0, interrupts: 0 };
  /** Ports 0x1F0–0x1F7 (command block). */
  readonly commandBlock: BusDevice;
  /** Port 0x3F6 (alternate status / device control). */
  readonly controlBlock: BusDevice;

  private readonly irq: IrqLine;
  private readonly clock: Scheduler;
  private readonly emit: (event: DeviceEvent) => void;
  private readonly sectorNs: number;
  private readonly resetNs: number;

  // The task file. Features is kept as written: its only user, SET FEATURES, is aborted here.
  private features = 0;
  private sectorCount = 0;
  private lbaLow = 0;
  private lbaMid = 0;
  private lbaHigh = 0;
  private device = 0;
  private error = 0;
  private status = 0;
  private control = 0;

  private intrq = false;
  private phase: Phase = { kind: "idle" };
  private timer: ScheduledEvent | undefined;
  private readonly faults: FaultPoints | undefined;
  /** What an armed fault does to the command now starting (devices/faults.ts). */
  private injected: RequestAction | undefined;

  constructor(options: AtaOptions) {
    this.name = options.name;
    this.disk = options.disk;
    this.irq = options.irq;
    this.clock = options.clock;
    this.emit = options.emit;
    this.sectorNs = options.sectorNs ?? 10_000;
    this.resetNs = options.resetNs ?? 50_000;
    this.faults = options.faults;
    this.commandBlock = {
      read: (offset, width) => this.readCommandBlock(offset, width),
      write: (offset, width, value) => this.writeCommandBlock(offset, width, value),
    };
    this.controlBlock = {
      read: () => this.alternateStatus(),
      write: (_offset, _width, value) => this.writeControl(value),
    };
    this.reset();
  }

  /** The task file and the command phase, without a read's side effects (for the views). */
  snapshot(): AtaSnapshot {
    return {
      status: this.status,
      error: this.error,
      features: this.features,
      sectorCount: this.sectorCount,
      lbaLow: this.lbaLow,
      lbaMid: this.lbaMid,
      lbaHigh: this.lbaHigh,
      device: this.device,
      control: this.control,
      intrq: this.intrq,
      phase: this.phase.kind,
    };
  }

  /** Power-on (hardware) reset: also what the machine does when the driver dies. */
  reset(): void {
    this.cancelTimer();
    this.control = 0;
    this.features = 0;
    this.completeReset();
  }

  // ---- register file ---------------------------------------------------------------------------

  private readCommandBlock(offset: number, width: AccessWidth): number {
    if (offset === AtaReg.Data) return this.readData(width);
    if (width !== 1)
      this.driverError(
        `${width}-byte read of ${registerName(offset, "read")}: task-file registers are 8 bits wide; only the low byte is defined`,
      );
    switch (offset) {
      case AtaReg.Error:
        return this.error;
      case AtaReg.SectorCount:
        return this.sectorCount;
      case AtaReg.LbaLow:
        return this.lbaLow;
      case AtaReg.LbaMid:
        return this.lbaMid;
      case AtaReg.LbaHigh:
        return this.lbaHigh;
      case AtaReg.Device:
        return this.device | AtaDeviceBits.Obsolete;
      default: {
        // Reading Status acknowledges the interrupt (ATA-6 §5.2.13); Alternate Status does not.
        const status = this.alternateStatus();
        this.setIntrq(false);
        return status;
      }
    }
  }

  private writeCommandBlock(offset: number, width: AccessWidth, value: number): void {
    if (offset === AtaReg.Data) return this.writeData(width, value);
    if (this.phase.kind === "busy" || this.phase.kind === "reset") {
      return this.driverError(
        `write of ${hex(value)} to ${registerName(offset, "write")} while BSY is set; the device ignores it (wait for BSY to clear)`,
      );
    }
    const byte = value & 0xff;
    switch (offset) {
      case AtaReg.Features:
        this.features = byte;
        return;
      case AtaReg.SectorCount:
        this.sectorCount = byte;
        return;
      case AtaReg.LbaLow:
        this.lbaLow = byte;
        return;
      case AtaReg.LbaMid:
        this.lbaMid = byte;
        return;
      case AtaReg.LbaHigh:
        this.lbaHigh = byte;
        return;
      case AtaReg.Device:
        this.device = byte & ~AtaDeviceBits.Obsolete;
        return;
      default:
        return this.command(byte);
    }
  }

  private alternateStatus(): number {
    // No device 1 on this channel: with it selected, device 0 answers status reads with 0.
    if (this.deviceOneSelected()) return 0;
    return this.status;
  }

  private writeControl(value: number): void {
    const wasReset = (this.control & AtaControl.Srst) !== 0;
    this.control = value & 0xff;
    const inReset = (this.control & AtaControl.Srst) !== 0;
    if (!wasReset && inReset) {
      // Held in reset: everything stops, BSY until SRST is released.
      this.cancelTimer();
      this.phase = { kind: "reset" };
      this.status = AtaStatus.Bsy;
      this.setIntrq(false);
    } else if (wasReset && !inReset) {
      this.schedule(this.resetNs, () => this.completeReset());
    }
    this.updateLine();
  }

  private completeReset(): void {
    this.phase = { kind: "idle" };
    this.status = AtaStatus.Drdy;
    // The ATA signature (device 0 passed diagnostics): error 01h, count 01h, LBA 00 00 01.
    this.error = 0x01;
    this.sectorCount = 1;
    this.lbaLow = 1;
    this.lbaMid = 0;
    this.lbaHigh = 0;
    this.device = 0;
    this.setIntrq(false);
  }

  // ---- commands -------------------------------------------------------------------------------

  private command(code: number): void {
    if (this.deviceOneSelected())
      return this.driverError(
        `command ${hex(code)} with device 1 selected, but this channel has device 0 only; ignored`,
      );
    if (this.phase.kind !== "idle") {
      return this.driverError(
        `command ${hex(code)} written while a ${this.phase.kind === "data-in" ? "read" : "write"} is waiting for the data register (DRQ); ignored`,
      );
    }
    this.stats.commands++;
    this.setIntrq(false);
    this.error = 0;
    switch (code) {
      case AtaCommand.IdentifyDevice:
        return this.busy(() => this.offerSector(this.identifyBytes(), () => this.finish(false)));
      case AtaCommand.ReadSectors:
      case AtaCommand.ReadSectorsNoRetry:
        return this.transfer("read");
      case AtaCommand.WriteSectors:
      case AtaCommand.WriteSectorsNoRetry:
        return this.transfer("write");
      case AtaCommand.FlushCache:
        if (this.faultCommand({ op: "flush", sector: 0, sectors: 0 }, AtaError.Abrt)) return;
        return this.busy(() =>
          this.hostIo(`flush of ${this.disk.label}`, () => this.disk.flush()) ? this.finish(true) : undefined,
        );
      default:
        this.driverError(
          `command ${hex(code)} is not implemented by this device (IDENTIFY DEVICE 0xEC, READ SECTORS 0x20, WRITE SECTORS 0x30, FLUSH CACHE 0xE7); aborted`,
        );
        return this.busy(() => this.fail(AtaError.Abrt));
    }
  }

  private transfer(direction: "read" | "write"): void {
    const name = direction === "read" ? "READ SECTORS" : "WRITE SECTORS";
    if ((this.device & AtaDeviceBits.Lba) === 0) {
      this.driverError(
        `${name} in CHS mode (LBA bit 6 of the Device register clear); this device takes LBA addresses only; aborted`,
      );
      return this.busy(() => this.fail(AtaError.Abrt));
    }
    const lba = ((this.device & 0x0f) << 24) + (this.lbaHigh << 16) + (this.lbaMid << 8) + this.lbaLow;
    const count = this.sectorCount === 0 ? 256 : this.sectorCount;
    const limit = Math.min(this.disk.sectors, LBA28_MAX_SECTORS);
    if (lba + count > limit) {
      this.driverError(
        `${name} of ${count} sector(s) at LBA ${lba} runs past the end of the disk (${limit} sectors); ID not found`,
      );
      return this.busy(() => this.fail(AtaError.Idnf));
    }
    if (
      this.faultCommand(
        { op: direction, sector: lba, sectors: count },
        direction === "read" ? AtaError.Unc : AtaError.Abrt,
      )
    )
      return;
    if (direction === "read") this.busy(() => this.readSector(lba, count));
    // PIO data-out: the first DRQ comes without an interrupt; later ones with one.
    else this.busy(() => this.acceptSector(lba, count, false));
  }

  private readSector(lba: number, left: number): void {
    const buffer = new Uint8Array(SECTOR_SIZE);
    if (!this.hostIo(`read of sector ${lba} from ${this.disk.label}`, () => this.disk.read(lba, buffer))) return;
    this.stats.sectorsRead++;
    this.offerSector(buffer, () => {
      if (left > 1) this.busy(() => this.readSector(lba + 1, left - 1));
      else this.finish(false);
    });
  }

  private acceptSector(lba: number, left: number, interrupt: boolean): void {
    const buffer = new Uint8Array(SECTOR_SIZE);
    this.phase = {
      kind: "data-out",
      buffer,
      pos: 0,
      after: () =>
        this.busy(() => {
          if (!this.hostIo(`write of sector ${lba} to ${this.disk.label}`, () => this.disk.write(lba, buffer))) return;
          this.stats.sectorsWritten++;
          if (left > 1) this.acceptSector(lba + 1, left - 1, true);
          else this.finish(true);
        }),
    };
    this.status = AtaStatus.Drdy | AtaStatus.Drq;
    if (interrupt) this.setIntrq(true);
  }

  /** A sector is ready in the buffer: DRQ and an interrupt (PIO data-in). */
  private offerSector(buffer: Uint8Array, after: () => void): void {
    this.phase = { kind: "data-in", buffer, pos: 0, after };
    this.status = AtaStatus.Drdy | AtaStatus.Drq;
    this.setIntrq(true);
  }

  /** The command is done. Reads end quietly after the last sector; other commands interrupt. */
  private finish(interrupt: boolean): void {
    this.phase = { kind: "idle" };
    this.status = AtaStatus.Drdy;
    if (interrupt) this.setIntrq(true);
  }

  private fail(error: number, deviceFault = false): void {
    this.phase = { kind: "idle" };
    this.error = error;
    this.status = AtaStatus.Drdy | AtaStatus.Err | (deviceFault ? AtaStatus.Df : 0);
    this.setIntrq(true);
  }

  /** Run a host disk operation; on failure the command ends with DF + ERR (ABRT). */
  private hostIo(what: string, op: () => void): boolean {
    try {
      op();
      return true;
    } catch (error) {
      this.emit({
        kind: "host-error",
        device: this.name,
        message: `${what} failed: ${error instanceof Error ? error.message : String(error)}; the command ends with DF and ERR`,
        at: this.clock.now(),
      });
      this.fail(AtaError.Abrt, true);
      return false;
    }
  }

  private identifyBytes(): Uint8Array {
    const words = identifyData({
      sectors: this.disk.sectors,
      serial: `ZDS-${this.name}`,
      firmware: FIRMWARE,
      model: MODEL,
    });
    const bytes = new Uint8Array(SECTOR_SIZE);
    const view = new DataView(bytes.buffer);
    words.forEach((word, i) => view.setUint16(2 * i, word, true));
    return bytes;
  }

  // ---- the data register ----------------------------------------------------------------------

  private readData(width: AccessWidth): number {
    const phase = this.phase;
    if (phase.kind !== "data-in") {
      this.driverError(
        `read of the data register (0x${(0x1f0).toString(16).toUpperCase()}) without DRQ: no sector is waiting; reads as all ones`,
      );
      return width === 4 ? 0xffff_ffff : width === 2 ? 0xffff : 0xff;
    }
    if (width === 1)
      this.driverError("8-bit read of the data register: PIO transfers are 16 bits wide; one byte taken");
    let value = 0;
    for (let i = 0; i < width && phase.pos < phase.buffer.length; i++)
      value += phase.buffer[phase.pos++] * 2 ** (8 * i);
    if (phase.pos === phase.buffer.length) {
      this.status = AtaStatus.Drdy;
      phase.after();
    }
    return value;
  }

  private writeData(width: AccessWidth, value: number): void {
    const phase = this.phase;
    if (phase.kind !== "data-out") {
      return this.driverError(
        `write of ${hex(value)} to the data register without DRQ: the device is not expecting data; ignored`,
      );
    }
    if (width === 1)
      this.driverError("8-bit write of the data register: PIO transfers are 16 bits wide; one byte taken");
    for (let i = 0; i < width && phase.pos < phase.buffer.length; i++)
      phase.buffer[phase.pos++] = Math.floor(value / 2 ** (8 * i)) & 0xff;
    if (phase.pos === phase.buffer.length) {
      this.status = AtaStatus.Drdy;
      phase.after();
    }
  }

  // ---- time and the interrupt line ------------------------------------------------------------

  /** An armed fault for this command: an error (after the usual BSY time), BSY forever (a lost
   *  completion: only SRST ends it), or a late start. True when the command ends here. */
  private faultCommand(op: Parameters<FaultPoints["request"]>[1], error: number): boolean {
    const action = this.faults?.request(this.name, op);
    this.injected = undefined;
    if (action?.kind === "io-error") {
      this.busy(() => this.fail(error));
      return true;
    }
    if (action?.kind === "drop") {
      this.phase = { kind: "busy" };
      this.status = AtaStatus.Bsy;
      this.cancelTimer();
      return true;
    }
    if (action?.kind === "delay") this.injected = action;
    return false;
  }

  /** BSY for one sector time (plus an injected delay, once), then `next`. */
  private busy(next: () => void): void {
    this.phase = { kind: "busy" };
    this.status = AtaStatus.Bsy;
    const extra = this.injected?.kind === "delay" ? this.injected.ns : 0;
    this.injected = undefined;
    this.schedule(this.sectorNs + extra, next);
  }

  private schedule(delay: number, next: () => void): void {
    this.cancelTimer();
    const timer = this.clock.schedule({ delay }, () => {
      if (this.timer === timer) this.timer = undefined;
      next();
    });
    this.timer = timer;
  }

  private cancelTimer(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }

  private setIntrq(pending: boolean): void {
    if (pending && !this.intrq) this.stats.interrupts++;
    this.intrq = pending;
    this.updateLine();
  }

  private updateLine(): void {
    // nIEN set: the device leaves INTRQ undriven, so the line stays low (the request stays pending).
    this.irq.set(this.intrq && (this.control & AtaControl.NIen) === 0);
  }

  private deviceOneSelected(): boolean {
    return (this.device & AtaDeviceBits.Dev) !== 0;
  }

  private driverError(message: string): void {
    this.emit({ kind: "driver-error", device: this.name, message, at: this.clock.now() });
  }
}

function registerName(offset: number, direction: "read" | "write"): string {
  const names =
    direction === "read"
      ? ["Data", "Error", "Sector Count", "LBA Low", "LBA Mid", "LBA High", "Device", "Status"]
      : ["Data", "Features", "Sector Count", "LBA Low", "LBA Mid", "LBA High", "Device", "Command"];
  return `${names[offset] ?? "?"} (offset ${offset})`;
}
