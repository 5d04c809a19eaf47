// The 512 bytes IDENTIFY DEVICE returns (ATA/ATAPI-6 §8.15): what a driver learns about the disk.
// Strings are ASCII, space padded, two characters per word with the FIRST character in the HIGH
// byte — the classic byte swap every ATA driver undoes.

import { LBA28_MAX_SECTORS, WORDS_PER_SECTOR } from "./ata-registers";

export interface IdentifyFields {
  readonly sectors: number;
  readonly serial: string;
  readonly firmware: string;
  readonly model: string;
}

/** Word numbers a driver reads, named. */
export const IdentifyWord = {
  GeneralConfig: 0,
  Cylinders: 1,
  Heads: 3,
  SectorsPerTrack: 6,
  Serial: 10,
  Firmware: 23,
  Model: 27,
  Capabilities: 49,
  LbaSectors: 60,
  MajorVersion: 80,
  CommandSets2: 83,
  Integrity: 255,
} as const;

export function identifyData(fields: IdentifyFields): Uint16Array {
  const w = new Uint16Array(WORDS_PER_SECTOR);
  const lbaSectors = Math.min(fields.sectors, LBA28_MAX_SECTORS);
  // Bit 15 clear: an ATA (not ATAPI) device; bit 6: fixed medium.
  w[IdentifyWord.GeneralConfig] = 0x0040;
  // Legacy CHS geometry, for drivers that still look: 16 heads, 63 sectors per track.
  w[IdentifyWord.Cylinders] = Math.min(16383, Math.floor(lbaSectors / (16 * 63)));
  w[IdentifyWord.Heads] = 16;
  w[IdentifyWord.SectorsPerTrack] = 63;
  putString(w, IdentifyWord.Serial, 10, fields.serial);
  putString(w, IdentifyWord.Firmware, 4, fields.firmware);
  putString(w, IdentifyWord.Model, 20, fields.model);
  // READ/WRITE MULTIPLE not supported (bits 15:8 = 0x80 as required, 7:0 = 0).
  w[47] = 0x8000;
  // LBA supported (bit 9); no DMA (bit 8 clear): this is a PIO-only device.
  w[IdentifyWord.Capabilities] = 0x0200;
  w[50] = 0x4000;
  // Words 64–70 are valid.
  w[53] = 0x0002;
  w[IdentifyWord.LbaSectors] = lbaSectors & 0xffff;
  w[IdentifyWord.LbaSectors + 1] = Math.floor(lbaSectors / 0x10000);
  // PIO modes 3 and 4; 120 ns minimum PIO cycle times.
  w[64] = 0x0003;
  w[67] = 120;
  w[68] = 120;
  // ATA-1 … ATA-6.
  w[IdentifyWord.MajorVersion] = 0x007e;
  // Supported / enabled: write cache (82/85 bit 5), FLUSH CACHE (83/86 bit 12); bit 14 of 83 and 84
  // must be 1 and bit 15 0 for the words to count as valid. No LBA48 (83 bit 10 clear).
  w[82] = 0x0020;
  w[IdentifyWord.CommandSets2] = 0x5000;
  w[84] = 0x4000;
  w[85] = 0x0020;
  w[86] = 0x1000;
  w[87] = 0x4000;
  // Integrity word: signature 0xA5 and a checksum making the 512 bytes sum to 0 mod 256.
  w[IdentifyWord.Integrity] = 0x00a5;
  let sum = 0;
  for (let i = 0; i < WORDS_PER_SECTOR; i++) sum += (w[i] & 0xff) + (w[i] >> 8);
  w[IdentifyWord.Integrity] |= ((256 - (sum % 256)) % 256) << 8;
  return w;
}

/** Decode an IDENTIFY string (for tests and views): undo the byte swap, trim the padding. */
export function identifyString(words: Uint16Array, first: number, count: number): string {
  let text = "";
  for (let i = first; i < first + count; i++) text += String.fromCharCode(words[i] >> 8, words[i] & 0xff);
  return text.trimEnd();
}

function putString(words: Uint16Array, first: number, count: number, text: string): void {
  const padded = text
    .replace(/[^\x20-\x7e]/g, "?")
    .slice(0, 2 * count)
    .padEnd(2 * count, " ");
  for (let i = 0; i < count; i++) words[first + i] = (padded.charCodeAt(2 * i) << 8) | padded.charCodeAt(2 * i + 1);
}
