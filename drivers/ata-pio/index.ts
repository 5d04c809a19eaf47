// ata-pio: a driver for an ATA disk on the primary IDE channel, using programmed I/O, offered to
// other programs as the "blk" service (the same protocol as virtio-blk; docs/block-protocol.md).
//
// The disk is driven through eight "task file" registers at ports 0x1F0–0x1F7 and one control
// port at 0x3F6. A command is: write the sector count and the 28-bit LBA, then the command code.
// The device sets BSY while it works. When a sector can move, it sets DRQ and we transfer it
// through the 16-bit data register, 256 words per sector, one port access each — that is what PIO
// means, and why DMA exists. Reading the Status register tells the device we saw its interrupt.
//
//   READ SECTORS   per sector: interrupt → status → read 256 words
//   WRITE SECTORS  first sector: wait for DRQ (no interrupt), write 256 words;
//                  then per sector: interrupt → status → next sector or done
//   FLUSH CACHE    interrupt → status
//
// One command at a time: the channel has one set of registers, so requests are served in order.

import {
  BLK_SECTOR_SIZE,
  BlkError,
  BlkTag,
  blockError,
  blockInfoPayload,
  decodeBlockRequest,
  defineDriver,
  irq,
  ports,
  serve,
  type BlockInfo,
  type Irq,
  type PortRange,
  type Request,
} from "@zds/sdk";

// Command block registers (ATA/ATAPI-6 §7).
const DATA = 0x1f0;
const ERROR = 0x1f1;
const SECTOR_COUNT = 0x1f2;
const LBA_LOW = 0x1f3;
const LBA_MID = 0x1f4;
const LBA_HIGH = 0x1f5;
const DEVICE = 0x1f6;
const STATUS = 0x1f7; // read
const COMMAND = 0x1f7; // write
// Control block: read = Alternate Status (does not acknowledge the interrupt), write = Device Control.
const ALT_STATUS = 0x3f6;
const DEVICE_CONTROL = 0x3f6;

const STATUS_ERR = 0x01;
const STATUS_DRQ = 0x08;
const STATUS_DF = 0x20;
const STATUS_BSY = 0x80;
const ERROR_ABRT = 0x04;
const ERROR_IDNF = 0x10;
const CONTROL_SRST = 0x04;
/** Device register: LBA addressing, device 0 (bits 7 and 5 are obsolete and set by convention). */
const DEVICE_LBA = 0xe0;

const CMD_READ_SECTORS = 0x20;
const CMD_WRITE_SECTORS = 0x30;
const CMD_FLUSH_CACHE = 0xe7;
const CMD_IDENTIFY = 0xec;

const WORDS_PER_SECTOR = BLK_SECTOR_SIZE / 2;
/** A device that stays BSY this many status reads is not coming back. */
const MAX_POLLS = 100_000;

/** What every handler needs: the two port ranges and the interrupt. */
interface Channel {
  readonly io: PortRange;
  readonly ctl: PortRange;
  readonly irq: Irq;
}

/** A command the device refused: ERR with this Error register, or DF. */
class AtaFailure extends Error {
  constructor(readonly status: number, readonly error: number) {
    super(`ATA command failed: status 0x${status.toString(16)}, error 0x${error.toString(16)}`);
  }
}

export default defineDriver({
  name: "ata-pio",
  device: { ports: { first: 0x1f0, last: 0x1f7 } },
  caps: {
    io: ports({ first: 0x1f0, last: 0x1f7 }),
    ctl: ports({ first: 0x3f6, last: 0x3f6 }),
    irq: irq(),
    blk: serve("blk"),
  },
  main({ io, ctl, irq, blk }, sys) {
    const ch: Channel = { io, ctl, irq };
    resetChannel(ch);
    const id = identify(ch);
    const info: BlockInfo = { sectors: id.sectors, readOnly: false, flush: true };
    blk.ready();
    sys.debug(`ata-pio: ready, "${id.model}" serial "${id.serial}", ${id.sectors} sectors`);
    for (;;) handleRequest(ch, info, blk.receive());
  },
});

function handleRequest(ch: Channel, info: BlockInfo, req: Request): void {
  const request = decodeBlockRequest(req.tag, req.payload, info);
  try {
    switch (request.kind) {
      case "info":
        req.reply(BlkTag.INFO_REPLY, blockInfoPayload(info));
        return;
      case "refused":
        req.reply(BlkTag.ERROR, blockError(request.error));
        return;
      case "read":
        req.reply(BlkTag.DATA, readSectors(ch, request.sector, request.count));
        return;
      case "write":
        writeSectors(ch, request.sector, request.count, request.data);
        req.reply(BlkTag.DONE);
        return;
      case "flush":
        command(ch, CMD_FLUSH_CACHE);
        checkStatus(ch, waitForInterrupt(ch));
        req.reply(BlkTag.DONE);
        return;
    }
  } catch (error) {
    if (!(error instanceof AtaFailure)) throw error;
    req.reply(BlkTag.ERROR, blockError(error.error & ERROR_IDNF ? BlkError.RANGE : BlkError.IO));
  }
}

/** Software reset (SRST), then wait for the device to come out of BSY. Interrupts stay enabled. */
function resetChannel(ch: Channel): void {
  ch.ctl.out8(DEVICE_CONTROL, CONTROL_SRST);
  ch.ctl.out8(DEVICE_CONTROL, 0);
  waitWhileBusy(ch);
}

/** IDENTIFY DEVICE: 256 words describing the disk. Strings hold two characters per word, the
 *  first in the high byte. */
function identify(ch: Channel): { sectors: number; model: string; serial: string } {
  ch.io.out8(DEVICE, DEVICE_LBA);
  command(ch, CMD_IDENTIFY);
  expectData(ch, waitForInterrupt(ch));
  const words = new Uint16Array(WORDS_PER_SECTOR);
  for (let i = 0; i < WORDS_PER_SECTOR; i++) words[i] = ch.io.in16(DATA);
  const text = (first: number, count: number): string => {
    let s = "";
    for (let i = first; i < first + count; i++) s += String.fromCharCode(words[i] >> 8, words[i] & 0xff);
    return s.trim();
  };
  // Words 60–61: sectors addressable with LBA28.
  return { sectors: words[60] + words[61] * 0x10000, serial: text(10, 10), model: text(27, 20) };
}

function readSectors(ch: Channel, lba: number, count: number): Uint8Array {
  setUpTransfer(ch, lba, count);
  command(ch, CMD_READ_SECTORS);
  const out = new Uint8Array(count * BLK_SECTOR_SIZE);
  for (let s = 0; s < count; s++) {
    expectData(ch, waitForInterrupt(ch));
    for (let w = 0; w < WORDS_PER_SECTOR; w++) {
      const word = ch.io.in16(DATA);
      const at = s * BLK_SECTOR_SIZE + 2 * w;
      out[at] = word & 0xff;
      out[at + 1] = word >> 8;
    }
  }
  return out;
}

function writeSectors(ch: Channel, lba: number, count: number, data: Uint8Array): void {
  setUpTransfer(ch, lba, count);
  command(ch, CMD_WRITE_SECTORS);
  // The device asks for the first sector with DRQ alone, without an interrupt.
  expectData(ch, waitWhileBusy(ch));
  for (let s = 0; s < count; s++) {
    for (let w = 0; w < WORDS_PER_SECTOR; w++) {
      const at = s * BLK_SECTOR_SIZE + 2 * w;
      ch.io.out16(DATA, data[at] | (data[at + 1] << 8));
    }
    // After each sector: an interrupt, then DRQ for the next one, or the end of the command.
    const status = waitForInterrupt(ch);
    if (s + 1 < count) expectData(ch, status);
    else checkStatus(ch, status);
  }
}

/** Sector count and LBA28 into the task file (count 256 would be written as 0). */
function setUpTransfer(ch: Channel, lba: number, count: number): void {
  ch.io.out8(SECTOR_COUNT, count & 0xff);
  ch.io.out8(LBA_LOW, lba & 0xff);
  ch.io.out8(LBA_MID, (lba >> 8) & 0xff);
  ch.io.out8(LBA_HIGH, (lba >> 16) & 0xff);
  ch.io.out8(DEVICE, DEVICE_LBA | ((lba >> 24) & 0x0f));
}

function command(ch: Channel, code: number): void {
  ch.io.out8(COMMAND, code);
}

/** Sleep until the device interrupts; reading Status acknowledges it at the device, which lowers
 *  the (level-triggered) line, so only then do we acknowledge it at the kernel. */
function waitForInterrupt(ch: Channel): number {
  // At most IRQ_TIMEOUT_US (virtual) µs: after a lost interrupt (docs/faults.md) the device is
  // looked at as if it had come; one still busy then is waited for by polling.
  const interrupted = ch.irq.wait({ timeoutUs: IRQ_TIMEOUT_US });
  const status = ch.io.in8(STATUS);
  if (interrupted) ch.irq.ack();
  return status & STATUS_BSY ? waitWhileBusy(ch) : status;
}

const IRQ_TIMEOUT_US = 10_000;

/** Poll Alternate Status (which leaves any interrupt pending) until BSY clears. */
function waitWhileBusy(ch: Channel): number {
  for (let i = 0; i < MAX_POLLS; i++) {
    const status = ch.ctl.in8(ALT_STATUS);
    if ((status & STATUS_BSY) === 0) return status;
  }
  throw new Error(`the ATA device stayed busy for ${MAX_POLLS} status reads`);
}

/** ERR or DF ends the command: say why. */
function checkStatus(ch: Channel, status: number): void {
  if (status & (STATUS_ERR | STATUS_DF)) throw new AtaFailure(status, ch.io.in8(ERROR));
  if (status & STATUS_BSY) throw new AtaFailure(status, ERROR_ABRT);
}

/** As checkStatus, and the device must be offering a sector (DRQ) now. */
function expectData(ch: Channel, status: number): void {
  checkStatus(ch, status);
  if ((status & STATUS_DRQ) === 0) throw new AtaFailure(status, ERROR_ABRT);
}
