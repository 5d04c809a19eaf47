// IDENTIFY DEVICE data of the SATA disk behind the HBA: the ATA disk's (devices/ata/identify.ts) with
// what a SATA disk adds — DMA modes, 48-bit LBA, FLUSH CACHE EXT and NCQ (ACS-3 §7.12.7).

import { identifyData } from "../ata/identify";
import { NCQ_DEPTH } from "./ahci-spec";

export function sataIdentify(fields: { sectors: number; serial: string; model: string; firmware: string }): Uint8Array {
  const w = identifyData(fields);
  // LBA (bit 9) and DMA (bit 8) supported.
  w[49] = 0x0300;
  // Words 64–70 and 88 are valid.
  w[53] = 0x0006;
  // Multiword DMA 0–2; UDMA 0–6 supported, mode 6 selected.
  w[63] = 0x0007;
  w[88] = 0x407f;
  // Queue depth 32 (0's based); SATA capabilities: Gen 1 (bit 1), NCQ (bit 8).
  w[75] = NCQ_DEPTH - 1;
  w[76] = 0x0102;
  // ACS-3 … ATA-6.
  w[80] = 0x07f0;
  // Supported / enabled: write cache (82/85 bit 5); 48-bit LBA (bit 10), FLUSH CACHE (12) and
  // FLUSH CACHE EXT (13) in 83/86; bit 14 of 83 and 84 set, bit 15 clear.
  w[82] = 0x0020;
  w[83] = 0x7400;
  w[85] = 0x0020;
  w[86] = 0x3400;
  // 48-bit capacity, words 100–103.
  let left = fields.sectors;
  for (let i = 100; i < 104; i++) {
    w[i] = left % 0x10000;
    left = Math.floor(left / 0x10000);
  }
  // 512-byte logical sectors (word 106 valid, no bits beyond).
  w[106] = 0x4000;
  w[255] = 0x00a5;
  let sum = 0;
  for (let i = 0; i < 256; i++) sum += (w[i] & 0xff) + (w[i] >> 8);
  w[255] |= ((256 - (sum % 256)) % 256) << 8;
  const bytes = new Uint8Array(512);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < 256; i++) view.setUint16(2 * i, w[i], true);
  return bytes;
}
