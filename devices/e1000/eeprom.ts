// The 82540EM's serial EEPROM (64 words of 16 bits) and its read register EERD. A driver learns the
// card's MAC address from words 0–2, low byte first, as Linux's e1000 and xv6-style drivers do. The
// last word makes the sum of all 64 words 0xBABA (the manual's checksum rule), so a driver that
// checks it finds a valid image. Bit-banging the EEPROM through EECD is not emulated: EECD reads
// "EEPROM present" and the data pins never move.

import { Eerd } from "./registers";

export const EEPROM_WORDS = 64;
export const EEPROM_CHECKSUM_WORD = 0x3f;
export const EEPROM_CHECKSUM = 0xbaba;
/** PCI ids the image carries (words 0x0B–0x0E), as an 82540EM desktop adapter's. */
export const E1000_VENDOR_ID = 0x8086;
export const E1000_DEVICE_ID = 0x100e;

export function eepromImage(mac: Uint8Array): Uint16Array {
  const words = new Uint16Array(EEPROM_WORDS).fill(0xffff);
  for (let i = 0; i < 3; i++) words[i] = mac[2 * i] | (mac[2 * i + 1] << 8);
  words[0x0a] = 0x6403; // initialization control 1: the defaults of the reference design
  words[0x0b] = E1000_DEVICE_ID; // subsystem id
  words[0x0c] = E1000_VENDOR_ID; // subsystem vendor
  words[0x0d] = E1000_DEVICE_ID;
  words[0x0e] = E1000_VENDOR_ID;
  let sum = 0;
  for (let i = 0; i < EEPROM_CHECKSUM_WORD; i++) sum += words[i];
  words[EEPROM_CHECKSUM_WORD] = (EEPROM_CHECKSUM - sum) & 0xffff;
  return words;
}

/** What a read of EERD returns after the driver wrote `written`: a read finishes at once (DONE),
 *  with the word in bits 16–31; a word beyond the image reads DONE with data 0, as QEMU answers. */
export function eerdRead(written: number, image: Uint16Array): { value: number; missing?: number } {
  if ((written & Eerd.START) === 0) return { value: written >>> 0 };
  const address = (written >>> Eerd.ADDR_SHIFT) & Eerd.ADDR_MASK;
  if (address >= image.length) return { value: (written | Eerd.DONE) >>> 0, missing: address };
  return { value: ((image[address] << Eerd.DATA_SHIFT) | Eerd.DONE | (written & 0xffff)) >>> 0 };
}
